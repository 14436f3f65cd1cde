"""Importing 12345 hotline work orders: a dry run that reports per row what would be created and what is
wrong, and an import that creates every valid row in one transaction and reports every row it did not
create. The hotline's order number is kept as the case's external reference, so importing the same file
again creates nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.cases.models import Case, Category, Channel
from civicgrid.hotline import parsing
from civicgrid.hotline.models import HotlineImport, HotlineSource
from civicgrid.open311.parsing import clean_answers
from civicgrid.people import authorization as authz
from civicgrid.portal import casebridge
from civicgrid.portal.selectors import category_questions
from civicgrid.portal.text import similarity
from civicgrid.regions.models import Level, Region

_PHONE = re.compile(r"[0-9+\-() ]{5,20}")
_SUFFIXES = ("街道办事处", "街道", "社区居委会", "居委会", "社区", "村委会", "镇", "乡", "村")
KEYWORD_THRESHOLD = 0.3
QUESTION_PREFIX = "q:"


@dataclass
class RowResult:
    row: int
    order_no: str = ""
    status: str = "error"  # create | exists | error | created
    errors: list[str] = field(default_factory=list)
    category: str = ""
    region: str = ""
    received_at: str = ""
    title: str = ""
    case: str = ""


@dataclass
class _Plan:
    result: RowResult
    category: Category | None = None
    title: str = ""
    content: str = ""
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    region: Region | None = None
    name: str = ""
    phone: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    received_at: dt.datetime | None = None


class _Categories:
    """Hotline category text → Category: the source's mapping, then name or code, then the last part of a
    path (“城市管理/市容环境/占道经营”), then the unique best jieba-keyword match."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.rows = list(Category.objects.filter(is_active=True).order_by("code"))
        self.by_code = {c.code: c for c in self.rows}
        self.by_name: dict[str, list[Category]] = {}
        for row in self.rows:
            self.by_name.setdefault(row.name, []).append(row)
        self.mapping = {str(k).strip(): str(v).strip() for k, v in (mapping or {}).items()}

    def resolve(self, text: str) -> tuple[Category | None, str]:
        text = text.strip()
        if text in self.mapping:
            row = self.by_code.get(self.mapping[text])
            if row is None:
                return None, _("分类对应关系把“%(text)s”对到了不存在或已停用的分类 %(code)s。") % {
                    "text": text,
                    "code": self.mapping[text],
                }
            return row, ""
        candidates = [text, re.split(r"[/>\\|－-]", text)[-1].strip()]
        for candidate in candidates:
            if candidate in self.by_code:
                return self.by_code[candidate], ""
            named = self.by_name.get(candidate, [])
            if len(named) == 1:
                return named[0], ""
        scored = sorted(
            ((similarity(text, f"{c.name} {c.keywords}"), c) for c in self.rows),
            key=lambda pair: -pair[0],
        )
        if scored and scored[0][0] >= KEYWORD_THRESHOLD and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            return scored[0][1], ""
        return None, _("未知分类“%(text)s”：请在数据源的分类对应关系中指定。") % {"text": text[:50]}


class _Places:
    """Address text → the deepest town/village whose name appears in it (unambiguously)."""

    def __init__(self) -> None:
        self.rows = list(
            Region.objects.filter(level__in=[Level.TOWN, Level.VILLAGE]).only(
                "id", "code", "name", "level", "parent_id"
            )
        )
        self.names: list[tuple[str, Region]] = []
        for region in self.rows:
            self.names.append((region.name, region))
            for suffix in _SUFFIXES:
                if region.name.endswith(suffix) and len(region.name) - len(suffix) >= 2:
                    self.names.append((region.name[: -len(suffix)], region))
                    break

    def resolve(self, address: str) -> tuple[Region | None, str]:
        matched = {region.pk: region for name, region in self.names if name and name in address}
        if not matched:
            return None, _("地址无法定位：没有找到镇（街道）或村（社区）名称，也没有经纬度。")
        deepest = max(region.level for region in matched.values())
        best = [r for r in matched.values() if r.level == deepest]
        if len(best) > 1:
            best = [r for r in best if r.parent_id in matched] or best
        if len(best) > 1:
            return None, _("地址有歧义：同时匹配 %(names)s。") % {
                "names": pgettext("列表分隔符", "、").join(sorted({r.name for r in best}))
            }
        return best[0], ""


def _mapping_problems(table: parsing.Table, source: HotlineSource, columns: dict[str, int]) -> list[str]:
    problems = []
    saved = {k: v for k, v in (source.column_mapping or {}).items() if isinstance(v, str)}
    missing_headers = parsing.missing_mapped_headers(table.headers, saved)
    if missing_headers:
        problems.append(
            _("文件缺少对应关系中的列：%(cols)s。") % {"cols": pgettext("列表分隔符", "、").join(missing_headers)}
        )
    for name in parsing.REQUIRED_FIELDS:
        if name not in columns:
            label = parsing.FIELDS[name][0]
            problems.append(_("找不到“%(field)s”列，请在数据源中设置列对应关系。") % {"field": label})
    if "address" not in columns and not {"lon", "lat"} <= set(columns):
        problems.append(_("找不到“事发地址”列（或经度、纬度两列）。"))
    return problems


def _question_columns(table: parsing.Table, source: HotlineSource) -> dict[str, int]:
    index = {header: i for i, header in enumerate(table.headers)}
    result = {}
    for key, header in (source.column_mapping or {}).items():
        if str(key).startswith(QUESTION_PREFIX) and isinstance(header, str) and header in index:
            result[str(key)[len(QUESTION_PREFIX) :]] = index[header]
    return result


def _check_row(
    number: int,
    cells: list[Any],
    columns: dict[str, int],
    questions_at: dict[str, int],
    categories: _Categories,
    places: _Places,
    seen: set[str],
    existing: set[str],
    now: dt.datetime,
) -> _Plan:
    def cell(name: str) -> Any:
        at = columns.get(name)
        return cells[at] if at is not None and at < len(cells) else None

    plan = _Plan(result=RowResult(row=number))
    result, errors = plan.result, plan.result.errors
    order_no = parsing.cell_text(cell("order_no"))
    result.order_no = order_no
    for name in parsing.REQUIRED_FIELDS:
        if not parsing.cell_text(cell(name)):
            errors.append(_("缺少“%(field)s”。") % {"field": parsing.FIELDS[name][0]})
    if order_no and len(order_no) > 64:
        errors.append(_("工单编号过长（最多 64 个字符）。"))
    elif order_no in seen:
        errors.append(_("工单编号 %(no)s 在文件中重复出现。") % {"no": order_no})
    seen.add(order_no)

    raw_time = cell("received_at")
    if parsing.cell_text(raw_time):
        try:
            plan.received_at = parsing.parse_time(raw_time)
            result.received_at = timezone.localtime(plan.received_at).isoformat(timespec="minutes")
            if plan.received_at > now + dt.timedelta(days=1):
                errors.append(_("受理时间在未来：%(text)s。") % {"text": parsing.cell_text(raw_time)})
        except (ValueError, OverflowError):
            errors.append(_("无法识别的时间：%(text)s。") % {"text": parsing.cell_text(raw_time)[:40]})

    category_text = parsing.cell_text(cell("category"))
    if category_text:
        plan.category, problem = categories.resolve(category_text)
        if problem:
            errors.append(problem)
        elif plan.category is not None:
            result.category = f"{plan.category.code} {plan.category.name}"

    plan.content = parsing.cell_text(cell("content"))
    if len(plan.content) > 5000:
        errors.append(_("诉求内容过长（最多 5000 字）。"))
    plan.title = (parsing.cell_text(cell("title")) or plan.content[:30])[:200]
    result.title = plan.title
    plan.address = parsing.cell_text(cell("address"))
    if len(plan.address) > 200:
        errors.append(_("地址过长（最多 200 字）。"))
        plan.address = plan.address[:200]
    _locate(plan, cell("lon"), cell("lat"), places)

    plan.name = parsing.cell_text(cell("caller_name"))[:100]
    plan.phone = parsing.cell_text(cell("caller_phone"))
    if plan.phone and not _PHONE.fullmatch(plan.phone):
        errors.append(_("联系电话格式不正确：%(text)s。") % {"text": plan.phone[:30]})

    if plan.category is not None:
        given = {code: [parsing.cell_text(cells[at])] for code, at in questions_at.items() if at < len(cells)}
        given = {code: [v for v in values if v] for code, values in given.items()}
        try:
            plan.answers = clean_answers(
                category_questions(plan.category), given, error=lambda message: ValidationError(message)
            )
        except ValidationError as exc:
            errors.extend(exc.messages)

    if errors:
        result.status = "error"
    elif order_no in existing:
        result.status = "exists"
    else:
        result.status = "create"
    return plan


def _locate(plan: _Plan, raw_lon: Any, raw_lat: Any, places: _Places) -> None:
    errors = plan.result.errors
    try:
        lon, lat = parsing.parse_coordinate(raw_lon), parsing.parse_coordinate(raw_lat)
    except ValueError:
        errors.append(_("经纬度不是数字。"))
        return
    if (lon is None) != (lat is None):
        errors.append(_("经度和纬度必须同时提供。"))
        return
    if lon is not None and lat is not None:
        from civicgrid.regions.coords import CoordinateError
        from civicgrid.regions.routing import route_point

        try:
            routed = route_point(lon, lat)
        except CoordinateError as exc:
            errors.append(_("经纬度无效：%(error)s") % {"error": pgettext("分句分隔符", "；").join(exc.messages)})
            return
        plan.lon, plan.lat = lon, lat
        chain = routed.regions()
        plan.result.region = chain[-1].name if chain else _("未能定位到网格（交市级中心）")
        return
    if not plan.address:
        errors.append(_("缺少事发地址。"))
        return
    plan.region, problem = places.resolve(plan.address)
    if problem:
        errors.append(problem)
    elif plan.region is not None:
        plan.result.region = plan.region.name


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hotline_import(
    *, source: HotlineSource, data: bytes, filename: str, dry_run: bool, user: Any | None = None
) -> HotlineImport:
    """Check (and unless ``dry_run``, import) a hotline export. Returns the saved run with its per-row report.

    Raises ValidationError when the file as a whole cannot be used (unreadable, required columns missing).
    An import creates all valid rows in one transaction; rows with errors and rows imported before are
    reported, never silently dropped. ``user`` None is the command line.
    """
    if user is not None:
        authz.require(user, "hotline.import")
    try:
        table = parsing.read_table(data, filename)
    except parsing.HotlineFileError as exc:
        raise ValidationError(str(exc), code="file") from exc
    columns = parsing.resolve_mapping(table.headers, source.column_mapping)
    problems = _mapping_problems(table, source, columns)
    if problems:
        raise ValidationError(problems, code="mapping")
    if not table.rows:
        raise ValidationError(_("文件中没有数据行。"), code="empty")

    now = timezone.now()
    order_numbers = [parsing.cell_text(cells[columns["order_no"]]) for _n, cells in table.rows
                     if columns["order_no"] < len(cells)]  # fmt: skip
    existing = set(
        Case.objects.filter(channel=Channel.HOTLINE, external_ref__in=[n for n in order_numbers if n]).values_list(
            "external_ref", flat=True
        )
    )
    categories, places = _Categories(source.category_mapping), _Places()
    questions_at = _question_columns(table, source)
    seen: set[str] = set()
    plans = [
        _check_row(n, cells, columns, questions_at, categories, places, seen, existing, now) for n, cells in table.rows
    ]

    run = HotlineImport(
        source=source,
        file_name=filename[-200:],
        sha256=_sha256(data),
        dry_run=dry_run,
        rows_total=len(plans),
        created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        if not dry_run:
            for plan in plans:
                if plan.result.status == "create":
                    plan.result.case = _create(plan, source).number
                    plan.result.status = "created"
        run.rows_created = sum(p.result.status == "created" for p in plans)
        run.rows_existing = sum(p.result.status == "exists" for p in plans)
        run.rows_invalid = sum(p.result.status == "error" for p in plans)
        run.report = [asdict(p.result) for p in plans]
        run.save()
    return run


def _create(plan: _Plan, source: HotlineSource) -> Case:
    if plan.category is None or plan.received_at is None:  # only rows that passed the checks get here
        raise ValueError(f"row {plan.result.row} was not checked")
    attributes = dict(plan.answers)
    attributes["hotline"] = {
        "source": source.name,
        "order_no": plan.result.order_no,
        "received_at": plan.received_at.isoformat(),
    }
    try:
        return casebridge.create_case(
            channel=Channel.HOTLINE,
            category=plan.category,
            title=plan.title,
            description=plan.content,
            lon=plan.lon,
            lat=plan.lat,
            address=plan.address,
            region=plan.region,
            reporter_name=plan.name,
            reporter_phone=plan.phone,
            anonymous=not (plan.name or plan.phone),
            attributes=attributes,
            external_ref=plan.result.order_no,
            idempotency_key=f"hotline:{plan.result.order_no}",
        )
    except ValidationError as exc:
        # Checked beforehand, so this is unexpected: stop, roll back everything, name the row.
        raise ValidationError(
            _("第 %(row)d 行（工单 %(no)s）无法导入，已全部撤销：%(error)s")
            % {
                "row": plan.result.row,
                "no": plan.result.order_no,
                "error": pgettext("分句分隔符", "；").join(exc.messages),
            }
        ) from exc


def hotline_source_save_mapping(
    *, source: HotlineSource, column_mapping: dict[str, str] | None = None,
    category_mapping: dict[str, str] | None = None, user: Any | None = None,
) -> HotlineSource:  # fmt: skip
    """Replace a source's saved column and/or category mapping (validated shapes only)."""
    if user is not None:
        authz.require(user, "hotline.change", source)
    for name, mapping in (("column_mapping", column_mapping), ("category_mapping", category_mapping)):
        if mapping is None:
            continue
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise ValidationError({name: _("对应关系必须是“名称: 值”的文本对。")})
        if name == "column_mapping":
            unknown = [k for k in mapping if k not in parsing.FIELDS and not k.startswith(QUESTION_PREFIX)]
            if unknown:
                raise ValidationError(
                    {name: _("未知字段：%(names)s。") % {"names": pgettext("列表分隔符", "、").join(unknown)}}
                )
        setattr(source, name, mapping)
    source.save()
    return source
