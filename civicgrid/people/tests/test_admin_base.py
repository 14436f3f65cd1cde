"""The admin base class other apps build on: permissions, rows and choices from authorization; audited."""

from __future__ import annotations

import pytest
from django.contrib.admin import AdminSite
from django.test import RequestFactory

from civicgrid.audit.models import AuditEntry
from civicgrid.people.admin_base import AuthorizedAdmin
from civicgrid.people.models import Center, RoleAssignment
from civicgrid.regions.models import Region


class CenterTestAdmin(AuthorizedAdmin):
    pass


class HubAdmin(AuthorizedAdmin):
    authorization_thing = "hub"  # no policy under that name: nothing allowed


@pytest.fixture
def request_as(rf: RequestFactory):
    def make(user):
        request = rf.get("/admin/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="rf")
        request.user = user
        return request

    return make


@pytest.mark.parametrize(
    ("name", "view", "add", "change"),
    [
        ("system_admin", True, True, True),
        ("town_center", True, False, False),
        ("security_admin", False, False, False),
        ("outsider", False, False, False),
    ],
)
def test_permissions_come_from_the_policy(personas, world, request_as, name, view, add, change):
    model_admin = CenterTestAdmin(Center, AdminSite())
    request = request_as(personas[name])
    assert model_admin.has_view_permission(request) is view
    assert model_admin.has_add_permission(request) is add
    assert model_admin.has_change_permission(request, world.center_town_a) is change
    assert model_admin.has_module_permission(request) is (view or add or change)


def test_queryset_is_narrowed(personas, world, request_as):
    model_admin = CenterTestAdmin(Center, AdminSite())
    names = set(model_admin.get_queryset(request_as(personas.other_town_center)).values_list("name", flat=True))
    assert names == {"市综治中心", "乙镇综治中心"}


def test_foreign_key_choices_are_narrowed(personas, world, request_as):
    model_admin = CenterTestAdmin(Center, AdminSite())
    field = model_admin.formfield_for_foreignkey(Center._meta.get_field("region"), request_as(personas.village_center))
    assert set(field.queryset.values_list("code", flat=True)) == {
        "420683",
        "420683100",
        "420683100200",
        "420683100200001",
        "420683100200002",
    }
    m2m = model_admin.formfield_for_manytomany(
        Center._meta.get_field("stationed_units"), request_as(personas.unit_handler)
    )
    assert list(m2m.queryset) == [world.police]


def test_security_admin_picks_roles_from_every_region(personas, request_as):
    model_admin = AuthorizedAdmin(RoleAssignment, AdminSite())
    field = model_admin.formfield_for_foreignkey(
        RoleAssignment._meta.get_field("region"), request_as(personas.security_admin)
    )
    assert field.queryset.count() == Region.objects.count()


def test_unknown_thing_denies(personas, request_as):
    model_admin = HubAdmin(Center, AdminSite())
    assert model_admin.has_view_permission(request_as(personas.system_admin)) is False


def test_admin_changes_are_audited_with_origin(personas, world, request_as):
    model_admin = CenterTestAdmin(Center, AdminSite())
    request = request_as(personas.system_admin)
    model_admin.log_change(request, world.center_town_a, [{"changed": {"fields": ["phone"]}}])
    model_admin.log_deletions(request, Center.objects.filter(pk=world.center_town_b.pk))
    entries = AuditEntry.objects.order_by("id")
    assert [(e.action, e.target_repr, e.ip, e.user_agent) for e in entries] == [
        ("admin.change", "甲镇综治中心", "198.51.100.4", "rf"),
        ("admin.delete", "乙镇综治中心", "198.51.100.4", "rf"),
    ]
    assert entries[0].detail == {"changes": [{"changed": {"fields": ["phone"]}}]}


@pytest.mark.parametrize(
    ("name", "page"),
    [
        ("audit_admin", "/admin/audit/auditentry/?at__year=" + "9" * 30),
        ("system_admin", "/admin/workcalendar/calendarday/?date__year=" + "9" * 30),
        ("system_admin", "/admin/workcalendar/closure/?start_date__year=2026&start_date__month=" + "9" * 30),
        ("security_admin", "/admin/people/user/?roles__role=%00"),  # PostgreSQL: no NUL in text
        ("system_admin", "/admin/regions/region/?q=a%00b"),
    ],
)
def test_numbers_too_large_for_a_date_or_nul_characters_are_a_bad_lookup_not_a_crash(client, personas, name, page):
    """Django's date hierarchy builds datetime(year, …) and lets the OverflowError through."""
    client.force_login(personas[name])

    response = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == page.split("?")[0] + "?e=1"
