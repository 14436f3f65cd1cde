"""Database-level append-only protection of the audit table: triggers that reject UPDATE and DELETE.

The triggers are created by migration 0003 (the SQL there is frozen; this module holds the same SQL for
``flush``, which must empty the table: see ``management/commands/flush.py``). A migration that rebuilds
the table on SQLite (``ALTER`` of a column) drops the triggers; ``tests/test_dbprotect.py`` notices.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditentry"
MESSAGE = "audit entries are append-only"

SQLITE_TRIGGERS = {
    "audit_auditentry_no_update": (
        f"CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    ),
    "audit_auditentry_no_delete": (
        f"CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    ),
}

POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END $$"
)
POSTGRESQL_TRIGGERS = {
    "audit_auditentry_no_change": (
        f"CREATE TRIGGER audit_auditentry_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only()"
    ),
    "audit_auditentry_no_truncate": (
        f"CREATE TRIGGER audit_auditentry_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_auditentry_append_only()"
    ),
}


def installed_triggers(connection: BaseDatabaseWrapper) -> set[str]:
    """Names of the protecting triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            return {row[0] for row in cursor.fetchall()} & set(SQLITE_TRIGGERS)
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = %s AND NOT t.tgisinternal",
                [TABLE],
            )
            return {row[0] for row in cursor.fetchall()} & set(POSTGRESQL_TRIGGERS)
    return set()


def _drop(connection: BaseDatabaseWrapper, names: set[str]) -> None:
    with connection.cursor() as cursor:
        for name in sorted(names):
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")


def _create(connection: BaseDatabaseWrapper, names: set[str]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in sorted(names):
                cursor.execute(SQLITE_TRIGGERS[name])
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_FUNCTION)
            for name in sorted(names):
                cursor.execute(POSTGRESQL_TRIGGERS[name])


@contextmanager
def protection_lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Drop the triggers for the block and put back exactly those that were there.

    Only ``flush`` (which empties every table, e.g. between transactional tests) uses this.
    """
    present = installed_triggers(connection)
    _drop(connection, present)
    try:
        yield
    finally:
        _create(connection, present)
