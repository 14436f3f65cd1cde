"""Base for every civicgrid admin class: permissions and row visibility from ``authorization``, changes audited.

Use it for your app's admin::

    from civicgrid.people.admin_base import AuthorizedAdmin

    @admin.register(Category)
    class CategoryAdmin(AuthorizedAdmin):
        list_display = ["code", "name"]

Permissions ask ``authorization.can(user, "<thing>.<verb>", obj)`` with ``<thing>`` = ``authorization_thing``
(default: the model's ``model_name``) and verbs view / add / change / delete, so the model's registered
policy decides. The changelist shows ``visible(user, …)`` only. Foreign-key and many-to-many choices are
narrowed to what the user may see when the related model has a policy. Every add, change and delete made
in the admin also appends an audit row (``admin.add`` / ``admin.change`` / ``admin.delete``) next to
Django's own admin log. Django's ``is_superuser`` and permission tables play no part.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import ForeignKey, ManyToManyField, Model, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest

from civicgrid.audit.services import audit_record
from civicgrid.people import authorization


class AuthorizedAdminMixin:
    """Mixin for ``admin.ModelAdmin`` and inlines. Put it first in the bases."""

    model: type[Model]
    #: Action prefix for this admin; default: the model's ``model_name``.
    authorization_thing: str | None = None

    def _action(self, verb: str) -> str:
        return f"{self.authorization_thing or self.model._meta.model_name}.{verb}"

    def _can(self, request: HttpRequest, verb: str, obj: Any | None) -> bool:
        return authorization.can(request.user, self._action(verb), obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return any(self._can(request, verb, None) for verb in ("view", "add", "change"))

    def has_view_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return self._can(request, "view", obj) or self._can(request, "change", obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._can(request, "add", None)

    def has_change_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return self._can(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return self._can(request, "delete", obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return authorization.visible(request.user, qs)

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """A number in the query string too large for a date or a database integer (``?at__year=9…9``), or
        a NUL character (PostgreSQL refuses it in text), is a bad lookup like any other: Django's changelist
        answers it with a redirect, not a 500."""
        if any("\x00" in value for values in request.GET.lists() for value in values[1]):
            raise IncorrectLookupParameters("NUL character in the query string")
        try:
            return super().get_changelist_instance(request)  # type: ignore[misc]
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc

    def _narrow(
        self, db_field: ForeignKey[Any, Any] | ManyToManyField[Any, Any], request: HttpRequest, kwargs: dict[str, Any]
    ) -> None:
        related = db_field.remote_field.model
        if "queryset" not in kwargs and isinstance(related, type) and authorization.policy_for(related) is not None:
            kwargs["queryset"] = authorization.visible(request.user, related._default_manager.all())

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        self._narrow(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc,no-any-return]

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        self._narrow(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc,no-any-return]


class AuditedAdminMixin:
    """Writes an audit row for every add, change and delete the admin logs."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        audit_record(actor=request.user, action="admin.add", target=obj, detail=_message(message), request=request)
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        audit_record(actor=request.user, action="admin.change", target=obj, detail=_message(message), request=request)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        objects = list(queryset)
        entries = super().log_deletions(request, objects)  # type: ignore[misc]
        for obj in objects:
            audit_record(actor=request.user, action="admin.delete", target=obj, request=request)
        return entries


class AuthorizedAdmin(AuditedAdminMixin, AuthorizedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin ruled by ``authorization`` whose changes are also written to the audit log."""


class AuthorizedInlineMixin(AuthorizedAdminMixin):
    """For inlines Django passes the *parent* object to the permission methods: ask about the kind instead."""

    def has_view_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return super().has_view_permission(request, None)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._can(request, "add", None)

    def has_change_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return super().has_change_permission(request, None)

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return super().has_delete_permission(request, None)


class AuthorizedTabularInline(AuthorizedInlineMixin, admin.TabularInline):  # type: ignore[type-arg]
    pass


class AuthorizedStackedInline(AuthorizedInlineMixin, admin.StackedInline):  # type: ignore[type-arg]
    pass


def _message(message: Any) -> dict[str, Any]:
    """Django's change message (a JSON list of what changed) kept as data in the audit row."""
    if not message:
        return {}
    if isinstance(message, list):
        return {"changes": message}
    return {"message": str(message)}
