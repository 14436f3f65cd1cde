"""The API's sign-in (token) shares the login page's lockout and audit; /me shows one's own roles."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PERSONA_PASSWORD
from civicgrid.people import services

TOKEN = "/api/v1/people/auth/token/"
ME = "/api/v1/people/me/"


@pytest.fixture
def api():
    return APIClient()


def obtain(api, username, password):
    return api.post(TOKEN, {"username": username, "password": password}, format="json")


def test_token_for_correct_credentials_and_me(api, personas, world):
    response = obtain(api, "unit_handler", PERSONA_PASSWORD)
    assert response.status_code == 200
    key = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = api.get(ME)
    assert me.status_code == 200
    assert me.json() == {
        "id": personas.unit_handler.pk,
        "username": "unit_handler",
        "name": "unit_handler",
        "is_staff": False,
        "roles": [
            {
                "role": "unit_handler",
                "role_display": "部门办理人",
                "region": None,
                "unit": {"code": "police", "name": "市公安局"},
            }
        ],
    }
    entry = AuditEntry.objects.get(action="auth.login")
    assert (entry.actor, entry.detail) == (personas.unit_handler, {"path": TOKEN})
    # The same token again on a second sign-in.
    assert obtain(api, "unit_handler", PERSONA_PASSWORD).json()["token"] == key


def test_wrong_password_is_a_clear_400(api, personas):
    response = obtain(api, "unit_handler", "Wrong-Password-1")
    assert response.status_code == 400
    assert response.json() == ["用户名或密码错误。"]
    assert list(AuditEntry.objects.values_list("action", "actor_name")) == [("auth.login_failed", "unit_handler")]


def test_missing_fields_are_a_400(api, db):
    response = api.post(TOKEN, {"username": "x"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_api_sign_in_locks_out(api, personas):
    codes = [obtain(api, "unit_handler", f"Wrong-Password-{i}").status_code for i in range(settings.AXES_FAILURE_LIMIT)]
    assert codes == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    response = obtain(api, "unit_handler", PERSONA_PASSWORD)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "locked_out"
    assert "token" not in response.json()
    actions = list(AuditEntry.objects.filter(actor_name="unit_handler").values_list("action", flat=True))
    assert actions.count("auth.lockout") == 2
    assert "auth.login" not in actions


def test_page_and_api_share_the_lockout(api, client, personas):
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "unit_handler", "password": f"Wrong-{i}"})
    assert obtain(api, "unit_handler", PERSONA_PASSWORD).status_code == 429


def test_unlock_lets_the_api_sign_in_again(api, personas):
    for i in range(settings.AXES_FAILURE_LIMIT):
        obtain(api, "unit_handler", f"Wrong-Password-{i}")
    services.user_unlock(actor=personas.security_admin, username="unit_handler")
    assert obtain(api, "unit_handler", PERSONA_PASSWORD).status_code == 200


def test_deactivated_user_token_stops_working(api, personas):
    key = obtain(api, "leader", PERSONA_PASSWORD).json()["token"]
    services.user_deactivate(actor=personas.security_admin, user=personas.leader)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get(ME)
    assert response.status_code == 403  # session authentication comes first, so 403 rather than 401
    assert response.json()["detail"] == "认证令牌无效。"


def test_me_needs_authentication(api, db):
    assert api.get(ME).status_code == 403  # session authentication first: no WWW-Authenticate, so 403


def test_outsider_me_has_no_roles(api, personas):
    api.force_authenticate(personas.outsider)
    assert api.get(ME).json()["roles"] == []


def test_tokens_expire_with_the_session_age_and_sign_in_issues_a_new_one(api, personas, settings):
    """The authentication class settings.py uses (see people/authentication.py)."""
    import datetime as dt

    import time_machine
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.test import APIRequestFactory

    from civicgrid.people.authentication import ExpiringTokenAuthentication

    settings.CIVICGRID = {**settings.CIVICGRID, "API_TOKEN_SECONDS": 3600}

    def who(key):
        request = APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"Token {key}")
        return ExpiringTokenAuthentication().authenticate(request)[0]

    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        key = obtain(api, "leader", PERSONA_PASSWORD).json()["token"]
    with time_machine.travel(start + dt.timedelta(seconds=3599), tick=False):
        assert who(key) == personas.leader
        assert obtain(api, "leader", PERSONA_PASSWORD).json()["token"] == key  # still the same one
    with time_machine.travel(start + dt.timedelta(seconds=3600), tick=False):
        with pytest.raises(AuthenticationFailed) as failed:
            who(key)
        assert str(failed.value.detail) == "认证令牌已过期，请重新登录获取。"
        fresh = obtain(api, "leader", PERSONA_PASSWORD).json()["token"]
        assert fresh != key
        assert who(fresh) == personas.leader
        with pytest.raises(AuthenticationFailed):
            who(key)  # the old key is gone, not merely old
    settings.CIVICGRID = {**settings.CIVICGRID, "API_TOKEN_SECONDS": 7200}
    with time_machine.travel(start + dt.timedelta(seconds=7199), tick=False):
        assert who(fresh) == personas.leader


def test_the_api_authenticates_tokens_with_the_expiring_class(settings):
    assert (
        "civicgrid.people.authentication.ExpiringTokenAuthentication"
        in (settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"])
    )
    assert (
        "rest_framework.authentication.TokenAuthentication"
        not in (settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"])
    )
