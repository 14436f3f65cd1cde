"""Admin forms for the calendar: a year's holidays and make-up days entered as a few lines of text
(``2027-02-06 ~ 2027-02-14 春节``), validated by the services' own checks before anything is saved."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.workcalendar import services
from civicgrid.workcalendar.models import CalendarDay, CalendarYear, Closure, DayKind, WorkingPeriod
from civicgrid.workcalendar.package_data import package_years

_LINE = re.compile(
    r"^(?P<first>\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:~|～|至|\.\.)\s*(?P<last>\d{4}-\d{1,2}-\d{1,2}))?(?:\s+(?P<name>.*))?$"
)
#: The longest run one line may cover (the Spring Festival holiday is 8–9 days).
MAX_RUN_DAYS = 31


def _date(text: str, line_number: int) -> dt.date:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        raise ValidationError(
            _("第 %(line)s 行：%(text)s 不是有效日期。") % {"line": line_number, "text": text}
        ) from None


def parse_day_lines(text: str) -> list[tuple[dt.date, str]]:
    """Lines of ``DATE [NAME]`` or ``DATE ~ DATE [NAME]`` into sorted ``(date, name)`` entries."""
    entries: list[tuple[dt.date, str]] = []
    errors: list[ValidationError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            errors.append(
                ValidationError(
                    _("第 %(line)s 行无法识别：%(text)s。格式：2027-02-06 ~ 2027-02-14 春节")
                    % {"line": number, "text": line}
                )
            )
            continue
        try:
            first = _date(match["first"], number)
            last = _date(match["last"], number) if match["last"] else first
        except ValidationError as error:
            errors.append(error)
            continue
        if not 0 <= (last - first).days < MAX_RUN_DAYS:
            errors.append(
                ValidationError(
                    _("第 %(line)s 行：日期范围必须从早到晚且不超过 %(days)s 天。")
                    % {"line": number, "days": MAX_RUN_DAYS}
                )
            )
            continue
        name = (match["name"] or "").strip()
        entries.extend((first + dt.timedelta(days=offset), name) for offset in range((last - first).days + 1))
    if errors:
        raise ValidationError(errors)
    return sorted(entries)


def format_day_lines(days: Iterable[tuple[dt.date, str]]) -> str:
    """The inverse of ``parse_day_lines``: runs of consecutive days with the same name on one line."""
    runs: list[list[Any]] = []
    for day, name in sorted(days):
        if runs and runs[-1][2] == name and (day - runs[-1][1]).days == 1:
            runs[-1][1] = day
        else:
            runs.append([day, day, name])
    lines = []
    for first, last, name in runs:
        dates = first.isoformat() if first == last else f"{first.isoformat()} ~ {last.isoformat()}"
        lines.append(f"{dates} {name}".rstrip())
    return "\n".join(lines)


class CalendarYearForm(forms.ModelForm):
    holidays_text = forms.CharField(
        label=gettext_lazy("放假日期"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 50}),
        help_text=gettext_lazy("每行一个日期或日期范围，可加节日名称，如：2027-02-06 ~ 2027-02-14 春节"),
    )
    workdays_text = forms.CharField(
        label=gettext_lazy("调休上班日期"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 50}),
        help_text=gettext_lazy("周末上班的日期，每行一个，如：2027-02-20 春节"),
    )
    load_from_package = forms.BooleanField(
        label=gettext_lazy("从 chinesecalendar 包载入"),
        required=False,
        help_text=gettext_lazy("勾选后忽略上面两栏，使用已安装的 chinesecalendar 包中该年的数据（如包中有）。"),
    )

    class Meta:
        model = CalendarYear
        fields = ["year", "is_complete", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["year"].disabled = True
            days = list(self.instance.days.values_list("date", "name", "kind"))
            self.initial["holidays_text"] = format_day_lines((d, n) for d, n, k in days if k == DayKind.HOLIDAY)
            self.initial["workdays_text"] = format_day_lines((d, n) for d, n, k in days if k == DayKind.WORKDAY)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        year = cleaned.get("year")
        if year is None:
            return cleaned
        if cleaned.get("load_from_package"):
            if year not in package_years():
                raise ValidationError(
                    _("chinesecalendar 包没有 %(year)s 年的数据，请手工录入该年的放假和调休安排。") % {"year": year}
                )
            return cleaned
        errors: dict[str, Any] = {}
        for field in ("holidays_text", "workdays_text"):
            try:
                cleaned[field.replace("_text", "")] = parse_day_lines(cleaned.get(field, ""))
            except ValidationError as error:
                errors[field] = error
        if errors:
            raise ValidationError(errors)
        services.validate_year_days(year=year, holidays=cleaned["holidays"], workdays=cleaned["workdays"])
        return cleaned


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        services.validate_year(day.year)
        return day


class WorkingPeriodForm(forms.ModelForm):
    class Meta:
        model = WorkingPeriod
        fields = ["start", "end"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("start") is not None and cleaned.get("end") is not None:
            period = self.instance if self.instance.pk is not None else None
            services.validate_period(period=period, start=cleaned["start"], end=cleaned["end"])
        return cleaned


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["start_date", "end_date", "reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if all(cleaned.get(field) is not None for field in ("start_date", "end_date", "reason")):
            services.validate_closure(
                start_date=cleaned["start_date"], end_date=cleaned["end_date"], reason=cleaned["reason"]
            )
        return cleaned
