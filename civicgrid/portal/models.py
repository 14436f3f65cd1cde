"""The public portal's own data: its editable limits, per-IP submission counters and residents'
tracking codes (查询码).

Cases, reporters and attachments live in the cases app; the portal only adds what a resident without
an account needs: a code to follow their case, and protection against floods that does not lock
residents out.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalSettings(models.Model):
    """The portal's knobs (one row, pk=1), seeded with defaults and editable in the admin."""

    max_photos = models.PositiveSmallIntegerField(
        _("每次上报照片数上限"), default=5, validators=[MinValueValidator(0), MaxValueValidator(20)]
    )
    photo_max_bytes = models.PositiveIntegerField(_("单张照片大小上限（字节）"), default=8 * 1024 * 1024)
    description_max_chars = models.PositiveIntegerField(_("描述字数上限"), default=2000)
    duplicate_radius_m = models.PositiveIntegerField(_("疑似重复：距离（米）"), default=200)
    duplicate_window_days = models.PositiveIntegerField(_("疑似重复：时间范围（天）"), default=30)
    duplicate_min_similarity = models.FloatField(
        _("疑似重复：无位置时的最低文字相似度"),
        default=0.3,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("没有地图位置时，只按同类且文字相似（0–1）查找"),
    )
    duplicate_max_candidates = models.PositiveSmallIntegerField(_("疑似重复：最多显示条数"), default=5)
    hotline_phone = models.CharField(_("服务热线"), max_length=40, default="12345", blank=True)

    class Meta:
        verbose_name = _("门户参数")
        verbose_name_plural = _("门户参数")

    def __str__(self) -> str:
        return str(_("门户参数"))

    @classmethod
    def current(cls) -> PortalSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class RateLimit(models.Model):
    """How many times one address may do one thing per window (data, not code: cities tune these)."""

    scope = models.SlugField(_("范围"), max_length=40, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    max_requests = models.PositiveIntegerField(_("次数上限"))
    window_seconds = models.PositiveIntegerField(_("时间窗口（秒）"), validators=[MinValueValidator(1)])
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("频率限制")
        verbose_name_plural = _("频率限制")
        ordering = ["scope"]

    def __str__(self) -> str:
        return f"{self.scope}: {self.max_requests}/{self.window_seconds}s"


class RateCounter(models.Model):
    """One fixed window's count for one (scope, client). The client is a keyed hash of the IP address,
    never the address itself; rows are deleted a day after their window ends."""

    scope = models.SlugField(max_length=40)
    client = models.CharField(max_length=32)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "client", "window_start"], name="portal_rate_counter_unique")
        ]
        indexes = [models.Index(fields=["window_start"], name="portal_rate_counter_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.window_start:%Y-%m-%d %H:%M} {self.count}"


class TrackingCode(models.Model):
    """A resident's code to follow a case without an account. Only its SHA-256 is stored; the code is
    shown once (and sent by e-mail when the resident gave one)."""

    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("事件"), on_delete=models.CASCADE, related_name="tracking_codes"
    )
    reporter = models.ForeignKey(
        "cases.Reporter",
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tracking_codes",
    )
    channel = models.CharField(_("渠道"), max_length=16)
    joined = models.BooleanField(_("附议"), default=False, help_text=_("在已有事件上“我也遇到”"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("查询码")
        verbose_name_plural = _("查询码")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.pk}"
