"""``civicgrid route LON LAT [--crs wgs84|gcj02|bd09]``: which grid a point lies in, and the chain above it."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.regions.coords import CRS_CHOICES, CoordinateError, parse_lon_lat
from civicgrid.regions.routing import SNAPPED, UNROUTED, route_point


class Command(BaseCommand):
    help = "Route a point to its grid and print the grid code and the names of the regions above it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("lon", help="longitude")
        parser.add_argument("lat", help="latitude")
        parser.add_argument("--crs", default="wgs84", choices=CRS_CHOICES, help="coordinate system of the input")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            lon, lat = parse_lon_lat(options["lon"], options["lat"])
            result = route_point(lon, lat, crs=options["crs"])
        except CoordinateError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if result.status == UNROUTED:
            snap = settings.CIVICGRID.get("ROUTING_SNAP_METRES", 200)
            if result.distance_m == float("inf"):
                reason = _("尚未导入任何网格")
            else:
                reason = _("不在任何网格内，最近的网格在 %(distance).0f 米外（超过 %(snap)s 米的吸附距离）") % {
                    "distance": result.distance_m,
                    "snap": f"{snap:g}",
                }
            self.stdout.write(_("未落格：%(reason)s，归市级中心处理。") % {"reason": reason})
            return
        chain = result.regions()
        grid = chain[-1]
        self.stdout.write(f"{grid.code} {grid.name}")
        self.stdout.write(" > ".join(region.name for region in chain))
        if result.status == SNAPPED:
            self.stdout.write(
                _("（不在网格内，已吸附到 %(distance).0f 米外最近的网格）") % {"distance": result.distance_m}
            )
        self.stdout.write(_("WGS-84：%(lon).7f, %(lat).7f") % {"lon": result.lon, "lat": result.lat})
