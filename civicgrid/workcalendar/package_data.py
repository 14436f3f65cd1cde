"""Read a year's holidays and make-up working days from the ``chinesecalendar`` package.

Used by the seeding migration and by ``services.calendar_year_load_from_package``; pure, no models.
"""

from __future__ import annotations

import datetime as dt

from chinese_calendar import constants

# The package names holidays in English; the calendar rows carry the Chinese names.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


class PackageYearMissing(LookupError):
    """The installed chinesecalendar package has no data for the year."""


def package_years() -> range:
    """The years the installed package covers."""
    first = min(constants.holidays).year
    last = max(max(constants.holidays).year, max(constants.workdays).year)
    return range(first, last + 1)


def _name(value: str) -> str:
    return HOLIDAY_NAMES_ZH.get(value, value)


def package_days(year: int) -> tuple[list[tuple[dt.date, str]], list[tuple[dt.date, str]]]:
    """``(holidays, make_up_workdays)`` of ``year`` as sorted ``(date, Chinese name)`` lists."""
    if year not in package_years():
        raise PackageYearMissing(year)
    holidays = sorted((day, _name(str(name))) for day, name in constants.holidays.items() if day.year == year)
    workdays = sorted((day, _name(str(name))) for day, name in constants.workdays.items() if day.year == year)
    return holidays, workdays
