"""Reading GeoReport v2 input: the POST request form (location, attributes with repeated keys for
multi-value lists, reporter fields) and the GET filters, each fault a 400 naming the field.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.models import Category
from civicgrid.open311.formats import Open311Error, format_datetime, parse_datetime
from civicgrid.portal.selectors import category_questions, public_category

MAX_DESCRIPTION = 4000
MAX_IDS = 100
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_RANGE = dt.timedelta(days=90)
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")


def _bad(message: str) -> Open311Error:
    return Open311Error(400, message)


@dataclass
class NewRequest:
    category: Category
    lon: float | None
    lat: float | None
    address: str
    address_id: str
    description: str
    attributes: dict[str, Any]
    media_url: str
    first_name: str
    last_name: str
    email: str
    phone: str
    device_id: str
    account_id: str
    extra: dict[str, Any] = field(default_factory=dict)


def _text(form: QueryDict, name: str, limit: int) -> str:
    value = (form.get(name) or "").strip()
    if len(value) > limit:
        raise _bad(_("%(field)s 过长：最多 %(n)d 个字符。") % {"field": name, "n": limit})
    return value


def _float(form: QueryDict, name: str) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _bad(_("%(field)s 必须是数字。") % {"field": name}) from None
    if not math.isfinite(value):
        raise _bad(_("%(field)s 必须是有限的数字。") % {"field": name})
    return value


def parse_new_request(form: QueryDict) -> NewRequest:
    """The POST /requests form, validated against the service's definition. Raises Open311Error."""
    code = (form.get("service_code") or "").strip()
    if not code:
        raise _bad(_("缺少 service_code。"))
    category = public_category(code)
    if category is None:
        raise Open311Error(404, _("service_code %(code)s 不存在。") % {"code": code[:64]})

    lat, lon = _float(form, "lat"), _float(form, "long")
    address = _text(form, "address_string", 200)
    address_id = _text(form, "address_id", 64)
    if (lat is None) != (lon is None):
        raise _bad(_("lat 和 long 必须同时提供。"))
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _bad(_("lat/long 超出范围：纬度 -90～90，经度 -180～180。"))
    if lat is None and not address and not address_id:
        raise _bad(_("必须提供位置：lat 和 long，或 address_string，或 address_id。"))

    description = _text(form, "description", MAX_DESCRIPTION)
    media_url = _text(form, "media_url", 500)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise _bad(_("media_url 不是有效的 http(s) 链接。")) from None
    email = _text(form, "email", 254)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise _bad(_("email 格式不正确。")) from None
    phone = _text(form, "phone", 40)
    if phone and not re.fullmatch(r"[0-9+\-() ]{3,40}", phone):
        raise _bad(_("phone 只能包含数字、空格和 + - ( )。"))

    return NewRequest(
        category=category,
        lon=lon,
        lat=lat,
        address=address,
        address_id=address_id,
        description=description,
        attributes=parse_attributes(form, category),
        media_url=media_url,
        first_name=_text(form, "first_name", 50),
        last_name=_text(form, "last_name", 50),
        email=email,
        phone=phone,
        device_id=_text(form, "device_id", 100),
        account_id=_text(form, "account_id", 100),
    )


def parse_attributes(form: QueryDict, category: Category) -> dict[str, Any]:
    """``attribute[code]=v`` (repeated, or ``attribute[code][]=v``, for multivaluelist) checked against the
    category's questions: required ones present, types parsed, list values among the listed keys."""
    given: dict[str, list[str]] = {}
    for key in form:
        match = _ATTRIBUTE_KEY.match(key)
        if match is None:
            if key.startswith("attribute"):
                raise _bad(_("无法识别的参数 %(key)s：应为 attribute[代码]。") % {"key": key[:80]})
            continue
        values = [v.strip() for v in form.getlist(key) if v.strip()]
        given.setdefault(match.group(1), []).extend(values)
    questions = {q["code"]: q for q in category_questions(category)}
    unknown = sorted(set(given) - set(questions))
    if unknown:
        raise _bad(_("该服务没有这些属性：%(codes)s。") % {"codes": ", ".join(c[:64] for c in unknown)})
    return clean_answers(questions.values(), given, error=_bad)


def clean_answers(questions: Any, given: dict[str, list[str]], *, error: Any) -> dict[str, Any]:
    """Answers to extra questions, typed: number → float, datetime → ISO 8601 (no zone = Asia/Shanghai),
    lists → keys. ``error(message)`` builds the exception to raise. Shared with the portal form."""
    result: dict[str, Any] = {}
    for question in questions:
        code, datatype = question["code"], question["datatype"]
        values = given.get(code, [])
        label = question["label"]
        if not values:
            if question["required"]:
                raise error(_("缺少必填属性 %(code)s（%(label)s）。") % {"code": code, "label": label})
            continue
        keys = {v["key"] for v in question["values"]}
        if datatype == "multivaluelist":
            bad = [v for v in values if v not in keys]
            if bad:
                raise error(
                    _("属性 %(code)s 的取值无效：%(values)s。") % {"code": code, "values": ", ".join(bad)[:200]}
                )
            result[code] = list(dict.fromkeys(values))
            continue
        if len(values) > 1:
            raise error(_("属性 %(code)s 只能有一个值。") % {"code": code})
        value = values[0]
        if datatype == "singlevaluelist":
            if value not in keys:
                raise error(_("属性 %(code)s 的取值无效：%(values)s。") % {"code": code, "values": value[:100]})
            result[code] = value
        elif datatype == "number":
            try:
                number = float(value)
            except ValueError:
                raise error(_("属性 %(code)s 必须是数字。") % {"code": code}) from None
            if not math.isfinite(number):
                raise error(_("属性 %(code)s 必须是数字。") % {"code": code})
            result[code] = int(number) if number.is_integer() and abs(number) < 2**53 else number
        elif datatype == "datetime":
            try:
                result[code] = format_datetime(parse_datetime(value))
            except ValueError:
                raise error(
                    _("属性 %(code)s 必须是 ISO 8601 时间，如 2025-03-04T10:22:00+08:00。") % {"code": code}
                ) from None
        else:
            limit = 4000 if datatype == "text" else 200
            if len(value) > limit:
                raise error(_("属性 %(code)s 过长：最多 %(n)d 个字符。") % {"code": code, "n": limit})
            result[code] = value
    return result


@dataclass
class RequestFilters:
    ids: list[str] | None
    service_codes: list[str]
    start: dt.datetime
    end: dt.datetime
    statuses: list[str]
    page: int
    page_size: int


def _date(params: QueryDict, name: str) -> dt.datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_datetime(raw)
    except ValueError:
        raise _bad(_("%(field)s 不是 ISO 8601 时间，如 2010-01-01T00:00:00Z。") % {"field": name}) from None


def int_param(params: QueryDict, name: str, default: int, maximum: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise _bad(_("%(field)s 必须是正整数。") % {"field": name})
    if int(raw) > maximum:
        raise _bad(_("%(field)s 不能大于 %(n)d。") % {"field": name, "n": maximum})
    return int(raw)


def _list(params: QueryDict, name: str) -> list[str]:
    items: list[str] = []
    for raw in params.getlist(name):
        items.extend(part.strip() for part in raw.split(",") if part.strip())
    return items


def date_range(params: QueryDict, *, default_span: dt.timedelta = MAX_RANGE) -> tuple[dt.datetime, dt.datetime]:
    """start_date/end_date, defaulting to the most recent span, never longer than 90 days."""
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if end is None:
        end = start + default_span if start is not None else timezone.now()
    if start is None:
        start = end - default_span
    if start > end:
        raise _bad(_("start_date 不能晚于 end_date。"))
    if end - start > MAX_RANGE:
        raise _bad(_("start_date 到 end_date 不能超过 90 天。"))
    return start, end


def parse_filters(params: QueryDict) -> RequestFilters:
    ids = _list(params, "service_request_id")
    if len(ids) > MAX_IDS:
        raise _bad(_("一次最多查询 %(n)d 个 service_request_id。") % {"n": MAX_IDS})
    statuses = [s.lower() for s in _list(params, "status")]
    bad = [s for s in statuses if s not in {"open", "closed"}]
    if bad:
        raise _bad(_("status 只能是 open 或 closed。"))
    start, end = date_range(params)
    return RequestFilters(
        ids=ids or None,
        service_codes=_list(params, "service_code"),
        start=start,
        end=end,
        statuses=statuses,
        page=int_param(params, "page", 1, 1_000_000),
        page_size=int_param(params, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )
