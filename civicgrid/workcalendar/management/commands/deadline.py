"""``civicgrid deadline "2026-09-30 10:00" --working-days 3``: the due time by the calendar in the database,
so an administrator can check the calendar data. Times are Asia/Shanghai unless they carry an offset."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, pgettext

from civicgrid.workcalendar import working_time
from civicgrid.workcalendar.selectors import calendar_spans_between, weekday_label
from civicgrid.workcalendar.working_time import CALENDAR_TZ


def _format(moment: dt.datetime) -> str:
    local = moment.astimezone(CALENDAR_TZ)
    pattern = "%Y-%m-%d %H:%M" if local.second == 0 and local.microsecond == 0 else "%Y-%m-%d %H:%M:%S"
    return _("%(moment)s（%(weekday)s）") % {"moment": local.strftime(pattern), "weekday": weekday_label(local.date())}


def parse_start(text: str) -> dt.datetime:
    """``YYYY-MM-DD HH:MM[:SS]`` in Asia/Shanghai, or ISO 8601 with an offset."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            _("无法识别的开始时间：%(text)s。请写成 2026-09-30 10:00（北京时间）。") % {"text": text}
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CALENDAR_TZ)
    return moment


def _positive(text: str | None, *, whole: bool, option: str) -> float | int | None:
    if text is None:
        return None
    try:
        value: float | int = int(text) if whole else float(text)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):  # also rejects nan
        kind = _("正整数") if whole else _("正数")
        message = _("%(option)s 必须是%(kind)s，收到：%(text)s。") % {"option": option, "kind": kind, "text": text}
        raise CommandError(message)
    return value


class Command(BaseCommand):
    help = gettext_noop("计算按工作日历的截止时间（北京时间），用于核对数据库中的日历数据。")
    requires_system_checks: list[str] = []  # a read-only query; nothing to check first

    def add_arguments(self, parser: CommandParser) -> None:
        parser.description = _(self.help)  # translated when the parser is built, in the active language
        parser.add_argument("start", help=_('开始时间，如 "2026-09-30 10:00"（北京时间）'))
        parser.add_argument("--working-days", dest="working_days", help=_("工作日数（开始当天不计）"))
        parser.add_argument("--working-hours", dest="working_hours", help=_("工作小时数（可带小数）"))

    def handle(self, *args: Any, **options: Any) -> None:
        start = parse_start(options["start"])
        if (options["working_days"] is None) == (options["working_hours"] is None):
            raise CommandError(_("请给出 --working-days 或 --working-hours 其中之一。"))
        days = _positive(options["working_days"], whole=True, option="--working-days")
        hours = _positive(options["working_hours"], whole=False, option="--working-hours")
        try:
            due = working_time.due_after(
                start, working_days=int(days) if days is not None else None, working_hours=hours
            )
        except working_time.CalendarError as error:
            raise CommandError(str(error)) from None
        except (OverflowError, ValueError):  # past year 9999
            raise CommandError(_("截止时间超出可表示的日期范围，请检查时限。")) from None

        local_start = start.astimezone(CALENDAR_TZ)
        local_due = due.due_at.astimezone(CALENDAR_TZ)
        if days is not None:
            allowance = ngettext("%(n)s 个工作日", "%(n)s 个工作日", int(days)) % {"n": days}
        else:
            # English says "1 working hour" but "1.5 working hours": a fraction takes the plural form.
            count = int(hours) if hours is not None and float(hours).is_integer() else 2
            allowance = ngettext("%(n)s 个工作小时", "%(n)s 个工作小时", count) % {"n": f"{hours:g}"}
        self.stdout.write(_("开始：%(start)s") % {"start": _format(start)})
        self.stdout.write(_("时限：%(allowance)s") % {"allowance": allowance})
        self.stdout.write(_("截止：%(due)s，北京时间（Asia/Shanghai）") % {"due": _format(due.due_at)})
        spans = calendar_spans_between(local_start.date(), local_due.date())
        if spans:
            self.stdout.write(_("期间的日历安排："))
            for span in spans:
                days_text = span.first.isoformat()
                if span.last != span.first:
                    days_text = f"{span.first.isoformat()} ~ {span.last.isoformat()}"
                self.stdout.write(f"  {days_text} {span.label} {span.name}".rstrip())
        if due.estimated:
            years = pgettext("列表分隔符", "、").join(
                str(year) for year in working_time.missing_years(local_start.date(), local_due.date())
            )
            self.stdout.write(
                self.style.WARNING(
                    _("注意：%(years)s 年没有完整的日历数据，按周一至周五估算（结果为估算值）。") % {"years": years}
                )
            )
