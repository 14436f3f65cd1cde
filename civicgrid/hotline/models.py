"""12345 hotline sources (one per exporting system, each with its saved column and category mapping)
and the record of every dry run and import.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HotlineSource(models.Model):
    """An exporting hotline system and how its files map onto civicgrid fields and categories."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    # field → header in the export, e.g. {"order_no": "工单编号", "content": "诉求内容"}; a field left out
    # is found by the common header names (see parsing.FIELDS).
    column_mapping = models.JSONField(_("列对应关系"), default=dict, blank=True)
    # hotline category text → civicgrid category code, e.g. {"市容环境/占道经营": "URB-03"}.
    category_mapping = models.JSONField(_("分类对应关系"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("热线数据源")
        verbose_name_plural = _("热线数据源")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HotlineImport(models.Model):
    """One run over one file: a dry run or a real import, with its per-row report."""

    source = models.ForeignKey(HotlineSource, verbose_name=_("数据源"), on_delete=models.PROTECT, related_name="runs")
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    dry_run = models.BooleanField(_("试运行"))
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_created = models.PositiveIntegerField(_("新建"), default=0)
    rows_existing = models.PositiveIntegerField(_("已导入过"), default=0)
    rows_invalid = models.PositiveIntegerField(_("有错误"), default=0)
    # [{row, order_no, status: create|exists|error, errors: [...], category, region, received_at, case}]
    report = models.JSONField(_("逐行结果"), default=list, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("热线导入记录")
        verbose_name_plural = _("热线导入记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} {self.created_at:%Y-%m-%d %H:%M}"
