"""The text format for a year's days in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from civicgrid.workcalendar.forms import format_day_lines, parse_day_lines


def test_parse_single_days_and_ranges_with_names():
    text = "\n".join(
        [
            "# 2027 年安排",
            "2027-01-01 元旦",
            "",
            "2027-02-06 ~ 2027-02-08 春节",
            "2027-2-9至2027-2-10 春节",
            "2027-05-01..2027-05-01",
        ]
    )
    assert parse_day_lines(text) == [
        (dt.date(2027, 1, 1), "元旦"),
        (dt.date(2027, 2, 6), "春节"),
        (dt.date(2027, 2, 7), "春节"),
        (dt.date(2027, 2, 8), "春节"),
        (dt.date(2027, 2, 9), "春节"),
        (dt.date(2027, 2, 10), "春节"),
        (dt.date(2027, 5, 1), ""),
    ]


def test_parse_reports_every_bad_line():
    with pytest.raises(ValidationError) as error:
        parse_day_lines("2027-02-30 春节\n一月一日\n2027-02-10 ~ 2027-02-01\n2027-01-01 ~ 2027-03-01")
    assert error.value.messages == [
        "第 1 行：2027-02-30 不是有效日期。",
        "第 2 行无法识别：一月一日。格式：2027-02-06 ~ 2027-02-14 春节",
        "第 3 行：日期范围必须从早到晚且不超过 31 天。",
        "第 4 行：日期范围必须从早到晚且不超过 31 天。",
    ]


def test_format_is_the_inverse_of_parse():
    days = [
        (dt.date(2027, 1, 1), "元旦"),
        (dt.date(2027, 1, 2), "元旦"),
        (dt.date(2027, 1, 4), ""),
        (dt.date(2027, 1, 5), "x"),
    ]
    text = format_day_lines(days)
    assert text == "2027-01-01 ~ 2027-01-02 元旦\n2027-01-04\n2027-01-05 x"
    assert parse_day_lines(text) == days
