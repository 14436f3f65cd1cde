"""The portal's editable limits in the admin (the system administrator edits, business roles read)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicgrid.people.admin_base import AuthorizedAdmin
from civicgrid.portal.models import PortalSettings, RateLimit


@admin.register(PortalSettings)
class PortalSettingsAdmin(AuthorizedAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # one row, seeded

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False


@admin.register(RateLimit)
class RateLimitAdmin(AuthorizedAdmin):
    list_display = ("scope", "max_requests", "window_seconds", "is_active", "description")
    list_editable = ("max_requests", "window_seconds", "is_active")

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False  # switch a limit off instead
