"""/api/v1/disputes/: the mediation record of dispute cases (parties masked), sessions, outcome, the
agreement PDF download, the audited reveal of a party's ID number and phone, and the figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civicgrid.people import authorization as authz
from civicgrid.regions.models import Region

from . import selectors, services
from .models import Mediation, MediationDocument, MediationSession, Party


class PartySerializer(serializers.ModelSerializer[Party]):
    """A party with the ID number and phone masked (reveal them through the ``reveal`` action)."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = Party
        fields = [
            "id", "role", "kind", "name", "sex", "birth_date", "age", "phone", "id_number", "address",
            "credit_code", "representative",
        ]  # fmt: skip
        read_only_fields = fields


class RevealedPartySerializer(serializers.Serializer[Any]):
    party_id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.CharField()
    phone = serializers.CharField()


class SessionSerializer(serializers.ModelSerializer[MediationSession]):
    attended_parties = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]
    attended_mediators = serializers.StringRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = MediationSession
        fields = [
            "id", "held_at", "place", "attended_parties", "attended_mediators", "other_attendees", "record",
            "next_step", "recorded_at",
        ]  # fmt: skip
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer[MediationDocument]):
    download = serializers.SerializerMethodField()

    class Meta:
        model = MediationDocument
        fields = ["id", "kind", "content_type", "size", "sha256", "created_at", "download"]
        read_only_fields = fields

    def get_download(self, document: MediationDocument) -> str:
        return f"/api/v1/disputes/{document.mediation.case.number}/documents/{document.pk}/download/"


class MediationListSerializer(serializers.ModelSerializer[Mediation]):
    number = serializers.CharField(source="case.number", read_only=True)
    title = serializers.CharField(source="case.title", read_only=True)
    category = serializers.CharField(source="case.category.code", read_only=True)
    tier = serializers.IntegerField(source="case.tier", read_only=True)
    lead_mediator = serializers.StringRelatedField(read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Mediation
        fields = [
            "number", "title", "category", "tier", "risk_level", "outcome", "lead_mediator", "created_at",
            "outcome_at",
        ]  # fmt: skip
        read_only_fields = fields


class MediationSerializer(MediationListSerializer):
    parties = PartySerializer(many=True, read_only=True)
    sessions = SessionSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    co_mediators = serializers.StringRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta(MediationListSerializer.Meta):
        fields = [
            *MediationListSerializer.Meta.fields,
            "amount_involved", "people_involved", "facts", "points_in_dispute", "risk_reasons", "co_mediators",
            "parties", "sessions", "outcome_tier", "agreement_form", "terminated_reason", "referral",
            "referral_note", "agreement_number", "committee_name", "responsibilities", "terms",
            "performance_manner", "performance_deadline", "agreement_signed_on", "court_confirmation_wanted",
            "court_confirmation_deadline", "court_confirmation_applied_on", "performance_status", "documents",
        ]  # fmt: skip
        read_only_fields = fields


class FiguresSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    screened = serializers.IntegerField()
    found_by_screening = serializers.IntegerField()
    mediated = serializers.IntegerField()
    agreed = serializers.IntegerField()
    agreed_written = serializers.IntegerField()
    no_agreement = serializers.IntegerField()
    terminated = serializers.IntegerField()
    referred = serializers.IntegerField()
    performance_checked = serializers.IntegerField()
    performed = serializers.IntegerField()
    resolved_in_village = serializers.IntegerField()
    resolved_in_town = serializers.IntegerField()
    success_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    performance_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    village_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    town_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)


class FiguresQuerySerializer(serializers.Serializer[Any]):
    start = serializers.DateField()
    end = serializers.DateField()
    region = serializers.CharField(required=False, help_text=_("区划代码，默认为全部可见范围"))
    group_by = serializers.ChoiceField(choices=[g for g in selectors.GROUPINGS if g], required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("结束日期不能早于开始日期。")})
        if attrs["end"] - attrs["start"] > dt.timedelta(days=3700):
            raise serializers.ValidationError({"end": _("统计期间不能超过十年。")})
        return attrs


@extend_schema_view(
    list=extend_schema(
        summary=_("我可见的调解记录"),
        parameters=[
            OpenApiParameter("outcome", OpenApiTypes.STR, description=_("open、agreement、no_agreement、terminated")),
            OpenApiParameter("risk", OpenApiTypes.STR, description=_("low、medium、high")),
        ],
    ),
    retrieve=extend_schema(summary=_("一件纠纷的调解记录（当事人信息已脱敏）")),
)
class MediationViewSet(viewsets.ReadOnlyModelViewSet[Mediation]):
    """Mediation records by case number; parties are always masked here."""

    lookup_field = "case__number"
    lookup_url_kwarg = "number"
    queryset = Mediation.objects.none()

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return MediationListSerializer if self.action == "list" else MediationSerializer

    def get_queryset(self) -> QuerySet[Mediation]:
        qs = selectors.mediations_visible(self.request.user)  # type: ignore[arg-type]
        params = self.request.query_params
        if outcome := params.get("outcome"):
            qs = qs.filter(outcome=outcome)
        if risk := params.get("risk"):
            qs = qs.filter(risk_level=risk)
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                "parties", "sessions__attended_parties", "sessions__attended_mediators", "documents"
            )
        return qs.order_by("-created_at", "-id")

    @extend_schema(
        summary=_("查看当事人完整身份证号码和电话（记录审计日志）"),
        request=None,
        responses=RevealedPartySerializer,
        parameters=[OpenApiParameter("party_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"parties/(?P<party_id>\d+)/reveal")
    def reveal(self, request: Request, number: str, party_id: str) -> Response:
        mediation = self.get_object()
        party = get_object_or_404(Party, pk=int(party_id), mediation=mediation)
        revealed = services.party_reveal(user=request.user, party=party, request=request._request)  # type: ignore[arg-type]
        return Response(RevealedPartySerializer(revealed).data)

    @extend_schema(
        summary=_("下载调解协议书或签字扫描件（记录审计日志）"),
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
        parameters=[OpenApiParameter("document_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document_id>\d+)/download")
    def download(self, request: Request, number: str, document_id: str) -> FileResponse:
        mediation = self.get_object()
        document = get_object_or_404(MediationDocument, pk=int(document_id), mediation=mediation)
        return document_response(user=request.user, document=document, request=request._request)


def document_response(*, user: Any, document: MediationDocument, request: Any) -> FileResponse:
    document = services.document_open(user=user, document=document, request=request)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = document.file.name.rsplit(".", 1)[-1]
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{document.kind}-{document.mediation.agreement_number or document.pk}.{extension}",
        content_type=document.content_type,
    )


class FiguresView(APIView):
    """Disputes screened, mediated, agreement (success) rate, performance rate, resolved in the village /
    the town, referred — per region, tier, type or month (definitions: ``disputes.selectors``)."""

    @extend_schema(
        summary=_("矛盾纠纷化解统计"),
        parameters=[FiguresQuerySerializer],
        responses=FiguresSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = FiguresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        authz.require(request.user, "mediation.list")
        region = None
        if code := data.get("region"):
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise ValidationError({"region": _("区划代码不存在。")})
        rows = selectors.dispute_figures(
            user=request.user,  # type: ignore[arg-type]
            start=data["start"],
            end=data["end"],
            region=region,
            group_by=data.get("group_by", ""),
        )
        return Response(FiguresSerializer([r.as_dict() for r in rows], many=True).data)
