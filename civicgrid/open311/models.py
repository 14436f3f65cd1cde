"""Client applications of the Open311 GeoReport v2 server and their API keys.

A key is shown once when it is made and stored only as its SHA-256: keys are 256 random bits, so a
plain hash is enough (no slow password hash needed) and lets the server find the client by an indexed
equality lookup.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ClientApplication(models.Model):
    """A registered Open311 client (an app, a city partner's system) allowed to POST requests."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    contact = models.CharField(_("联系方式"), max_length=200, blank=True)
    key_prefix = models.CharField(_("密钥前缀"), max_length=8, editable=False, help_text=_("用于辨认，不是完整密钥"))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 客户端")
        verbose_name_plural = _("Open311 客户端")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    """Which client application filed which case (one row per accepted POST)."""

    client = models.ForeignKey(
        ClientApplication, verbose_name=_("客户端"), on_delete=models.PROTECT, related_name="submissions"
    )
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("事件"), on_delete=models.CASCADE, related_name="open311_submission"
    )
    media_url = models.URLField(_("媒体链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Open311 提交")
        verbose_name_plural = _("Open311 提交")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.case_id}"
