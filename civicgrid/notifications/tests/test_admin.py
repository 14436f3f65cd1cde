from __future__ import annotations

import pytest
from django.urls import reverse

from civicgrid.audit.models import AuditEntry
from civicgrid.notifications.models import Channel, OutboxMessage, Status, WebhookEndpoint

OUTBOX = reverse("admin:notifications_outboxmessage_changelist")
ENDPOINTS = reverse("admin:notifications_webhookendpoint_changelist")


@pytest.fixture
def outbox(db):
    def row(target: str, status: str, error: str = "") -> OutboxMessage:
        return OutboxMessage.objects.create(
            channel=Channel.EMAIL,
            event="case.closed",
            target=target,
            status=status,
            attempts=1,
            last_error=error,
            next_attempt_at=None,
        )

    return {
        "sent": row("sent@example.cn", Status.SENT),
        "failed": row("failed@example.cn", Status.FAILED, "SMTPServerDisconnected: gone"),
        "dead": row("dead@example.cn", Status.DEAD, "HTTP 500 Internal Server Error: boom"),
    }


def test_the_system_administrator_sees_the_outbox_and_filters_failures(client, personas, outbox):
    client.force_login(personas.system_admin)
    response = client.get(OUTBOX)
    assert response.status_code == 200
    assert {row.target for row in response.context["cl"].result_list} == {
        "sent@example.cn",
        "failed@example.cn",
        "dead@example.cn",
    }
    failing = client.get(OUTBOX, {"problem": "failing"})
    assert {row.target for row in failing.context["cl"].result_list} == {"failed@example.cn", "dead@example.cn"}
    assert "HTTP 500 Internal Server Error: boom" in failing.content.decode()
    detail = client.get(reverse("admin:notifications_outboxmessage_change", args=[outbox["dead"].pk]))
    assert detail.status_code == 200


def test_the_outbox_shows_where_a_message_went_but_not_what_it_said(client, personas):
    """The system administrator has no case data: subject, body and payload stay out of the admin."""
    row = OutboxMessage.objects.create(
        channel=Channel.WEBHOOK,
        event="case.dispatched",
        target="https://hooks.example.cn/in",
        payload={
            "subject": "张三家漏水",
            "body": "住址：幸福路 8 号",
            "link": "/cases/7/",
            "payload": {"phone": "13800000000"},
        },
    )
    client.force_login(personas.system_admin)

    pages = [client.get(OUTBOX), client.get(reverse("admin:notifications_outboxmessage_change", args=[row.pk]))]

    assert [page.status_code for page in pages] == [200, 200]
    for page in pages:
        body = page.content.decode()
        assert "https://hooks.example.cn/in" in body
        for secret in ("张三家漏水", "幸福路", "13800000000"):
            assert secret not in body
    assert "/cases/7/" in pages[1].content.decode()


@pytest.mark.parametrize("name", ["town_center", "town_head", "security_admin", "audit_admin"])
def test_other_staff_cannot_open_the_outbox_or_the_endpoints(client, personas, outbox, name):
    client.force_login(personas[name])
    assert client.get(OUTBOX).status_code == 403
    assert client.get(ENDPOINTS).status_code == 403


def test_retry_now_from_the_admin(client, personas, outbox):
    client.force_login(personas.system_admin)
    ids = [outbox["dead"].pk, outbox["sent"].pk]
    response = client.post(OUTBOX, {"action": "retry_now", "_selected_action": ids}, follow=True)
    assert "1 条消息将在下一轮重试。" in response.content.decode()
    outbox["dead"].refresh_from_db()
    assert outbox["dead"].status == Status.FAILED
    assert outbox["dead"].next_attempt_at is not None
    entry = AuditEntry.objects.get(action="outbox.retry")
    assert (entry.actor, entry.detail) == (personas.system_admin, {"ids": [outbox["dead"].pk]})


def test_the_outbox_is_read_only(client, personas, outbox):
    client.force_login(personas.system_admin)
    assert client.get(reverse("admin:notifications_outboxmessage_add")).status_code == 403
    response = client.post(
        reverse("admin:notifications_outboxmessage_change", args=[outbox["dead"].pk]), {"target": "x@example.cn"}
    )
    assert response.status_code == 403
    outbox["dead"].refresh_from_db()
    assert outbox["dead"].target == "dead@example.cn"


def test_the_system_administrator_registers_an_endpoint(client, personas):
    client.force_login(personas.system_admin)
    response = client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {"name": "12345 平台", "url": "https://hotline.example.cn/civicgrid", "events": '["case.*"]', "active": "on"},
    )
    assert response.status_code == 302
    hook = WebhookEndpoint.objects.get()
    assert (hook.name, hook.url, hook.events, hook.active) == (
        "12345 平台",
        "https://hotline.example.cn/civicgrid",
        ["case.*"],
        True,
    )
    assert len(hook.secret) >= 40
    page = client.get(reverse("admin:notifications_webhookendpoint_change", args=[hook.pk])).content.decode()
    assert hook.secret in page
    assert AuditEntry.objects.filter(action="admin.add", target_id=str(hook.pk)).count() == 1


def test_an_endpoint_must_be_http_or_https(client, personas):
    client.force_login(personas.system_admin)
    response = client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {"name": "x", "url": "ftp://hotline.example.cn/", "events": "[]", "active": "on"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.keys() == {"url"}
    assert WebhookEndpoint.objects.count() == 0
