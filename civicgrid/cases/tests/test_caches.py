"""The per-process copies case intake reads (cases.caches): the same answers as the database, each call's
own objects, and a change seen on the next call, whoever made it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.cases import caches
from civicgrid.cases.models import CaseSettings, Category
from civicgrid.cases.services import _center_users
from civicgrid.cases.tests.test_api import API, client_for, create_body
from civicgrid.core import generations
from civicgrid.people.models import Center, RoleAssignment, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_caches() -> Iterator[None]:
    generations.reset_all()
    yield
    generations.reset_all()


def test_category_by_code_or_pk_active_or_not(category: Any) -> None:
    Category.objects.filter(pk=category.pk).update(is_active=False)

    by_code = caches.category("T01")
    by_pk = caches.category(category.pk)

    assert by_code is not None and by_pk is not None
    assert (by_code.pk, by_code.name, by_code.is_active) == (category.pk, "测试事件", False)
    assert by_pk.code == "T01"
    assert caches.category("NOPE") is None
    assert caches.category(str(category.pk)) is None  # a string is a code, as in the services


def test_category_hit_costs_no_query_and_hands_out_copies(category: Any, django_assert_num_queries: Any) -> None:
    with generations.scope():
        first = caches.category("T01")
        assert first is not None
        first.name = "被调用方改了"
        with django_assert_num_queries(0):
            second = caches.category("T01")

    assert second is not None and second is not first
    assert second.name == "测试事件"


def test_category_change_is_seen_on_the_next_call(category: Any) -> None:
    assert caches.category("T01").name == "测试事件"  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_category SET name = '改名' WHERE code = 'T01'")
    assert caches.category("T01").name == "改名"  # type: ignore[union-attr]


def test_case_settings_as_current(django_assert_num_queries: Any) -> None:
    row = caches.case_settings()
    assert row.pk == 1
    assert row.warn_share == CaseSettings.current().warn_share

    CaseSettings.objects.filter(pk=1).update(auto_escalate=False)
    with generations.scope():
        assert caches.case_settings().auto_escalate is False
        with django_assert_num_queries(0):
            caches.case_settings().auto_escalate = True  # the caller's copy
        assert caches.case_settings().auto_escalate is False


def test_case_settings_created_when_missing() -> None:
    CaseSettings.objects.all().delete()

    row = caches.case_settings()

    assert row.pk == 1
    assert CaseSettings.objects.filter(pk=1).exists()
    assert caches.case_settings().pk == 1


def test_center_region_ids(world: Any) -> None:
    assert caches.center_region_ids() == frozenset(
        {world.city.pk, world.town_a.pk, world.town_b.pk, world.village_a1.pk}
    )
    Center.objects.filter(region=world.village_a1).delete()
    assert caches.center_region_ids() == frozenset({world.city.pk, world.town_a.pk, world.town_b.pk})


def test_center_users_match_the_services(personas: Any, world: Any) -> None:
    # One more town_a staff member (ordered by pk) and an inactive center head, who is left out.
    extra = User.objects.create(username="town_extra")
    RoleAssignment.objects.create(user=extra, role="center_staff", region=world.town_a)
    gone = User.objects.create(username="town_gone", is_active=False)
    RoleAssignment.objects.create(user=gone, role="center_head", region=world.town_a)

    for region in [*world.regions(), None]:
        region_id = region.pk if region is not None else None
        assert caches.center_users(region_id) == _center_users(region_id)
    assert caches.center_users(world.town_a.pk) == [personas.town_center, personas.town_head, extra]


def test_center_users_see_deactivation_and_role_removal_at_once(personas: Any, world: Any) -> None:
    with generations.scope():
        assert caches.center_users(world.town_a.pk) == [personas.town_center, personas.town_head]
    User.objects.filter(pk=personas.town_head.pk).update(is_active=False)
    with generations.scope():
        assert caches.center_users(world.town_a.pk) == [personas.town_center]
    RoleAssignment.objects.filter(user=personas.town_center).delete()
    with generations.scope():
        assert caches.center_users(world.town_a.pk) == []


def test_center_users_are_copies(personas: Any, world: Any) -> None:
    first = caches.center_users(world.town_a.pk)
    first[0].first_name = "改"
    assert caches.center_users(world.town_a.pk)[0].first_name == "town_center"


def test_a_case_created_through_the_api_reads_the_tokens_once(personas: Any, category: Any) -> None:
    client = client_for(personas.grid_worker)
    assert client.post(API, create_body(category), format="json").status_code == 201  # caches warm
    with CaptureQueriesContext(connection) as queries:
        response = client.post(API, create_body(category), format="json")

    assert response.status_code == 201
    assert sum("core_datageneration" in q["sql"] for q in queries.captured_queries) == 1
    assert not any("authtoken_token" in q["sql"] for q in queries.captured_queries)  # the token is cached
