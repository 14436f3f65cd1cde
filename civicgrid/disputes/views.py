"""The dispute pages: the mediator's workbench, the center's board, screening rounds, the dispute page
(parties, sessions, outcome, documents) and the figures. Thin: parse a form, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.people import authorization as authz
from civicgrid.people.models import Role
from civicgrid.regions.models import Level, Region

from . import forms, selectors, services
from .api import document_response
from .models import Mediation, MediationDocument, MediationSession, Party, ScreeningReport, ScreeningRound


def _user(request: HttpRequest) -> Any:
    return request.user


def _add_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form (field errors where the field exists)."""
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            key = name.rsplit(".", 1)[-1]
            form.add_error(key if key in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def _mediation(request: HttpRequest, number: str) -> Mediation:
    try:
        return selectors.mediation_for_page(user=_user(request), number=number)
    except Mediation.DoesNotExist:
        raise Http404 from None


def _back(mediation: Mediation, anchor: str = "") -> HttpResponseRedirect:
    return redirect(f"/disputes/{mediation.case.number}/{'#' + anchor if anchor else ''}")


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    authz.require(_user(request), "mediation.list")
    return render(request, "disputes/workbench.html", {"bench": selectors.workbench(user=_user(request))})


@login_required
def board(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    authz.require(user, "mediation.list")
    code = request.GET.get("region", "")
    region = Region.objects.filter(code=code).first() if code else None
    return render(
        request,
        "disputes/board.html",
        {
            "board": selectors.dispute_board(user=user, region=region),
            "region": region,
            "buckets": selectors.AGE_BUCKETS,
        },
    )


# --- the dispute page -----------------------------------------------------------------------------


def _dispute_context(request: HttpRequest, mediation: Mediation, **forms_: Form) -> dict[str, Any]:
    user = _user(request)
    handling = authz.can(user, "mediation.edit", mediation)
    parties = mediation.parties.all()
    context: dict[str, Any] = {
        "mediation": mediation,
        "case": mediation.case,
        "parties": parties,
        "sessions": mediation.sessions.prefetch_related("attended_parties", "attended_mediators"),
        "documents": mediation.documents.all(),
        "checks": mediation.performance_checks.all(),
        "co_mediators": mediation.co_mediators.all(),
        "handling": handling,
        "may_assign": authz.can(user, "mediation.assign", mediation),
        "may_reveal": authz.can(user, "mediation.reveal", mediation),
    }
    if handling and mediation.is_open:
        context.setdefault("party_form", forms.PartyForm(prefix="party"))
        context.setdefault("session_form", forms.SessionForm(parties=parties, prefix="session"))
        context.setdefault("risk_form", forms.RiskForm(prefix="risk", initial={"level": mediation.risk_judged_level}))
        context.setdefault("outcome_form", forms.OutcomeForm(prefix="outcome"))
    if handling and mediation.outcome == "agreement":
        context.setdefault("scan_form", forms.SignedScanForm(prefix="scan"))
        context.setdefault("performance_form", forms.PerformanceForm(prefix="perf"))
        context.setdefault(
            "court_form",
            forms.CourtConfirmationForm(
                prefix="court",
                initial={
                    "wanted": mediation.court_confirmation_wanted,
                    "applied_on": mediation.court_confirmation_applied_on,
                },
            ),
        )
    if context["may_assign"] and mediation.is_open:
        pool = services.mediators_in_scope(user=user, mediation=mediation)
        context.setdefault("assign_form", forms.AssignForm(mediators=pool, prefix="assign"))
        context["suggestions"] = selectors.mediators_suggest(user=user, mediation=mediation)
    context.update(forms_)
    return context


@login_required
def dispute_detail(request: HttpRequest, number: str) -> HttpResponse:
    mediation = _mediation(request, number)
    return render(request, "disputes/detail.html", _dispute_context(request, mediation))


def _dispute_post(
    form_class: Callable[..., Form],
    prefix: str,
    context_name: str,
    act: Callable[[HttpRequest, Mediation, Form], str],
    form_kwargs: Callable[[HttpRequest, Mediation], dict[str, Any]] | None = None,
) -> Callable[[HttpRequest, str], HttpResponse]:
    """A POST handler on the dispute page: parse ``form_class``, call the service through ``act``."""

    @login_required
    @require_POST
    def view(request: HttpRequest, number: str) -> HttpResponse:
        mediation = _mediation(request, number)
        extra = form_kwargs(request, mediation) if form_kwargs else {}
        form = form_class(request.POST, request.FILES, prefix=prefix, **extra)
        if form.is_valid():
            try:
                message = act(request, mediation, form)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, message)
                return _back(mediation, prefix)
        context = _dispute_context(request, mediation, **{context_name: form})
        return render(request, "disputes/detail.html", context, status=400)

    return view


def _add_party(request: HttpRequest, mediation: Mediation, form: Form) -> str:
    services.party_add(user=_user(request), mediation=mediation, data=forms.party_data(form))  # type: ignore[arg-type]
    return _("已添加当事人。")


def _assign(request: HttpRequest, mediation: Mediation, form: Form) -> str:
    data = form.cleaned_data
    services.mediation_assign(
        user=_user(request), mediation=mediation, lead=data["lead"], co_mediators=list(data["co_mediators"])
    )
    return _("已指定调解员。")


def _session(request: HttpRequest, mediation: Mediation, form: Form) -> str:
    data = form.cleaned_data
    held_at = forms.aware(data["held_at"])
    if not data["record"]:
        services.session_schedule(user=_user(request), mediation=mediation, held_at=held_at, place=data["place"])
        return _("已安排调解会。")
    booked = MediationSession.objects.filter(mediation=mediation, pk=request.POST.get("session_id") or 0).first()
    services.session_record(
        user=_user(request),
        mediation=mediation,
        session=booked,
        held_at=held_at,
        place=data["place"],
        record=data["record"],
        next_step=data["next_step"],
        other_attendees=data["other_attendees"],
        attended_parties=list(data["attended_parties"]),
    )
    return _("已登记调解记录。")


def _risk(request: HttpRequest, mediation: Mediation, form: Form) -> str:
    services.mediation_judge_risk(
        user=_user(request), mediation=mediation, level=form.cleaned_data["level"], reason=form.cleaned_data["reason"]
    )
    return _("已更新风险研判。")


def _outcome(request: HttpRequest, mediation: Mediation, form: Form) -> str:
    data = form.cleaned_data
    agreement = None
    if data["outcome"] == "agreement":
        agreement = services.AgreementTerms(
            form=data["form"],
            terms=data["terms"],
            responsibilities=data["responsibilities"],
            performance_manner=data["performance_manner"],
            performance_deadline=data["performance_deadline"],
            court_confirmation_wanted=data["court_confirmation_wanted"],
        )
    services.mediation_conclude(
        user=_user(request),
        mediation=mediation,
        outcome=data["outcome"],
        agreement=agreement,
        referral=data["referral"],
        referral_note=data["referral_note"],
        terminated_reason=data["terminated_reason"],
    )
    return _("已登记调解结果。")


def _scan(request: HttpRequest, mediation: Mediation, form: Form) -> str:
    upload = form.cleaned_data["file"]
    services.signed_scan_attach(
        user=_user(request),
        mediation=mediation,
        upload=upload.file,
        filename=upload.name,
        signed_on=form.cleaned_data["signed_on"],
    )
    return _("已上传签字扫描件。")


def _performance(request: HttpRequest, mediation: Mediation, form: Form) -> str:
    data = form.cleaned_data
    services.performance_check_record(
        user=_user(request),
        mediation=mediation,
        checked_on=data["checked_on"],
        status=data["status"],
        note=data["note"],
    )
    return _("已登记履行回访。")


def _court(request: HttpRequest, mediation: Mediation, form: Form) -> str:
    data = form.cleaned_data
    services.court_confirmation_update(
        user=_user(request), mediation=mediation, wanted=data["wanted"], applied_on=data["applied_on"]
    )
    return _("已更新司法确认情况。")


party_add = _dispute_post(forms.PartyForm, "party", "party_form", _add_party)
assign = _dispute_post(
    forms.AssignForm,
    "assign",
    "assign_form",
    _assign,
    lambda request, m: {"mediators": services.mediators_in_scope(user=_user(request), mediation=m)},
)
session = _dispute_post(
    forms.SessionForm, "session", "session_form", _session, lambda request, m: {"parties": m.parties.all()}
)
risk = _dispute_post(forms.RiskForm, "risk", "risk_form", _risk)
outcome = _dispute_post(forms.OutcomeForm, "outcome", "outcome_form", _outcome)
scan = _dispute_post(forms.SignedScanForm, "scan", "scan_form", _scan)
court = _dispute_post(forms.CourtConfirmationForm, "court", "court_form", _court)
performance = _dispute_post(forms.PerformanceForm, "perf", "performance_form", _performance)


@login_required
@require_POST
def agreement_generate(request: HttpRequest, number: str) -> HttpResponse:
    mediation = _mediation(request, number)
    try:
        services.agreement_generate(user=_user(request), mediation=mediation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已生成调解协议书。"))
    return _back(mediation, "documents")


@login_required
@require_POST
def party_reveal(request: HttpRequest, number: str, party_id: int) -> HttpResponse:
    """htmx: swap the masked ID number and phone for the real ones (audited)."""
    mediation = _mediation(request, number)
    party = get_object_or_404(Party, pk=party_id, mediation=mediation)
    revealed = services.party_reveal(user=_user(request), party=party, request=request)
    return render(request, "disputes/_party_revealed.html", {"revealed": revealed})


@login_required
def document_download(request: HttpRequest, number: str, document_id: int) -> FileResponse:
    mediation = _mediation(request, number)
    document = get_object_or_404(MediationDocument, pk=document_id, mediation=mediation)
    return document_response(user=_user(request), document=document, request=request)


# --- screening ------------------------------------------------------------------------------------


def _schedulable_regions(user: Any) -> Any:
    ids = [g.region_id for g in authz.grants(user) if g.role in {Role.CENTER_STAFF, Role.CENTER_HEAD} and g.region_id]
    return Region.objects.filter(pk__in=ids, level__lte=Level.VILLAGE).order_by("code")


@login_required
def screening_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    authz.require(user, "screening.list")
    regions = _schedulable_regions(user)
    form = forms.ScreeningRoundForm(request.POST or None, regions=regions) if regions else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                round_ = services.screening_round_schedule(user=user, **data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("已发起排查。"))
                return redirect("disputes:screening-round", round_id=round_.pk)
    rounds = authz.visible(user, ScreeningRound.objects.select_related("region")).order_by("-period_start", "-id")[:50]
    return render(
        request,
        "disputes/screening_list.html",
        {"rounds": rounds, "form": form},
        status=400 if form and form.errors else 200,
    )


@login_required
def screening_round(request: HttpRequest, round_id: int) -> HttpResponse:
    user = _user(request)
    round_ = get_object_or_404(authz.visible(user, ScreeningRound.objects.select_related("region")), pk=round_id)
    coverage = selectors.screening_coverage(user=user, round_=round_)
    mine = [row.report for row in coverage.rows if authz.can(user, "screening.report", row.report)]
    return render(
        request,
        "disputes/screening_round.html",
        {
            "coverage": coverage,
            "mine": mine,
            "report_form": forms.ScreeningReportForm(prefix="report"),
            "dispute_form": forms.FoundDisputeForm(prefix="dispute"),
        },
    )


@login_required
@require_POST
def screening_report(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = get_object_or_404(
        authz.visible(user, ScreeningReport.objects.select_related("round", "grid")), pk=report_id
    )
    report_form = forms.ScreeningReportForm(request.POST, prefix="report")
    dispute_form = forms.FoundDisputeForm(request.POST, prefix="dispute")
    found = not request.POST.get("report-none_found")
    valid = report_form.is_valid() and (not found or dispute_form.is_valid())
    if valid:
        disputes = []
        if found:
            data = dispute_form.cleaned_data
            disputes.append(
                services.DisputeDraft(
                    category=data["category"],
                    title=data["title"],
                    facts=data["facts"],
                    points_in_dispute=data["points_in_dispute"],
                    amount_involved=data["amount_involved"],
                    people_involved=data["people_involved"] or 0,
                    address=data["address"],
                    parties=[
                        services.PartyData(
                            role="applicant", name=data["applicant_name"], phone=data["applicant_phone"]
                        ),
                        services.PartyData(
                            role="respondent", name=data["respondent_name"], phone=data["respondent_phone"]
                        ),
                    ],
                )
            )
        try:
            services.screening_report_submit(
                user=user,
                report=report,
                screened_on=report_form.cleaned_data["screened_on"],
                disputes=disputes,
                none_found=not found,
                note=report_form.cleaned_data["note"],
            )
        except ValidationError as error:
            _add_errors(dispute_form if found else report_form, error)
        else:
            messages.success(request, _("已报送排查情况。"))
            return redirect("disputes:screening-round", round_id=report.round_id)
    coverage = selectors.screening_coverage(user=user, round_=report.round)
    return render(
        request,
        "disputes/screening_round.html",
        {"coverage": coverage, "mine": [report], "report_form": report_form, "dispute_form": dispute_form},
        status=400,
    )


# --- figures ----------------------------------------------------------------------------------


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    authz.require(user, "mediation.list")
    scopes = authz.region_scopes(user)
    regions = Region.objects.filter(
        Q(pk__in=[r.pk for r in scopes]) | Q(parent__in=scopes), level__lte=Level.VILLAGE
    ).order_by("code")
    today = services.local_today()
    initial = {"start": today.replace(month=1, day=1), "end": today}
    form = forms.FiguresForm(request.GET or None, regions=regions, initial=initial)
    rows: list[selectors.Figures] = []
    total = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            rows = selectors.dispute_figures(
                user=user, start=data["start"], end=data["end"], region=data["region"], group_by=data["group_by"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            total = selectors.figures_total(rows) if data["group_by"] else None
    elif not form.is_bound:
        rows = selectors.dispute_figures(user=user, start=initial["start"], end=initial["end"])
    return render(
        request,
        "disputes/figures.html",
        {"form": form, "rows": rows, "total": total},
        status=400 if form.errors else 200,
    )
