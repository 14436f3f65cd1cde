"""Admin for the outbox (failed deliveries, "retry now") and the webhook endpoints: system administrator only.

The outbox shows where and how a message went, never what it said (subject, body, payload)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from civicgrid.people import authorization
from civicgrid.people.admin_base import AuthorizedAdmin

from . import services
from .models import OutboxMessage, Status, WebhookEndpoint


class ProblemFilter(admin.SimpleListFilter):
    title = _("问题")
    parameter_name = "problem"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("failing", _("失败（待重试或已放弃）")), ("dead", _("已放弃"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "failing":
            return queryset.filter(status__in=[Status.FAILED, Status.DEAD])
        if self.value() == "dead":
            return queryset.filter(status=Status.DEAD)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(AuthorizedAdmin):
    """Read-only: rows are written by the software; the one thing to do here is retry."""

    list_display = [
        "created_at",
        "channel",
        "event",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = [ProblemFilter, "status", "channel", "event"]
    search_fields = ["target", "event", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["endpoint"]
    actions = ["retry_now"]
    fields = readonly_fields = (
        "channel",
        "event",
        "target",
        "endpoint",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "link",
    )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return authorization.can(request.user, "outbox.retry")

    @admin.display(description=_("最近错误"))
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.last_error if len(obj.last_error) <= 80 else obj.last_error[:79] + "…"

    # Not the subject, body or payload: they tell of cases and people, and the system administrator runs
    # the delivery without reading case data (等保 2.0 separation). The link says what it was about.
    @admin.display(description=_("链接"))
    def link(self, obj: OutboxMessage) -> str:
        return str(obj.payload.get("link", "")) if isinstance(obj.payload, dict) else ""

    @admin.action(description=_("立即重试所选消息"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = services.outbox_retry(actor=request.user, ids=queryset.values_list("pk", flat=True))  # type: ignore[arg-type]
        messages.success(
            request,
            ngettext("%(count)d 条消息将在下一轮重试。", "%(count)d 条消息将在下一轮重试。", count) % {"count": count},
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuthorizedAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "url", "events", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret", "created_at"]

    def get_fields(self, request: HttpRequest, obj: Any | None = None) -> Any:
        # The secret is generated on save; showing one on the add form would show a different one.
        return ["name", "url", "events", "active", *(["secret", "created_at"] if obj is not None else [])]
