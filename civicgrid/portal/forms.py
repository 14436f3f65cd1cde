"""Forms of the public portal: parsing and checking what a resident sends, with messages they understand."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civicgrid.cases.attachments import sniff_type
from civicgrid.cases.models import Satisfaction
from civicgrid.open311.parsing import clean_answers
from civicgrid.portal.models import PortalSettings
from civicgrid.portal.selectors import category_questions, public_category

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


class ContactFields(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名（可不填）"), max_length=50, required=False)
    phone = forms.RegexField(
        label=gettext_lazy("电话（可不填）"),
        regex=r"^[0-9+\-() ]{5,20}$",
        required=False,
        error_messages={"invalid": gettext_lazy("电话号码格式不正确。")},
    )
    email = forms.EmailField(
        label=gettext_lazy("电子邮箱（可不填，用于接收进度）"),
        max_length=254,
        required=False,
        error_messages={"invalid": gettext_lazy("电子邮箱格式不正确。")},
    )
    anonymous = forms.BooleanField(label=gettext_lazy("匿名反映"), required=False)


def _coordinate(value: Any, low: float, high: float, name: str) -> float | None:
    if value in (None, ""):
        return None
    if not isinstance(value, float) or not math.isfinite(value) or not low <= value <= high:
        raise ValidationError(_("%(name)s超出范围。") % {"name": name}, code="coordinates")
    return value


class ReportForm(ContactFields):
    category = forms.CharField(max_length=32, error_messages={"required": gettext_lazy("请选择问题分类。")})
    lon = forms.FloatField(required=False, error_messages={"invalid": gettext_lazy("经度必须是数字。")})
    lat = forms.FloatField(required=False, error_messages={"invalid": gettext_lazy("纬度必须是数字。")})
    address = forms.CharField(label=gettext_lazy("地址或位置描述"), max_length=200, required=False)
    title = forms.CharField(label=gettext_lazy("标题（可不填）"), max_length=100, required=False)
    description = forms.CharField(
        label=gettext_lazy("问题描述"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("请描述问题。")},
    )
    idem = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, files_list: list[UploadedFile] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.knobs = PortalSettings.current()
        self.files_list = files_list or []
        self.photos: list[tuple[str, bytes]] = []
        self.answers: dict[str, Any] = {}
        self.category_row: Any = None

    def clean_category(self) -> Any:
        row = public_category(self.cleaned_data["category"])
        if row is None:
            raise ValidationError(_("请选择一个有效的问题分类。"), code="category")
        self.category_row = row
        return row

    def clean_description(self) -> str:
        text = self.cleaned_data["description"].strip()
        if len(text) > self.knobs.description_max_chars:
            raise ValidationError(
                ngettext("问题描述最多 %(n)d 个字。", "问题描述最多 %(n)d 个字。", self.knobs.description_max_chars)
                % {"n": self.knobs.description_max_chars},
                code="too_long",
            )
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lon = _coordinate(data.get("lon"), -180, 180, _("经度"))
        lat = _coordinate(data.get("lat"), -90, 90, _("纬度"))
        if (lon is None) != (lat is None):
            raise ValidationError(_("请在地图上点选位置，或只填写地址。"), code="coordinates")
        if lon is None and not (data.get("address") or "").strip():
            raise ValidationError(_("请在地图上标出位置，或填写地址。"), code="location")
        if self.category_row is not None:
            given = {
                question["code"]: [v for v in self._values(f"q_{question['code']}") if v.strip()]
                for question in category_questions(self.category_row)
            }
            self.answers = clean_answers(
                category_questions(self.category_row), given, error=lambda message: ValidationError(message)
            )
        self.photos = clean_photos(self.files_list, self.knobs)
        return data

    def _values(self, name: str) -> list[str]:
        getlist = getattr(self.data, "getlist", None)
        if getlist is not None:
            return [str(v) for v in getlist(name)]
        value = self.data.get(name)
        return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value is not None else [])


def clean_photos(files: list[UploadedFile], knobs: PortalSettings) -> list[tuple[str, bytes]]:
    """Count, size and real type (from the bytes, not the name) of the photos; the cases service then
    re-encodes them, which drops EXIF (location, device)."""
    if len(files) > knobs.max_photos:
        raise ValidationError(
            ngettext("最多上传 %(n)d 张照片。", "最多上传 %(n)d 张照片。", knobs.max_photos) % {"n": knobs.max_photos},
            code="photo_count",
        )
    result = []
    for upload in files:
        if upload.size is not None and upload.size > knobs.photo_max_bytes:
            raise ValidationError(
                _("照片“%(name)s”过大：每张最多 %(mb).1f MB。")
                % {"name": (upload.name or "")[:60], "mb": knobs.photo_max_bytes / 1024 / 1024},
                code="photo_size",
            )
        data = upload.read(knobs.photo_max_bytes + 1)
        if len(data) > knobs.photo_max_bytes:
            raise ValidationError(_("照片过大。"), code="photo_size")
        if sniff_type(data[:16]) not in IMAGE_TYPES:
            raise ValidationError(
                _("“%(name)s”不是 JPEG、PNG 或 WebP 图片。") % {"name": (upload.name or "")[:60]}, code="photo_type"
            )
        result.append(((upload.name or "photo")[-100:], data))
    return result


class JoinForm(ContactFields):
    case = forms.CharField(max_length=32)


class InfoForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("补充说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("申请提级的理由"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(label=gettext_lazy("您对办理结果"), choices=Satisfaction.choices)
    note = forms.CharField(label=gettext_lazy("意见（可不填）"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return _("提交的内容有误。")
