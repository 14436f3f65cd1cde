"""Data generation rows, and triggers that redraw a table's token with every write to it.

SQLite: row triggers upserting the row. PostgreSQL: one function (the table from TG_TABLE_NAME) and one
statement-level trigger per table, TRUNCATE included. Tokens are random, never counted up.
"""

import secrets

from django.db import migrations, models

#: The tables whose writes redraw their generation token (civicgrid.core.generations reads them).
TABLES = (
    "cases_category",
    "cases_casesettings",
    "people_center",
    "people_roleassignment",
    "people_user",
    "notifications_webhookendpoint",
    "authtoken_token",
)
EVENTS = ("insert", "update", "delete")


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


def seed(apps, schema_editor):
    DataGeneration = apps.get_model("core", "DataGeneration")
    for table in TABLES:
        DataGeneration.objects.using(schema_editor.connection.alias).update_or_create(
            name=table, defaults={"token": secrets.token_hex(16)}
        )


def _sqlite_trigger(table, event):
    return (
        f"CREATE TRIGGER {table}_generation_{event} AFTER {event.upper()} ON {table} "
        f"BEGIN INSERT INTO core_datageneration (name, token) VALUES ('{table}', lower(hex(randomblob(16)))) "
        "ON CONFLICT(name) DO UPDATE SET token = excluded.token; END"
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("cases", "0004_reporters_of_existing_cases_and_keywords"),
        ("notifications", "0001_initial"),
        ("people", "0004_apitoken"),
        ("regions", "0002_generation"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataGeneration",
            fields=[
                ("name", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
        VendorRunSQL(
            "sqlite",
            [_sqlite_trigger(table, event) for table in TABLES for event in EVENTS],
            [f"DROP TRIGGER IF EXISTS {table}_generation_{event}" for table in TABLES for event in EVENTS],
        ),
        VendorRunSQL(
            "postgresql",
            [
                "CREATE OR REPLACE FUNCTION core_bump_data_generation() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN "
                "INSERT INTO core_datageneration (name, token) "
                "VALUES (TG_TABLE_NAME, md5(random()::text || clock_timestamp()::text)) "
                "ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token; "
                "RETURN NULL; "
                "END $$",
                *(
                    f"CREATE TRIGGER {table}_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION core_bump_data_generation()"
                    for table in TABLES
                ),
            ],
            [
                *(f"DROP TRIGGER IF EXISTS {table}_generation ON {table}" for table in TABLES),
                "DROP FUNCTION IF EXISTS core_bump_data_generation()",
            ],
        ),
    ]
