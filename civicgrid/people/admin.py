"""Admin for unit kinds, units, centers, users with their roles, role assignments and login lockouts.

Writes go through ``people.services`` (checked, one transaction, audited); the base class adds the admin
audit trail. Accounts and roles: security administrator; units, centers, kinds: system administrator.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.people import authorization, services
from civicgrid.people.admin_base import (
    AuditedAdminMixin,
    AuthorizedAdmin,
    AuthorizedAdminMixin,
    AuthorizedTabularInline,
)
from civicgrid.people.models import Center, RoleAssignment, Unit, UnitKind, User

admin.site.site_header = _("civicgrid 管理后台")
admin.site.site_title = _("civicgrid 管理后台")
admin.site.index_title = _("系统管理")


def _mark_saved(obj: Any, saved: Any) -> None:
    """Let the admin continue with the row a service created (it redirects and logs by ``obj``)."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db


# --- unit kinds, units, centers ------------------------------------------------------------------------


@admin.register(UnitKind)
class UnitKindAdmin(AuthorizedAdmin):
    list_display = ["code", "name", "name_en", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]


class UnitForm(forms.ModelForm):  # type: ignore[type-arg]
    kind = forms.ChoiceField(label=_("类别"))

    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "region", "regions_covered", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [(k.code, str(k)) for k in UnitKind.objects.filter(is_active=True)]
        current = self.instance.kind if self.instance.pk else None
        if current and current not in {code for code, _label in kinds}:
            kinds.append((current, current))
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]


@admin.register(Unit)
class UnitAdmin(AuthorizedAdmin):
    form = UnitForm
    list_display = ["code", "name", "kind", "region", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["regions_covered"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any | None = None) -> Any:
        return ["code"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.unit_update(
                actor=request.user,  # type: ignore[arg-type]
                unit=Unit.objects.get(pk=obj.pk),
                name=data["name"],
                kind=data["kind"],
                region=data["region"],
                regions_covered=data["regions_covered"],
                is_active=data["is_active"],
                request=request,
            )
            obj.refresh_from_db()
        else:
            unit = services.unit_create(
                actor=request.user,  # type: ignore[arg-type]
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                region=data["region"],
                regions_covered=data["regions_covered"],
                is_active=data["is_active"],
                request=request,
            )
            _mark_saved(obj, unit)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:  # the service has set the many-to-many fields
            self.save_formset(request, form, formset, change=change)


@admin.register(Center)
class CenterAdmin(AuthorizedAdmin):
    list_display = ["name", "region", "phone"]
    search_fields = ["name", "region__code", "region__name"]
    filter_horizontal = ["stationed_units"]
    fields = ["region", "name", "address", "phone", "stationed_units"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any | None = None) -> Any:
        return ["region"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.center_update(
                actor=request.user,  # type: ignore[arg-type]
                center=Center.objects.get(pk=obj.pk),
                name=data["name"],
                address=data["address"],
                phone=data["phone"],
                stationed_units=data["stationed_units"],
                request=request,
            )
            obj.refresh_from_db()
        else:
            center = services.center_create(
                actor=request.user,  # type: ignore[arg-type]
                region=data["region"],
                name=data["name"],
                address=data["address"],
                phone=data["phone"],
                stationed_units=data["stationed_units"],
                request=request,
            )
            _mark_saved(obj, center)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


# --- users and roles ----------------------------------------------------------------------------------


class RoleAssignmentForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "region", "unit"]

    request: HttpRequest | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        user = data.get("user") or getattr(self.instance, "user", None)
        if user is not None and not self.errors and not self.instance.pk:
            assignment = RoleAssignment(
                user=user, role=str(data.get("role") or ""), region=data.get("region"), unit=data.get("unit")
            )
            _check_assignment(self.request, assignment, existing=None)
        return data


def _check_assignment(request: HttpRequest | None, assignment: RoleAssignment, existing: set[str] | None) -> None:
    actor = request.user if request is not None else None
    if not authorization.can(actor, "role.assign", assignment):
        raise ValidationError(_("您不能给这个账号授予角色（不能给自己授权）。"))
    services.role_assignment_check(assignment, existing_roles=existing)


class RoleInlineFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    request: HttpRequest | None = None

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or (self.instance.pk is None and not self.forms):
            return
        kept: set[str] = set()
        new: list[RoleAssignment] = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None):
                continue
            deleting = form.cleaned_data.get("DELETE")
            if form.instance.pk and not deleting:
                kept.add(form.instance.role)
            elif not form.instance.pk and not deleting:
                new.append(form.instance)
        for form in self.deleted_forms:
            if form.instance.pk and not authorization.can(
                self.request.user if self.request else None, "role.revoke", form.instance
            ):
                raise ValidationError(_("您不能撤销这个账号的角色。"))
        for assignment in new:
            assignment.user = self.instance
            others = kept | {a.role for a in new if a is not assignment}
            try:
                _check_assignment(self.request, assignment, existing=others)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc


class RoleAssignmentInline(AuthorizedTabularInline):
    model = RoleAssignment
    formset = RoleInlineFormSet
    fields = ["role", "region", "unit", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    fk_name = "user"

    def has_change_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False  # an assignment is revoked and another assigned, never edited in place

    def get_formset(self, request: HttpRequest, obj: Any | None = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request  # type: ignore[attr-defined]
        return formset


@admin.register(User)
class UserAdmin(AuditedAdminMixin, AuthorizedAdminMixin, DjangoUserAdmin):  # type: ignore[type-arg]
    inlines = [RoleAssignmentInline]
    list_display = ["username", "first_name", "last_name", "is_active", "is_staff", "role_list"]
    list_filter = ["is_active", "is_staff", "roles__role"]
    search_fields = ["username", "first_name", "last_name"]
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("first_name", "last_name", "email", "phone")}),
        (_("状态"), {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ["is_staff", "last_login", "date_joined"]
    actions = ["unlock_logins"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any | None = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "username"] if obj is not None else fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description=_("角色"))
    def role_list(self, obj: User) -> str:
        return "、".join(str(r.get_role_display()) for r in obj.roles.all())

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor: Any = request.user
        if not change:
            data = form.cleaned_data
            password = data.get("password1") if data.get("set_usable_password", True) else None
            user = services.user_create(actor=actor, username=data["username"], password=password, request=request)
            _mark_saved(obj, user)
            return
        current = User.objects.get(pk=obj.pk)
        profile = {
            name: getattr(obj, name)
            for name in ("first_name", "last_name", "email", "phone")
            if name in form.cleaned_data
        }
        services.user_update(actor=actor, user=current, request=request, **profile)
        if current.is_active and not obj.is_active:
            services.user_deactivate(actor=actor, user=current, request=request)
        elif not current.is_active and obj.is_active:
            services.user_activate(actor=actor, user=current, request=request)
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleAssignment:
            super().save_formset(request, form, formset, change)
            return
        actor: Any = request.user
        user = User.objects.get(pk=form.instance.pk)
        # Django's change message reads these lists, which formset.save() would have filled.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk:
                services.role_revoke(actor=actor, assignment=inline_form.instance, request=request)
                formset.deleted_objects.append(inline_form.instance)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or inline_form.instance.pk or not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            assignment = services.role_assign(
                actor=actor,
                user=user,
                role=data["role"],
                region=data.get("region"),
                unit=data.get("unit"),
                request=request,
            )
            formset.new_objects.append(assignment)

    @admin.action(description=_("解除所选账号的登录锁定"))
    def unlock_logins(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        cleared = 0
        for user in queryset:
            cleared += services.user_unlock(actor=request.user, username=user.username, request=request)  # type: ignore[arg-type]
        self.message_user(request, _("已清除 %(n)d 条锁定记录。") % {"n": cleared}, messages.SUCCESS)

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        if not authorization.can(request.user, "user.unlock"):
            actions.pop("unlock_logins", None)
        return actions


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuthorizedAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "region", "unit", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "region__code", "region__name", "unit__code", "unit__name"]
    list_select_related = ["user", "region", "unit"]

    def get_form(self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # type: ignore[attr-defined]
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        assignment = services.role_assign(
            actor=request.user,  # type: ignore[arg-type]
            user=data["user"],
            role=data["role"],
            region=data.get("region"),
            unit=data.get("unit"),
            request=request,
        )
        _mark_saved(obj, assignment)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.role_revoke(actor=request.user, assignment=obj, request=request)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for assignment in queryset:
            services.role_revoke(actor=request.user, assignment=assignment, request=request)  # type: ignore[arg-type]


# --- login lockouts and API tokens (security administrator) -----------------------------------------------


def _reregister_third_party() -> None:
    from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from rest_framework.authtoken.admin import TokenAdmin
    from rest_framework.authtoken.models import TokenProxy

    from civicgrid.people.models import ApiToken

    for model in (Group, AccessAttempt, AccessLog, AccessFailureLog, TokenProxy):
        if admin.site.is_registered(model):
            admin.site.unregister(model)

    class LockoutAdmin(AuditedAdminMixin, AuthorizedAdminMixin, AccessAttemptAdmin):
        """Deleting a lockout record unlocks the login (audited)."""

    class AccessLogReadAdmin(AuthorizedAdminMixin, AccessLogAdmin):
        pass

    class AccessFailureLogReadAdmin(AuthorizedAdminMixin, AccessFailureLogAdmin):
        pass

    class ApiTokenAdmin(AuditedAdminMixin, AuthorizedAdminMixin, TokenAdmin):
        """Lists and revokes tokens by owner; the keys stay secret (only their first characters show)."""

        authorization_thing = "token"
        list_display = ("key_hint", "user", "created")

        @admin.display(description=_("令牌（前 4 位）"))
        def key_hint(self, obj: ApiToken) -> str:
            return obj.key_hint

    admin.site.register(AccessAttempt, LockoutAdmin)
    admin.site.register(AccessLog, AccessLogReadAdmin)
    admin.site.register(AccessFailureLog, AccessFailureLogReadAdmin)
    admin.site.register(ApiToken, ApiTokenAdmin)


_reregister_third_party()
