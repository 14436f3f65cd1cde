"""Forms of the staff workbench: one small form per workflow action, and the form to take in a case.

Every action form carries the case version the page showed (``expected_version``, hidden) so a
concurrent change is caught by the service as a conflict. ``cleaned_data`` keys are the service's
keyword names; the business rules stay in the services.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import selectors
from civicgrid.cases.models import AttachmentPurpose, Case, Category, Channel, Satisfaction
from civicgrid.people.models import Unit, User

TEXT_MAX = 5000


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; each is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if data in (None, "", []):
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def _note(required: bool = False, label: Any = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("说明"),
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ActionForm(forms.Form):
    """Base of the action forms: the hidden version and the user (for lookups that need permission)."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("expected_version", case.version)
        super().__init__(*args, **kwargs)
        self.user = user
        self.case = case

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class NoteForm(ActionForm):
    note = _note()


class ReasonForm(ActionForm):
    reason = _note(required=True, label=_("理由"))


class RegisterForm(NoteForm):
    category = forms.ModelChoiceField(
        label=_("更正分类"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("（不更正）"),
    )


class MergeForm(NoteForm):
    into = forms.CharField(label=_("合并到事件编号"), max_length=32)

    def clean_into(self) -> Case:
        try:
            return selectors.case_get(user=self.user, number=self.cleaned_data["into"].strip())
        except Case.DoesNotExist:
            raise forms.ValidationError(_("目标事件不存在。")) from None


class DispatchForm(NoteForm):
    lead_unit = forms.ModelChoiceField(
        label=_("主办部门"),
        queryset=Unit.objects.filter(is_active=True).order_by("code"),
        required=False,
        empty_label=_("（按分类默认部门）"),
    )
    assisting_units = forms.ModelMultipleChoiceField(
        label=_("协办部门"),
        queryset=Unit.objects.filter(is_active=True).order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_assisting_units(self) -> list[Unit]:
        return list(self.cleaned_data["assisting_units"])


class HandleForm(ActionForm):
    note = _note(required=True, label=_("处置情况"))
    attachments = MultipleFileField(label=_("处置照片或材料"))

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["attachments"] = [(f.name or "", f) for f in data["attachments"]]
        return data


class VerifyForm(ActionForm):
    passed = forms.TypedChoiceField(
        label=_("核查结果"),
        choices=[("1", _("通过")), ("0", _("不通过（返工）"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = _note(label=_("核查说明（不通过时必填）"))
    attachments = MultipleFileField(label=_("核查照片"))

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["attachments"] = [(f.name or "", f) for f in data["attachments"]]
        return data


class FollowUpForm(NoteForm):
    satisfaction = forms.ChoiceField(label=_("群众满意度"), choices=Satisfaction.choices, widget=forms.RadioSelect)


class SummonForm(ActionForm):
    """吹哨 is not a state change and takes no version; the hidden field is kept and ignored."""

    units = forms.ModelMultipleChoiceField(
        label=_("召集部门"),
        queryset=Unit.objects.filter(is_active=True).order_by("code"),
        widget=forms.CheckboxSelectMultiple,
    )
    reason = _note(required=True, label=_("事由"))
    limit_hours = forms.FloatField(
        label=_("报到时限（工作小时，不填用默认）"), required=False, min_value=0.1, max_value=1000
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("expected_version", None)
        data["units"] = list(data["units"])
        return data


class AttachmentForm(ActionForm):
    file = forms.FileField(
        label=_("文件"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )
    purpose = forms.ChoiceField(label=_("用途"), choices=AttachmentPurpose.choices, initial=AttachmentPurpose.OTHER)

    def service_kwargs(self) -> dict[str, Any]:
        upload: UploadedFile = self.cleaned_data["file"]
        return {"filename": upload.name or "", "content": upload, "purpose": self.cleaned_data["purpose"]}


class SummonsReportForm(forms.Form):
    note = _note()


# --- taking in a case ------------------------------------------------------------------------------

STAFF_CHANNELS = [
    (Channel.GRID_PATROL, Channel.GRID_PATROL.label),
    (Channel.WALK_IN, Channel.WALK_IN.label),
    (Channel.HOTLINE, Channel.HOTLINE.label),
    (Channel.RESIDENT, Channel.RESIDENT.label),
]


class CaseCreateForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    category = forms.ModelChoiceField(
        label=_("分类"),
        queryset=Category.objects.filter(is_active=True, children__isnull=True).order_by("code"),
        to_field_name="code",
    )
    channel = forms.ChoiceField(label=_("来源渠道"), choices=STAFF_CHANNELS, initial=Channel.GRID_PATROL)
    description = forms.CharField(
        label=_("描述"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    reporter_name = forms.CharField(label=_("上报人姓名"), required=False, max_length=100)
    reporter_phone = forms.CharField(label=_("上报人电话"), required=False, max_length=40)
    attachments = MultipleFileField(label=_("照片或材料"))
    # A fresh key per rendered form: a double tap on "submit" creates one case, not two.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=40, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)

    def service_kwargs(self, user: User) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        key = data.pop("idempotency_key", "").strip()
        data["idempotency_key"] = f"web:{user.pk}:{key}" if key else None
        data["attachments"] = [(f.name or "", f) for f in data["attachments"]]
        return data


class CaseFilterForm(forms.Form):
    """The list's filters; every field optional (GET)."""

    tier = forms.TypedChoiceField(
        label=_("层级"),
        choices=[("", _("全部层级")), ("1", _("市级")), ("2", _("镇（街道）级")), ("3", _("村（社区）级"))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    region = forms.CharField(label=_("区划代码"), required=False, max_length=20)
    category = forms.ModelChoiceField(
        label=_("分类"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("全部分类"),
    )
    state = forms.ChoiceField(label=_("状态"), required=False)
    deadline = forms.ChoiceField(
        label=_("时限"),
        required=False,
        choices=[("", _("全部")), ("late", _("预警或超时")), ("warning", _("黄色预警")), ("overdue", _("红色超时"))],
    )
    open = forms.BooleanField(label=_("只看未办结"), required=False)
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from civicgrid.cases.models import State

        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("全部状态")), *State.choices]  # type: ignore[attr-defined]

    def clean_region(self) -> Any:
        from civicgrid.regions.models import Region

        code = self.cleaned_data["region"].strip()
        if not code:
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(_("区划代码不存在。"))
        return region

    def selector_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "tier": data.get("tier"),
            "region": data.get("region"),
            "category": data.get("category"),
            "state": data.get("state") or None,
            "deadline": data.get("deadline") or None,
            "open_only": bool(data.get("open")),
            "search": (data.get("q") or "").strip(),
        }


# verb (from selectors.case_actions) → (form, label of the button)
ACTION_FORMS: dict[str, tuple[type[ActionForm], Any]] = {
    "accept": (NoteForm, _("受理")),
    "register": (RegisterForm, _("立案")),
    "reject": (ReasonForm, _("不予立案")),
    "merge": (MergeForm, _("合并为重复件")),
    "dispatch": (DispatchForm, _("派遣")),
    "sign_for": (NoteForm, _("签收")),
    "handle": (HandleForm, _("处置反馈")),
    "verify": (VerifyForm, _("现场核查")),
    "close": (NoteForm, _("结案")),
    "follow_up": (FollowUpForm, _("回访")),
    "reopen": (ReasonForm, _("重新办理")),
    "suspend": (ReasonForm, _("挂起")),
    "resume": (NoteForm, _("恢复")),
    "escalate": (ReasonForm, _("提级上报")),
    "deescalate": (ReasonForm, _("下派")),
    "summon": (SummonForm, _("吹哨召集部门")),
    "attachment_add": (AttachmentForm, _("添加附件")),
}
