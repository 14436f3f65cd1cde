"""API of the notifications app: my inbox (paged) and marking it read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from civicgrid.core.api import MAX_ID

from . import selectors, services
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "event", "subject", "body", "link", "created_at", "read_at", "is_read"]
        read_only_fields = fields


class MarkReadSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),  # beyond: a 400, not a database overflow
        required=False,
        allow_empty=False,
        max_length=1000,
        help_text=_("要标为已读的通知编号"),
    )
    all = serializers.BooleanField(default=False, help_text=_("为 true 时将全部未读通知标为已读"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["all"] == ("ids" in attrs):
            raise serializers.ValidationError(_("请给出 ids，或设置 all 为 true（二者择一）。"))
        return attrs


class MarkReadResultSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text=_("本次标为已读的条数"))
    unread = serializers.IntegerField(help_text=_("剩余未读条数"))


class UnreadCountSerializer(serializers.Serializer[Any]):
    unread = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(
        summary=_("我的通知"),
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description=_("只列未读"))],
    ),
    retrieve=extend_schema(summary=_("一条通知")),
)
class NotificationViewSet(viewsets.ReadOnlyModelViewSet[Notification]):
    """The requesting user's own inbox, newest first; nobody sees another user's notifications."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # the real rows come from get_queryset, per user

    def get_queryset(self) -> QuerySet[Notification]:
        unread_only = self.request.query_params.get("unread", "").lower() in {"1", "true", "yes"}
        return selectors.inbox(self.request.user, unread_only=unread_only)  # type: ignore[arg-type]

    @extend_schema(summary=_("标为已读"), request=MarkReadSerializer, responses=MarkReadResultSerializer)
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request: Request) -> Response:
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = None if data.validated_data["all"] else data.validated_data["ids"]
        marked = services.notification_mark_read(user=request.user, ids=ids)  # type: ignore[arg-type]
        unread = selectors.unread_count(request.user)  # type: ignore[arg-type]
        return Response(MarkReadResultSerializer({"marked": marked, "unread": unread}).data)

    @extend_schema(summary=_("未读条数"), responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(request.user)})  # type: ignore[arg-type]
