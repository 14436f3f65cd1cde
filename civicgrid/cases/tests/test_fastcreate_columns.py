"""Review: the one-statement creation (PostgreSQL) against the ORM path, every concrete column."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from civicgrid.cases import fastcreate, services
from civicgrid.cases.models import Case, CaseEvent, CaseStage, Reporter
from civicgrid.cases.tests.conftest import bj
from civicgrid.notifications.models import Notification, OutboxMessage, WebhookEndpoint

pytestmark = pytest.mark.django_db

_SKIP = {"id", "number", "case_id", "reporter_id", "idempotency_key"}


def _pg() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")


def _all_columns(row: Any) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.attname not in _SKIP}


def _stored(case: Case) -> dict[str, Any]:
    case = Case.objects.get(pk=case.pk)
    number = case.number

    def text(value: Any) -> Any:
        return value.replace(number, "N") if isinstance(value, str) else value

    return {
        "case": _all_columns(case),
        "area_code": case.area_code,
        "reporters": [_all_columns(r) for r in Reporter.objects.filter(case=case)],
        "stages": [_all_columns(s) for s in CaseStage.objects.filter(case=case)],
        "events": [_all_columns(e) for e in CaseEvent.objects.filter(case=case)],
        "inbox": sorted(
            tuple(text(v) for k, v in _all_columns(n).items() if k != "created_at")
            for n in Notification.objects.filter(link__contains=number)
        ),
        "outbox": sorted(
            (m.channel, m.event, m.target, m.status, m.attempts, m.last_error, str(m.payload).replace(number, "N"))
            for m in OutboxMessage.objects.filter(payload__payload__case=number)
        ),
    }


@pytest.mark.parametrize("in_transaction", [False, True])
def test_every_column_matches_the_orm_path(
    new_case: Any, personas: Any, clock: Any, monkeypatch: pytest.MonkeyPatch, in_transaction: bool
) -> None:
    _pg()
    clock.at(bj(2026, 3, 3, 9, 0))
    WebhookEndpoint.objects.create(name="hook", url="https://hooks.example.com/in", events=["case.reported"])
    extra: dict[str, Any] = {
        "title": "100% 'quoted' \"title\" {number} \\ %s %(x)s",
        "description": "描述 ; DROP TABLE x; --",
        "attributes": {"k": "v'\"", "n": [1, 2.5, None], "nested": {"ü": "\u2028"}},
        "reported_at": bj(2026, 3, 3, 8, 30),
        "anonymous": True,
        "external_ref": "12345-678",
    }

    def make(key: str) -> Case:
        if in_transaction:
            with transaction.atomic():
                return new_case(idempotency_key=key, **extra)
        return new_case(idempotency_key=key, **extra)

    fast = make("fast")
    monkeypatch.setattr(fastcreate, "supported", lambda: False)
    slow = make("slow")
    assert _stored(fast) == _stored(slow)


def test_no_placeholder_is_stored(new_case: Any, clock: Any) -> None:
    _pg()
    clock.at(bj(2026, 3, 3, 9, 0))
    WebhookEndpoint.objects.create(name="hook", url="https://hooks.example.com/in", events=["*"])
    case = new_case()
    slot = services._NUMBER_SLOT
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_caseevent", "notifications_notification", "notifications_outboxmessage"):
            sql = f"SELECT count(*) FROM {table} WHERE row_to_json({table}.*)::text LIKE %s"  # noqa: S608 -- fixed names
            cursor.execute(sql, [f"%{slot}%"])
            assert cursor.fetchone()[0] == 0, table
    assert case.number and slot not in case.number
