"""Append-only at the database level: raw UPDATE and DELETE on the audit table fail on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from civicgrid.audit.dbprotect import POSTGRESQL_TRIGGERS, SQLITE_TRIGGERS, installed_triggers
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import audit_record

EXPECTED = set(SQLITE_TRIGGERS) if connection.vendor == "sqlite" else set(POSTGRESQL_TRIGGERS)


def test_triggers_are_installed_by_the_migrations(db):
    assert connection.vendor in {"sqlite", "postgresql"}
    assert installed_triggers(connection) == EXPECTED


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'forged'",
        "UPDATE audit_auditentry SET actor_id = NULL",
        "DELETE FROM audit_auditentry",
        "DELETE FROM audit_auditentry WHERE action = 'role.assign'",
    ],
)
def test_raw_update_and_delete_fail(db, sql):
    entry = audit_record(actor=None, action="role.assign")
    with (
        pytest.raises(IntegrityError, match="audit entries are append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.action == "role.assign"


def test_queryset_update_and_delete_fail(db):
    audit_record(actor=None, action="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.update(action="y")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.all()._raw_delete(using="default")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["x"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_fails_on_postgresql(db):
    audit_record(actor=None, action="x")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks from the insert
    with (
        pytest.raises(IntegrityError, match="audit entries are append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.count() == 1


def test_inserts_still_work(db):
    audit_record(actor=None, action="a")
    audit_record(actor=None, action="b")
    assert AuditEntry.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_table_and_restores_protection():
    """Transactional tests end with ``flush``: it must get past the triggers and put them back."""
    audit_record(actor=None, action="x")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    assert installed_triggers(connection) == EXPECTED
    audit_record(actor=None, action="y")  # left for pytest-django's own flush at teardown
