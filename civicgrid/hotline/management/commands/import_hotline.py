"""``civicgrid import-hotline FILE --source NAME [--dry-run] [--map field=列名 …] [--category 热线分类=代码 …]
[--save-mapping]``: check or import a 12345 export and print the per-row report.

Exit status 0 when every row was created or had been imported before, 1 when some rows have errors (they
are listed; the valid rows are imported unless --dry-run), 2 when the file cannot be used at all.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicgrid.hotline.models import HotlineSource
from civicgrid.hotline.services import hotline_import, hotline_source_save_mapping


def _pairs(items: list[str], what: str) -> dict[str, str]:
    result = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"{what} must look like key=value, got {item!r}")
        result[key.strip()] = value.strip()
    return result


class Command(BaseCommand):
    help = "Import 12345 hotline work orders from .xlsx or .csv (dry run first with --dry-run)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--source", required=True, help="the hotline source (created if new)")
        parser.add_argument("--dry-run", action="store_true", help="only report what would be created")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=HEADER")
        parser.add_argument("--category", action="append", default=[], metavar="HOTLINE_TEXT=CODE")
        parser.add_argument("--save-mapping", action="store_true", help="keep --map/--category on the source")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        source, _created = HotlineSource.objects.get_or_create(name=options["source"].strip())
        columns, categories = _pairs(options["map"], "--map"), _pairs(options["category"], "--category")
        try:
            if columns or categories:
                merged_columns = {**source.column_mapping, **columns}
                merged_categories = {**source.category_mapping, **categories}
                if options["save_mapping"]:
                    hotline_source_save_mapping(
                        source=source, column_mapping=merged_columns, category_mapping=merged_categories
                    )
                else:
                    source.column_mapping, source.category_mapping = merged_columns, merged_categories
            run = hotline_import(source=source, data=path.read_bytes(), filename=path.name, dry_run=options["dry_run"])
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(f"error: {message}")
            raise SystemExit(2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(run.report, ensure_ascii=False, indent=1))
        else:
            for row in run.report:
                line = f"row {row['row']}\t{row['order_no'] or '-'}\t{row['status']}"
                if row["status"] == "error":
                    line += "\t" + " ".join(row["errors"])
                else:
                    line += f"\t{row['category']}\t{row['region']}\t{row['received_at']}"
                    if row["case"]:
                        line += f"\t{row['case']}"
                self.stdout.write(line)
        verb = "would create" if run.dry_run else "created"
        made = sum(r["status"] == "create" for r in run.report) if run.dry_run else run.rows_created
        self.stdout.write(
            f"{run.rows_total} rows: {verb} {made}, "
            f"already imported {run.rows_existing}, with errors {run.rows_invalid}"
        )
        if run.rows_invalid:
            raise SystemExit(1)
