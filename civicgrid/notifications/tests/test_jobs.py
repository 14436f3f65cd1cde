from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection

from civicgrid.core import jobs
from civicgrid.notifications.models import OutboxMessage, Status, WebhookEndpoint
from civicgrid.notifications.services import notification_queue, outbox_deliver_due


def test_the_delivery_job_is_registered():
    jobs.load_job_modules()
    [job] = [job for job in jobs.registered_jobs() if job.name == "notifications.deliver"]
    assert job.every_seconds == 5


def test_worker_once_delivers_what_was_queued(personas, mailoutbox, receiver):
    WebhookEndpoint.objects.create(name="hook", url=receiver.url)
    notification_queue(
        event="case.closed", subject="案件已结案", body="", recipients=[personas.grid_worker], emails=["a@example.cn"]
    )

    call_command("worker", "--once", "--job", "notifications.deliver")

    assert [m.to for m in mailoutbox] == [["a@example.cn"]]
    assert len(receiver.requests) == 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer in at a time (IMMEDIATE transactions), so workers cannot overlap there; "
    "concurrent claiming with SKIP LOCKED is a PostgreSQL matter",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_at_once_deliver_every_message_exactly_once(receiver):
    WebhookEndpoint.objects.create(name="hook", url=receiver.url)
    for number in range(60):
        notification_queue(event="case.closed", subject=f"案件 {number} 已结案", body="")
    start = threading.Barrier(2)
    handled: dict[str, int] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait(10)
            total = 0
            while count := outbox_deliver_due(limit=4):
                total += count
            handled[name] = total
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    deliveries = Counter(int(request.headers["X-Civicgrid-Delivery"]) for request in receiver.requests)
    ids = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert set(deliveries) == ids
    assert max(deliveries.values()) == 1
    assert handled["w1"] + handled["w2"] == 60
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}
