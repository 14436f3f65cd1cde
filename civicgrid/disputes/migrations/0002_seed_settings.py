"""Seed the editable defaults: reminder lead times, alert recipients, risk rules and keywords."""

from django.db import migrations

SETTINGS = [
    ("court_confirmation_window_days", 30, "调解协议生效后共同申请司法确认的期限（天），人民调解法第三十三条"),
    ("court_confirmation_remind_days_before", 7, "司法确认申请期限届满前几天提醒"),
    ("performance_remind_days_before", 3, "履行期限届满前几天提醒"),
    ("performance_follow_up_days_after", 1, "履行期限届满后几天提醒回访履行情况"),
    ("alert_unit_kinds", ["police"], "高风险纠纷立即通知的入驻部门类别（公安联络人）"),
    ("high_risk_alert", True, "高风险纠纷立即通知镇（街道）中心和公安联络人"),
    ("high_risk_escalate", True, "高风险纠纷自动提级"),
    ("high_risk_min_tier", 2, "高风险纠纷至少由哪一级办理：1 市级，2 镇（街道）级，3 村（社区）级"),
    ("committee_name_format", "{region}人民调解委员会", "调解委员会名称格式，{region} 为办理中心所在区划名称"),
    ("reminder_batch", 200, "每轮提醒处理条数"),
]

RULES = [
    # signal, level, threshold, window_days, escalate, alert
    ("keywords", "high", None, None, True, True),
    ("group", "high", 5, None, True, True),
    ("repeated", "high", 1, 180, True, True),
    ("failed_before", "high", None, 365, True, True),
    ("amount", "medium", 100000, None, False, False),
]

KEYWORDS = {
    "violence": [
        "杀人", "杀了", "砍人", "砍死", "捅死", "弄死", "打死", "炸死", "同归于尽", "拼命", "报复", "放火", "烧房子",
        "血债血偿", "见血",
    ],
    "self_harm": ["自杀", "跳楼", "跳河", "喝农药", "上吊", "不想活", "寻死", "轻生", "割腕", "死给你看"],
}


def seed(apps, schema_editor):
    DisputeSetting = apps.get_model("disputes", "DisputeSetting")
    RiskRule = apps.get_model("disputes", "RiskRule")
    RiskKeyword = apps.get_model("disputes", "RiskKeyword")
    for key, value, description in SETTINGS:
        DisputeSetting.objects.get_or_create(key=key, defaults={"value": value, "description": description})
    for signal, level, threshold, window_days, escalate, alert in RULES:
        RiskRule.objects.get_or_create(
            signal=signal,
            defaults={
                "level": level,
                "threshold": threshold,
                "window_days": window_days,
                "escalate": escalate,
                "alert": alert,
            },
        )
    for kind, words in KEYWORDS.items():
        for word in words:
            RiskKeyword.objects.get_or_create(word=word, defaults={"kind": kind})


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
