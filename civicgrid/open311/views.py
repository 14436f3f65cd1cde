"""The GeoReport v2 endpoints under /open311/v2/: thin views that parse, call one selector or service,
and render XML or JSON. Every failure is the spec's error list with 400, 403 or 404 — never a 500 page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicgrid.open311 import selectors
from civicgrid.open311.formats import Open311Error, render, render_error
from civicgrid.open311.parsing import date_range, int_param, parse_filters, parse_new_request
from civicgrid.open311.services import client_for_key, open311_request_submit
from civicgrid.portal.models import PortalSettings
from civicgrid.portal.services import RateLimited, rate_limit_consume
from civicgrid.regions.models import Region

logger = logging.getLogger("civicgrid.open311")
View = Callable[..., HttpResponse]


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {message}" if field != "__all__" else message for field, msgs in
                exc.message_dict.items() for message in msgs]  # fmt: skip
    return list(exc.messages)


def open311_view(methods: tuple[str, ...]) -> Callable[[View], View]:
    """Method check, jurisdiction check and error mapping shared by every endpoint."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, fmt: str = "xml", **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise Open311Error(405, _("不支持 %(method)s 方法。") % {"method": (request.method or "")[:10]})
                params = request.GET if request.method == "GET" else request.POST
                jurisdiction = (params.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
                if jurisdiction and not Region.objects.filter(parent__isnull=True, code=jurisdiction).exists():
                    raise Open311Error(404, _("jurisdiction_id %(id)s 不存在。") % {"id": jurisdiction[:40]})
                response = view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                response = render_error(fmt, exc)
            except (RequestDataTooBig, TooManyFieldsSent):
                response = render_error(fmt, Open311Error(400, _("请求体过大或字段过多。")))
            except RateLimited as exc:
                response = render_error(fmt, Open311Error(429, str(exc)))
                response["Retry-After"] = str(exc.retry_after)
            except ValidationError as exc:
                response = render_error(fmt, Open311Error(400, *_messages(exc)))
            except PermissionDenied as exc:
                response = render_error(fmt, Open311Error(403, str(exc) or _("没有权限。")))
            if response.status_code == 405:
                response["Allow"] = ", ".join(methods)
            return response

        return inner

    return wrap


@open311_view(("GET",))
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    knobs = PortalSettings.current()
    contact = _("服务热线 %(phone)s") % {"phone": knobs.hotline_phone} if knobs.hotline_phone else ""
    body = selectors.discovery(
        request.build_absolute_uri("/open311/v2"),
        contact=contact,
        key_service=_("请向本系统管理员申请 API 密钥（civicgrid open311-client add 名称）。"),
    )
    return render(fmt, "discovery", body)


@open311_view(("GET",))
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render(fmt, "services", selectors.service_list())


@open311_view(("GET",))
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    return render(fmt, "service_definition", selectors.service_definition(code))


@csrf_exempt
@open311_view(("GET", "POST"))
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "GET":
        return render(fmt, "service_requests", selectors.requests_list(parse_filters(request.GET)))
    form = request.POST
    client = client_for_key(form.get("api_key") or "")
    if client is None:
        raise Open311Error(403, _("api_key 缺失或无效。") if not form.get("api_key") else _("api_key 无效或已停用。"))
    rate_limit_consume(scope="open311-post", ip=request.META.get("REMOTE_ADDR", ""))
    accepted = open311_request_submit(client=client, request=parse_new_request(form))
    logger.info("open311 request", extra={"client": client.name, "case": accepted.case.number})
    body = [
        {
            "service_request_id": accepted.case.number,
            "token": accepted.token,
            "service_notice": "",
            "account_id": accepted.account_id or None,
        }
    ]
    return render(fmt, "service_requests", body, status=201)


@open311_view(("GET",))
def request_detail(request: HttpRequest, request_id: str, *, fmt: str) -> HttpResponse:
    return render(fmt, "service_requests", [selectors.request_detail(request_id)])


@open311_view(("GET",))
def token(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    # Tokens are residents' tracking codes: guessing them is throttled like the tracking page.
    rate_limit_consume(scope="track-lookup", ip=request.META.get("REMOTE_ADDR", ""))
    return render(fmt, "service_requests", [selectors.token_lookup(token)])


@open311_view(("GET",))
def updates(request: HttpRequest, *, fmt: str) -> HttpResponse:
    start, end = date_range(request.GET)
    page = int_param(request.GET, "page", 1, 1_000_000)
    page_size = int_param(request.GET, "page_size", 50, 500)
    body = selectors.updates_list(start, end, page=page, page_size=page_size)
    return render(fmt, "service_request_updates", body)


@open311_view(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"))
def not_found(request: HttpRequest, *, fmt: str = "xml", rest: str = "") -> HttpResponse:
    raise Open311Error(404, _("没有这个接口：%(path)s") % {"path": rest[:100]})
