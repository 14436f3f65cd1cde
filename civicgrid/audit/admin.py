"""The audit log in the admin: read-only, for the audit administrator only (filters by action, actor, date)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicgrid.audit.models import AuditEntry
from civicgrid.people.admin_base import AuthorizedAdminMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(AuthorizedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["at", "actor_name", "action", "target_type", "target_repr", "ip"]
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter), "at"]
    search_fields = ["actor_name", "action", "target_repr", "target_id", "ip"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    actions = None
    readonly_fields = (
        "at",
        "actor",
        "actor_name",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "detail",
        "ip",
        "user_agent",
    )
    fields = readonly_fields

    # The rows are evidence: no add, change or delete for anyone, whatever a policy might say.
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False
