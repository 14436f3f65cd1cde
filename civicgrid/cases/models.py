"""Cases (事件/案件) and the closed loop they run through: categories, the transition table, stages
with working-time deadlines, the append-only timeline, dispatch, summons (吹哨) and attachments.

Every write goes through ``services.py``; this module holds data, invariants and the tables that say
what may follow what (``TRANSITIONS``) and which stage a state belongs to (``STAGE_OF_STATE``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.people.models import Unit
from civicgrid.regions.models import Level, Region


class CaseConflict(Exception):
    """The case changed since the caller read it (another person acted first): reload and retry.

    The API maps it to HTTP 409.
    """

    def __init__(self, message: str = "", *, current_version: int | None = None) -> None:
        super().__init__(message or str(_("该事件已被他人更新，请刷新后重试。")))
        self.current_version = current_version


# --- code tables ------------------------------------------------------------------------------


class CategoryKind(models.TextChoices):
    EVENT = "event", _("城市管理事件")
    COMPONENT = "component", _("城市管理部件")
    DISPUTE = "dispute", _("矛盾纠纷")
    ERRAND = "errand", _("民生代办")
    HAZARD = "hazard", _("安全隐患")
    HOTLINE = "hotline", _("热线诉求")


class Tier(models.IntegerChoices):
    """The tier that owns a case: the level of the center whose queue it is in (a subset of Level)."""

    CITY = Level.CITY, _("市级")
    TOWN = Level.TOWN, _("镇（街道）级")
    VILLAGE = Level.VILLAGE, _("村（社区）级")


class Severity(models.TextChoices):
    LOW = "low", _("一般")
    MEDIUM = "medium", _("较重")
    HIGH = "high", _("严重")
    CRITICAL = "critical", _("特别严重")


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("工作小时")
    DAYS = "days", _("工作日")


class Stage(models.TextChoices):
    """A stretch of the loop with its own time limit; a CaseStage row records each run of one."""

    ACCEPT = "accept", _("受理立案")  # reported → accepted → registered → dispatched, by the center
    SIGN_FOR = "sign_for", _("签收")  # dispatched, waiting for the lead unit to sign for it
    HANDLE = "handle", _("处置")  # signed for, the unit works it (again after a failed verification)
    VERIFY = "verify", _("核查")  # handled, waiting for the grid worker's on-site check
    CLOSE = "close", _("结案")  # verified, waiting for the center to close it
    FOLLOW_UP = "follow_up", _("回访")  # closed, waiting for the follow-up with the resident


def _limit_fields(label: Any, amount: str, unit: str) -> tuple[models.DecimalField, models.CharField]:
    return (
        models.DecimalField(
            label,
            max_digits=6,
            decimal_places=1,
            default=Decimal(amount),
            validators=[MinValueValidator(Decimal("0.1"))],
        ),
        models.CharField(_("时限单位"), max_length=8, choices=TimeUnit.choices, default=unit),
    )


class Category(models.Model):
    """A hierarchical, coded class of case (事件分类) with its defaults. Editable data; seeds are defaults."""

    code = models.CharField(_("分类代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级分类"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(_("大类"), max_length=16, choices=CategoryKind.choices)
    description = models.TextField(_("说明"), blank=True)
    default_tier = models.PositiveSmallIntegerField(_("默认办理层级"), choices=Tier.choices, default=Tier.VILLAGE)
    lead_unit_kind = models.CharField(
        _("默认主办部门类别"),
        max_length=32,
        blank=True,
        help_text=_("部门类别，如 urban_management；派遣时解析为负责事发地的具体部门"),
    )
    accept_limit, accept_limit_unit = _limit_fields(_("受理立案时限"), "4", TimeUnit.HOURS)
    sign_for_limit, sign_for_limit_unit = _limit_fields(_("签收时限"), "2", TimeUnit.HOURS)
    handle_limit, handle_limit_unit = _limit_fields(_("处置时限"), "5", TimeUnit.DAYS)
    verify_limit, verify_limit_unit = _limit_fields(_("核查时限"), "1", TimeUnit.DAYS)
    close_limit, close_limit_unit = _limit_fields(_("结案时限"), "1", TimeUnit.DAYS)
    follow_up_limit, follow_up_limit_unit = _limit_fields(_("回访时限"), "3", TimeUnit.DAYS)
    severity = models.CharField(_("严重程度"), max_length=16, choices=Severity.choices, default=Severity.LOW)
    is_public = models.BooleanField(_("向群众开放"), default=True, help_text=_("群众上报时可选此分类"))
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    # Open311 "service definition" attributes: [{code, label, datatype, required, values}].
    extra_questions = models.JSONField(_("附加问题"), default=list, blank=True)
    # Words residents use for this kind of problem: Open311 ``keywords`` and the hotline's category matcher.
    keywords = models.CharField(_("关键词"), max_length=200, blank=True, help_text=_("逗号分隔"))

    class Meta:
        verbose_name = _("事件分类")
        verbose_name_plural = _("事件分类")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def keyword_list(self) -> list[str]:
        """The keywords, distinct, in order (full-width commas, 、 and semicolons also separate)."""
        words = re.split(r"[,，、;；]", self.keywords or "")
        return list(dict.fromkeys(w.strip() for w in words if w.strip()))

    def limit(self, stage: str) -> tuple[Decimal, str]:
        """(amount, unit) of a stage's time limit."""
        return getattr(self, f"{stage}_limit"), getattr(self, f"{stage}_limit_unit")

    EXTRA_QUESTION_TYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.default_tier not in Tier.values:
            errors["default_tier"] = _("默认办理层级必须是市、镇（街道）或村（社区）。")
        for stage in Stage.values:
            amount, unit = self.limit(stage)
            if unit == TimeUnit.DAYS and amount is not None and amount != amount.to_integral_value():
                errors[f"{stage}_limit"] = _("以工作日计的时限必须是整数。")
        questions = self.extra_questions
        if not isinstance(questions, list):
            errors["extra_questions"] = _("附加问题必须是列表。")
        else:
            for index, item in enumerate(questions, start=1):
                if not isinstance(item, dict) or not item.get("code") or not item.get("label"):
                    errors["extra_questions"] = _("第 %(n)d 个附加问题缺少 code 或 label。") % {"n": index}
                    break
                if item.get("datatype", "string") not in self.EXTRA_QUESTION_TYPES:
                    errors["extra_questions"] = _("第 %(n)d 个附加问题的 datatype 无效。") % {"n": index}
                    break
                if item.get("datatype") in {"singlevaluelist", "multivaluelist"} and not item.get("values"):
                    errors["extra_questions"] = _("第 %(n)d 个附加问题是列表类型，必须给出 values。") % {"n": index}
                    break
        node = self.parent
        seen = {self.pk}
        while node is not None:
            if node.pk in seen:
                errors["parent"] = _("上级分类不能形成循环。")
                break
            seen.add(node.pk)
            node = node.parent
        if errors:
            raise ValidationError(errors)


class CaseSettings(models.Model):
    """City-wide knobs of the loop (one row, pk=1): warning share, auto-escalation margin, attachments.

    Per-stage time limits live on the categories; these are the shared thresholds.
    """

    warn_share = models.DecimalField(
        _("预警比例"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("0.99"))],
        help_text=_("已用工作时间达到时限的此比例时黄色预警"),
    )
    auto_escalate = models.BooleanField(_("超时自动提级"), default=True)
    auto_escalate_margin_hours = models.DecimalField(
        _("超时自动提级宽限（工作小时）"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    summons_report_hours = models.DecimalField(
        _("吹哨报到时限（工作小时）"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    attachment_max_bytes = models.PositiveIntegerField(_("附件大小上限（字节）"), default=10 * 1024 * 1024)
    attachment_max_pixels = models.PositiveIntegerField(_("图片像素上限"), default=40_000_000)
    attachment_max_per_case = models.PositiveIntegerField(_("每个事件附件数上限"), default=30)
    sweep_batch = models.PositiveIntegerField(_("每轮巡检处理条数"), default=2000)
    resident_reopen_limit = models.PositiveSmallIntegerField(
        _("群众不满意自动重新办理上限（次）"),
        default=1,
        help_text=_(
            "群众在线评价不满意时，事件累计重新办理次数未达此数则自动退回重新办理；"
            "达到后只通知办理中心研判。0 表示从不自动重新办理"
        ),
    )

    class Meta:
        verbose_name = _("办理参数")
        verbose_name_plural = _("办理参数")

    def __str__(self) -> str:
        return str(_("办理参数"))

    @classmethod
    def current(cls) -> CaseSettings:
        """The one row (created with defaults if a database lacks it)."""
        row, _created = cls.objects.get_or_create(pk=1)
        return row


# --- the workflow -----------------------------------------------------------------------------


class State(models.TextChoices):
    REPORTED = "reported", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    REGISTERED = "registered", _("已立案")
    REJECTED = "rejected", _("不予立案")
    MERGED = "merged", _("已合并")
    DISPATCHED = "dispatched", _("已派遣")
    SIGNED = "signed", _("已签收")
    HANDLED = "handled", _("已处置")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    FOLLOWED_UP = "followed_up", _("已回访")
    SUSPENDED = "suspended", _("已挂起")


PREVIOUS_STATE = "(previous)"  # resume returns to the state the case was suspended in

S = State
# state → {action: next state}. Escalation hands a case in the unit's hands back to a center one
# tier up (or down), which dispatches it again; in intake states it keeps its state.
TRANSITIONS: dict[str, dict[str, str]] = {
    S.REPORTED: {
        "accept": S.ACCEPTED, "reject": S.REJECTED, "merge": S.MERGED,
        "escalate": S.REPORTED, "deescalate": S.REPORTED, "suspend": S.SUSPENDED,
    },
    S.ACCEPTED: {
        "register": S.REGISTERED, "reject": S.REJECTED, "merge": S.MERGED,
        "escalate": S.ACCEPTED, "deescalate": S.ACCEPTED, "suspend": S.SUSPENDED,
    },
    S.REGISTERED: {
        "dispatch": S.DISPATCHED, "escalate": S.REGISTERED, "deescalate": S.REGISTERED, "suspend": S.SUSPENDED,
    },
    S.DISPATCHED: {
        "sign_for": S.SIGNED, "dispatch": S.DISPATCHED,
        "escalate": S.REGISTERED, "deescalate": S.REGISTERED, "suspend": S.SUSPENDED,
    },
    S.SIGNED: {"handle": S.HANDLED, "escalate": S.REGISTERED, "deescalate": S.REGISTERED, "suspend": S.SUSPENDED},
    S.HANDLED: {"verify_pass": S.VERIFIED, "verify_fail": S.SIGNED, "suspend": S.SUSPENDED},
    S.VERIFIED: {"close": S.CLOSED},
    S.CLOSED: {"follow_up": S.FOLLOWED_UP},
    S.FOLLOWED_UP: {"reopen": S.REGISTERED},  # only after a "dissatisfied" follow-up
    S.SUSPENDED: {"resume": PREVIOUS_STATE},
    S.REJECTED: {},
    S.MERGED: {},
}  # fmt: skip

STAGE_OF_STATE: dict[str, str | None] = {
    S.REPORTED: Stage.ACCEPT,
    S.ACCEPTED: Stage.ACCEPT,
    S.REGISTERED: Stage.ACCEPT,
    S.DISPATCHED: Stage.SIGN_FOR,
    S.SIGNED: Stage.HANDLE,
    S.HANDLED: Stage.VERIFY,
    S.VERIFIED: Stage.CLOSE,
    S.CLOSED: Stage.FOLLOW_UP,
    S.FOLLOWED_UP: None,
    S.REJECTED: None,
    S.MERGED: None,
    S.SUSPENDED: None,  # keeps the stage it was suspended in
}

TERMINAL_STATES = frozenset({S.REJECTED, S.MERGED, S.FOLLOWED_UP})
# Open = someone still owes work on it (for lists and reports).
OPEN_STATES = frozenset(set(State.values) - {S.REJECTED, S.MERGED, S.CLOSED, S.FOLLOWED_UP})


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("来访")
    GRID_PATROL = "grid_patrol", _("网格巡查")
    RESIDENT = "resident", _("群众网上/电话上报")
    HOTLINE = "hotline", _("12345热线")
    OPEN311 = "open311", _("Open311")
    SENSOR = "sensor", _("感知设备")


# Channels through which a case may arrive without a staff user behind it.
PUBLIC_CHANNELS = frozenset({Channel.RESIDENT, Channel.HOTLINE, Channel.OPEN311, Channel.SENSOR})


class Priority(models.IntegerChoices):
    URGENT = 1, _("紧急")
    HIGH = 2, _("高")
    NORMAL = 3, _("一般")
    LOW = 4, _("低")


class DeadlineStatus(models.TextChoices):
    OK = "ok", _("正常")
    YELLOW = "yellow", _("黄色预警")
    RED = "red", _("红色超时")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class LocationStatus(models.TextChoices):
    INSIDE = "inside", _("落入网格")
    SNAPPED = "snapped", _("就近归入网格")
    UNROUTED = "unrouted", _("未能定位到网格")
    NONE = "none", _("未提供位置")


# --- cases ------------------------------------------------------------------------------------


class Reporter(models.Model):
    """Who reported a case: personal data, kept apart, masked in lists, every unmasked view audited.

    A case has one first reporter (``Case.reporter``, who filed it) and any number of residents who added
    their voice (附议) or whose duplicate was merged into it: all of them are ``case.reporters``
    (``joined`` marks the latter). Reporters are told of progress; they never appear in timelines.
    """

    case = models.ForeignKey(
        "Case", verbose_name=_("事件"), null=True, blank=True, on_delete=models.CASCADE, related_name="reporters"
    )
    joined = models.BooleanField(_("附议"), default=False, help_text=_("后来附议，或随重复件合并而来"))
    name = models.CharField(_("姓名"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    anonymous = models.BooleanField(
        _("匿名"), default=False, help_text=_("匿名上报只保留用于接收办理进度的邮箱，不保存姓名和电话")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("上报人")
        verbose_name_plural = _("上报人")

    def __str__(self) -> str:
        return str(_("上报人 #%(id)s")) % {"id": self.pk}


class Tag(models.Model):
    name = models.CharField(_("标签"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarApplied(models.Model):
    """Which version of the working calendar the running stages' deadlines were last computed on (one row;
    ``cases.deadlines_refresh`` recomputes them when the calendar's version differs)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    stamp = models.CharField(max_length=64, blank=True)  # the version fully applied
    # A pass in progress: the version it applies and the last stage id it has done (passes are cut into
    # time-boxed runs so that the worker's other jobs are not held up by a calendar change).
    pass_stamp = models.CharField(max_length=64, blank=True)
    cursor = models.BigIntegerField(default=0)
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("已应用的工作日历版本")
        verbose_name_plural = _("已应用的工作日历版本")

    def __str__(self) -> str:
        return f"{self.stamp[:12]} @ {self.applied_at:%Y-%m-%d %H:%M}"


class CaseCounter(models.Model):
    """The daily sequence behind case numbers: one row per (county code, local date)."""

    county_code = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county_code", "day"], name="case_counter_unique_day")]

    def __str__(self) -> str:
        return f"{self.county_code}-{self.day:%Y%m%d}: {self.last}"


class Case(models.Model):
    number = models.CharField(_("事件编号"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    category = models.ForeignKey(Category, verbose_name=_("分类"), on_delete=models.PROTECT, related_name="cases")
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="cases")
    # Answers to the category's extra questions and any source-specific attributes (Open311).
    attributes = models.JSONField(_("附加信息"), default=dict, blank=True)
    external_ref = models.CharField(_("外部编号"), max_length=64, blank=True, help_text=_("如12345工单号"))

    # Where: WGS-84 point + address, routed to grid → village → town → city.
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    location_status = models.CharField(
        _("定位结果"), max_length=16, choices=LocationStatus.choices, default=LocationStatus.NONE
    )
    grid = models.ForeignKey(
        Region,
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    village = models.ForeignKey(
        Region,
        verbose_name=_("村（社区）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    town = models.ForeignKey(
        Region,
        verbose_name=_("镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    city = models.ForeignKey(
        Region, verbose_name=_("市（县）"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Code of the deepest region the case lies in: "in my subtree" is one prefix match, no joins.
    area_code = models.CharField(_("所在区划代码"), max_length=20, editable=False)

    # Who holds it now: the tier and the region of the center whose queue it is in.
    tier = models.PositiveSmallIntegerField(_("办理层级"), choices=Tier.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("当前办理中心所在区划"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("当前责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("首问责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("主办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The first reporter, who filed it (everyone who reported it: ``reporters``). Erasing a reporter's
    # data leaves the case without one; deleting a case deletes its reporters.
    reporter = models.ForeignKey(
        Reporter,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    # The loop.
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.REPORTED)
    suspended_from_state = models.CharField(_("挂起前状态"), max_length=16, choices=State.choices, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        db_index=False,
    )
    reject_reason = models.TextField(_("不予立案理由"), blank=True)
    satisfaction = models.CharField(_("回访满意度"), max_length=16, choices=Satisfaction.choices, blank=True)
    rework_count = models.PositiveIntegerField(_("返工次数"), default=0)
    reopen_count = models.PositiveIntegerField(_("重新办理次数"), default=0)
    escalation_count = models.PositiveIntegerField(_("提级次数"), default=0)
    registered_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    # The running stage's clock, copied from its CaseStage row so lists filter without joins.
    stage = models.CharField(_("当前环节"), max_length=16, choices=Stage.choices, blank=True)
    stage_started_at = models.DateTimeField(_("环节开始"), null=True, blank=True)
    stage_warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    stage_due_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    stage_escalate_at = models.DateTimeField(_("自动提级时间"), null=True, blank=True)
    deadline_status = models.CharField(
        _("时限状态"), max_length=8, choices=DeadlineStatus.choices, default=DeadlineStatus.OK
    )
    # The earliest of warn/due/escalate still ahead; NULL when nothing is pending (suspended, closed).
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    # NULL = no key given; the partial unique constraint below indexes only the keyed rows.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)  # noqa: DJ001
    created_at = models.DateTimeField(_("上报时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        ordering = ["-created_at", "-id"]
        # Every index costs on every update of a case (the sweep updates thousands at once), so rows
        # are indexed only where a query needs them: partial indexes keep the idle majority out.
        indexes = [
            models.Index(fields=["region", "state"], name="case_region_state"),
            models.Index(fields=["area_code"], name="case_area", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["created_at"], name="case_created"),
            models.Index(
                fields=["next_check_at"], name="case_next_check", condition=models.Q(next_check_at__isnull=False)
            ),
            models.Index(
                fields=["deadline_status", "region"], name="case_late", condition=~models.Q(deadline_status="ok")
            ),
            models.Index(
                fields=["lead_unit", "state"], name="case_lead_unit", condition=models.Q(lead_unit__isnull=False)
            ),
            models.Index(fields=["grid"], name="case_to_verify", condition=models.Q(state="handled")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                name="case_idempotency_key",
                condition=models.Q(idempotency_key__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["reporter"], name="case_one_reporter", condition=models.Q(reporter__isnull=False)
            ),
        ]

    # Not a column: case_create sets it on a case it returns for an idempotency key it had already seen.
    replayed: bool = False

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def effective_state(self) -> str:
        """The state the work is in: for a suspended case, the state it was suspended in."""
        return self.suspended_from_state if self.state == State.SUSPENDED else self.state

    def allowed_actions(self) -> list[str]:
        """Workflow actions the transition table allows from the current state (not permissions)."""
        return list(TRANSITIONS[self.state])


class Action(models.TextChoices):
    """What a timeline row records."""

    CREATE = "create", _("上报")
    ACCEPT = "accept", _("受理")
    REGISTER = "register", _("立案")
    REJECT = "reject", _("不予立案")
    MERGE = "merge", _("合并为重复件")
    MERGED_IN = "merged_in", _("合并进入重复件")
    DISPATCH = "dispatch", _("派遣")
    SIGN_FOR = "sign_for", _("签收")
    HANDLE = "handle", _("处置反馈")
    VERIFY_PASS = "verify_pass", _("核查通过")
    VERIFY_FAIL = "verify_fail", _("核查不通过（返工）")
    CLOSE = "close", _("结案")
    FOLLOW_UP = "follow_up", _("回访")
    REOPEN = "reopen", _("重新办理")
    SUSPEND = "suspend", _("挂起")
    RESUME = "resume", _("恢复")
    ESCALATE = "escalate", _("提级")
    AUTO_ESCALATE = "auto_escalate", _("超时自动提级")
    DEESCALATE = "deescalate", _("下派")
    ESCALATION_REQUEST = "escalation_request", _("群众申请提级")
    SUMMON = "summon", _("吹哨")
    SUMMONS_REPORT = "summons_report", _("部门报到")
    SUMMONS_LATE = "summons_late", _("部门报到超时")
    WARNING = "warning", _("黄色预警")
    OVERDUE = "overdue", _("红色超时")
    DEADLINE_RECOMPUTED = "deadline_recomputed", _("按新日历重算时限")
    ATTACHMENT = "attachment", _("添加附件")
    REPORTER_ADDED = "reporter_added", _("群众附议")
    INFO_ADDED = "info_added", _("群众补充信息")
    RISK_ESCALATE = "risk_escalate", _("高风险自动提级")
    MEDIATION = "mediation", _("调解")  # data["step"] says which: assigned, session, outcome, agreement, …
    RISK = "risk", _("风险研判")


# Rows other apps may append to a case's timeline without changing its state (case_event_append).
ANNOTATION_ACTIONS = frozenset({Action.MEDIATION, Action.RISK})
# What the system may escalate as (case_escalate_by_system): overdue, or a high-risk dispute.
SYSTEM_ESCALATE_ACTIONS = frozenset({Action.AUTO_ESCALATE, Action.RISK_ESCALATE})


class CaseEvent(models.Model):
    """One row of a case's timeline (流转记录). Append-only."""

    # Indexed once, by (case, at): the timeline is read per case; reports go through CaseStage.
    case = models.ForeignKey(
        Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="events", db_index=False
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True, help_text=_("系统或群众操作时为说明文字"))
    action = models.CharField(_("操作"), max_length=32, choices=Action.choices)
    from_state = models.CharField(_("原状态"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=State.choices, blank=True)
    from_tier = models.PositiveSmallIntegerField(_("原层级"), choices=Tier.choices, null=True, blank=True)
    to_tier = models.PositiveSmallIntegerField(_("新层级"), choices=Tier.choices, null=True, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("办理中心区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("the case timeline is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("the case timeline is append-only")


class CaseStage(models.Model):
    """One run of one stage: its deadline and, once ended, the working time spent and whether on time."""

    case = models.ForeignKey(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    tier = models.PositiveSmallIntegerField(_("层级"), choices=Tier.choices)
    region = models.ForeignKey(Region, verbose_name=_("办理中心区划"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Unit, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("开始"))
    limit_amount = models.DecimalField(_("时限"), max_digits=6, decimal_places=1)
    limit_unit = models.CharField(_("时限单位"), max_length=8, choices=TimeUnit.choices)
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    escalate_at = models.DateTimeField(_("自动提级时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束"), null=True, blank=True)
    end_action = models.CharField(_("结束操作"), max_length=32, blank=True)
    working_seconds_allowed = models.FloatField(_("时限（工作秒）"), null=True, blank=True)
    working_seconds_spent = models.FloatField(_("用时（工作秒）"), null=True, blank=True)
    on_time = models.BooleanField(_("按期"), null=True, blank=True)
    estimated = models.BooleanField(_("跨越无日历年份（估算）"), default=False)
    # Set when the run ends (the sweep marks the case, not the run): did it pass its warning / due time?
    warned = models.BooleanField(_("曾黄色预警"), default=False)
    overdue = models.BooleanField(_("曾超时"), default=False)

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["stage", "ended_at"], name="case_stage_report"),
            # Running stages whose deadline was estimated (few): refreshed when the calendar gets the year.
            models.Index(
                fields=["id"],
                condition=models.Q(ended_at__isnull=True, estimated=True),
                name="case_stage_estimated_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage} {self.started_at:%Y-%m-%d %H:%M}"


class SuspensionPeriod(models.Model):
    """A suspension (挂起): the clock stops between started_at and ended_at."""

    case = models.ForeignKey(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="suspensions")
    from_state = models.CharField(_("挂起前状态"), max_length=16, choices=State.choices)
    reason = models.TextField(_("挂起理由"))
    started_at = models.DateTimeField(_("开始"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("挂起人"), on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(_("结束"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("恢复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("挂起记录")
        verbose_name_plural = _("挂起记录")
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.started_at:%Y-%m-%d %H:%M}"


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    ASSIST = "assist", _("协办")


class CaseAssignment(models.Model):
    """A unit a case was dispatched to (派遣), as lead (主办) or assisting (协办) unit."""

    case = models.ForeignKey(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("角色"), max_length=8, choices=AssignmentRole.choices)
    dispatched_at = models.DateTimeField(_("派遣时间"))
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("派遣人"), on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("处置反馈时间"), null=True, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("派遣记录")
        verbose_name_plural = _("派遣记录")
        ordering = ["dispatched_at", "id"]
        indexes = [models.Index(fields=["unit", "active"], name="case_assignment_unit")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.unit_id} ({self.role})"


class Summons(models.Model):
    """A town or street center summons departments to a case (吹哨); each must report (报到) in time."""

    case = models.ForeignKey(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="summonses")
    region = models.ForeignKey(Region, verbose_name=_("吹哨中心区划"), on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("事由"))
    created_at = models.DateTimeField(_("吹哨时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("吹哨人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = _("吹哨")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.created_at:%Y-%m-%d %H:%M}"


class SummonsUnit(models.Model):
    """One summoned department and its report for duty (报到)."""

    summons = models.ForeignKey(Summons, verbose_name=_("吹哨"), on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("报到时限"))
    reported_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报到人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("报到说明"), blank=True)
    on_time = models.BooleanField(_("按时报到"), null=True, blank=True)
    # Set by the sweep when the limit passed without a report (the center is told once).
    late_marked_at = models.DateTimeField(_("标记迟到时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报到部门")
        verbose_name_plural = _("报到部门")
        ordering = ["summons", "unit"]
        constraints = [models.UniqueConstraint(fields=["summons", "unit"], name="summons_unit_unique")]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="summons_unit_pending",
                condition=models.Q(reported_at__isnull=True, late_marked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.summons_id} {self.unit_id}"

    def is_late(self, now: Any = None) -> bool:
        """Reported after the limit, or not reported and the limit has passed."""
        if self.reported_at is not None:
            return self.reported_at > self.due_at
        return (now or timezone.now()) > self.due_at


class EscalationRequest(models.Model):
    """A resident's own request to escalate: always recorded and routed up, never refused."""

    case = models.ForeignKey(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="escalation_requests")
    at = models.DateTimeField(_("申请时间"), default=timezone.now)
    reason = models.TextField(_("理由"), blank=True)
    from_tier = models.PositiveSmallIntegerField(_("原层级"), choices=Tier.choices)
    routed_to = models.ForeignKey(Region, verbose_name=_("转至"), on_delete=models.PROTECT, related_name="+")
    escalated = models.BooleanField(_("已提级"), default=False, help_text=_("否：已在最高层级或已办结，已转交处理"))

    class Meta:
        verbose_name = _("群众提级申请")
        verbose_name_plural = _("群众提级申请")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.at:%Y-%m-%d %H:%M}"


class AttachmentPurpose(models.TextChoices):
    REPORT = "report", _("上报材料")
    EVIDENCE = "evidence", _("处置证明")
    VERIFICATION = "verification", _("核查照片")
    OTHER = "other", _("其他")


def _attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"cases/{now:%Y/%m}/{filename}"


class Attachment(models.Model):
    """An image or PDF on a case; type from the content bytes, images re-encoded without EXIF."""

    case = models.ForeignKey(Case, verbose_name=_("事件"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=_attachment_path, max_length=200)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    purpose = models.CharField(
        _("用途"), max_length=16, choices=AttachmentPurpose.choices, default=AttachmentPurpose.REPORT
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name or self.file.name
