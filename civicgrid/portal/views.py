"""Public pages (no login): report a problem, follow it with a tracking code, public statistics.

Views parse, call one service or selector, and render. User text is only ever rendered escaped.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.cases.models import Case
from civicgrid.portal import selectors, services
from civicgrid.portal.forms import EscalateForm, InfoForm, JoinForm, RateForm, ReportForm, clean_photos, first_error
from civicgrid.portal.models import PortalSettings
from civicgrid.portal.services import RateLimited, format_code, rate_limit_consume


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _body_too_big(request: HttpRequest, knobs: PortalSettings) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > knobs.max_photos * knobs.photo_max_bytes + 1024 * 1024


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return pgettext("分句分隔符", "；").join(str(m) for msgs in exc.message_dict.values() for m in msgs)
    return pgettext("分句分隔符", "；").join(str(m) for m in exc.messages)


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _report_context(request: HttpRequest, form: ReportForm | None, error: str = "") -> dict[str, Any]:
    categories = [
        {
            "code": c.code,
            "name": c.name,
            "group": c.parent.name if c.parent else c.get_kind_display(),
            "description": c.description,
            "questions": selectors.category_questions(c),
        }
        for c in selectors.public_categories()
    ]
    knobs = PortalSettings.current()
    return {
        "form": form,
        "error": error,
        "categories": categories,
        "knobs": knobs,
        "idem": (form.data.get("idem") if form is not None and form.is_bound else "") or secrets.token_hex(16),
        "map_config": {
            "tileUrl": settings.CIVICGRID.get("TILE_URL", ""),
            "gridsUrl": reverse("portal:map"),
            "nearbyUrl": reverse("portal:nearby"),
            "maxPhotos": knobs.max_photos,
            "photoMaxBytes": knobs.photo_max_bytes,
            "text": {
                "locating": _("正在定位…"),
                "located": _("已标出位置："),
                "noGeo": _("无法获取您的位置，请在地图上点选或填写地址。"),
                "metres": _("米"),
                "metoo": _("我也遇到"),
                "required": _("（必填）"),
                "choose": _("请选择"),
                "needPlace": _("请在地图上标出位置，或填写地址。"),
                "needCategory": _("请选择问题分类。"),
                "tooMany": ngettext("照片太多：最多 %(n)d 张。", "照片太多：最多 %(n)d 张。", knobs.max_photos)
                % {"n": knobs.max_photos},
                "tooBig": _("照片过大。"),
            },
        },
    }


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    knobs = PortalSettings.current()
    if request.method == "GET":
        return render(request, "portal/report.html", _report_context(request, None))

    def again(form: ReportForm | None, message: str, status: int) -> HttpResponse:
        return render(request, "portal/report.html", _report_context(request, form, message), status=status)

    if _body_too_big(request, knobs):
        return again(None, _("上传内容过大。"), 413)
    form: ReportForm | None = None
    try:
        rate_limit_consume(scope="report-submit", ip=_ip(request))
        form = ReportForm(request.POST, files_list=request.FILES.getlist("photos"))
        if not form.is_valid():
            return again(form, first_error(form), 400)
        data = form.cleaned_data
        receipt = services.report_submit(
            category=form.category_row,
            title=(data["title"] or "").strip() or data["description"][:30],
            description=data["description"],
            lon=data.get("lon"),
            lat=data.get("lat"),
            address=(data.get("address") or "").strip(),
            answers=form.answers,
            photos=form.photos,
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            anonymous=data["anonymous"],
            idempotency_key=data.get("idem") or None,
        )
    except RateLimited as exc:
        response = again(None, str(exc), 429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except (RequestDataTooBig, TooManyFieldsSent):
        return again(None, _("上传内容过大。"), 413)
    except ValidationError as exc:
        return again(form, _messages(exc), 400)
    return _receipt(request, receipt)


def _receipt(request: HttpRequest, receipt: services.Receipt) -> HttpResponse:
    link = request.build_absolute_uri(reverse("portal:track-detail", args=[receipt.code]))
    return render(
        request,
        "portal/receipt.html",
        {"code": receipt.display_code, "link": link, "number": receipt.case.number},
        status=201,
    )


@require_GET
def nearby(request: HttpRequest) -> JsonResponse:
    """Open cases of the same category near a point (“is it one of these?”), without personal data."""
    try:
        rate_limit_consume(scope="report-nearby", ip=_ip(request))
    except RateLimited as exc:
        return _json_error(str(exc), 429)
    category = selectors.public_category(request.GET.get("category", "")[:32])
    if category is None:
        return _json_error(_("请选择一个有效的问题分类。"), 400)
    try:
        lon = float(request.GET["lon"]) if request.GET.get("lon") else None
        lat = float(request.GET["lat"]) if request.GET.get("lat") else None
    except ValueError:
        return _json_error(_("经纬度必须是数字。"), 400)
    if (lon is None) != (lat is None) or (
        lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90)
    ):
        return _json_error(_("经纬度无效。"), 400)
    text = request.GET.get("text", "")[:500]
    candidates = selectors.duplicate_candidates(category=category, lon=lon, lat=lat, text=text)
    return JsonResponse(
        {
            "candidates": [
                {
                    "number": c.case.number,
                    "title": c.case.title[:60],
                    "state": str(c.case.get_state_display()),
                    "reported": c.case.created_at.date().isoformat(),
                    "distance_m": round(c.distance_m) if c.distance_m is not None else None,
                }
                for c in candidates
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_POST
def join(request: HttpRequest) -> HttpResponse:
    """Add the resident's voice to an existing open case (instead of a new report)."""
    try:
        rate_limit_consume(scope="report-voice", ip=_ip(request))
        form = JoinForm(request.POST)
        if not form.is_valid():
            return render(request, "portal/error.html", {"error": first_error(form)}, status=400)
        case = Case.objects.filter(number=form.cleaned_data["case"]).first()
        if case is None or selectors.public_category(case.category.code) is None:
            return render(request, "portal/error.html", {"error": _("没有找到这个事件。")}, status=404)
        data = form.cleaned_data
        receipt = services.report_join(
            case=case, name=data["name"], phone=data["phone"], email=data["email"], anonymous=data["anonymous"]
        )
    except RateLimited as exc:
        return render(request, "portal/error.html", {"error": str(exc)}, status=429)
    except ValidationError as exc:
        return render(request, "portal/error.html", {"error": _messages(exc)}, status=400)
    return _receipt(request, receipt)


@require_GET
@cache_control(public=True, max_age=600)
def grid_map(request: HttpRequest) -> JsonResponse:
    return JsonResponse(selectors.grid_geojson(), json_dumps_params={"ensure_ascii": False})


# --- tracking ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        code = services.normalise_code(request.POST.get("code", ""))
        if code:
            return redirect("portal:track-detail", code=code)
        return render(request, "portal/track.html", {"error": _("请输入查询码。")}, status=400)
    return render(request, "portal/track.html", {})


def _lookup(request: HttpRequest, code: str) -> tuple[Any, Case]:
    rate_limit_consume(scope="track-lookup", ip=_ip(request))
    found = selectors.tracking_lookup(code)
    if found is None:
        raise Http404(_("查询码不存在，请核对后重试。"))
    return found


def _track_page(
    request: HttpRequest, code: str, *, error: str = "", notice: str = "", status: int = 200
) -> HttpResponse:
    try:
        row, case = _lookup(request, code)
    except RateLimited as exc:
        return render(request, "portal/track.html", {"error": str(exc)}, status=429)
    except Http404:
        return render(request, "portal/track.html", {"error": _("查询码不存在，请核对后重试。")}, status=404)
    return render(
        request,
        "portal/track_detail.html",
        {
            "code": services.normalise_code(code),
            "display_code": format_code(services.normalise_code(code)),
            "case": selectors.public_case(case),
            "merged": row.case_id != case.pk,
            "info_form": InfoForm(),
            "escalate_form": EscalateForm(),
            "rate_form": RateForm(),
            "error": error,
            "notice": notice,
            "knobs": PortalSettings.current(),
        },
        status=status,
    )


@require_GET
def track_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _track_page(request, code, notice=request.GET.get("done", "") and _("已提交，谢谢。"))


@require_POST
def track_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    try:
        rate_limit_consume(scope="track-action", ip=_ip(request))
        _row, case = _lookup(request, code)
        if action == "info":
            form: Any = InfoForm(request.POST)
            if form.is_valid():
                photos = clean_photos(request.FILES.getlist("photos"), PortalSettings.current())
                services.tracking_add_info(case=case, text=form.cleaned_data["text"], photos=photos)
        elif action == "escalate":
            form = EscalateForm(request.POST)
            if form.is_valid():
                services.tracking_escalate(case=case, reason=form.cleaned_data["reason"])
        elif action == "rate":
            form = RateForm(request.POST)
            if form.is_valid():
                services.tracking_rate(
                    case=case, satisfaction=form.cleaned_data["satisfaction"], note=form.cleaned_data["note"]
                )
        else:
            raise Http404
        if not form.is_valid():
            return _track_page(request, code, error=first_error(form), status=400)
    except RateLimited as exc:
        return _track_page(request, code, error=str(exc), status=429)
    except (RequestDataTooBig, TooManyFieldsSent):
        return _track_page(request, code, error=_("上传内容过大。"), status=413)
    except Http404:
        return render(request, "portal/track.html", {"error": _("查询码不存在，请核对后重试。")}, status=404)
    except ValidationError as exc:
        return _track_page(request, code, error=_messages(exc), status=400)
    return redirect(reverse("portal:track-detail", args=[services.normalise_code(code)]) + "?done=1")


# --- public statistics ------------------------------------------------------------------------


@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/stats.html",
        {
            "filters": selectors.stats_filters(),
            "config": {
                "dataUrl": reverse("portal:stats-data"),
                "text": {
                    "name": _("名称"),
                    "received": _("受理"),
                    "closed": _("办结"),
                    "onTime": _("按期办结"),
                },
            },
        },
    )


@require_GET
@cache_control(public=True, max_age=300)
def stats_data(request: HttpRequest) -> JsonResponse:
    months_raw = request.GET.get("months", "12")
    if not months_raw.isdigit() or not 1 <= int(months_raw) <= 36:
        return _json_error(_("months 必须是 1 到 36 之间的整数。"), 400)
    data = selectors.public_stats(
        months=int(months_raw), town=request.GET.get("town", "")[:20], category=request.GET.get("category", "")[:32]
    )
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
