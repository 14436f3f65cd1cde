"""Admin: the category tree and the loop's settings are edited here (system administrator); cases are
shown read-only to those who may see them (never to the administrators: they see no case data)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case, CaseEvent, CaseSettings, Category
from civicgrid.people.admin_base import AuthorizedAdmin, AuthorizedTabularInline

_LIMITS = ("accept", "sign_for", "handle", "verify", "close", "follow_up")


@admin.register(Category)
class CategoryAdmin(AuthorizedAdmin):
    list_display = ["code", "name", "parent", "kind", "default_tier", "lead_unit_kind", "severity", "is_public"]
    list_filter = ["kind", "default_tier", "severity", "is_public", "is_active"]
    search_fields = ["code", "name", "keywords"]
    ordering = ["code"]
    autocomplete_fields = ["parent"]
    fieldsets = [
        (None, {"fields": ["code", "name", "parent", "kind", "description", "keywords", "sort_order", "is_active"]}),
        (_("默认办理"), {"fields": ["default_tier", "lead_unit_kind", "severity", "is_public"]}),
        (_("各环节时限（工作时间）"), {"fields": [(f"{s}_limit", f"{s}_limit_unit") for s in _LIMITS]}),
        (_("附加问题（Open311）"), {"fields": ["extra_questions"]}),
    ]


@admin.register(CaseSettings)
class CaseSettingsAdmin(AuthorizedAdmin):
    list_display = ["__str__", "warn_share", "auto_escalate", "auto_escalate_margin_hours", "summons_report_hours"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return not CaseSettings.objects.exists() and super().has_add_permission(request, *args)

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False


class CaseEventInline(AuthorizedTabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor_name", "action", "from_state", "to_state", "from_tier", "to_tier", "unit", "note")
    readonly_fields = ("at", "actor_name", "action", "from_state", "to_state", "from_tier", "to_tier", "unit", "note")


@admin.register(Case)
class CaseAdmin(AuthorizedAdmin):
    """Read-only: every change goes through the services (and so through the workbench or the API)."""

    list_display = ["number", "title", "category", "state", "tier", "region", "deadline_status", "created_at"]
    list_filter = ["state", "tier", "deadline_status", "channel"]
    search_fields = ["number", "title"]
    date_hierarchy = "created_at"
    inlines = [CaseEventInline]
    exclude = ["reporter", "idempotency_key"]  # personal data stays behind the audited reveal

    def get_readonly_fields(self, request: HttpRequest, obj: Any | None = None) -> list[str]:
        return [f.name for f in Case._meta.fields if f.name not in self.exclude] + ["tags"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False
