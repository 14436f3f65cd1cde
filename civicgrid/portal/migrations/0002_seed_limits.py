"""Seed the portal's default limits: generous enough that a resident is never shut out by mistake."""

from django.db import migrations

LIMITS = [
    ("report-submit", "提交新上报（每个地址）", 10, 3600),
    ("report-voice", "“我也遇到”附议（每个地址）", 20, 3600),
    ("report-nearby", "查询附近同类事件（每个地址）", 300, 3600),
    ("track-lookup", "查询码查询（每个地址，防止猜码）", 60, 3600),
    ("track-action", "补充信息、申请提级、评价（每个地址）", 30, 3600),
    ("open311-post", "Open311 提交（每个地址）", 120, 3600),
]


def seed(apps, schema_editor):
    RateLimit = apps.get_model("portal", "RateLimit")
    PortalSettings = apps.get_model("portal", "PortalSettings")
    for scope, description, max_requests, window in LIMITS:
        RateLimit.objects.get_or_create(
            scope=scope, defaults={"description": description, "max_requests": max_requests, "window_seconds": window}
        )
    PortalSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
