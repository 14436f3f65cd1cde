"""Notifications (通知): the in-app inbox, the outbox of e-mails and webhook deliveries, and the
webhook endpoints an administrator registered.

Rows are written in the same transaction as the change they report (``services.notification_queue``);
the worker delivers outbox rows after commit (``jobs.py``), with retries and back-off.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One item in one user's in-app inbox (站内通知). Visible as soon as the change commits."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(_("事件"), max_length=64)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notify_inbox_idx"),
            # The header's unread count on every page: a COUNT over this small partial index.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notify_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def validate_event_filter(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValidationError(_('事件过滤必须是事件名称的列表，如 ["case.dispatched", "warning.*"]。'))


class WebhookEndpoint(models.Model):
    """A receiver an administrator registered. Webhooks are posted only to these URLs."""

    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(
        _("地址"), max_length=500, validators=[URLValidator(schemes=["http", "https"])], help_text=_("仅限 http/https")
    )
    secret = models.CharField(
        _("签名密钥"),
        max_length=100,
        default=new_webhook_secret,
        help_text=_("接收方用它校验 X-Civicgrid-Signature 签名头（HMAC-SHA256）。"),
    )
    events = models.JSONField(
        _("事件过滤"),
        default=list,
        blank=True,
        validators=[validate_event_filter],
        help_text=_('留空表示全部事件；可写完整事件名或前缀通配，如 ["case.*"]。'),
    )
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 接收端")
        verbose_name_plural = _("Webhook 接收端")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The sender checks every address it resolves; this catches the obvious cases as they are typed.
        from urllib.parse import urlsplit

        from .delivery import literal_host_refused

        host = urlsplit(self.url).hostname if self.url else None
        if host and literal_host_refused(host):
            raise ValidationError({"url": _("不能向本机、链路本地或保留地址发送 Webhook。")})

    def wants(self, event: str) -> bool:
        """Whether this endpoint subscribed to ``event`` (empty filter: every event)."""
        if not self.events:
            return True
        return any(
            pattern in {"*", event} or (pattern.endswith(".*") and event.startswith(pattern[:-1]))
            for pattern in self.events
        )


class Channel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("Webhook")


class Status(models.TextChoices):
    PENDING = "pending", _("待发送")
    FAILED = "failed", _("失败待重试")
    SENT = "sent", _("已发送")
    DEAD = "dead", _("已放弃")


class OutboxMessage(models.Model):
    """One e-mail or webhook delivery, written with the change and sent by the worker after commit.

    A row is due while ``next_attempt_at`` is set and has passed; it is cleared once the row is
    sent or dead. A worker that claims a row pushes ``next_attempt_at`` forward by a lease first, so
    a worker that dies mid-send leaves the row to be retried, never lost.
    """

    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    event = models.CharField(_("事件"), max_length=64)
    # The address or URL, for people reading the admin list; webhooks go to endpoint.url.
    target = models.CharField(_("发送目标"), max_length=500)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("Webhook 接收端"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    payload = models.JSONField(_("内容"), default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True, default=timezone.now)
    last_attempt_at = models.DateTimeField(_("上次尝试时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Only unfinished rows are in it, so it stays small however long the history grows.
            models.Index(fields=["next_attempt_at"], condition=Q(next_attempt_at__isnull=False), name="notify_due_idx"),
            models.Index(fields=["status", "-created_at"], name="notify_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.event} → {self.target}"
