"""``civicgrid import-regions FILE [--dry-run]``: import regions and grids from GeoJSON or CSV."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from civicgrid.regions.services import RegionImportError, regions_import


class Command(BaseCommand):
    help = "Import regions and grids from a GeoJSON FeatureCollection or a CSV of codes and names."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="GeoJSON (.geojson/.json) or CSV (.csv: code,name,kind,parent_code)")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = regions_import(data=options["file"], dry_run=options["dry_run"])
        except RegionImportError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                ngettext(
                    "导入被拒绝：%(count)s 个问题，未写入任何数据。",
                    "导入被拒绝：%(count)s 个问题，未写入任何数据。",
                    len(exc.problems),
                )
                % {"count": len(exc.problems)}
            ) from None
        self.stdout.write(str(report))
