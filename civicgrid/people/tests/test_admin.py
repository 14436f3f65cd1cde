"""The admin site: who reaches which page, what each sees, that writes go through services and are audited,
and that it speaks Chinese by default and English when asked."""

from __future__ import annotations

import pytest
from django.conf import settings

from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PERSONA_NAMES, PERSONA_PASSWORD
from civicgrid.people.models import RoleAssignment, Unit, User

STAFF = {"town_center", "town_head", "other_town_center", "village_center", "city_center"}
ADMINS = {"system_admin", "security_admin", "audit_admin"}
CENTER_ROLES = STAFF

# page → personas who may open it (everyone else with admin access gets 403)
PAGES = {
    "/admin/people/unit/": {"system_admin", "security_admin"} | CENTER_ROLES,
    "/admin/people/center/": {"system_admin"} | CENTER_ROLES,
    "/admin/people/unitkind/": {"system_admin", "security_admin"} | CENTER_ROLES,
    "/admin/people/user/": {"security_admin"},
    "/admin/people/roleassignment/": {"security_admin"},
    "/admin/audit/auditentry/": {"audit_admin"},
    "/admin/axes/accessattempt/": {"security_admin"},
    "/admin/people/apitoken/": {"security_admin"},
}


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_admin_entry(client, personas, name):
    response = signed_in(client, personas[name]).get("/admin/")
    if name in STAFF | ADMINS:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("name", sorted(STAFF | ADMINS))
@pytest.mark.parametrize("page", sorted(PAGES))
def test_admin_pages_by_role(client, personas, name, page):
    response = signed_in(client, personas[name]).get(page)
    assert response.status_code == (200 if name in PAGES[page] else 403)


def test_groups_are_not_in_the_admin(client, personas):
    assert signed_in(client, personas.security_admin).get("/admin/auth/group/").status_code == 404


def test_admin_index_lists_only_permitted_models(client, personas):
    body = signed_in(client, personas.audit_admin).get("/admin/").content.decode()
    assert "/admin/audit/auditentry/" in body
    assert "/admin/people/user/" not in body
    assert "/admin/people/unit/" not in body


def test_superuser_flag_opens_nothing(client, personas):
    root = User.objects.create(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    index = client.get("/admin/")
    assert index.status_code == 200
    for page in PAGES:
        assert client.get(page).status_code == 403, page
        assert page not in index.content.decode()


def test_changelist_shows_only_visible_rows(client, personas):
    body = signed_in(client, personas.town_center).get("/admin/people/center/").content.decode()
    assert "甲镇综治中心" in body
    assert "市综治中心" in body
    assert "乙镇综治中心" not in body


def test_out_of_scope_object_is_not_found(client, personas, world):
    response = signed_in(client, personas.town_center).get(f"/admin/people/center/{world.center_town_b.pk}/change/")
    assert response.status_code == 302  # Django's "doesn't exist" redirect to the admin index
    response = client.get(f"/admin/people/center/{world.center_town_a.pk}/change/")
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()  # read-only for center staff


# --- language ------------------------------------------------------------------------------------------


def test_admin_speaks_chinese_by_default(client, personas):
    response = signed_in(client, personas.system_admin).get("/admin/")
    assert response["Content-Language"] == "zh-hans"
    body = response.content.decode()
    assert "civicgrid 管理后台" in body
    assert "注销" in body


def test_admin_speaks_english_when_asked(client, personas):
    response = signed_in(client, personas.system_admin).get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
    body = response.content.decode()
    assert "Log out" in body
    assert "注销" not in body


@pytest.mark.parametrize(("accept", "expected"), [(None, "登录"), ("en", "Log in"), ("zh-CN,zh;q=0.9", "登录")])
def test_admin_login_page_language(client, db, accept, expected):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    response = client.get("/admin/login/", **headers)
    assert response.status_code == 200
    assert expected in response.content.decode()


# --- writes through the admin ----------------------------------------------------------------------------


def test_system_admin_adds_a_unit_audited(client, personas, world):
    response = signed_in(client, personas.system_admin).post(
        "/admin/people/unit/add/",
        {
            "code": "justice",
            "name": "市司法局",
            "kind": "justice",
            "region": world.city.pk,
            "regions_covered": [world.town_a.pk],
            "is_active": "on",
        },
        HTTP_USER_AGENT="admin-test",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = Unit.objects.get(code="justice")
    assert list(unit.regions_covered.values_list("code", flat=True)) == ["420683100"]
    entries = AuditEntry.objects.filter(target_type="people.unit").order_by("id")
    assert [(e.action, e.actor_id, e.ip, e.user_agent) for e in entries] == [
        ("unit.create", personas.system_admin.pk, "127.0.0.1", "admin-test"),
        ("admin.add", personas.system_admin.pk, "127.0.0.1", "admin-test"),
    ]


def test_unit_kind_choices_come_from_data(client, personas, world):
    body = signed_in(client, personas.system_admin).get("/admin/people/unit/add/").content.decode()
    assert '<option value="water_resources">水利</option>' in body
    response = client.post(
        "/admin/people/unit/add/",
        {"code": "x", "name": "X", "kind": "spaceport", "region": world.city.pk, "is_active": "on"},
    )
    assert response.status_code == 200  # the form again, with an error
    assert not Unit.objects.filter(code="x").exists()


def test_system_admin_changes_a_unit_audited(client, personas, world):
    response = signed_in(client, personas.system_admin).post(
        f"/admin/people/unit/{world.water.pk}/change/",
        {
            "name": "市水利和湖泊局",
            "kind": "water_resources",
            "region": world.city.pk,
            "regions_covered": [world.city.pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    world.water.refresh_from_db()
    assert world.water.name == "市水利和湖泊局"
    entries = AuditEntry.objects.filter(target_type="people.unit").order_by("id")
    actions = list(entries.values_list("action", "detail"))
    assert actions[0] == ("unit.update", {"fields": ["name"]})
    assert actions[1][0] == "admin.change"
    assert actions[1][1]["changes"] == [{"changed": {"fields": ["名称"]}}]


@pytest.mark.parametrize("name", ["security_admin", "city_center"])
def test_others_cannot_add_units(client, personas, world, name):
    response = signed_in(client, personas[name]).post(
        "/admin/people/unit/add/",
        {"code": "x", "name": "X", "kind": "police", "region": world.city.pk, "is_active": "on"},
    )
    assert response.status_code == 403
    assert not Unit.objects.filter(code="x").exists()


def _user_add_form(**roles):
    data = {
        "username": "lisi",
        "usable_password": "true",
        "password1": "Li-Si-Strong-88",
        "password2": "Li-Si-Strong-88",
        "roles-TOTAL_FORMS": str(len(roles.get("rows", []))),
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(roles.get("rows", [])):
        for key, value in row.items():
            data[f"roles-{i}-{key}"] = value
    return data


def test_security_admin_creates_a_user_with_a_role(client, personas, world):
    data = _user_add_form(rows=[{"role": "center_staff", "region": world.village_a1.pk, "unit": ""}])
    response = signed_in(client, personas.security_admin).post("/admin/people/user/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="lisi")
    assert user.check_password("Li-Si-Strong-88")
    assert list(user.roles.values_list("role", "region__code")) == [("center_staff", "420683100200")]
    assert user.is_staff is True
    actions = list(AuditEntry.objects.filter(target_id=str(user.pk)).order_by("id").values_list("action", flat=True))
    assert actions == ["user.create", "role.assign", "admin.add"]


def test_weak_password_in_admin_is_refused(client, personas):
    data = _user_add_form()
    data["password1"] = data["password2"] = "abcdefghijk"
    response = signed_in(client, personas.security_admin).post("/admin/people/user/add/", data)
    assert response.status_code == 200
    assert "密码须至少包含小写字母、大写字母、数字、符号中的 3 类。" in response.content.decode()
    assert not User.objects.filter(username="lisi").exists()


def test_admin_refuses_combining_admin_roles(client, personas, world):
    data = _user_add_form(
        rows=[
            {"role": "system_admin", "region": "", "unit": ""},
            {"role": "audit_admin", "region": "", "unit": ""},
        ]
    )
    response = signed_in(client, personas.security_admin).post("/admin/people/user/add/", data)
    assert response.status_code == 200
    assert "须由专人担任" in response.content.decode()
    assert not User.objects.filter(username="lisi").exists()


def test_security_admin_cannot_grant_themselves_in_admin(client, personas, world):
    response = signed_in(client, personas.security_admin).post(
        "/admin/people/roleassignment/add/",
        {"user": personas.security_admin.pk, "role": "leader", "region": world.city.pk, "unit": ""},
    )
    assert response.status_code == 200
    assert "不能给自己授权" in response.content.decode()
    assert personas.security_admin.roles.count() == 1


def test_role_assignment_admin_add_and_delete_go_through_services(client, personas, world):
    signed_in(client, personas.security_admin)
    response = client.post(
        "/admin/people/roleassignment/add/",
        {"user": personas.outsider.pk, "role": "mediator", "region": world.town_b.pk, "unit": ""},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=personas.outsider)
    response = client.post(f"/admin/people/roleassignment/{assignment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert personas.outsider.roles.count() == 0
    actions = list(AuditEntry.objects.exclude(action="auth.login").order_by("id").values_list("action", flat=True))
    assert actions == ["role.assign", "admin.add", "admin.delete", "role.revoke"]


def test_security_admin_deactivates_in_admin(client, personas):
    user = personas.village_center
    response = signed_in(client, personas.security_admin).post(
        f"/admin/people/user/{user.pk}/change/",
        {
            "first_name": "村",
            "last_name": "",
            "email": "",
            "phone": "",
            "is_active": "",
            "roles-TOTAL_FORMS": "1",
            "roles-INITIAL_FORMS": "1",
            "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "1000",
            "roles-0-id": str(user.roles.get().pk),
            "roles-0-user": str(user.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert (user.is_active, user.is_staff, user.first_name) == (False, False, "村")
    actions = list(AuditEntry.objects.filter(target_id=str(user.pk)).order_by("id").values_list("action", flat=True))
    assert actions == ["user.update", "user.deactivate", "admin.change"]


def test_unlock_action_in_admin(client, personas):
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "leader", "password": f"Wrong-{i}"})
    signed_in(client, personas.security_admin).post(
        "/admin/people/user/", {"action": "unlock_logins", "_selected_action": [personas.leader.pk]}
    )
    assert AuditEntry.objects.filter(action="user.unlock", actor=personas.security_admin).count() == 1
    client.logout()
    response = client.post("/accounts/login/", {"username": "leader", "password": PERSONA_PASSWORD})
    assert response.status_code == 302


def test_persona_password_signs_in_to_admin(client, personas):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "system_admin", "password": PERSONA_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_user_change_page_shows_roles_read_only(client, personas):
    response = signed_in(client, personas.security_admin).get(f"/admin/people/user/{personas.town_head.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "中心负责人" in body
    assert 'name="is_superuser"' not in body
    assert 'name="is_staff"' not in body  # derived from roles, shown read-only


def test_security_admin_sets_a_password_in_admin(client, personas):
    url = f"/admin/people/user/{personas.leader.pk}/password/"
    signed_in(client, personas.security_admin)
    weak = client.post(url, {"password1": "leader12345", "password2": "leader12345", "usable_password": "true"})
    assert weak.status_code == 200
    strong = client.post(
        url, {"password1": "Lead-Er-Strong-9", "password2": "Lead-Er-Strong-9", "usable_password": "true"}
    )
    assert strong.status_code == 302
    personas.leader.refresh_from_db()
    assert personas.leader.check_password("Lead-Er-Strong-9")
    entry = AuditEntry.objects.get(action="admin.change")
    assert (entry.actor, entry.target_id) == (personas.security_admin, str(personas.leader.pk))


@pytest.mark.parametrize("name", ["system_admin", "audit_admin", "town_head"])
def test_others_cannot_set_passwords(client, personas, name):
    url = f"/admin/people/user/{personas.leader.pk}/password/"
    response = signed_in(client, personas[name]).post(
        url, {"password1": "Lead-Er-Strong-9", "password2": "Lead-Er-Strong-9", "usable_password": "true"}
    )
    assert response.status_code == 403
    personas.leader.refresh_from_db()
    assert personas.leader.check_password(PERSONA_PASSWORD)


def test_api_token_keys_stay_secret_in_the_admin(client, personas):
    """A key is the owner's identity on the API: the security administrator revokes tokens, never reads them."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=personas.leader)
    signed_in(client, personas.security_admin)
    url = f"/admin/people/apitoken/{personas.leader.pk}/"

    pages = [
        client.get("/admin/people/apitoken/"),
        client.get(url + "change/"),
        client.get(url + "delete/"),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200]
    for page in pages:
        body = page.content.decode()
        assert token.key not in body
        assert token.key[4:12] not in body
    assert f"{token.key[:4]}…" in pages[0].content.decode()
    assert "leader 的 API 令牌" in pages[2].content.decode()

    response = client.post(url + "delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Token.objects.filter(user=personas.leader).exists()
    entry = AuditEntry.objects.get(action="admin.delete")
    assert (entry.actor, entry.target_repr) == (personas.security_admin, "leader 的 API 令牌")
    assert token.key not in str(entry.detail)
