"""Serializers of the cases API (/api/v1/cases/): they parse input into the keyword arguments of one
service call and render cases, timelines and attachments. No business rules here: the services decide.

Input serializers' ``validated_data`` keys are the service's keyword names, so a view passes them on.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicgrid.cases import selectors
from civicgrid.cases.models import (
    Attachment,
    AttachmentPurpose,
    Case,
    CaseEvent,
    CaseStage,
    Category,
    CategoryKind,
    Channel,
    Priority,
    Satisfaction,
    Stage,
    State,
    Tier,
)
from civicgrid.cases.selectors import DEADLINE_FILTERS
from civicgrid.core.serializers import CheapFieldCopy
from civicgrid.people.models import Unit
from civicgrid.regions.models import Level, Region

_TEXT_MAX = 5000
VERSION_HELP = _("客户端读到的事件版本号（detail 中的 version）；与当前版本不符时返回 409，需刷新后重试")


# --- small read-only pieces ---------------------------------------------------------------------


# The small nested pieces are plain serializers: a ModelSerializer introspects its model on every
# instantiation, which showed up in the profile of case creation (one detail rendered per request).
# The serializers rendered or parsed on every case creation copy their fields the cheap way (CheapFieldCopy:
# built once per class, no per-instance deepcopy); their fields depend on the class alone.


class CategoryBriefSerializer(CheapFieldCopy, serializers.Serializer[Category]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=CategoryKind.choices, read_only=True)


class CategorySerializer(serializers.ModelSerializer[Category]):
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Category
        fields = ["code", "name", "kind", "parent_code", "default_tier", "severity", "is_public", "extra_questions"]
        read_only_fields = fields


class RegionBriefSerializer(CheapFieldCopy, serializers.Serializer[Region]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    level = serializers.ChoiceField(choices=Level.choices, read_only=True)


class UnitBriefSerializer(CheapFieldCopy, serializers.Serializer[Unit]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text=_("部门类别，如 police、urban_management"))


class ReporterSerializer(serializers.Serializer[Any]):
    """The reporter: masked in lists and detail; unmasked only from the audited reveal endpoint."""

    name = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    anonymous = serializers.BooleanField()
    masked = serializers.BooleanField()


# --- cases ----------------------------------------------------------------------------------------


class CaseListSerializer(CheapFieldCopy, serializers.ModelSerializer[Case]):
    category = CategoryBriefSerializer(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    region = RegionBriefSerializer(read_only=True, help_text=_("当前办理中心所在区划"))
    grid = RegionBriefSerializer(read_only=True, allow_null=True)
    lead_unit = UnitBriefSerializer(read_only=True, allow_null=True)
    reporter = serializers.SerializerMethodField(help_text=_("上报人（脱敏）；无上报人时为 null"))
    stage = serializers.ChoiceField(
        choices=Stage.choices, allow_blank=True, read_only=True, help_text=_("空：无进行中的环节")
    )

    class Meta:
        model = Case
        fields = [
            "number", "title", "category", "channel", "state", "state_label", "tier", "region", "grid",
            "area_code", "lon", "lat", "address", "priority", "stage", "stage_due_at", "deadline_status",
            "lead_unit", "reporter", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ReporterSerializer(allow_null=True))
    def get_reporter(self, obj: Case) -> dict[str, Any] | None:
        return selectors.reporter_masked(obj)


class AttachmentSerializer(CheapFieldCopy, serializers.ModelSerializer[Attachment]):
    url = serializers.SerializerMethodField(help_text=_("下载地址（需能查看该事件）"))

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "purpose", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, obj: Attachment) -> str:
        return reverse("cases-api-attachment", kwargs={"number": obj.case.number, "attachment_id": obj.pk})


class CaseDetailSerializer(CaseListSerializer):
    village = RegionBriefSerializer(read_only=True, allow_null=True)
    town = RegionBriefSerializer(read_only=True, allow_null=True)
    city = RegionBriefSerializer(read_only=True)
    owner = serializers.SerializerMethodField(help_text=_("当前责任人姓名"))
    merged_into = serializers.CharField(source="merged_into.number", read_only=True, allow_null=True, default=None)
    tags = serializers.SerializerMethodField()
    attributes = serializers.JSONField(read_only=True)
    actions = serializers.SerializerMethodField(
        help_text=_("当前用户此刻可执行的操作，如 accept、register、dispatch、verify、summon、attachment_add")
    )
    attachments = serializers.SerializerMethodField()
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, allow_blank=True, read_only=True)
    suspended_from_state = serializers.ChoiceField(choices=State.choices, allow_blank=True, read_only=True)

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "description", "location_status", "village", "town", "city", "owner", "external_ref",
            "accepted_at", "registered_at", "closed_at", "satisfaction", "reject_reason", "merged_into",
            "rework_count", "reopen_count", "escalation_count", "stage_started_at", "stage_warn_at",
            "suspended_from_state", "tags", "attributes", "actions", "attachments",
        ]  # fmt: skip
        read_only_fields = fields

    def get_owner(self, obj: Case) -> str | None:
        owner = obj.owner
        return (owner.get_full_name() or owner.get_username()) if owner is not None else None

    def get_actions(self, obj: Case) -> list[str]:
        request = self.context.get("request")
        return selectors.case_actions(user=request.user, case=obj) if request is not None else []

    def _known_empty(self, relation: str) -> bool:
        # A case just created without tags or files: spare the query (one round trip each, per request).
        return relation in self.context.get("empty_relations", ())

    def get_tags(self, obj: Case) -> list[str]:
        if self._known_empty("tags"):
            return []
        return [tag.name for tag in obj.tags.all()]

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, obj: Case) -> list[dict[str, Any]]:
        if self._known_empty("attachments"):
            return []
        rows = obj.attachments.order_by("uploaded_at", "id")
        return list(AttachmentSerializer(rows, many=True, context=self.context).data)


class CaseEventSerializer(serializers.ModelSerializer[CaseEvent]):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    actor = serializers.CharField(source="actor_name", read_only=True, help_text=_("操作人姓名，或“系统”“群众”"))
    region = serializers.CharField(source="region.code", read_only=True, allow_null=True, default=None)
    unit = UnitBriefSerializer(read_only=True, allow_null=True)
    from_state = serializers.ChoiceField(choices=State.choices, allow_blank=True, read_only=True)
    to_state = serializers.ChoiceField(choices=State.choices, allow_blank=True, read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id", "at", "action", "action_label", "actor", "from_state", "to_state", "from_tier", "to_tier",
            "region", "unit", "note", "data",
        ]  # fmt: skip
        read_only_fields = fields


class CaseStageSerializer(serializers.ModelSerializer[CaseStage]):
    region = serializers.CharField(source="region.code", read_only=True)
    unit = UnitBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CaseStage
        fields = [
            "stage", "tier", "region", "unit", "started_at", "limit_amount", "limit_unit", "warn_at", "due_at",
            "ended_at", "end_action", "working_seconds_spent", "on_time", "warned", "overdue", "estimated",
        ]  # fmt: skip
        read_only_fields = fields


# --- input: list filters -----------------------------------------------------------------------


class CaseFilterSerializer(serializers.Serializer[Any]):
    """Query parameters of the case list (all optional; they combine with AND)."""

    tier = serializers.ChoiceField(choices=Tier.choices, required=False, help_text=_("办理层级：1 市，2 镇，3 村"))
    region = serializers.CharField(required=False, max_length=20, help_text=_("区划代码：事发地在其范围内"))
    category = serializers.CharField(required=False, max_length=32, help_text=_("分类代码（含下级分类）"))
    state = serializers.MultipleChoiceField(choices=State.choices, required=False, help_text=_("状态，可重复"))
    deadline = serializers.ChoiceField(
        choices=sorted(DEADLINE_FILTERS), required=False, help_text=_("时限：warning 黄色，overdue 红色，late 两者")
    )
    open = serializers.BooleanField(required=False, default=False, help_text=_("只列未办结的事件"))
    q = serializers.CharField(required=False, max_length=100, allow_blank=True, help_text=_("按编号、标题、地址搜索"))

    def validate_region(self, value: str) -> Region:
        region = Region.objects.filter(code=value).first()
        if region is None:
            raise serializers.ValidationError(_("区划代码不存在。"))
        return region

    def validate_category(self, value: str) -> Category:
        category = Category.objects.filter(code=value).first()
        if category is None:
            raise serializers.ValidationError(_("事件分类不存在。"))
        return category

    def selector_kwargs(self) -> dict[str, Any]:
        data = self.validated_data
        return {
            "tier": int(data["tier"]) if data.get("tier") else None,
            "region": data.get("region"),
            "category": data.get("category"),
            "state": sorted(data["state"]) if data.get("state") else None,
            "deadline": data.get("deadline") or None,
            "open_only": bool(data.get("open")),
            "search": (data.get("q") or "").strip(),
        }


# --- input: create -------------------------------------------------------------------------------


class CaseCreateSerializer(CheapFieldCopy, serializers.Serializer[Any]):
    """A new case taken in by staff (grid patrol, walk-in) or a trusted system (hotline, sensor)."""

    title = serializers.CharField(max_length=200)
    category = serializers.CharField(max_length=32, help_text=_("分类代码，见 /api/v1/cases/categories/"))
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.GRID_PATROL)
    description = serializers.CharField(max_length=_TEXT_MAX, required=False, allow_blank=True, default="")
    lon = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    crs = serializers.ChoiceField(
        choices=["wgs84", "gcj02", "bd09"], default="wgs84", help_text=_("坐标系：wgs84、gcj02、bd09")
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    reporter_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    reporter_phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    reporter_email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    anonymous = serializers.BooleanField(required=False, default=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_null=True, default=None)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=20
    )
    attributes = serializers.DictField(required=False, default=dict, help_text=_("分类的附加问题的回答"))
    external_ref = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=30,
        help_text=_("图片或 PDF（multipart/form-data 上传）"),
    )  # fmt: skip
    idempotency_key = serializers.CharField(
        max_length=80, required=False, allow_blank=True, default="",
        help_text=_("幂等键（也可用请求头 Idempotency-Key）：同一用户同一键只建一件，重复请求返回原事件"),
    )  # fmt: skip


# --- input: transitions ----------------------------------------------------------------------------


class _Versioned(serializers.Serializer[Any]):
    expected_version = serializers.IntegerField(min_value=1, max_value=2_147_483_647, help_text=VERSION_HELP)


class NoteSerializer(_Versioned):
    note = serializers.CharField(max_length=_TEXT_MAX, required=False, allow_blank=True, default="")


class ReasonSerializer(_Versioned):
    reason = serializers.CharField(max_length=_TEXT_MAX)


class RegisterSerializer(NoteSerializer):
    category = serializers.CharField(
        max_length=32, required=False, allow_null=True, default=None, help_text=_("立案时更正分类（分类代码）")
    )


class MergeSerializer(NoteSerializer):
    into = serializers.CharField(max_length=32, help_text=_("合并到的事件编号"))

    def validate_into(self, value: str) -> Case:
        try:
            return selectors.case_get(user=self.context["request"].user, number=value)
        except Case.DoesNotExist:
            raise serializers.ValidationError(_("目标事件不存在。")) from None


class DispatchSerializer(NoteSerializer):
    lead_unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), required=False, allow_null=True, default=None,
        help_text=_("主办部门编码；不填时按分类的默认部门类别选取负责事发地的部门"),
    )  # fmt: skip
    assisting_units = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), many=True, required=False, default=list,
        help_text=_("协办部门编码"),
    )  # fmt: skip


class _WithFiles(serializers.Serializer[Any]):
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=30,
        help_text=_("图片或 PDF（multipart/form-data 上传）"),
    )  # fmt: skip


class HandleSerializer(_Versioned, _WithFiles):
    note = serializers.CharField(max_length=_TEXT_MAX, help_text=_("处置情况"))


class VerifySerializer(_Versioned, _WithFiles):
    passed = serializers.BooleanField(help_text=_("核查是否通过；不通过时须填写说明，事件返工"))
    note = serializers.CharField(max_length=_TEXT_MAX, required=False, allow_blank=True, default="")


class FollowUpSerializer(NoteSerializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)


class DeescalateSerializer(ReasonSerializer):
    to_region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True, default=None,
        help_text=_("下派到的区划代码；不填时为下一级有综治中心的区划"),
    )  # fmt: skip


class SummonSerializer(serializers.Serializer[Any]):
    units = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), many=True, help_text=_("召集的部门编码")
    )
    reason = serializers.CharField(max_length=_TEXT_MAX)
    limit_hours = serializers.FloatField(
        required=False, allow_null=True, default=None, min_value=0.1, max_value=1000,
        help_text=_("报到时限（工作小时）；不填用默认值"),
    )  # fmt: skip


class SummonsReportSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=_TEXT_MAX, required=False, allow_blank=True, default="")


class AttachmentUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text=_("JPEG、PNG、WebP 图片或 PDF；按内容判断类型"))
    purpose = serializers.ChoiceField(choices=AttachmentPurpose.choices, default=AttachmentPurpose.OTHER)


# --- responses ----------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class ConflictSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(help_text=_("该事件已被他人更新，请刷新后重试。"))
    code = serializers.ChoiceField(choices=["conflict"])
    current_version = serializers.IntegerField(allow_null=True)


class SummonsUnitSerializer(serializers.Serializer[Any]):
    unit = serializers.CharField(help_text=_("部门编码"))
    unit_name = serializers.CharField()
    due_at = serializers.DateTimeField()
    reported_at = serializers.DateTimeField(allow_null=True)
    on_time = serializers.BooleanField(allow_null=True)
    late = serializers.BooleanField()


class SummonsSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    units = SummonsUnitSerializer(many=True)
