"""What the installed chinesecalendar package says about 2026, the last year it covers."""

from __future__ import annotations

import datetime as dt

import pytest

from civicgrid.workcalendar.package_data import PackageYearMissing, package_days, package_years


def test_the_package_ends_with_2026():
    assert package_years()[-1] == 2026
    with pytest.raises(PackageYearMissing):
        package_days(2027)


def test_2026_national_day_is_1_to_7_october_with_make_up_saturday_10_october_and_sunday_20_september():
    holidays, workdays = package_days(2026)
    national_day = [day for day, name in holidays if name == "国庆节"]
    assert national_day == [dt.date(2026, 10, day) for day in range(1, 8)]
    assert [(day, name) for day, name in workdays if name == "国庆节"] == [
        (dt.date(2026, 9, 20), "国庆节"),
        (dt.date(2026, 10, 10), "国庆节"),
    ]
    # Mid-autumn is a separate weekend holiday in 2026.
    assert [day for day, name in holidays if name == "中秋节"] == [dt.date(2026, 9, d) for d in (25, 26, 27)]


def test_2026_spring_festival_and_all_make_up_days():
    holidays, workdays = package_days(2026)
    assert [day for day, name in holidays if name == "春节"] == [dt.date(2026, 2, d) for d in range(15, 24)]
    assert workdays == [
        (dt.date(2026, 1, 4), "元旦"),
        (dt.date(2026, 2, 14), "春节"),
        (dt.date(2026, 2, 28), "春节"),
        (dt.date(2026, 5, 9), "劳动节"),
        (dt.date(2026, 9, 20), "国庆节"),
        (dt.date(2026, 10, 10), "国庆节"),
    ]
