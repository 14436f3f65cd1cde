"""The administrative tree (行政区划) down to grids (网格) and buildings, with their polygons.

Codes nest by prefix (GB/T 2260 county → GB/T 10114 town → 12-digit village → grid → building),
so a region's subtree is every region whose code starts with its code; import validation keeps
that true.
"""

from __future__ import annotations

from typing import Any

import shapely
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    CITY = 1, _("市/县")
    TOWN = 2, _("镇/街道")
    VILLAGE = 3, _("村/社区")
    GRID = 4, _("网格")
    BUILDING = 5, _("楼栋/巷")


class Kind(models.TextChoices):
    """Finer kind within a level: a street office and a town are both level TOWN."""

    CITY = "city", _("市")
    COUNTY = "county", _("县/县级市")
    STREET = "street", _("街道")
    TOWN = "town", _("镇")
    TOWNSHIP = "township", _("乡")
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("行政村")
    GRID = "grid", _("网格")
    BUILDING = "building", _("楼栋")
    LANE = "lane", _("巷")


class Region(models.Model):
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices, db_index=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("区划代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Polygon or multipolygon, WGS-84 lon/lat, as WKB. Required for grids; optional above.
    geometry = models.BinaryField(_("边界"), null=True, blank=True, editable=False)
    # Bounding box and a representative point, kept with the geometry for cheap queries and maps.
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    label_lon = models.FloatField(null=True, blank=True, editable=False)
    label_lat = models.FloatField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return str(_("%(name)s（%(code)s）") % {"name": self.name, "code": self.code})

    @property
    def shape(self) -> Any:
        """The polygon as a shapely geometry, or None."""
        return shapely.from_wkb(bytes(self.geometry)) if self.geometry else None

    def set_shape(self, geom: Any) -> None:
        """Store a shapely geometry with its bounding box and label point."""
        if geom is None:
            self.geometry = None
            self.min_lon = self.min_lat = self.max_lon = self.max_lat = None
            self.label_lon = self.label_lat = None
            return
        self.geometry = shapely.to_wkb(geom)
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = geom.bounds
        point = geom.representative_point()
        self.label_lon, self.label_lat = point.x, point.y

    def subtree_q(self, prefix: str = "") -> models.Q:
        """Q matching this region and everything below it, on a field path ending in a Region."""
        key = f"{prefix}code__startswith" if prefix else "code__startswith"
        return models.Q(**{key: self.code})

    def ancestors(self) -> list[Region]:
        """From the root down to the parent."""
        chain: list[Region] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class RegionGeneration(models.Model):
    """One row (id 1) that changes with every write to the region table (区划数据版本).

    Database triggers (migration 0002) bump ``generation`` and draw a new random ``token`` in the same
    transaction as any INSERT, UPDATE or DELETE on regions, whoever writes (services, admin, ORM, SQL).
    The routing index remembers the token it was built from and rebuilds when the row says otherwise;
    the token is random so a rolled-back write can never make an old index look current again.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    generation = models.BigIntegerField(_("版本号"), default=0)
    token = models.CharField(_("版本标识"), max_length=64, default="")

    class Meta:
        verbose_name = _("区划数据版本")
        verbose_name_plural = _("区划数据版本")

    def __str__(self) -> str:
        return f"{self.generation} ({self.token})"
