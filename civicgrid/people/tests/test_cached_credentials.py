"""API tokens and role assignments are kept per process across requests (core.generations): a repeated
request asks the database for neither, and any change — a deleted or rotated token, a switched-off
account, a removed role — counts from the very next request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient, APIRequestFactory

from civicgrid.core import generations
from civicgrid.people.authentication import ExpiringTokenAuthentication
from civicgrid.people.authorization import grants
from civicgrid.people.models import RoleAssignment, User

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
ME = "/api/v1/people/me/"
INVALID = "认证令牌无效。"  # DRF's "Invalid token." in zh-Hans
INACTIVE = "用户未激活或者已删除。"  # DRF's "User inactive or deleted."


@pytest.fixture(autouse=True)
def _empty_caches() -> Iterator[None]:
    generations.reset_all()
    yield
    generations.reset_all()


def token_client(user: Any) -> tuple[APIClient, Token]:
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client, token


def tables_read(queries: CaptureQueriesContext) -> str:
    return " ".join(q["sql"] for q in queries.captured_queries)


def authenticate(key: str) -> tuple[Any, Any]:
    request = APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"Token {key}")
    with generations.scope():
        result = ExpiringTokenAuthentication().authenticate(request)
    assert result is not None
    return result


def test_a_repeated_request_reads_neither_the_token_nor_the_roles(personas: Any) -> None:
    client, _token = token_client(personas.town_center)
    assert client.get(CASES).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert client.get(CASES).status_code == 200

    sql = tables_read(queries)
    assert "authtoken_token" not in sql
    assert "people_roleassignment" not in sql
    assert sql.count("core_datageneration") == 1


def test_every_request_gets_its_own_user_and_token(personas: Any) -> None:
    _client, token = token_client(personas.leader)
    user, got = authenticate(token.key)
    user.first_name = "被这次请求改了"
    user._civicgrid_roles = ()  # what authorization stores on the object

    again, got_again = authenticate(token.key)

    assert again == personas.leader and again is not user
    assert again.first_name == "leader"
    assert not hasattr(again, "_civicgrid_roles")
    assert got_again is not got and got_again.user is again
    assert grants(again)[0].role == "leader"


def test_a_deleted_token_is_refused_on_the_next_request(personas: Any) -> None:
    client, token = token_client(personas.leader)
    assert client.get(ME).status_code == 200

    Token.objects.filter(key=token.key).delete()
    response = client.get(ME)

    assert response.status_code == 403  # session authentication comes first: 403 rather than 401
    assert response.json()["detail"] == INVALID


def test_a_rotated_token_is_refused_and_the_new_one_works(personas: Any) -> None:
    client, token = token_client(personas.leader)
    assert client.get(ME).status_code == 200

    with connection.cursor() as cursor:  # by raw SQL: no signal, only the trigger tells
        cursor.execute("UPDATE authtoken_token SET key = %s WHERE key = %s", ["f" * 40, token.key])

    assert client.get(ME).json()["detail"] == INVALID
    client.credentials(HTTP_AUTHORIZATION=f"Token {'f' * 40}")
    assert client.get(ME).json()["username"] == "leader"


def test_a_switched_off_account_is_refused_on_the_next_request(personas: Any) -> None:
    client, _token = token_client(personas.leader)
    assert client.get(ME).status_code == 200

    User.objects.filter(pk=personas.leader.pk).update(is_active=False)  # no signal: the trigger tells
    response = client.get(ME)

    assert response.status_code == 403
    assert response.json()["detail"] == INACTIVE


def test_expiry_is_checked_on_every_request(personas: Any, settings: Any) -> None:
    settings.CIVICGRID = {**settings.CIVICGRID, "API_TOKEN_SECONDS": 3600}
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        _client, token = token_client(personas.leader)
        assert authenticate(token.key)[0] == personas.leader
    with (
        time_machine.travel(start + dt.timedelta(seconds=3600), tick=False),
        pytest.raises(AuthenticationFailed) as failed,
    ):
        authenticate(token.key)
    assert str(failed.value.detail) == "认证令牌已过期，请重新登录获取。"


def test_a_removed_role_counts_from_the_next_request(personas: Any, world: Any) -> None:
    client, _token = token_client(personas.grid_worker)
    body = {"title": "垃圾", "category": "E0102", "lon": 112.05, "lat": 32.3}
    assert client.post(CASES, body, format="json").status_code == 201

    RoleAssignment.objects.filter(user=personas.grid_worker).delete()

    assert client.post(CASES, body, format="json").status_code == 403


def test_a_granted_role_counts_from_the_next_request(personas: Any, world: Any) -> None:
    client, _token = token_client(personas.outsider)
    body = {"title": "垃圾", "category": "E0102", "lon": 112.05, "lat": 32.3}
    assert client.post(CASES, body, format="json").status_code == 403

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO people_roleassignment (user_id, role, region_id, created_at) VALUES (%s, %s, %s, %s)",
            [personas.outsider.pk, "grid_worker", world.grid_a1_1.pk, timezone.now()],
        )

    assert client.post(CASES, body, format="json").status_code == 201


def test_a_role_change_in_the_same_request_is_seen_by_it(personas: Any, world: Any) -> None:
    user = User.objects.get(pk=personas.grid_worker.pk)
    with generations.scope():
        assert [g.role for g in grants(user)] == ["grid_worker"]
        RoleAssignment.objects.filter(user=user).delete()  # a delete sends signals: the scope forgets
        assert [g.role for g in grants(User.objects.get(pk=user.pk))] == []
