"""notification_queue keeps the active webhook endpoints per process (core.generations): no query per
notification, and an endpoint added, switched off or edited by anyone counts from the next call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.core import generations
from civicgrid.notifications.models import OutboxMessage, WebhookEndpoint
from civicgrid.notifications.services import notification_queue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_caches() -> Iterator[None]:
    generations.reset_all()
    yield
    generations.reset_all()


def targets() -> list[str]:
    return sorted(OutboxMessage.objects.filter(channel="webhook").values_list("target", flat=True))


def test_endpoints_are_read_once_per_generation() -> None:
    WebhookEndpoint.objects.create(name="a", url="https://a.example.cn/")
    with generations.scope():
        notification_queue(event="case.created", subject="s", body="b")
        with CaptureQueriesContext(connection) as queries:
            notification_queue(event="case.created", subject="s", body="b")

    assert not any("notifications_webhookendpoint" in q["sql"] for q in queries.captured_queries)
    assert targets() == ["https://a.example.cn/", "https://a.example.cn/"]


def test_an_endpoint_change_counts_from_the_next_call() -> None:
    first = WebhookEndpoint.objects.create(name="a", url="https://a.example.cn/")
    notification_queue(event="case.created", subject="s", body="b")

    WebhookEndpoint.objects.create(name="b", url="https://b.example.cn/", events=["case.*"])
    WebhookEndpoint.objects.filter(pk=first.pk).update(active=False)  # no signal: the trigger tells
    OutboxMessage.objects.all().delete()
    notification_queue(event="case.created", subject="s", body="b")

    assert targets() == ["https://b.example.cn/"]


def test_each_outbox_row_gets_its_own_endpoint_object(monkeypatch: pytest.MonkeyPatch) -> None:
    from civicgrid.notifications import services

    WebhookEndpoint.objects.create(name="a", url="https://a.example.cn/")
    made: list[OutboxMessage] = []
    original = OutboxMessage.objects.bulk_create

    def keep(rows: list[OutboxMessage], *args: object, **kwargs: object) -> list[OutboxMessage]:
        made.extend(rows)
        return original(rows, *args, **kwargs)

    monkeypatch.setattr(OutboxMessage.objects, "bulk_create", keep)
    with generations.scope():
        notification_queue(event="e", subject="s", body="b")
        notification_queue(event="e", subject="s", body="b")
        (shared,) = services._active_endpoints.get()

    assert [row.endpoint.name for row in made] == ["a", "a"]
    assert len({id(row.endpoint) for row in made} | {id(shared)}) == 3
