"""Django's ``flush``, able to empty the append-only audit table.

The audit table's triggers reject DELETE (SQLite's flush) and TRUNCATE (PostgreSQL's). Emptying the whole
database is the one legitimate way to remove audit rows (test isolation between transactional tests, a
fresh demo), so flush lifts the triggers for its own statement and puts them back.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from civicgrid.audit.dbprotect import protection_lifted


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        with protection_lifted(connection):
            super().handle(**options)
