"""Forms of the dispute pages: they parse and shape input; the services validate and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Category, CategoryKind
from civicgrid.regions.models import Region

from .models import (
    AgreementForm,
    Mediator,
    Outcome,
    Party,
    PartyKind,
    PartyRole,
    PerformanceStatus,
    Referral,
    RiskLevel,
    ScreeningKind,
    Sex,
)
from .services import LOCAL_TZ, PartyData


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


def dispute_categories() -> Any:
    return Category.objects.filter(kind=CategoryKind.DISPUTE, is_active=True, parent__isnull=False).order_by(
        "sort_order", "code"
    )


def aware(value: dt.datetime) -> dt.datetime:
    """A datetime typed on the page (local time) as an aware datetime."""
    return value if timezone.is_aware(value) else value.replace(tzinfo=LOCAL_TZ)


class PartyForm(forms.Form):
    role = forms.ChoiceField(label=_("地位"), choices=PartyRole.choices)
    kind = forms.ChoiceField(label=_("类型"), choices=PartyKind.choices, initial=PartyKind.PERSON)
    name = forms.CharField(label=_("姓名或名称"), max_length=100)
    sex = forms.ChoiceField(label=_("性别"), choices=[("", "—"), *Sex.choices], required=False)
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=DateInput)
    age = forms.IntegerField(label=_("年龄"), required=False, min_value=0, max_value=150)
    phone = forms.CharField(label=_("联系电话"), max_length=40, required=False)
    id_number = forms.CharField(label=_("身份证号码"), max_length=30, required=False)
    address = forms.CharField(label=_("住址"), max_length=200, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=30, required=False)
    representative = forms.CharField(label=_("法定代表人或负责人"), max_length=100, required=False)


def party_data(form: PartyForm) -> PartyData:
    data = form.cleaned_data
    return PartyData(
        role=data["role"],
        kind=data["kind"],
        name=data["name"],
        sex=data.get("sex") or "",
        birth_date=data.get("birth_date"),
        age=data.get("age"),
        phone=data.get("phone") or "",
        id_number=data.get("id_number") or "",
        address=data.get("address") or "",
        credit_code=data.get("credit_code") or "",
        representative=data.get("representative") or "",
    )


class FoundDisputeForm(forms.Form):
    """One dispute found in screening, with the two main parties; more parties go on the dispute page."""

    category = forms.ModelChoiceField(label=_("纠纷类型"), queryset=Category.objects.none())
    title = forms.CharField(label=_("标题"), max_length=200)
    facts = forms.CharField(label=_("纠纷事实"), widget=forms.Textarea(attrs={"rows": 3}))
    points_in_dispute = forms.CharField(label=_("争议焦点"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    amount_involved = forms.DecimalField(label=_("涉及金额（元）"), required=False, min_value=0, decimal_places=2)
    people_involved = forms.IntegerField(label=_("涉及人数"), required=False, min_value=0)
    applicant_name = forms.CharField(label=_("申请人"), max_length=100)
    applicant_phone = forms.CharField(label=_("申请人电话"), max_length=40, required=False)
    respondent_name = forms.CharField(label=_("被申请人"), max_length=100)
    respondent_phone = forms.CharField(label=_("被申请人电话"), max_length=40, required=False)
    address = forms.CharField(label=_("纠纷发生地"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = dispute_categories()  # type: ignore[attr-defined]


class ScreeningReportForm(forms.Form):
    screened_on = forms.DateField(label=_("排查日期"), widget=DateInput)
    none_found = forms.BooleanField(label=_("未发现矛盾纠纷"), required=False)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ScreeningRoundForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=ScreeningKind.choices)
    region = forms.ModelChoiceField(label=_("区域"), queryset=Region.objects.none())
    period_start = forms.DateField(label=_("排查开始日期"), widget=DateInput)
    period_end = forms.DateField(label=_("排查结束日期"), widget=DateInput)
    due_date = forms.DateField(label=_("报送截止日期"), widget=DateInput)
    note = forms.CharField(label=_("要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions if regions is not None else Region.objects.none()  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    lead = forms.ModelChoiceField(label=_("主持调解员"), queryset=Mediator.objects.none())
    co_mediators = forms.ModelMultipleChoiceField(
        label=_("协助调解员"), queryset=Mediator.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, mediators: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = mediators if mediators is not None else Mediator.objects.none()
        self.fields["lead"].queryset = queryset  # type: ignore[attr-defined]
        self.fields["co_mediators"].queryset = queryset  # type: ignore[attr-defined]


class SessionForm(forms.Form):
    held_at = forms.DateTimeField(label=_("调解时间"), widget=DateTimeInput)
    place = forms.CharField(label=_("调解地点"), max_length=200)
    attended_parties = forms.ModelMultipleChoiceField(
        label=_("到场当事人"), queryset=Party.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_attendees = forms.CharField(label=_("其他参加人"), max_length=300, required=False)
    record = forms.CharField(label=_("调解情况"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    next_step = forms.CharField(label=_("下一步"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, parties: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended_parties"].queryset = parties if parties is not None else Party.objects.none()  # type: ignore[attr-defined]


class RiskForm(forms.Form):
    level = forms.ChoiceField(label=_("调解员研判等级"), choices=RiskLevel.choices)
    reason = forms.CharField(label=_("研判理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("调解结果"), choices=[c for c in Outcome.choices if c[0] != Outcome.OPEN])
    form = forms.ChoiceField(label=_("协议形式"), choices=[("", "—"), *AgreementForm.choices], required=False)
    responsibilities = forms.CharField(label=_("各方责任"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    terms = forms.CharField(label=_("协议内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    performance_manner = forms.CharField(label=_("履行方式"), max_length=200, required=False)
    performance_deadline = forms.DateField(label=_("履行期限"), required=False, widget=DateInput)
    court_confirmation_wanted = forms.BooleanField(label=_("当事人拟申请司法确认"), required=False)
    referral = forms.ChoiceField(label=_("告知的其他途径"), choices=[("", "—"), *Referral.choices], required=False)
    referral_note = forms.CharField(label=_("引导说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    terminated_reason = forms.CharField(label=_("终止理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SignedScanForm(forms.Form):
    file = forms.FileField(label=_("签字盖章扫描件（PDF或图片）"))
    signed_on = forms.DateField(label=_("签订日期"), widget=DateInput)


class CourtConfirmationForm(forms.Form):
    wanted = forms.BooleanField(label=_("当事人拟申请司法确认"), required=False)
    applied_on = forms.DateField(label=_("已共同申请的日期"), required=False, widget=DateInput)


class PerformanceForm(forms.Form):
    checked_on = forms.DateField(label=_("回访日期"), widget=DateInput)
    status = forms.ChoiceField(label=_("履行情况"), choices=PerformanceStatus.choices)
    note = forms.CharField(label=_("回访情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FiguresForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), widget=DateInput)
    end = forms.DateField(label=_("结束日期"), widget=DateInput)
    region = forms.ModelChoiceField(label=_("区域"), queryset=Region.objects.none(), required=False)
    group_by = forms.ChoiceField(
        label=_("分组"),
        required=False,
        choices=[
            ("", _("不分组")),
            ("region", _("下级区域")),
            ("tier", _("层级")),
            ("category", _("纠纷类型")),
            ("month", _("月份")),
        ],
    )

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions if regions is not None else Region.objects.none()  # type: ignore[attr-defined]
