"""Admin for the working calendar, for the system administrator: a year's holidays and make-up days are
entered as a few lines of text (or loaded from the chinesecalendar package); the year list shows which
years have data. Every save and delete goes through ``services`` (permission, audit, cache invalidation)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.people.admin_base import AuthorizedAdminMixin
from civicgrid.people.models import User
from civicgrid.workcalendar import selectors, services
from civicgrid.workcalendar.forms import CalendarDayForm, CalendarYearForm, ClosureForm, WorkingPeriodForm
from civicgrid.workcalendar.models import (
    MAX_YEAR,
    MIN_YEAR,
    CalendarDay,
    CalendarYear,
    Closure,
    DayKind,
    WorkingPeriod,
)


def _actor(request: HttpRequest) -> User:
    """The admin's user: the admin site only lets authenticated staff in."""
    return cast(User, request.user)


class CalendarAdmin(AuthorizedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Permissions and rows from ``authorization`` (the system administrator edits). Not the audited
    ``AuthorizedAdmin``: every save here goes through a service that already writes a detailed audit row."""


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAdmin):
    form = CalendarYearForm
    list_display = ["year", "is_complete", "holiday_count", "workday_count", "source", "note", "updated_at"]
    list_filter = ["is_complete", "source"]
    fields = ["year", "is_complete", "note", "holidays_text", "workdays_text", "load_from_package"]
    actions = ["load_from_package"]
    change_list_template = "admin/workcalendar/calendaryear/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                holiday_count=Count("days", filter=Q(days__kind=DayKind.HOLIDAY)),
                workday_count=Count("days", filter=Q(days__kind=DayKind.WORKDAY)),
            )
        )

    @admin.display(description=gettext_lazy("放假天数"), ordering="holiday_count")
    def holiday_count(self, obj: Any) -> int:
        return int(obj.holiday_count)

    @admin.display(description=gettext_lazy("调休上班天数"), ordering="workday_count")
    def workday_count(self, obj: Any) -> int:
        return int(obj.workday_count)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {"year_statuses": selectors.year_statuses(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if data.get("load_from_package"):
            saved = services.calendar_year_load_from_package(year=data["year"], actor=_actor(request))
            saved = services.calendar_year_update(
                calendar_year=saved,
                is_complete=data["is_complete"],
                note=data["note"],
                actor=_actor(request),
            )
        else:
            saved = services.calendar_year_set(
                year=data["year"],
                holidays=data["holidays"],
                workdays=data["workdays"],
                is_complete=data["is_complete"],
                note=data["note"],
                actor=_actor(request),
            )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        services.calendar_year_delete(calendar_year=obj, actor=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(description=gettext_lazy("从 chinesecalendar 包重新载入所选年度"))
    def load_from_package(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        if not self.has_change_permission(request):
            return
        for obj in queryset.order_by("year"):
            try:
                services.calendar_year_load_from_package(year=obj.year, actor=_actor(request))
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("已从 chinesecalendar 包载入 %(year)s 年。") % {"year": obj.year})


class YearStatusFilter(admin.SimpleListFilter):
    """Filter days by year, each year labelled with whether its calendar is entered."""

    title = gettext_lazy("年度（数据状态）")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (str(status.year), _("%(year)s（%(status)s）") % {"year": status.year, "status": status.label})
            for status in reversed(selectors.year_statuses())
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if value.isascii() and value.isdigit() and MIN_YEAR <= int(value) <= MAX_YEAR:
            return queryset.filter(date__year=int(value))
        return queryset.none()  # no day lies outside the calendar's years (nor in year "x")


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAdmin):
    form = CalendarDayForm
    list_display = ["date", "weekday", "kind", "name", "calendar_year"]
    list_filter = [YearStatusFilter, "kind"]
    search_fields = ["name"]
    date_hierarchy = "date"

    @admin.display(description=gettext_lazy("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return selectors.weekday_label(obj.date)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["date"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        saved = services.calendar_day_set(day=obj.date, kind=obj.kind, name=obj.name, actor=_actor(request))
        obj.pk = saved.pk if saved is not None else None

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        services.calendar_day_set(day=obj.date, kind=None, actor=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(WorkingPeriod)
class WorkingPeriodAdmin(CalendarAdmin):
    form = WorkingPeriodForm
    list_display = ["__str__", "start", "end", "updated_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        # The last period cannot go: a working day without hours has no close.
        return super().has_delete_permission(request, obj) and WorkingPeriod.objects.count() > 1

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting all periods at once would leave none
        return actions

    def save_model(self, request: HttpRequest, obj: WorkingPeriod, form: Any, change: bool) -> None:
        period = WorkingPeriod.objects.get(pk=obj.pk) if change else None
        saved = services.working_period_set(period=period, start=obj.start, end=obj.end, actor=_actor(request))
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: WorkingPeriod) -> None:
        services.working_period_delete(period=obj, actor=_actor(request))


@admin.register(Closure)
class ClosureAdmin(CalendarAdmin):
    form = ClosureForm
    list_display = ["start_date", "end_date", "reason", "updated_at"]
    date_hierarchy = "start_date"
    search_fields = ["reason"]

    def save_model(self, request: HttpRequest, obj: Closure, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = services.closure_update(
                closure=Closure.objects.get(pk=obj.pk),
                start_date=data["start_date"],
                end_date=data["end_date"],
                reason=data["reason"],
                actor=_actor(request),
            )
        else:
            saved = services.closure_add(
                start_date=data["start_date"],
                end_date=data["end_date"],
                reason=data["reason"],
                actor=_actor(request),
            )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Closure) -> None:
        services.closure_remove(closure=obj, actor=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Closure]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
