"""``civicgrid deadline``: the administrator's check of the calendar data."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from civicgrid.workcalendar import services

pytestmark = pytest.mark.django_db


def deadline(*args: str) -> str:
    out = StringIO()
    call_command("deadline", *args, stdout=out)
    return out.getvalue()


def test_3_working_days_across_national_day_2026():
    # Wed 30 Sep 2026; Thu 1 – Wed 7 Oct holiday; Thu 8, Fri 9, Sat 10 Oct (make-up) = 3.
    assert deadline("2026-09-30 10:00", "--working-days", "3") == (
        "开始：2026-09-30 10:00（星期三）\n"
        "时限：3 个工作日\n"
        "截止：2026-10-10 17:30（星期六），北京时间（Asia/Shanghai）\n"
        "期间的日历安排：\n"
        "  2026-10-01 ~ 2026-10-07 放假 国庆节\n"
        "  2026-10-10 调休上班 国庆节\n"
    )


def test_working_hours_and_a_start_with_an_offset():
    # 2026-09-30 08:00 UTC = 16:00 Beijing time; 1.5 h on Wed 30 Sep, 2.5 h on Thu 8 Oct.
    assert deadline("2026-09-30T08:00:00+00:00", "--working-hours", "4") == (
        "开始：2026-09-30 16:00（星期三）\n"
        "时限：4 个工作小时\n"
        "截止：2026-10-08 11:00（星期四），北京时间（Asia/Shanghai）\n"
        "期间的日历安排：\n"
        "  2026-10-01 ~ 2026-10-07 放假 国庆节\n"
    )


def test_a_year_without_data_is_announced_as_an_estimate():
    # Wed 30 Dec 2026; Thu 31 Dec; Fri 1 Jan 2027 (no data, counted); Mon 4 Jan 2027.
    assert deadline("2026-12-30 10:00", "--working-days", "3") == (
        "开始：2026-12-30 10:00（星期三）\n"
        "时限：3 个工作日\n"
        "截止：2027-01-04 17:30（星期一），北京时间（Asia/Shanghai）\n"
        "注意：2027 年没有完整的日历数据，按周一至周五估算（结果为估算值）。\n"
    )


def test_the_answer_follows_the_rows_in_the_database():
    # Mon 2 Nov 2026 + 1 working day; Tue 3 Nov closed for a typhoon → Wed 4 Nov; 0.5 h shown as fraction.
    services.closure_add(start_date=dt.date(2026, 11, 3), reason="台风停工")
    assert deadline("2026-11-02 17:00", "--working-hours", "1.5") == (
        "开始：2026-11-02 17:00（星期一）\n"
        "时限：1.5 个工作小时\n"
        "截止：2026-11-04 09:30（星期三），北京时间（Asia/Shanghai）\n"
        "期间的日历安排：\n"
        "  2026-11-03 临时停工 台风停工\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["2026-13-01 10:00", "--working-days", "3"],
            "无法识别的开始时间：2026-13-01 10:00。请写成 2026-09-30 10:00（北京时间）。",
        ),
        (["tomorrow", "--working-days", "3"], "无法识别的开始时间：tomorrow。请写成 2026-09-30 10:00（北京时间）。"),
        (["2026-09-30 10:00"], "请给出 --working-days 或 --working-hours 其中之一。"),
        (
            ["2026-09-30 10:00", "--working-days", "3", "--working-hours", "2"],
            "请给出 --working-days 或 --working-hours 其中之一。",
        ),
        (["2026-09-30 10:00", "--working-days", "0"], "--working-days 必须是正整数，收到：0。"),
        (["2026-09-30 10:00", "--working-days", "-3"], "--working-days 必须是正整数，收到：-3。"),
        (["2026-09-30 10:00", "--working-days", "2.5"], "--working-days 必须是正整数，收到：2.5。"),
        (["2026-09-30 10:00", "--working-hours", "-1"], "--working-hours 必须是正数，收到：-1。"),
        (["2026-09-30 10:00", "--working-hours", "nan"], "--working-hours 必须是正数，收到：nan。"),
        (["2026-09-30 10:00", "--working-days", "9999999"], "截止时间超出可表示的日期范围，请检查时限。"),
    ],
)
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(CommandError) as error:
        deadline(*args)
    assert str(error.value) == message


def test_bad_input_exits_non_zero_from_the_command_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["civicgrid", "deadline", "2026-09-30 10:00", "--working-days", "0"]).execute()
    assert exit_info.value.code == 1
    assert "--working-days 必须是正整数，收到：0。" in capsys.readouterr().err
