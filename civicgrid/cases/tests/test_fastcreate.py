"""The one-statement creation on PostgreSQL writes exactly the rows the ORM path writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from civicgrid.cases import fastcreate
from civicgrid.cases.models import Case, CaseCounter, CaseEvent, CaseStage, Reporter
from civicgrid.cases.tests.conftest import bj
from civicgrid.notifications.models import Notification, OutboxMessage, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _skip_unless_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path exists on PostgreSQL only")


def _json(value: Any) -> str:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)


def _rows(case: Case) -> dict[str, Any]:
    """Everything written for ``case``, without the ids and the number's sequence part."""
    drop = {"id", "case", "number", "reporter", "idempotency_key"}

    def clean(row: Any) -> dict[str, Any]:
        return {k: v for k, v in model_to_dict(row).items() if k not in drop}

    case.refresh_from_db()
    return {
        "case": clean(case),
        "number_prefix": case.number.rsplit("-", 1)[0],
        "reporters": [clean(r) for r in Reporter.objects.filter(case=case)],
        "first_reporter_is_linked": case.reporter is None or case.reporter.case_id == case.pk,
        "stages": [clean(s) for s in CaseStage.objects.filter(case=case)],
        "events": [clean(e) for e in CaseEvent.objects.filter(case=case)],
        "outbox": sorted(
            (m.channel, m.event, m.target, m.endpoint_id, m.status, _json(m.payload).replace(case.number, "N"))
            for m in OutboxMessage.objects.filter(payload__payload__case=case.number)
        ),
        "inbox": sorted(
            (n.user_id, n.event, n.subject.replace(case.number, "N"), n.body, n.link.replace(case.number, "N"))
            for n in Notification.objects.filter(link__contains=case.number)
        ),
    }


@pytest.mark.parametrize("staff", [False, True])
@pytest.mark.parametrize("with_reporter", [True, False])
def test_same_rows_as_the_orm_path(
    new_case: Any, personas: Any, clock: Any, monkeypatch: pytest.MonkeyPatch, staff: bool, with_reporter: bool
) -> None:
    _skip_unless_postgres()
    clock.at(bj(2026, 3, 3, 9, 0))
    WebhookEndpoint.objects.create(name="hook", url="https://hooks.example.com/in", events=["case.reported"])
    extra: dict[str, Any] = {}
    if staff:
        extra.update(user=personas.grid_worker, channel="grid_patrol")
    if not with_reporter:
        extra.update(reporter_name="", reporter_phone="", reporter_email="")
    fast = new_case(idempotency_key="fast", **extra)
    monkeypatch.setattr(fastcreate, "supported", lambda: False)
    slow = new_case(idempotency_key="slow", **extra)
    assert (fast.reporter is None) == (not with_reporter)
    fast_rows, slow_rows = _rows(fast), _rows(slow)
    assert fast_rows == slow_rows
    assert len(fast_rows["outbox"]) == 1 and fast_rows["inbox"]
    assert fast.number.endswith("-00001") and slow.number.endswith("-00002")
    # What the service hands back (rendered as the 201 response) matches the stored row.
    stored = Case.objects.get(pk=fast.pk)
    assert (fast.number, fast.version, fast.stage_due_at, fast.state) == (
        stored.number,
        stored.version,
        stored.stage_due_at,
        stored.state,
    )


def test_numbers_keep_counting_past_five_digits(new_case: Any, clock: Any) -> None:
    _skip_unless_postgres()
    clock.at(bj(2026, 3, 3, 9, 0))
    first = new_case()
    county, day, _seq = first.number.split("-")
    CaseCounter.objects.filter(county_code=county).update(last=99998)
    assert new_case().number == f"{county}-{day}-99999"
    assert new_case().number == f"{county}-{day}-100000"


def test_a_failed_statement_writes_nothing_and_draws_no_number(new_case: Any, clock: Any) -> None:
    _skip_unless_postgres()
    clock.at(bj(2026, 3, 3, 9, 0))
    first = new_case(idempotency_key="k1")
    before = (Case.objects.count(), Reporter.objects.count(), CaseEvent.objects.count(), CaseStage.objects.count())
    counter = CaseCounter.objects.get().last
    # No question first on this path: the statement itself meets the unique key, and the first case is
    # answered (as for a racing request with the same key).
    from civicgrid.cases import services

    asked: list[str] = []
    original = services._case_with_key

    with CaptureQueriesContext(connection) as queries:

        def recorded(key: str) -> Case | None:
            tried = any(q["sql"].startswith("WITH ids AS") for q in queries.captured_queries)
            asked.append("after the insert" if tried else "first")
            return original(key)

        services._case_with_key = recorded  # type: ignore[assignment]
        try:
            again = new_case(idempotency_key="k1")
        finally:
            services._case_with_key = original  # type: ignore[assignment]
    assert asked == ["after the insert"], "the one-statement path asks no question first"
    assert again.pk == first.pk and again.replayed
    after = (Case.objects.count(), Reporter.objects.count(), CaseEvent.objects.count(), CaseStage.objects.count())
    assert after == before
    assert CaseCounter.objects.get().last == counter


@pytest.mark.django_db(transaction=True)
def test_a_row_deleted_behind_the_caches_back_costs_a_retry_not_a_500(new_case: Any, clock: Any) -> None:
    """Another process deletes a webhook endpoint after this request read its caches: the statement fails
    on the foreign key with nothing written, and the creation is tried again on fresh data."""
    _skip_unless_postgres()
    from civicgrid.core import generations

    clock.at(bj(2026, 3, 3, 9, 0))
    hook = WebhookEndpoint.objects.create(name="hook", url="https://hooks.example.com/in", events=["case.reported"])
    with generations.scope():
        new_case()  # the request's caches now hold the endpoint
        with connection.connection.cursor() as raw:  # past Django: as if another process did it
            raw.execute("DELETE FROM notifications_outboxmessage WHERE endpoint_id = %s", [hook.pk])
            raw.execute("DELETE FROM notifications_webhookendpoint WHERE id = %s", [hook.pk])
        second = new_case()
    assert Case.objects.filter(pk=second.pk).exists()
    assert not OutboxMessage.objects.filter(payload__payload__case=second.number).exists()
    assert CaseCounter.objects.get().last == 2  # the failed statement drew no number
