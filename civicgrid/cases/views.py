"""The staff workbench (工作台): my to-do list, the case list with filters, the case page (timeline, map
pin, the actions this user may take), the map of open cases, and the form to take in a case.

Views are thin: a form parses the input, ONE service (or selector) is called, the page is rendered.
Every action form posts the version the page showed; if someone acted first the page says so (409).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shapely
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from civicgrid.cases import selectors, services
from civicgrid.cases.api import attachment_response
from civicgrid.cases.forms import ACTION_FORMS, ActionForm, CaseCreateForm, CaseFilterForm, SummonsReportForm
from civicgrid.cases.models import OPEN_STATES, Attachment, Case, CaseConflict, State, Summons, SummonsUnit
from civicgrid.cases.services import TransitionNotAllowed
from civicgrid.people import authorization as authz
from civicgrid.people.models import User
from civicgrid.regions.models import Level, Region

PAGE_SIZE = 50
MAP_CASES_MAX = 2000

# Who acted, for timeline rows without an account (cases.services SYSTEM_NAME and RESIDENT_NAME): stored in
# Chinese as data, translated when the case page shows them.
STORED_ACTOR_NAMES = (gettext_noop("系统"), gettext_noop("群众"))


class WorkbenchRequest(HttpRequest):
    """What these views see: a logged-in user (login_required) and django-htmx's details."""

    user: User
    htmx: HtmxDetails


ACTION_SERVICES: dict[str, Callable[..., Any]] = {
    "accept": services.case_accept,
    "register": services.case_register,
    "reject": services.case_reject,
    "merge": services.case_merge,
    "dispatch": services.case_dispatch,
    "sign_for": services.case_sign_for,
    "handle": services.case_handle,
    "verify": services.case_verify,
    "close": services.case_close,
    "follow_up": services.case_follow_up,
    "reopen": services.case_reopen,
    "suspend": services.case_suspend,
    "resume": services.case_resume,
    "escalate": services.case_escalate,
    "deescalate": services.case_deescalate,
    "summon": services.case_summon,
    "attachment_add": services.attachment_add,
}


def _require_workbench(user: User) -> None:
    """The workbench is for those who work cases (any role that may list them)."""
    if not authz.can(user, "case.list"):
        raise PermissionDenied(_("工作台仅对办理事件的工作人员开放。"))


def _case_or_404(user: User, number: str) -> Case:
    try:
        return selectors.case_get(user=user, number=number)
    except Case.DoesNotExist:
        raise Http404(_("事件不存在或您无权查看。")) from None


def _tiles() -> dict[str, str]:
    civic = getattr(settings, "CIVICGRID", {})
    return {"url": civic.get("TILE_URL") or "", "attribution": civic.get("TILE_ATTRIBUTION") or ""}


# --- lists ------------------------------------------------------------------------------------------


@login_required
@require_GET
def todo(request: WorkbenchRequest) -> HttpResponse:
    """My to-do list (待办), most urgent deadline first: where staff land after logging in."""
    if not authz.can(request.user, "case.list"):
        return redirect("home")  # administrators and others without casework land on the home page
    rows = selectors.case_todo(user=request.user).select_related("grid")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/todo.html", {"page": page})


@login_required
@require_GET
def case_list(request: WorkbenchRequest) -> HttpResponse:
    """All cases I may see, with filters (tier, region, category, state, deadline, open, search)."""
    _require_workbench(request.user)
    form = CaseFilterForm(request.GET or None)
    status = 200
    if not request.GET or form.is_valid():
        kwargs = form.selector_kwargs() if request.GET else {}
        rows = selectors.cases_visible(user=request.user, **kwargs).select_related("grid")
    else:
        rows = Case.objects.none()
        status = 400
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "form": form, "query": query.urlencode()}
    template = "cases/_case_rows.html" if request.htmx and not request.htmx.boosted else "cases/list.html"
    return render(request, template, context, status=status)


# --- the case page ----------------------------------------------------------------------------------


def _detail_context(
    request: WorkbenchRequest,
    case: Case,
    *,
    bound: ActionForm | None = None,
    conflict: bool = False,
    error: str = "",
    reporter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    user = request.user
    actions = []
    for verb in selectors.case_actions(user=user, case=case):
        form_class, label = ACTION_FORMS[verb]
        is_bound = bound is not None and bound.prefix == verb
        form = bound if is_bound and bound is not None else form_class(user=user, case=case, prefix=verb)
        actions.append({"verb": verb, "label": label, "form": form, "open": is_bound})
    summonses = []
    mine = authz.unit_ids(user)
    for summons in authz.visible(user, Summons.objects.filter(case=case)).order_by("created_at", "id"):
        lines = selectors.summons_status(user=user, summons=summons)
        pending = any(line.unit_id in mine and line.reported_at is None for line in lines)
        summonses.append({"summons": summons, "lines": lines, "can_report": pending})
    attachments = authz.visible(user, Attachment.objects.filter(case=case)).order_by("uploaded_at", "id")
    return {
        "case": case,
        "actions": actions,
        "conflict": conflict,
        "error": error,
        "timeline": selectors.case_timeline(user=user, case=case),
        "stages": selectors.case_stages(user=user, case=case),
        "attachments": attachments,
        "summonses": summonses,
        "summons_form": SummonsReportForm(),
        "reporter": reporter or selectors.reporter_masked(case),
        "can_reveal": case.reporter_id is not None
        and reporter is None
        and authz.can(user, "case.reporter_reveal", case),
        "tiles": _tiles(),
    }


@login_required
@require_GET
def case_detail(request: WorkbenchRequest, number: str) -> HttpResponse:
    case = _case_or_404(request.user, number)
    return render(request, "cases/detail.html", _detail_context(request, case))


@login_required
@require_POST
def case_act(request: WorkbenchRequest, number: str, action: str) -> HttpResponseBase:
    """One workflow action from its small form on the case page."""
    case = _case_or_404(request.user, number)
    if action not in ACTION_FORMS:
        raise Http404(_("没有这个操作。"))
    form_class, label = ACTION_FORMS[action]
    form = form_class(request.POST, request.FILES, user=request.user, case=case, prefix=action)
    if not form.is_valid():
        return _detail_again(request, case, bound=form, status=400)
    try:
        ACTION_SERVICES[action](user=request.user, case=case, **form.service_kwargs())
    except CaseConflict:
        return _detail_again(request, case, conflict=True, status=409)
    except TransitionNotAllowed as exc:
        return _detail_again(request, case, error=exc.messages[0], status=400)
    except ValidationError as exc:
        _errors_to_form(form, exc)
        return _detail_again(request, case, bound=form, status=400)
    messages.success(request, _("已完成：%(action)s。") % {"action": label})
    return redirect("cases:detail", number=case.number)


def _errors_to_form(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _detail_again(request: WorkbenchRequest, case: Case, *, status: int, **kwargs: Any) -> HttpResponse:
    fresh = _case_or_404(request.user, case.number)  # the page shows the case as it is now
    return render(request, "cases/detail.html", _detail_context(request, fresh, **kwargs), status=status)


@login_required
@require_POST
def reporter_reveal(request: WorkbenchRequest, number: str) -> HttpResponse:
    """Show the reporter unmasked (audited); htmx swaps the block in place."""
    case = _case_or_404(request.user, number)
    reporter = selectors.reporter_reveal(user=request.user, case=case, request=request)
    if request.htmx:
        return render(request, "cases/_reporter.html", {"case": case, "reporter": reporter, "can_reveal": False})
    return render(request, "cases/detail.html", _detail_context(request, case, reporter=reporter))


@login_required
@require_GET
def attachment_download(request: WorkbenchRequest, number: str, attachment_id: int) -> HttpResponseBase:
    case = _case_or_404(request.user, number)
    row = authz.visible(request.user, Attachment.objects.filter(case=case, pk=attachment_id)).first()
    if row is None:
        raise Http404(_("附件不存在。"))
    return attachment_response(row)


@login_required
@require_POST
def summons_report(request: WorkbenchRequest, number: str, summons_id: int) -> HttpResponseBase:
    case = _case_or_404(request.user, number)
    form = SummonsReportForm(request.POST)
    row = (
        authz.visible(request.user, SummonsUnit.objects.filter(summons__case=case, summons_id=summons_id))
        .filter(unit_id__in=authz.unit_ids(request.user))
        .order_by("reported_at", "unit__code")
        .first()
    )
    if row is None:
        raise Http404(_("没有召集您所在部门的这次吹哨。"))
    if not form.is_valid():
        return _detail_again(request, case, error=_("报到说明过长。"), status=400)
    try:
        services.summons_report(user=request.user, summons_unit=row, note=form.cleaned_data["note"])
    except ValidationError as exc:
        return _detail_again(request, case, error=" ".join(exc.messages), status=400)
    messages.success(request, _("已报到。"))
    return redirect("cases:detail", number=case.number)


# --- taking in a case -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: WorkbenchRequest) -> HttpResponseBase:
    """Take in a case (grid patrol, walk-in …); the point can be picked on the map or from the phone."""
    authz.require(request.user, "case.create")
    if request.method != "POST":
        return render(request, "cases/new.html", {"form": CaseCreateForm(), "tiles": _tiles()})
    form = CaseCreateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            case = services.case_create(user=request.user, **form.service_kwargs(request.user))
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("事件已上报，编号 %(number)s。") % {"number": case.number})
            return redirect("cases:detail", number=case.number)
    return render(request, "cases/new.html", {"form": form, "tiles": _tiles()}, status=400)


# --- the map ----------------------------------------------------------------------------------------


@login_required
@require_GET
def case_map(request: WorkbenchRequest) -> HttpResponse:
    """Open cases on the map over the grids of the user's scope (no external tiles unless configured)."""
    _require_workbench(request.user)
    states = [(value, label) for value, label in State.choices if value in OPEN_STATES]
    return render(request, "cases/map.html", {"tiles": _tiles(), "states": states})


@login_required
@require_GET
def map_grids(request: WorkbenchRequest) -> JsonResponse:
    """GeoJSON of the grid polygons the user works in (the map's base layer)."""
    _require_workbench(request.user)
    rows = authz.visible(request.user, Region.objects.filter(level=Level.GRID, geometry__isnull=False))
    features = []
    for region in rows.only("code", "name", "geometry").order_by("code").iterator(chunk_size=500):
        shape = region.shape
        if shape is None:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"code": region.code, "name": region.name},
                "geometry": shapely.geometry.mapping(shapely.simplify(shape, 0.00005, preserve_topology=True)),
            }
        )
    response = JsonResponse(
        {"type": "FeatureCollection", "features": features}, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_GET
def map_cases(request: WorkbenchRequest) -> JsonResponse:
    """GeoJSON points of the open cases the user may see (newest first, at most MAP_CASES_MAX)."""
    _require_workbench(request.user)
    form = CaseFilterForm(request.GET)
    kwargs = form.selector_kwargs() if form.is_valid() else {}
    kwargs["open_only"] = True
    rows = (
        selectors.cases_visible(user=request.user, **kwargs)
        .filter(lon__isnull=False, lat__isnull=False)
        .select_related(None)
        .only("number", "title", "state", "deadline_status", "lon", "lat", "created_at")[:MAP_CASES_MAX]
    )
    features = [
        {
            "type": "Feature",
            "properties": {
                "number": row.number,
                "title": row.title,
                "state": row.state,
                "state_label": str(row.get_state_display()),
                "deadline": row.deadline_status,
                "url": reverse("cases:detail", kwargs={"number": row.number}),
            },
            "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
        }
        for row in rows
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features}, json_dumps_params={"ensure_ascii": False})
