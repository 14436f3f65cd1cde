"""Centers (综治中心), departments (职能部门), users and their scoped roles.

Who may do what is decided in ``authorization.py`` from these rows; nothing else checks roles.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy

from civicgrid.regions.models import Level, Region


class UnitKind(models.Model):
    """A kind of department (公安、司法、城管 …): editable data, seeded with a default list."""

    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门类别")
        verbose_name_plural = _("部门类别")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Unit(models.Model):
    """A department or other body that handles cases (公安, 司法, 城管, 水利 …)."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("类别"), max_length=32, help_text=_("如 police、justice、urban_management，可自行增加"), db_index=True
    )
    # The government the unit belongs to (a city bureau, a town's own office).
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="units")
    regions_covered = models.ManyToManyField(
        Region, verbose_name=_("负责区域"), blank=True, related_name="covering_units"
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Center(models.Model):
    """A comprehensive governance center at city, town or village level."""

    region = models.OneToOneField(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="center")
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("值班电话"), max_length=40, blank=True)
    stationed_units = models.ManyToManyField(Unit, verbose_name=_("入驻部门"), blank=True, related_name="centers")

    class Meta:
        verbose_name = _("综治中心")
        verbose_name_plural = _("综治中心")
        ordering = ["region__code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.region_id and self.region.level > Level.VILLAGE:
            raise ValidationError({"region": _("综治中心只设在市、镇（街道）、村（社区）三级。")})


class User(AbstractUser):
    """A staff account. Residents use the public portal without one."""

    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        swappable = "AUTH_USER_MODEL"

    # Django's permission tables are not used: every question goes to civicgrid.people.authorization,
    # which ignores ``is_superuser`` (等保 2.0: no all-powerful account). These keep third-party admin
    # pages and ``has_perm`` callers from treating a superuser as one.
    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def get_all_permissions(self, obj: Any = None) -> set[str]:
        return set()


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    CENTER_STAFF = "center_staff", _("中心工作人员")
    CENTER_HEAD = "center_head", _("中心负责人")
    UNIT_HANDLER = "unit_handler", _("部门办理人")
    MEDIATOR = "mediator", _("调解员")
    SUPERVISOR = "supervisor", _("督查人员")
    LEADER = "leader", _("领导/分析（只读）")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


REGION_SCOPED_ROLES = frozenset(
    {Role.GRID_WORKER, Role.CENTER_STAFF, Role.CENTER_HEAD, Role.MEDIATOR, Role.SUPERVISOR, Role.LEADER}
)
UNIT_SCOPED_ROLES = frozenset({Role.UNIT_HANDLER})
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# Roles whose holders may open the Django admin (``is_staff`` is kept in step by the services).
STAFF_ROLES = ADMIN_ROLES | frozenset({Role.CENTER_STAFF, Role.CENTER_HEAD})


class RoleAssignment(models.Model):
    """One role of one user, bound to its scope: a region subtree or a unit (admins: none)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("管辖区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("所属部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region", "unit"], name="unique_role_scope"),
        ]

    def __str__(self) -> str:
        scope = self.region or self.unit or ""
        return f"{self.user} · {self.get_role_display()} · {scope}"

    def clean(self) -> None:
        if self.role in REGION_SCOPED_ROLES:
            if self.region_id is None or self.unit_id is not None:
                raise ValidationError(_("该角色必须指定管辖区划，且不能指定部门。"))
            level = self.region.level if self.region is not None else None
            if self.role == Role.GRID_WORKER and level != Level.GRID:
                raise ValidationError({"region": _("网格员的管辖区划必须是网格。")})
            if self.role in {Role.CENTER_STAFF, Role.CENTER_HEAD} and (level is None or level > Level.VILLAGE):
                raise ValidationError({"region": _("中心人员的管辖区划必须是市、镇（街道）或村（社区）。")})
        elif self.role in UNIT_SCOPED_ROLES:
            if self.unit_id is None or self.region_id is not None:
                raise ValidationError(_("部门办理人必须指定部门，且不能指定区划。"))
        elif self.region_id is not None or self.unit_id is not None:
            raise ValidationError(_("管理员角色不绑定区划或部门。"))


class ApiToken(TokenProxy):
    """An API token as the admin shows it: by its owner, never by its key (DRF's ``str(token)`` is the key,
    which the changelist, the delete confirmation and the admin log would otherwise show and keep).
    Whoever reads a key can act as its owner through the API without signing in."""

    class Meta:
        proxy = True
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return str(_("%(user)s 的 API 令牌") % {"user": self.user})

    @property
    def key_hint(self) -> str:
        """The first characters, enough to tell tokens apart, far too few to use one."""
        return f"{self.key[:4]}…" if self.key else ""
