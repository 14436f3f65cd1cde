"""Uploaded files that no row refers to any more (orphans), removed after a grace period.

A file is written to storage before the row that refers to it is committed. When the transaction rolls back
— a caller's outer transaction failing after the service returned, a crash between the two — the file stays
on disk: a resident's photo or a mediation document nobody can reach, kept against the rule that personal
data is kept no longer than needed. Each app with uploads runs ``remove_orphans`` from a worker job over
the month folders its ``upload_to`` writes (``<top>/<yyyy>/<mm>/``): files older than the grace period
(longer than any transaction) with no row naming them are deleted.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.db.models import FileField, Model
from django.utils import timezone

logger = logging.getLogger(__name__)

GRACE = timedelta(hours=1)


def _months(now: datetime, count: int) -> list[tuple[int, int]]:
    # The upload_to functions name folders after timezone.now(), which is UTC.
    utc = now.astimezone(UTC)
    year, month = utc.year, utc.month
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def remove_orphans(
    model: type[Model], field: str, top: str, *, now: datetime | None = None, grace: timedelta = GRACE, months: int = 2
) -> int:
    """Delete files under ``top/<yyyy>/<mm>/`` of the last ``months`` months (UTC) that no ``model``
    row names in ``field`` and that are older than ``grace``; returns how many were deleted."""
    now = now or timezone.now()
    file_field = model._meta.get_field(field)
    if not isinstance(file_field, FileField):
        raise TypeError(f"{model.__name__}.{field} is not a file field")
    storage = file_field.storage
    removed = 0
    for year, month in _months(now, months):
        folder = f"{top}/{year:04d}/{month:02d}"
        try:
            _dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        names = [f"{folder}/{name}" for name in files]
        known: set[str] = set()
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            known.update(model._default_manager.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
        for name in names:
            if name in known:
                continue
            try:
                if storage.get_modified_time(name) > now - grace:
                    continue  # maybe a transaction still writing its row
                storage.delete(name)
            except FileNotFoundError:
                continue
            removed += 1
            logger.info("orphan file removed", extra={"file": name})
    return removed
