"""The region data version row, and triggers that bump it with every write to the region table.

The routing index compares the row's random token with the one it was built from, so a change made by
any process, by any path (services, admin, ORM, raw SQL), is seen on the next lookup.
"""

import secrets

from django.db import migrations, models

SQLITE_BUMP = (
    "INSERT OR IGNORE INTO regions_regiongeneration (id, generation, token) VALUES (1, 0, ''); "
    "UPDATE regions_regiongeneration SET generation = generation + 1, token = lower(hex(randomblob(16))) "
    "WHERE id = 1;"
)


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
    RegionGeneration = apps.get_model("regions", "RegionGeneration")
    RegionGeneration.objects.using(schema_editor.connection.alias).get_or_create(
        id=1, defaults={"generation": 0, "token": secrets.token_hex(16)}
    )


class Migration(migrations.Migration):

    dependencies = [
        ('regions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='RegionGeneration',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('generation', models.BigIntegerField(default=0, verbose_name='版本号')),
                ('token', models.CharField(default='', max_length=64, verbose_name='版本标识')),
            ],
            options={
                'verbose_name': '区划数据版本',
                'verbose_name_plural': '区划数据版本',
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
        VendorRunSQL(
            "sqlite",
            [
                f"CREATE TRIGGER regions_region_bump_{event.lower()} AFTER {event} ON regions_region "
                f"BEGIN {SQLITE_BUMP} END"
                for event in ("INSERT", "UPDATE", "DELETE")
            ],
            [f"DROP TRIGGER IF EXISTS regions_region_bump_{event}" for event in ("insert", "update", "delete")],
        ),
        VendorRunSQL(
            "postgresql",
            [
                "CREATE OR REPLACE FUNCTION regions_region_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN "
                "INSERT INTO regions_regiongeneration (id, generation, token) "
                "VALUES (1, 1, md5(random()::text || clock_timestamp()::text)) "
                "ON CONFLICT (id) DO UPDATE SET generation = regions_regiongeneration.generation + 1, "
                "token = EXCLUDED.token; "
                "RETURN NULL; "
                "END $$",
                "CREATE TRIGGER regions_region_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON regions_region "
                "FOR EACH STATEMENT EXECUTE FUNCTION regions_region_bump_generation()",
            ],
            [
                "DROP TRIGGER IF EXISTS regions_region_bump ON regions_region",
                "DROP FUNCTION IF EXISTS regions_region_bump_generation()",
            ],
        ),
    ]
