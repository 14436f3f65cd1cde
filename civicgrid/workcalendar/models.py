"""The working calendar (工作日历) as editable rows: each year's holidays and make-up working days (调休),
the daily working hours, and local closures (e.g. a typhoon day).

Deadlines are computed from these rows by ``working_time.py``; every write goes through ``services.py``
so the in-process calendar cache is invalidated at once.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_YEAR = 1990
MAX_YEAR = 2200


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class Source(models.TextChoices):
    PACKAGE = "package", _("chinesecalendar 包")
    MANUAL = "manual", _("管理员录入")


class CalendarYear(models.Model):
    """One year of the calendar. Only a *complete* year counts as having calendar data; deadlines that
    cross any other year are counted on weekdays and flagged as estimates."""

    year = models.PositiveSmallIntegerField(
        _("年度"), unique=True, validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    is_complete = models.BooleanField(
        _("全年安排已录入"),
        default=True,
        help_text=_("国务院办公厅公布的全年放假与调休安排已全部录入。未勾选的年度按周一至周五估算并标记为估算。"),
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=MIN_YEAR, year__lte=MAX_YEAR),
                name="calendar_year_in_range",
                violation_error_message=_("年度超出范围。"),
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that departs from the Monday–Friday rule: a holiday off work, or a make-up working day."""

    calendar_year = models.ForeignKey(
        CalendarYear, verbose_name=_("年度"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("节日"), max_length=50, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


class WorkingPeriod(models.Model):
    """One period of the working day in Asia/Shanghai local time (default 08:30–12:00 and 14:00–17:30)."""

    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作时段")
        verbose_name_plural = _("工作时段")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")),
                name="working_period_start_before_end",
                violation_error_message=_("工作时段的开始时间必须早于结束时间。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class Closure(models.Model):
    """Whole days the local government declares closed (typhoon, flood…), city-wide; both dates included."""

    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    reason = models.CharField(_("原因"), max_length=200)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("临时停工")
        verbose_name_plural = _("临时停工")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__lte=models.F("end_date")),
                name="closure_start_before_end",
                violation_error_message=_("结束日期不能早于开始日期。"),
            ),
        ]

    def __str__(self) -> str:
        if self.start_date == self.end_date:
            return f"{self.start_date:%Y-%m-%d} {self.reason}"
        return f"{self.start_date:%Y-%m-%d}–{self.end_date:%Y-%m-%d} {self.reason}"
