"""Seed editable calendar rows: 2020–2026 from the chinesecalendar package (its data ends with 2026;
later years are entered by an administrator) and the default working hours 08:30–12:00, 14:00–17:30."""

import datetime as dt

from django.db import migrations

SEED_YEARS = range(2020, 2027)
DEFAULT_PERIODS = [(dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 0), dt.time(17, 30))]


def seed(apps, schema_editor):
    from civicgrid.workcalendar.package_data import package_days

    CalendarYear = apps.get_model("workcalendar", "CalendarYear")
    CalendarDay = apps.get_model("workcalendar", "CalendarDay")
    WorkingPeriod = apps.get_model("workcalendar", "WorkingPeriod")
    for year in SEED_YEARS:
        holidays, workdays = package_days(year)
        calendar_year, _created = CalendarYear.objects.get_or_create(
            year=year, defaults={"is_complete": True, "source": "package", "note": "chinesecalendar 1.11.0"}
        )
        existing = set(CalendarDay.objects.filter(calendar_year=calendar_year).values_list("date", flat=True))
        CalendarDay.objects.bulk_create(
            [
                CalendarDay(calendar_year=calendar_year, date=day, kind=kind, name=name)
                for kind, entries in (("holiday", holidays), ("workday", workdays))
                for day, name in entries
                if day not in existing
            ]
        )
    if not WorkingPeriod.objects.exists():
        WorkingPeriod.objects.bulk_create([WorkingPeriod(start=start, end=end) for start, end in DEFAULT_PERIODS])


def unseed(apps, schema_editor):
    apps.get_model("workcalendar", "CalendarYear").objects.filter(year__in=SEED_YEARS, source="package").delete()
    WorkingPeriod = apps.get_model("workcalendar", "WorkingPeriod")
    for start, end in DEFAULT_PERIODS:
        WorkingPeriod.objects.filter(start=start, end=end).delete()


class Migration(migrations.Migration):
    dependencies = [("workcalendar", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
