"""Disputes (矛盾纠纷): screening rounds (排查), the mediator roster, and the mediation record on a
dispute case — parties, risk, sessions, outcome, written agreement, performance follow-up.

A dispute IS a case (``cases.Case`` whose category has kind ``dispute``); ``Mediation`` sits on top of
it one-to-one. Every write goes through ``services.py``. Thresholds, keywords and reminder lead times
are rows (``RiskRule``, ``RiskKeyword``, ``DisputeSetting``), seeded by migration and editable.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Case, Category, Tier
from civicgrid.core.crypto import EncryptedTextField
from civicgrid.regions.models import Region

from . import identity

# --- configuration as data ------------------------------------------------------------------------


class DisputeSetting(models.Model):
    """One named knob (key → JSON value): reminder lead times, the court-confirmation window, who is alerted."""

    key = models.SlugField(_("参数"), max_length=64, unique=True)
    value = models.JSONField(_("值"))
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("调解参数")
        verbose_name_plural = _("调解参数")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


# Defaults if a database lacks a row (the migration seeds the same values as editable rows).
SETTING_DEFAULTS: dict[str, Any] = {
    "court_confirmation_window_days": 30,
    "court_confirmation_remind_days_before": 7,
    "performance_remind_days_before": 3,
    "performance_follow_up_days_after": 1,
    "alert_unit_kinds": ["police"],
    "high_risk_alert": True,
    "high_risk_escalate": True,
    "high_risk_min_tier": 2,
    "committee_name_format": "{region}人民调解委员会",
    "reminder_batch": 200,
}


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


RISK_ORDER = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class RiskSignal(models.TextChoices):
    KEYWORDS = "keywords", _("言语中有暴力或自伤倾向")
    GROUP = "group", _("群体性纠纷（一方当事人人数较多）")
    REPEATED = "repeated", _("同一当事人之间反复发生纠纷")
    FAILED_BEFORE = "failed_before", _("此前调解未成")
    AMOUNT = "amount", _("涉及金额较大")


class RiskRule(models.Model):
    """A signal that raises a dispute's risk by itself, and what then happens at once."""

    signal = models.CharField(_("风险信号"), max_length=32, choices=RiskSignal.choices, unique=True)
    enabled = models.BooleanField(_("启用"), default=True)
    level = models.CharField(_("风险等级提升至"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.HIGH)
    threshold = models.PositiveIntegerField(
        _("阈值"),
        null=True,
        blank=True,
        help_text=_("群体性：一方当事人人数；反复纠纷：此前纠纷次数；金额：元"),
    )
    window_days = models.PositiveIntegerField(_("回溯天数"), null=True, blank=True, help_text=_("空表示不限"))
    escalate = models.BooleanField(_("立即自动提级"), default=False)
    alert = models.BooleanField(_("立即通知镇（街道）中心和公安联络人"), default=False)

    class Meta:
        verbose_name = _("风险规则")
        verbose_name_plural = _("风险规则")
        ordering = ["signal"]

    def __str__(self) -> str:
        return self.get_signal_display()


class KeywordKind(models.TextChoices):
    VIOLENCE = "violence", _("暴力")
    SELF_HARM = "self_harm", _("自伤")


class RiskKeyword(models.Model):
    """A word that signals threats of violence or self-harm (matched after jieba tokenisation)."""

    word = models.CharField(_("关键词"), max_length=20, unique=True)
    kind = models.CharField(_("类别"), max_length=16, choices=KeywordKind.choices)
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("风险关键词")
        verbose_name_plural = _("风险关键词")
        ordering = ["kind", "word"]

    def __str__(self) -> str:
        return self.word


# --- screening (排查) ---------------------------------------------------------------------------


class ScreeningKind(models.TextChoices):
    REGULAR = "regular", _("例行排查")
    SPECIAL = "special", _("专项排查")


class ScreeningRound(models.Model):
    """A round a center schedules for every grid in its region (e.g. monthly, or before a holiday)."""

    region = models.ForeignKey(Region, verbose_name=_("组织中心所在区划"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=ScreeningKind.choices, default=ScreeningKind.REGULAR)
    period_start = models.DateField(_("排查开始日期"))
    period_end = models.DateField(_("排查结束日期"))
    due_date = models.DateField(_("报送截止日期"))
    note = models.TextField(_("要求"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("发起时间"), default=timezone.now)

    class Meta:
        verbose_name = _("排查轮次")
        verbose_name_plural = _("排查轮次")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="screening_period"),
        ]

    def __str__(self) -> str:
        return self.title


class ScreeningStatus(models.TextChoices):
    PENDING = "pending", _("未报送")
    NONE_FOUND = "none_found", _("未发现纠纷")
    FOUND = "found", _("发现纠纷")


class ScreeningReport(models.Model):
    """One grid's answer in one round: the disputes found, or "none found", with the date screened."""

    round = models.ForeignKey(
        ScreeningRound, verbose_name=_("排查轮次"), on_delete=models.CASCADE, related_name="reports"
    )
    grid = models.ForeignKey(Region, verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("报送情况"), max_length=16, choices=ScreeningStatus.choices, default=ScreeningStatus.PENDING
    )
    screened_on = models.DateField(_("排查日期"), null=True, blank=True)
    found_count = models.PositiveIntegerField(_("发现纠纷数"), default=0)
    note = models.TextField(_("说明"), blank=True)
    reported_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("网格排查报送")
        verbose_name_plural = _("网格排查报送")
        ordering = ["round", "grid__code"]
        constraints = [models.UniqueConstraint(fields=["round", "grid"], name="screening_report_unique_grid")]
        indexes = [models.Index(fields=["round", "status"], name="screening_report_status")]

    def __str__(self) -> str:
        return f"{self.round_id} {self.grid_id} {self.status}"


# --- the roster of mediators ----------------------------------------------------------------


class MediatorKind(models.TextChoices):
    PEOPLES_MEDIATOR = "peoples_mediator", _("人民调解员")
    LEGAL_ADVISOR = "legal_advisor", _("村（居）法律顾问")
    LEGAL_UNDERSTANDING = "legal_understanding", _("法律明白人")
    ELDER = "elder", _("五老乡贤")


class Mediator(models.Model):
    """One person on the roster, with the regions they serve; may or may not have an account."""

    name = models.CharField(_("姓名"), max_length=100)
    kind = models.CharField(_("类别"), max_length=32, choices=MediatorKind.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("系统账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mediator_profile",
    )
    organisation = models.CharField(_("所在组织"), max_length=100, blank=True, help_text=_("如调委会、律师事务所"))
    phone = models.CharField(_("工作电话"), max_length=40, blank=True)
    regions = models.ManyToManyField(Region, verbose_name=_("服务区域"), related_name="+")
    categories = models.ManyToManyField(
        Category, verbose_name=_("擅长纠纷类型"), blank=True, related_name="+", help_text=_("空表示各类纠纷")
    )
    is_active = models.BooleanField(_("在册"), default=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员名册")
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return str(_("%(name)s（%(kind)s）") % {"name": self.name, "kind": self.get_kind_display()})


# --- the mediation record ---------------------------------------------------------------------


class Outcome(models.TextChoices):
    OPEN = "open", _("调解中")
    AGREEMENT = "agreement", _("调解成功")
    NO_AGREEMENT = "no_agreement", _("调解不成")
    TERMINATED = "terminated", _("终止调解")


CONCLUDED_OUTCOMES = frozenset({Outcome.AGREEMENT, Outcome.NO_AGREEMENT, Outcome.TERMINATED})


class AgreementForm(models.TextChoices):
    ORAL = "oral", _("口头协议")
    WRITTEN = "written", _("书面协议")


class Referral(models.TextChoices):
    LITIGATION = "litigation", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    ADMIN_RECONSIDERATION = "admin_reconsideration", _("行政复议")
    PETITIONS = "petitions", _("信访")
    OTHER = "other", _("其他途径")


class PerformanceStatus(models.TextChoices):
    FULL = "full", _("已全部履行")
    PARTIAL = "partial", _("部分履行")
    NONE = "none", _("未履行")


class Mediation(models.Model):
    """The mediation record of one dispute case (调解卷宗)."""

    case = models.OneToOneField(Case, verbose_name=_("事件"), on_delete=models.PROTECT, related_name="mediation")
    screening_report = models.ForeignKey(
        ScreeningReport,
        verbose_name=_("排查来源"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    amount_involved = models.DecimalField(
        _("涉及金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    people_involved = models.PositiveIntegerField(_("涉及人数"), default=0)
    facts = models.TextField(_("纠纷事实"), blank=True)
    points_in_dispute = models.TextField(_("争议焦点"), blank=True)

    # Risk: the computed level is the higher of the mediator's judgment and the signals' levels.
    risk_level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW)
    risk_judged_level = models.CharField(
        _("调解员研判等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    risk_judged_reason = models.TextField(_("研判理由"), blank=True)
    risk_reasons = models.JSONField(_("风险因素"), default=list, blank=True)
    risk_assessed_at = models.DateTimeField(_("研判时间"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("已预警时间"), null=True, blank=True)
    risk_escalated_at = models.DateTimeField(_("风险提级时间"), null=True, blank=True)

    lead_mediator = models.ForeignKey(
        Mediator, verbose_name=_("主持调解员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    co_mediators = models.ManyToManyField(Mediator, verbose_name=_("协助调解员"), blank=True, related_name="+")

    outcome = models.CharField(_("调解结果"), max_length=16, choices=Outcome.choices, default=Outcome.OPEN)
    outcome_at = models.DateTimeField(_("结果时间"), null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结果登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The tier and center that held the case when the outcome was reached (小事不出村、大事不出镇).
    outcome_tier = models.PositiveSmallIntegerField(_("化解层级"), choices=Tier.choices, null=True, blank=True)
    outcome_region = models.ForeignKey(
        Region, verbose_name=_("化解中心区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreement_form = models.CharField(_("协议形式"), max_length=8, choices=AgreementForm.choices, blank=True)
    terminated_reason = models.TextField(_("终止理由"), blank=True)
    referral = models.CharField(_("告知的其他途径"), max_length=32, choices=Referral.choices, blank=True)
    referral_note = models.TextField(_("引导说明"), blank=True)

    # The written agreement (Art. 29) — oral agreements keep the terms too (Art. 28: recorded).
    agreement_number = models.CharField(_("协议书编号"), max_length=40, null=True, blank=True, unique=True)
    committee_name = models.CharField(_("调解委员会"), max_length=100, blank=True)
    responsibilities = models.TextField(_("各方责任"), blank=True)
    terms = models.TextField(_("协议内容"), blank=True)
    performance_manner = models.CharField(_("履行方式"), max_length=200, blank=True)
    performance_deadline = models.DateField(_("履行期限"), null=True, blank=True)
    agreement_signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    court_confirmation_wanted = models.BooleanField(_("当事人拟申请司法确认"), default=False)
    court_confirmation_deadline = models.DateField(_("司法确认申请截止"), null=True, blank=True)
    court_confirmation_applied_on = models.DateField(_("已申请司法确认日期"), null=True, blank=True)

    performance_status = models.CharField(_("履行情况"), max_length=8, choices=PerformanceStatus.choices, blank=True)
    performance_checked_at = models.DateTimeField(_("履行回访时间"), null=True, blank=True)

    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["outcome", "risk_level"], name="mediation_outcome_risk"),
            models.Index(fields=["outcome_at"], name="mediation_outcome_at"),
            models.Index(fields=["created_at"], name="mediation_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome=Outcome.OPEN) | Q(outcome_at__isnull=False), name="mediation_outcome_has_time"
            ),
        ]

    def __str__(self) -> str:
        return str(self.case)

    @property
    def is_open(self) -> bool:
        return self.outcome == Outcome.OPEN


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")
    THIRD_PARTY = "third_party", _("第三人")


class PartyKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("法人或其他组织")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Party(models.Model):
    """A party (当事人). ID numbers and phones are ciphertext at rest, masked unless revealed (audited)."""

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("调解记录"), on_delete=models.CASCADE, related_name="parties"
    )
    role = models.CharField(_("地位"), max_length=16, choices=PartyRole.choices)
    kind = models.CharField(_("类型"), max_length=16, choices=PartyKind.choices, default=PartyKind.PERSON)
    name = models.CharField(_("姓名或名称"), max_length=100)
    sex = models.CharField(_("性别"), max_length=8, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    age = models.PositiveSmallIntegerField(_("年龄"), null=True, blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True, context="disputes.party.phone")
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number = EncryptedTextField(_("身份证号码"), blank=True, context="disputes.party.id_number")
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    representative = models.CharField(_("法定代表人或负责人"), max_length=100, blank=True)
    # "Same party" across disputes: the ID-number index, else the credit code, else the phone index.
    identity_key = models.CharField(max_length=80, blank=True, db_index=True, editable=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["mediation", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return identity.mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return identity.mask_phone(self.phone)


class MediationSession(models.Model):
    """One sitting (调解记录): when and where, who attended, what was said, the next step."""

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("调解记录"), on_delete=models.CASCADE, related_name="sessions"
    )
    held_at = models.DateTimeField(_("调解时间"))
    place = models.CharField(_("调解地点"), max_length=200)
    attended_parties = models.ManyToManyField(Party, verbose_name=_("到场当事人"), blank=True, related_name="+")
    attended_mediators = models.ManyToManyField(Mediator, verbose_name=_("参加调解员"), blank=True, related_name="+")
    other_attendees = models.CharField(_("其他参加人"), max_length=300, blank=True)
    record = models.TextField(_("调解情况"), blank=True)
    next_step = models.TextField(_("下一步"), blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True, help_text=_("空表示尚未举行（已预约）"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("调解会")
        verbose_name_plural = _("调解会")
        ordering = ["held_at", "id"]
        indexes = [models.Index(fields=["held_at"], name="mediation_session_held")]

    def __str__(self) -> str:
        return f"{self.mediation_id} {self.held_at:%Y-%m-%d %H:%M}"


class DocumentKind(models.TextChoices):
    AGREEMENT = "agreement", _("调解协议书")
    SIGNED_SCAN = "signed_scan", _("签字盖章扫描件")


def _document_path(instance: MediationDocument, filename: str) -> str:
    now = timezone.now()
    return f"disputes/{now:%Y/%m}/{filename}"


class MediationDocument(models.Model):
    """A generated agreement PDF or the signed scan attached back."""

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("调解记录"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=DocumentKind.choices)
    file = models.FileField(_("文件"), upload_to=_document_path, max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("调解文书")
        verbose_name_plural = _("调解文书")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class PerformanceCheck(models.Model):
    """A follow-up on whether the agreement was performed (履行回访)."""

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("调解记录"), on_delete=models.CASCADE, related_name="performance_checks"
    )
    checked_on = models.DateField(_("回访日期"))
    status = models.CharField(_("履行情况"), max_length=8, choices=PerformanceStatus.choices)
    note = models.TextField(_("回访情况"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("履行回访")
        verbose_name_plural = _("履行回访")
        ordering = ["checked_on", "id"]

    def __str__(self) -> str:
        return f"{self.mediation_id} {self.checked_on} {self.status}"


class ReminderKind(models.TextChoices):
    PERFORMANCE_DUE = "performance_due", _("履行期限将至")
    PERFORMANCE_FOLLOW_UP = "performance_follow_up", _("履行情况待回访")
    COURT_CONFIRMATION = "court_confirmation", _("司法确认申请期限将至")


class MediationReminder(models.Model):
    """A reminder that falls due at ``due_at``; the worker sends each once (``jobs.py``)."""

    mediation = models.ForeignKey(
        Mediation, verbose_name=_("调解记录"), on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("类型"), max_length=32, choices=ReminderKind.choices)
    due_at = models.DateTimeField(_("提醒时间"))
    sent_at = models.DateTimeField(_("已提醒时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调解提醒")
        verbose_name_plural = _("调解提醒")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["mediation", "kind"], name="mediation_reminder_unique_kind")]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="mediation_reminder_due",
                condition=Q(sent_at__isnull=True, cancelled_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.mediation_id} {self.kind} {self.due_at:%Y-%m-%d}"


class AgreementCounter(models.Model):
    """The yearly sequence behind agreement numbers, per committee (the center region holding the case)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="agreement_counter_unique_year")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year} {self.last}"
