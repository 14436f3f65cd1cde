"""Admin for the region tree: browse and rename; codes, parents and shapes come only from import."""

from __future__ import annotations

import math
from typing import Any

import shapely
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.people.admin_base import AuthorizedAdmin
from civicgrid.regions.gridindex import METRES_PER_DEGREE
from civicgrid.regions.models import Region
from civicgrid.regions.services import region_rename


@admin.register(Region)
class RegionAdmin(AuthorizedAdmin):
    list_display = ["level", "code", "name", "parent"]
    list_display_links = ["code", "name"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    fields = ["name", "code", "level", "kind", "parent", "geometry_summary", "updated_at"]
    readonly_fields = ["code", "level", "kind", "parent", "geometry_summary", "updated_at"]
    ordering = ["code"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # regions come from `civicgrid import-regions`, which checks codes and shapes

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False

    @admin.display(description=_("边界"))
    def geometry_summary(self, obj: Region) -> str:
        geom = obj.shape
        if geom is None:
            return gettext("无（由下级合成）")
        lat = (obj.min_lat + obj.max_lat) / 2 if obj.min_lat is not None and obj.max_lat is not None else 0.0
        area_km2 = geom.area * METRES_PER_DEGREE**2 * math.cos(math.radians(lat)) / 1e6
        return gettext("%(type)s，%(parts)s 块，%(points)s 个顶点，约 %(area).3f 平方公里；范围 %(bbox)s") % {
            "type": geom.geom_type,
            "parts": shapely.get_num_geometries(geom),
            "points": shapely.get_num_coordinates(geom),
            "area": area_km2,
            "bbox": f"{obj.min_lon:.5f}, {obj.min_lat:.5f} – {obj.max_lon:.5f}, {obj.max_lat:.5f}",
        }

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        region_rename(region=obj, name=obj.name)
