"""Reject UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the audit table inside the database itself."""

from django.db import migrations

MESSAGE = "audit entries are append-only"


class VendorRunSQL(migrations.RunSQL):
    """RunSQL that only runs on one database vendor."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_actor_protect")]

    operations = [
        VendorRunSQL(
            "sqlite",
            [
                "CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
                "CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
            ],
            [
                "DROP TRIGGER IF EXISTS audit_auditentry_no_update",
                "DROP TRIGGER IF EXISTS audit_auditentry_no_delete",
            ],
        ),
        VendorRunSQL(
            "postgresql",
            [
                "CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END $$",
                "CREATE TRIGGER audit_auditentry_no_change BEFORE UPDATE OR DELETE ON audit_auditentry "
                "FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only()",
                "CREATE TRIGGER audit_auditentry_no_truncate BEFORE TRUNCATE ON audit_auditentry "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_auditentry_append_only()",
            ],
            [
                "DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry",
                "DROP TRIGGER IF EXISTS audit_auditentry_no_change ON audit_auditentry",
                "DROP FUNCTION IF EXISTS audit_auditentry_append_only()",
            ],
        ),
    ]
