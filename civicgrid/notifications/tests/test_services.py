from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.utils import timezone

from civicgrid.notifications import services
from civicgrid.notifications.models import Channel, Notification, OutboxMessage, Status, WebhookEndpoint
from civicgrid.notifications.services import (
    notification_mark_read,
    notification_queue,
    outbox_deliver_due,
    outbox_retry,
    retry_delay,
)

# Monday 3 March 2025, 09:00 in Shanghai.
START = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
SITE = "https://grid.example.cn"


@pytest.fixture(autouse=True)
def knobs(settings):
    settings.CIVICGRID = {
        **settings.CIVICGRID,
        "SITE_URL": SITE,
        "NOTIFY_MAX_ATTEMPTS": 4,
        "NOTIFY_RETRY_BASE_SECONDS": 60,
        "NOTIFY_RETRY_MAX_SECONDS": 3600,
        "NOTIFY_WEBHOOK_TIMEOUT_SECONDS": 2,
    }


def endpoint(url: str, *, events: list[str] | None = None, active: bool = True, name: str = "hook") -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name=name, url=url, secret="s3cret-for-tests", events=events or [], active=active
    )


def queue_case_dispatched(personas, **overrides) -> int:
    arguments = {
        "event": "case.dispatched",
        "subject": "案件 A-7 已派遣",
        "body": "请在 3 个工作日内处置。",
        "recipients": [personas.unit_handler],
        "link": "/cases/7/",
        "payload": {"case": 7},
    } | overrides
    return notification_queue(**arguments)


# --- queueing ----------------------------------------------------------------------------------


@time_machine.travel(START, tick=False)
def test_queue_writes_inbox_rows_emails_and_one_webhook_per_subscribed_endpoint(personas):
    wanted = endpoint("https://hooks.example.cn/a", events=["case.*"], name="a")
    everything = endpoint("https://hooks.example.cn/b", name="b")
    endpoint("https://hooks.example.cn/c", events=["warning.raised"], name="c")
    endpoint("https://hooks.example.cn/d", active=False, name="d")

    queued = queue_case_dispatched(
        personas,
        recipients=[personas.unit_handler, personas.town_center, personas.unit_handler],
        emails=["handler@police.example.cn", " Handler@Police.example.cn ", ""],
    )

    assert queued == 5  # two inbox rows, one e-mail, two webhooks
    inbox = Notification.objects.order_by("user__username")
    assert [(n.user, n.event, n.subject, n.body, n.link, n.created_at, n.read_at) for n in inbox] == [
        (
            personas.town_center,
            "case.dispatched",
            "案件 A-7 已派遣",
            "请在 3 个工作日内处置。",
            "/cases/7/",
            START,
            None,
        ),
        (
            personas.unit_handler,
            "case.dispatched",
            "案件 A-7 已派遣",
            "请在 3 个工作日内处置。",
            "/cases/7/",
            START,
            None,
        ),
    ]
    email = OutboxMessage.objects.get(channel=Channel.EMAIL)
    assert (email.target, email.status, email.attempts, email.next_attempt_at) == (
        "handler@police.example.cn",
        Status.PENDING,
        0,
        START,
    )
    assert email.payload == {
        "event": "case.dispatched",
        "subject": "案件 A-7 已派遣",
        "body": "请在 3 个工作日内处置。",
        "link": "/cases/7/",
    }
    hooks = OutboxMessage.objects.filter(channel=Channel.WEBHOOK).order_by("endpoint__name")
    assert [(h.endpoint, h.target, h.status) for h in hooks] == [
        (wanted, "https://hooks.example.cn/a", Status.PENDING),
        (everything, "https://hooks.example.cn/b", Status.PENDING),
    ]
    assert hooks[0].payload == {
        "event": "case.dispatched",
        "subject": "案件 A-7 已派遣",
        "body": "请在 3 个工作日内处置。",
        "link": "/cases/7/",
        "payload": {"case": 7},
        "created_at": "2025-03-03T01:00:00Z",
    }


def test_nothing_is_queued_when_the_callers_transaction_rolls_back(personas):
    endpoint("https://hooks.example.cn/a")

    class CaseActionFailed(Exception):
        pass

    with pytest.raises(CaseActionFailed), transaction.atomic():
        assert queue_case_dispatched(personas, emails=["handler@police.example.cn"]) == 3
        assert Notification.objects.count() == 1  # visible inside the transaction …
        raise CaseActionFailed

    assert Notification.objects.count() == 0  # … and gone with it
    assert OutboxMessage.objects.count() == 0


def test_rows_commit_with_the_callers_transaction(personas):
    with transaction.atomic():
        queue_case_dispatched(personas, emails=["handler@police.example.cn"])
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_an_invalid_address_is_recorded_dead_instead_of_failing_the_callers_change(personas):
    assert queue_case_dispatched(personas, emails=["not-an-address"]) == 1
    row = OutboxMessage.objects.get()
    assert (row.status, row.next_attempt_at, row.last_error) == (Status.DEAD, None, "电子邮件地址无效。")


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "//evil.example.com/x", "https://evil.example.com/", "cases/7"]
)
def test_a_link_must_be_a_path_on_this_site(personas, link):
    with pytest.raises(ValueError, match="path on this site"):
        queue_case_dispatched(personas, link=link)
    assert Notification.objects.count() == 0


def test_a_multiline_subject_becomes_one_line(personas):
    queue_case_dispatched(personas, subject="案件 A-7\r\n已派遣", emails=["a@example.cn"])
    assert Notification.objects.get().subject == "案件 A-7 已派遣"
    assert OutboxMessage.objects.get().payload["subject"] == "案件 A-7 已派遣"


@pytest.mark.parametrize(
    ("events", "event", "wanted"),
    [
        ([], "case.dispatched", True),
        (["*"], "case.dispatched", True),
        (["case.dispatched"], "case.dispatched", True),
        (["case.*"], "case.dispatched", True),
        (["case.*"], "cases.dispatched", False),
        (["case.closed"], "case.dispatched", False),
        (["warning.*", "case.closed"], "case.closed", True),
    ],
)
def test_endpoint_event_filter(events, event, wanted):
    assert WebhookEndpoint(events=events).wants(event) is wanted


def test_endpoints_accept_only_http_and_https_urls_and_a_list_of_events(db):
    hook = WebhookEndpoint(name="x", url="ftp://hooks.example.cn/", events=["case.*"])
    with pytest.raises(ValidationError) as error:
        hook.full_clean()
    assert set(error.value.message_dict) == {"url"}
    hook = WebhookEndpoint(name="x", url="https://hooks.example.cn/", events="case.*")
    with pytest.raises(ValidationError) as error:
        hook.full_clean()
    assert set(error.value.message_dict) == {"events"}
    WebhookEndpoint(name="x", url="http://10.0.0.5:8080/in", events=["case.*"]).full_clean()


def test_every_endpoint_gets_its_own_secret(db):
    first, second = (
        endpoint("https://a.example.cn/"),
        WebhookEndpoint.objects.create(name="b", url="https://b.example.cn/"),
    )
    assert len(second.secret) >= 40
    assert first.secret != second.secret


# --- delivery: e-mail ----------------------------------------------------------------------------


@time_machine.travel(START, tick=False)
def test_email_is_delivered_through_the_email_backend(personas, mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "civicgrid@zaoyang.example.cn"
    queue_case_dispatched(personas, emails=["handler@police.example.cn"])

    assert outbox_deliver_due() == 1

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.subject == "案件 A-7 已派遣"
    assert mail.body == "请在 3 个工作日内处置。\n\nhttps://grid.example.cn/cases/7/"
    assert mail.to == ["handler@police.example.cn"]
    assert mail.from_email == "civicgrid@zaoyang.example.cn"
    row = OutboxMessage.objects.get()
    assert mail.extra_headers == {"X-Civicgrid-Event": "case.dispatched", "X-Civicgrid-Delivery": str(row.pk)}
    assert (row.status, row.attempts, row.sent_at, row.next_attempt_at, row.last_error) == (
        Status.SENT,
        1,
        START,
        None,
        "",
    )
    assert outbox_deliver_due() == 0  # sent rows are never sent again
    assert len(mailoutbox) == 1


class RefusingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.cn": (550, b"no such user")})


@time_machine.travel(START, tick=False)
def test_a_refused_email_is_recorded_and_retried(personas, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    queue_case_dispatched(personas, emails=["x@example.cn"])

    assert outbox_deliver_due() == 1

    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert row.last_error == "SMTPRecipientsRefused: {'x@example.cn': (550, b'no such user')}"
    assert START + timedelta(seconds=30) <= row.next_attempt_at <= START + timedelta(seconds=60)


# --- delivery: webhooks --------------------------------------------------------------------------


@time_machine.travel(START, tick=False)
def test_webhook_is_posted_as_signed_json_to_the_registered_url(personas, receiver):
    hook = endpoint(receiver.url)
    queue_case_dispatched(personas)
    row = OutboxMessage.objects.get(channel=Channel.WEBHOOK)

    assert outbox_deliver_due() == 1

    [request] = receiver.requests
    assert request.path == "/hooks/civicgrid"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-Civicgrid-Event"] == "case.dispatched"
    assert request.headers["X-Civicgrid-Delivery"] == str(row.pk)
    timestamp = request.headers["X-Civicgrid-Timestamp"]
    assert timestamp == str(int(START.timestamp()))
    # Verified the way a receiver would, independently of the code under test.
    expected = hmac.new(hook.secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Civicgrid-Signature"], f"sha256={expected}")
    assert json.loads(request.body) == {
        "id": row.pk,
        "event": "case.dispatched",
        "subject": "案件 A-7 已派遣",
        "body": "请在 3 个工作日内处置。",
        "link": "https://grid.example.cn/cases/7/",
        "payload": {"case": 7},
        "created_at": "2025-03-03T01:00:00Z",
    }
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at, row.last_error) == (Status.SENT, 1, START, "")


def test_each_endpoint_signs_with_its_own_secret(personas, receiver):
    """A receiver verifies with its own secret only: one endpoint's secret must not verify another's request."""
    first = endpoint(receiver.url + "?to=first", name="first")
    second = WebhookEndpoint.objects.create(name="second", url=receiver.url + "?to=second")
    queue_case_dispatched(personas)

    assert outbox_deliver_due() == 2

    def verifies(secret: str, request) -> bool:
        mac = hmac.new(
            secret.encode(), f"{request.headers['X-Civicgrid-Timestamp']}.".encode() + request.body, hashlib.sha256
        )
        return hmac.compare_digest(request.headers["X-Civicgrid-Signature"], f"sha256={mac.hexdigest()}")

    by_path = {request.path: request for request in receiver.requests}
    assert sorted(by_path) == ["/hooks/civicgrid?to=first", "/hooks/civicgrid?to=second"]
    assert first.secret != second.secret
    assert (
        verifies(first.secret, by_path["/hooks/civicgrid?to=first"]),
        verifies(second.secret, by_path["/hooks/civicgrid?to=first"]),
    ) == (True, False)
    assert (
        verifies(second.secret, by_path["/hooks/civicgrid?to=second"]),
        verifies(first.secret, by_path["/hooks/civicgrid?to=second"]),
    ) == (True, False)


def test_a_failing_endpoint_is_retried_with_growing_waits_then_dead(personas, receiver):
    receiver.status, receiver.answer = 503, b"down for maintenance"
    endpoint(receiver.url)
    with time_machine.travel(START, tick=False) as clock:
        queue_case_dispatched(personas)
        row = OutboxMessage.objects.get()
        waits = []
        for attempt in (1, 2, 3):
            assert outbox_deliver_due() == 1
            row.refresh_from_db()
            wait = row.next_attempt_at - timezone.now()
            ceiling = timedelta(seconds=60 * 2 ** (attempt - 1))
            assert (row.status, row.attempts) == (Status.FAILED, attempt)
            assert row.last_error == "HTTP 503 Service Unavailable: down for maintenance"
            assert ceiling / 2 <= wait < ceiling
            waits.append(wait)
            clock.move_to(row.next_attempt_at - timedelta(seconds=1))
            assert outbox_deliver_due() == 0  # not before it is due
            clock.move_to(row.next_attempt_at)
        assert waits[0] < waits[1] < waits[2]

        assert outbox_deliver_due() == 1  # the fourth and last attempt
        row.refresh_from_db()
        assert (row.status, row.attempts, row.next_attempt_at) == (Status.DEAD, 4, None)
        assert row.last_error == "HTTP 503 Service Unavailable: down for maintenance"
        assert row.last_attempt_at == timezone.now()
        clock.shift(timedelta(days=30))
        assert outbox_deliver_due() == 0
    assert len(receiver.requests) == 4


def test_an_unreachable_endpoint_records_the_connection_error(personas):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint(f"http://127.0.0.1:{port}/in")
    queue_case_dispatched(personas)

    outbox_deliver_due()

    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert row.last_error.startswith("ConnectionRefusedError: ")


def test_redirects_are_not_followed(personas, receiver):
    receiver.status, receiver.location, receiver.answer = 302, "http://127.0.0.1:1/elsewhere", b""
    endpoint(receiver.url)
    queue_case_dispatched(personas)

    outbox_deliver_due()

    assert len(receiver.requests) == 1
    row = OutboxMessage.objects.get()
    assert (row.status, row.last_error) == (Status.FAILED, "HTTP 302 Found:")


def test_nothing_is_posted_for_a_disabled_or_removed_endpoint(personas, receiver):
    disabled = endpoint(receiver.url, name="disabled")
    removed = endpoint(receiver.url, name="removed")
    queue_case_dispatched(personas)
    WebhookEndpoint.objects.filter(pk=disabled.pk).update(active=False)
    removed.delete()

    assert outbox_deliver_due() == 2

    assert receiver.requests == []
    rows = OutboxMessage.objects.order_by("last_error")
    assert [(r.status, r.attempts, r.next_attempt_at, r.last_error) for r in rows] == [
        (Status.DEAD, 1, None, "Webhook 接收端已停用。"),
        (Status.DEAD, 1, None, "Webhook 接收端已删除。"),
    ]


def test_nothing_is_posted_to_a_url_that_is_not_http(personas, receiver):
    hook = endpoint(receiver.url)
    queue_case_dispatched(personas)
    WebhookEndpoint.objects.filter(pk=hook.pk).update(url="file:///etc/passwd")  # bypassing validation

    outbox_deliver_due()

    row = OutboxMessage.objects.get()
    assert (row.status, row.last_error) == (Status.DEAD, "只能向 http/https 地址发送 Webhook：file:///etc/passwd")


def test_webhooks_go_to_the_endpoints_registered_url_not_one_in_the_row(personas, receiver):
    endpoint(receiver.url)
    queue_case_dispatched(personas)
    OutboxMessage.objects.update(target="http://127.0.0.1:1/not-registered")

    outbox_deliver_due()

    assert [r.path for r in receiver.requests] == ["/hooks/civicgrid"]
    assert OutboxMessage.objects.get().status == Status.SENT


# --- delivery: where webhooks may go (SSRF) ---------------------------------------------------------


@pytest.fixture
def production_networks(settings):
    """No exceptions: what a deployment without NOTIFY_WEBHOOK_ALLOWED_NETWORKS refuses."""
    settings.CIVICGRID = {**settings.CIVICGRID, "NOTIFY_WEBHOOK_ALLOWED_NETWORKS": []}


def test_a_webhook_to_this_host_is_refused_and_nothing_is_sent(personas, receiver, production_networks):
    endpoint(receiver.url)
    queue_case_dispatched(personas)

    assert outbox_deliver_due() == 1

    assert receiver.requests == []
    row = OutboxMessage.objects.get()
    assert (row.status, row.next_attempt_at) == (Status.DEAD, None)
    assert row.last_error == "Webhook 地址 127.0.0.1 指向本机或保留地址 127.0.0.1，不予发送。"


@pytest.mark.parametrize(
    ("url", "host", "address"),
    [
        ("http://localhost:{port}/in", "localhost", "127.0.0.1"),
        ("http://[::ffff:127.0.0.1]:{port}/in", "::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "169.254.169.254"),
        ("http://0.0.0.0:{port}/in", "0.0.0.0", "0.0.0.0"),  # noqa: S104 (an address refused, not bound)
        ("http://[::1]:{port}/in", "::1", "::1"),
    ],
)
def test_loopback_link_local_and_unspecified_addresses_are_refused(
    personas, receiver, production_networks, url, host, address
):
    hook = endpoint(receiver.url)
    port = receiver.url.split(":")[2].split("/")[0]
    WebhookEndpoint.objects.filter(pk=hook.pk).update(url=url.format(port=port))  # as if registered before the rule
    queue_case_dispatched(personas)

    outbox_deliver_due()

    assert receiver.requests == []
    row = OutboxMessage.objects.get()
    assert (row.status, row.last_error) == (
        Status.DEAD,
        f"Webhook 地址 {host} 指向本机或保留地址 {address}，不予发送。",
    )


def test_the_checked_address_is_the_one_connected_to(personas, receiver, monkeypatch):
    """The name is looked up once; Host header stays the registered name (no second lookup to rebind)."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    names_looked_up = []
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "127.0.0.1":  # connecting to the checked address: a numeric "lookup", no DNS
            return real(host, *args, **kwargs)
        names_looked_up.append(host)
        # The first answer is the receiver; any later lookup would be sent to the metadata service.
        return real("127.0.0.1" if len(names_looked_up) == 1 else "169.254.169.254", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    endpoint(f"http://hooks.example.cn:{port}/hooks/civicgrid")
    queue_case_dispatched(personas)

    outbox_deliver_due()

    assert names_looked_up == ["hooks.example.cn"]
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.example.cn:{port}"
    assert OutboxMessage.objects.get().status == Status.SENT


def test_intranet_receivers_are_allowed(db, production_networks):
    import ipaddress

    from civicgrid.notifications.delivery import address_refused

    for address in ("10.0.0.5", "172.16.3.4", "192.168.1.10", "100.64.0.1", "fd00::5", "58.49.1.2"):
        assert address_refused(ipaddress.ip_address(address)) is False, address
    unspecified = "0.0.0.0"  # noqa: S104 (an address refused, not bound)
    for address in ("127.0.0.1", "127.8.9.10", "::1", "169.254.169.254", "fe80::1", unspecified, "224.0.0.1",
                    "255.255.255.255", "240.0.0.1", "::ffff:169.254.169.254"):  # fmt: skip
        assert address_refused(ipaddress.ip_address(address)) is True, address


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://localhost/in",
        "http://api.localhost/",
        "http://[::1]/",
        "http://169.254.169.254/",
    ],
)
def test_registering_an_endpoint_on_this_host_is_refused(db, production_networks, url):
    with pytest.raises(ValidationError) as error:
        WebhookEndpoint(name="x", url=url, events=[]).full_clean()
    assert error.value.message_dict == {"url": ["不能向本机、链路本地或保留地址发送 Webhook。"]}


def test_a_port_beyond_65535_is_given_up_at_once(personas, receiver):
    hook = endpoint(receiver.url)
    WebhookEndpoint.objects.filter(pk=hook.pk).update(url="http://127.0.0.1:99999/in")
    queue_case_dispatched(personas)

    outbox_deliver_due()

    row = OutboxMessage.objects.get()
    assert (row.status, row.last_error) == (
        Status.DEAD,
        "只能向 http/https 地址发送 Webhook：http://127.0.0.1:99999/in",
    )


def test_a_batch_is_limited_and_the_rest_waits_for_the_next_run(personas, mailoutbox):
    for number in range(5):
        queue_case_dispatched(personas, emails=[f"u{number}@example.cn"], recipients=[])
    assert outbox_deliver_due(limit=3) == 3
    assert outbox_deliver_due(limit=3) == 2
    assert outbox_deliver_due(limit=3) == 0
    assert sorted(m.to[0] for m in mailoutbox) == [f"u{n}@example.cn" for n in range(5)]


@pytest.mark.parametrize(
    ("attempts", "rand", "seconds"),
    [(1, 0.0, 30), (1, 0.5, 45), (2, 0.0, 60), (3, 0.5, 180), (4, 0.0, 240), (7, 0.0, 1800), (20, 0.5, 2700)],
)
def test_retry_delay_doubles_with_jitter_in_its_upper_half_up_to_the_ceiling(attempts, rand, seconds):
    assert retry_delay(attempts, rand=rand) == timedelta(seconds=seconds)


# --- retry now, mark read ------------------------------------------------------------------------


@time_machine.travel(START, tick=False)
def test_retry_now_makes_unsent_rows_due_and_gives_a_dead_row_one_more_attempt(personas):
    dead = OutboxMessage.objects.create(
        channel=Channel.EMAIL, event="e", target="a@example.cn", status=Status.DEAD, attempts=4, next_attempt_at=None
    )
    failed = OutboxMessage.objects.create(
        channel=Channel.EMAIL,
        event="e",
        target="b@example.cn",
        status=Status.FAILED,
        attempts=2,
        next_attempt_at=START + timedelta(hours=1),
    )
    sent = OutboxMessage.objects.create(
        channel=Channel.EMAIL, event="e", target="c@example.cn", status=Status.SENT, attempts=1, next_attempt_at=None
    )

    assert outbox_retry(actor=personas.system_admin, ids=[dead.pk, failed.pk, sent.pk]) == 2

    for row in (dead, failed, sent):
        row.refresh_from_db()
    assert (dead.status, dead.attempts, dead.next_attempt_at) == (Status.FAILED, 4, START)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == (Status.FAILED, 2, START)
    assert (sent.status, sent.next_attempt_at) == (Status.SENT, None)


def test_retry_now_is_for_the_system_administrator_only(personas):
    row = OutboxMessage.objects.create(channel=Channel.EMAIL, event="e", target="a@example.cn", status=Status.DEAD)
    from django.core.exceptions import PermissionDenied

    for name in ("town_center", "security_admin", "audit_admin", "outsider"):
        with pytest.raises(PermissionDenied):
            outbox_retry(actor=personas[name], ids=[row.pk])
    row.refresh_from_db()
    assert row.status == Status.DEAD


@time_machine.travel(START, tick=False)
def test_mark_read_touches_only_the_users_own_unread_items(personas):
    queue_case_dispatched(personas, recipients=[personas.unit_handler, personas.town_center])
    queue_case_dispatched(personas, recipients=[personas.unit_handler], subject="second")
    mine = list(Notification.objects.filter(user=personas.unit_handler).order_by("id"))
    theirs = Notification.objects.get(user=personas.town_center)

    assert notification_mark_read(user=personas.unit_handler, ids=[mine[0].pk, theirs.pk]) == 1
    assert notification_mark_read(user=personas.unit_handler, ids=[mine[0].pk]) == 0  # already read
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert notification_mark_read(user=personas.unit_handler) == 1
    assert list(Notification.objects.filter(user=personas.unit_handler).values_list("read_at", flat=True)) == [
        START,
        START,
    ]


def test_failures_are_logged_with_their_fields(personas, receiver, caplog):
    receiver.status = 500
    endpoint(receiver.url)
    queue_case_dispatched(personas)
    with caplog.at_level("WARNING", logger="civicgrid.notifications"):
        outbox_deliver_due()
    [record] = [r for r in caplog.records if r.name == "civicgrid.notifications"]
    row = OutboxMessage.objects.get()
    assert (record.msg, record.outbox, record.channel, record.attempts, record.status) == (
        "delivery failed",
        row.pk,
        "webhook",
        1,
        "failed",
    )
    assert services.max_attempts() == 4
