"""Open311 client applications in the admin: adding one shows its key once; keys can be rotated."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.open311.models import ClientApplication
from civicgrid.open311.services import open311_client_add, open311_client_rotate, open311_client_set_active
from civicgrid.people.admin_base import AuthorizedAdmin


@admin.register(ClientApplication)
class ClientApplicationAdmin(AuthorizedAdmin):
    list_display = ("name", "key_prefix", "is_active", "created_at", "last_used_at")
    fields = ("name", "contact", "key_prefix", "is_active", "created_at", "last_used_at")
    readonly_fields = ("key_prefix", "is_active", "created_at", "last_used_at")
    actions = ("rotate_key", "disable", "enable")

    def save_model(self, request: HttpRequest, obj: ClientApplication, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        made = open311_client_add(name=obj.name, contact=obj.contact, actor=request.user)
        obj.pk = made.client.pk
        obj.key_prefix, obj.key_hash = made.client.key_prefix, made.client.key_hash
        messages.warning(request, _("新密钥（只显示这一次，请立即交给对方）：%(key)s") % {"key": made.key})

    @admin.action(description=gettext_lazy("更换密钥（旧密钥立即失效）"))
    def rotate_key(self, request: HttpRequest, queryset: QuerySet[ClientApplication]) -> None:
        for client in queryset:
            made = open311_client_rotate(client=client, actor=request.user)
            messages.warning(
                request, _("%(name)s 的新密钥（只显示这一次）：%(key)s") % {"name": client.name, "key": made.key}
            )

    @admin.action(description=gettext_lazy("停用"))
    def disable(self, request: HttpRequest, queryset: QuerySet[ClientApplication]) -> None:
        for client in queryset:
            open311_client_set_active(client=client, active=False, actor=request.user)

    @admin.action(description=gettext_lazy("启用"))
    def enable(self, request: HttpRequest, queryset: QuerySet[ClientApplication]) -> None:
        for client in queryset:
            open311_client_set_active(client=client, active=True, actor=request.user)
