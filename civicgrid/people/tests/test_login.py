"""Signing in on the real login page: audit of success, failure and logout; lockout; session expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PERSONA_PASSWORD
from civicgrid.people import services

LOGIN = "/accounts/login/"
UA = "Mozilla/5.0 (civicgrid test)"


def login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password}, HTTP_USER_AGENT=UA)


def actions(username: str) -> list[str]:
    return list(AuditEntry.objects.filter(actor_name=username).order_by("id").values_list("action", flat=True))


def test_login_page_answers(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert "工作人员登录" in response.content.decode()


def test_successful_login_and_logout_are_audited(client, personas):
    response = login(client, "town_center", PERSONA_PASSWORD)
    assert response.status_code == 302
    assert response.wsgi_request.user.username == "town_center"
    entry = AuditEntry.objects.get(action="auth.login")
    assert (entry.actor, entry.actor_name, entry.ip, entry.user_agent) == (
        personas.town_center,
        "town_center",
        "127.0.0.1",
        UA,
    )
    assert entry.detail == {"path": LOGIN}
    client.post(reverse("logout"), HTTP_USER_AGENT=UA)
    assert actions("town_center") == ["auth.login", "auth.logout"]


def test_failed_login_is_audited_without_the_password(client, personas):
    response = login(client, "town_center", "Wrong-Password-1")
    assert response.status_code == 200  # the form again, with an error
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.actor_name, entry.ip) == (
        "auth.login_failed",
        None,
        "town_center",
        "127.0.0.1",
    )
    assert entry.detail == {"path": LOGIN, "username": "town_center"}
    assert "Wrong-Password-1" not in str(entry.detail)


def test_unknown_account_failure_is_audited(client, db):
    login(client, "nobody", "Whatever-123")
    assert actions("nobody") == ["auth.login_failed"]


def test_lockout_after_repeated_failures(client, personas):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    statuses = [login(client, "town_center", f"Wrong-Password-{i}").status_code for i in range(limit)]
    assert statuses == [200] * (limit - 1) + [429]

    # Locked: even the right password is refused, with the lockout page, and nobody is signed in.
    response = login(client, "town_center", PERSONA_PASSWORD)
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    assert client.get("/admin/").status_code == 302  # still sent to sign in

    recorded = actions("town_center")
    assert recorded.count("auth.login_failed") == limit + 1
    assert recorded.count("auth.lockout") == 2  # when locking, and the attempt while locked
    assert "auth.login" not in recorded


@pytest.mark.parametrize("header", ["HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_CLIENT_IP"])
def test_a_forged_forwarding_header_does_not_escape_the_lockout(client, personas, header):
    """The lockout is per account and address: the address is the connection's, never a header the client
    writes, or every attempt could claim a new address (on the page and on the API alike)."""
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "town_center", "password": f"Wrong-{i}"}, **{header: f"203.0.113.{i}"})

    page = client.post(LOGIN, {"username": "town_center", "password": PERSONA_PASSWORD}, **{header: "203.0.113.99"})
    api = client.post(
        "/api/v1/people/auth/token/",
        {"username": "town_center", "password": PERSONA_PASSWORD},
        content_type="application/json",
        **{header: "198.51.100.7"},
    )

    assert (page.status_code, api.status_code) == (429, 429)


def test_lockout_is_per_account(client, personas):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "town_center", f"Wrong-Password-{i}")
    assert login(client, "village_center", PERSONA_PASSWORD).status_code == 302


def test_lockout_ends_after_cool_off(client, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for i in range(settings.AXES_FAILURE_LIMIT):
            login(client, "town_center", f"Wrong-Password-{i}")
        assert login(client, "town_center", PERSONA_PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert login(client, "town_center", PERSONA_PASSWORD).status_code == 302


def test_security_admin_unlocks(client, personas):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "town_center", f"Wrong-Password-{i}")
    cleared = services.user_unlock(actor=personas.security_admin, username="town_center")
    assert cleared == 1
    entry = AuditEntry.objects.get(action="user.unlock")
    assert (entry.actor, entry.target_id, entry.detail) == (
        personas.security_admin,
        str(personas.town_center.pk),
        {"username": "town_center", "cleared": 1},
    )
    assert login(client, "town_center", PERSONA_PASSWORD).status_code == 302


def test_admin_login_page_locks_too(client, personas):
    url = "/admin/login/?next=/admin/"
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "system_admin", "password": f"Wrong-{i}"})
    response = client.post(url, {"username": "system_admin", "password": PERSONA_PASSWORD})
    assert response.status_code == 429


def test_inactive_account_cannot_sign_in(client, personas):
    services.user_deactivate(actor=personas.security_admin, user=personas.leader)
    response = login(client, "leader", PERSONA_PASSWORD)
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    ("idle", "signed_in"), [(timedelta(hours=7, minutes=59), True), (timedelta(hours=8, seconds=1), False)]
)
def test_session_expires_after_idle_time(client, personas, idle, signed_in):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert login(client, "system_admin", PERSONA_PASSWORD).status_code == 302
    with time_machine.travel(start + idle, tick=False):
        response = client.get("/admin/")
    assert (response.status_code == 200) is signed_in
    if not signed_in:
        assert response["Location"].startswith("/admin/login/")


def test_activity_extends_the_session(client, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login(client, "system_admin", PERSONA_PASSWORD)
    with time_machine.travel(start + timedelta(hours=6), tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12), tick=False):
        assert client.get("/admin/").status_code == 200
