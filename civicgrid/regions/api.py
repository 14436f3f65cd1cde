"""Read API for regions (/api/v1/regions/) and point routing (/api/v1/regions/route)."""

from __future__ import annotations

import math
from typing import Any

import django_filters
import shapely
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civicgrid.core.api import MAX_ID
from civicgrid.people import authorization
from civicgrid.regions.coords import CRS_CHOICES, WGS84, parse_lon_lat
from civicgrid.regions.models import Kind, Level, Region
from civicgrid.regions.routing import route_point


def _wants_geometry(request: Request | None) -> bool:
    return request is not None and request.query_params.get("geometry", "") in {"1", "true", "yes"}


class RegionSerializer(serializers.ModelSerializer[Region]):
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True, default=None)
    bbox = serializers.SerializerMethodField(
        help_text=_("边界范围 [最小经度, 最小纬度, 最大经度, 最大纬度]，无边界时为 null")
    )
    geometry = serializers.SerializerMethodField(help_text=_("GeoJSON 几何（WGS-84），仅在 ?geometry=1 时给出"))

    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "kind", "parent", "parent_code", "bbox", "label_lon", "label_lat",
                  "geometry", "updated_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4, "nullable": True})
    def get_bbox(self, obj: Region) -> list[float] | None:
        if obj.min_lon is None or obj.min_lat is None or obj.max_lon is None or obj.max_lat is None:
            return None
        return [obj.min_lon, obj.min_lat, obj.max_lon, obj.max_lat]

    @extend_schema_field({"type": "object", "nullable": True, "description": "GeoJSON Polygon or MultiPolygon"})
    def get_geometry(self, obj: Region) -> dict[str, Any] | None:
        if not _wants_geometry(self.context.get("request")) or obj.geometry is None:
            return None
        return dict(shapely.geometry.mapping(obj.shape))


class ChainRegionSerializer(serializers.ModelSerializer[Region]):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "kind"]
        read_only_fields = fields


class RouteResultSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["inside", "snapped", "unrouted"])
    grid_id = serializers.IntegerField(allow_null=True)
    chain = ChainRegionSerializer(many=True, help_text=_("从市到网格的各级区划；未落格时为空"))
    distance_m = serializers.FloatField(allow_null=True, help_text=_("到网格的距离（米）；在网格内为 0"))
    lon = serializers.FloatField(help_text=_("换算后的 WGS-84 经度"))
    lat = serializers.FloatField(help_text=_("换算后的 WGS-84 纬度"))


class IdFilter(django_filters.Filter):
    """A whole-number id within the database's integer range (``NumberFilter`` lets 1e400 through)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class RegionFilter(django_filters.FilterSet):
    level = django_filters.TypedChoiceFilter(choices=Level.choices, coerce=int)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    parent = IdFilter(field_name="parent_id")
    code_prefix = django_filters.CharFilter(field_name="code", lookup_expr="startswith", label=_("代码前缀"))

    class Meta:
        model = Region
        fields = ["level", "kind", "parent", "code_prefix"]


_GEOMETRY_PARAM = OpenApiParameter(
    "geometry", OpenApiTypes.BOOL, description=str(_("为 1 时在 geometry 中给出 GeoJSON 边界")), required=False
)


@extend_schema_view(
    list=extend_schema(summary=_("行政区划列表"), parameters=[_GEOMETRY_PARAM]),
    retrieve=extend_schema(summary=_("一个行政区划"), parameters=[_GEOMETRY_PARAM]),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet[Region]):
    """Regions the user may see (their subtrees and the regions above them), in code order."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilter

    def get_queryset(self) -> QuerySet[Region]:
        return authorization.visible(self.request.user, Region.objects.select_related("parent").order_by("code"))


class RouteView(APIView):
    """Route a point to its grid. For users who may see regions at all (not the outsider, not the audit
    administrator): the answer names regions and grids."""

    @extend_schema(
        summary=_("坐标落格"),
        parameters=[
            OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True, description=str(_("经度"))),
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True, description=str(_("纬度"))),
            OpenApiParameter(
                "crs",
                OpenApiTypes.STR,
                enum=list(CRS_CHOICES),
                default=WGS84,
                description=str(_("输入坐标系：wgs84、gcj02（高德、腾讯）、bd09（百度）")),
            ),
        ],
        responses={
            200: RouteResultSerializer,
            400: OpenApiResponse(
                description=str(_("坐标无效：不是数字、超出范围、离本市太远或坐标系不支持（消息列表）"))
            ),
            403: OpenApiResponse(description=str(_("无权查看行政区划"))),
        },
    )
    def get(self, request: Request) -> Response:
        authorization.require(request.user, "region.view")
        lon, lat = parse_lon_lat(request.query_params.get("lon"), request.query_params.get("lat"))
        result = route_point(lon, lat, crs=request.query_params.get("crs", WGS84))
        data = {
            "status": result.status,
            "grid_id": result.grid_id,
            "chain": ChainRegionSerializer(result.regions(), many=True).data,
            "distance_m": result.distance_m if math.isfinite(result.distance_m) else None,
            "lon": result.lon,
            "lat": result.lat,
        }
        return Response(RouteResultSerializer(data).data)
