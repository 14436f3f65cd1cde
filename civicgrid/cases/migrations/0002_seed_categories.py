"""Seed the category tree (GB/T 30428-style events and components, disputes, errands, hazards, hotline)
and the settings row. Sensible defaults, not law: every value is editable in the admin, and a second
run leaves edited rows alone."""

from decimal import Decimal

from django.db import migrations

H, D = "hours", "days"
VILLAGE, TOWN, CITY = 3, 2, 1

# Time-limit profiles: stage → (amount, unit)
ROUTINE = {"accept": (2, H), "sign_for": (2, H), "handle": (3, D), "verify": (1, D), "close": (1, D), "follow_up": (3, D)}
URGENT = {"accept": (0.5, H), "sign_for": (0.5, H), "handle": (4, H), "verify": (4, H), "close": (1, D), "follow_up": (3, D)}
COMPONENT = {"accept": (4, H), "sign_for": (4, H), "handle": (5, D), "verify": (1, D), "close": (1, D), "follow_up": (3, D)}
DISPUTE = {"accept": (1, D), "sign_for": (1, D), "handle": (10, D), "verify": (2, D), "close": (1, D), "follow_up": (5, D)}
ERRAND = {"accept": (1, D), "sign_for": (1, D), "handle": (5, D), "verify": (1, D), "close": (1, D), "follow_up": (3, D)}
HAZARD = {"accept": (2, H), "sign_for": (2, H), "handle": (3, D), "verify": (1, D), "close": (1, D), "follow_up": (3, D)}


def hotline(days):
    return {"accept": (4, H), "sign_for": (4, H), "handle": (days, D), "verify": (1, D), "close": (1, D), "follow_up": (3, D)}


VOLUME = [{"code": "volume", "label": "数量", "datatype": "singlevaluelist", "required": False,
           "values": [{"key": "small", "name": "少量"}, {"key": "large", "name": "大量"}]}]

# (code, name, kind, tier, lead unit kind, severity, limits, public, extra questions, children)
# children: (code, name, lead kind or None to inherit, severity or None, limits or None, extra)
TREE = [
    ("E", "城市管理事件", "event", VILLAGE, "urban_management", "low", ROUTINE, [
        ("E01", "市容环境", None, None, None, [
            ("E0101", "私搭乱建", None, None, None, []),
            ("E0102", "暴露垃圾", None, None, None, VOLUME),
            ("E0103", "积存垃圾渣土", None, None, None, VOLUME),
            ("E0104", "道路不洁", None, None, None, []),
            ("E0105", "水域不洁", "water_resources", None, None, []),
            ("E0106", "绿地脏乱", None, None, None, []),
            ("E0107", "焚烧垃圾树叶", "ecology_environment", None, None, []),
        ]),
        ("E02", "宣传广告", None, None, None, [
            ("E0201", "违规张贴小广告", None, None, None, []),
            ("E0202", "违规设置户外广告", None, None, None, []),
            ("E0203", "占道广告牌", None, None, None, []),
        ]),
        ("E03", "施工管理", "housing", None, None, [
            ("E0301", "施工扰民", None, None, None, []),
            ("E0302", "工地扬尘", "ecology_environment", None, None, []),
            ("E0303", "道路遗撒", "urban_management", None, None, []),
            ("E0304", "违规占道施工", "urban_management", None, None, []),
        ]),
        ("E04", "突发事件", None, "high", URGENT, [
            ("E0401", "路面塌陷", "transport", "high", None, []),
            ("E0402", "自来水管破裂", "utilities", None, None, []),
            ("E0403", "燃气管道破裂", "utilities", "critical", None, []),
            ("E0404", "下水道堵塞或破损", "utilities", None, None, []),
            ("E0405", "道路积水", None, None, None, []),
            ("E0406", "火情", "fire_rescue", "critical", None, []),
        ]),
        ("E05", "街面秩序", "law_enforcement", None, None, [
            ("E0501", "无照经营游商", None, None, None, []),
            ("E0502", "占道经营", None, None, None, []),
            ("E0503", "店外经营", None, None, None, []),
            ("E0504", "机动车乱停放", "police", None, None, []),
            ("E0505", "非机动车乱停放", None, None, None, []),
            ("E0506", "露天烧烤", None, None, None, []),
        ]),
    ]),
    ("C", "城市管理部件", "component", VILLAGE, "urban_management", "low", COMPONENT, [
        ("C01", "公用设施", "utilities", None, None, [
            ("C0101", "上水井盖", None, None, None, []),
            ("C0102", "污水井盖", None, None, None, []),
            ("C0103", "雨水井盖", None, None, None, []),
            ("C0104", "电力井盖", None, None, None, []),
            ("C0105", "路灯", "urban_management", None, None, []),
            ("C0106", "消防栓", "fire_rescue", None, None, []),
            ("C0107", "公共厕所", "urban_management", None, None, []),
        ]),
        ("C02", "道路交通", "transport", None, None, [
            ("C0201", "交通信号灯", "police", None, None, []),
            ("C0202", "交通标志牌", "police", None, None, []),
            ("C0203", "道路护栏", None, None, None, []),
            ("C0204", "公交站亭", None, None, None, []),
            ("C0205", "路面破损", None, None, None, []),
        ]),
        ("C03", "市容环境", None, None, None, [
            ("C0301", "垃圾箱", None, None, None, []),
            ("C0302", "垃圾收集站", None, None, None, []),
            ("C0303", "环卫设施", None, None, None, []),
        ]),
        ("C04", "园林绿化", None, None, None, [
            ("C0401", "古树名木", "natural_resources", None, None, []),
            ("C0402", "行道树", None, None, None, []),
            ("C0403", "绿地", None, None, None, []),
            ("C0404", "花坛花箱", None, None, None, []),
        ]),
        ("C05", "房屋土地", "housing", None, None, [
            ("C0501", "房屋外立面", None, None, None, []),
            ("C0502", "地下通道", None, None, None, []),
            ("C0503", "空置用地", "natural_resources", None, None, []),
        ]),
    ]),
    ("D", "矛盾纠纷", "dispute", VILLAGE, "justice", "medium", DISPUTE, [
        ("D01", "婚姻家庭纠纷", None, None, None, []),
        ("D02", "邻里纠纷", None, None, None, []),
        ("D03", "房屋宅基地纠纷", "natural_resources", None, None, []),
        ("D04", "山林土地纠纷", "natural_resources", None, None, []),
        ("D05", "合同纠纷", None, None, None, []),
        ("D06", "损害赔偿纠纷", None, None, None, []),
        ("D07", "劳动争议", "human_resources_social_security", None, None, []),
        ("D08", "物业纠纷", "housing", None, None, []),
        ("D09", "医疗纠纷", "health", None, None, []),
        ("D10", "道路交通事故纠纷", "police", None, None, []),
        ("D11", "征地拆迁纠纷", "natural_resources", "high", None, []),
        ("D12", "环境污染纠纷", "ecology_environment", None, None, []),
        ("D13", "消费纠纷", "market_regulation", None, None, []),
        ("D99", "其他纠纷", None, None, None, []),
    ]),
    ("S", "民生代办", "errand", VILLAGE, "human_resources_social_security", "low", ERRAND, [
        ("S01", "社会保险", None, None, None, []),
        ("S02", "医疗保险", None, None, None, []),
        ("S03", "养老服务", "civil_affairs", None, None, []),
        ("S04", "最低生活保障", "civil_affairs", None, None, []),
        ("S05", "残疾人证", "civil_affairs", None, None, []),
        ("S06", "户籍证照", "police", None, None, []),
        ("S07", "生育登记", "health", None, None, []),
        ("S08", "退役军人优待", "veterans_affairs", None, None, []),
        ("S99", "其他代办", "village_committee", None, None, []),
    ]),
    ("H", "安全隐患", "hazard", VILLAGE, "emergency_management", "high", HAZARD, [
        ("H01", "消防安全隐患", "fire_rescue", None, None, []),
        ("H02", "房屋安全隐患", "housing", None, None, []),
        ("H03", "燃气安全隐患", "utilities", None, None, []),
        ("H04", "道路交通安全隐患", "transport", None, None, []),
        ("H05", "防汛水利隐患", "water_resources", None, None, []),
        ("H06", "地质灾害隐患", "natural_resources", None, None, []),
        ("H07", "食品安全隐患", "market_regulation", None, None, []),
        ("H08", "特种设备隐患", "market_regulation", None, None, []),
        ("H09", "危险化学品隐患", "emergency_management", "critical", None, []),
    ]),
    ("R", "热线诉求", "hotline", CITY, "", "low", hotline(3), [
        ("R01", "咨询", None, None, hotline(3), []),
        ("R02", "投诉", None, None, hotline(13), []),
        ("R03", "建议", None, None, hotline(10), []),
        ("R04", "表扬", None, None, hotline(3), []),
    ]),
]


def _limits(profile):
    fields = {}
    for stage, (amount, unit) in profile.items():
        fields[f"{stage}_limit"] = Decimal(str(amount))
        fields[f"{stage}_limit_unit"] = unit
    return fields


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    CaseSettings = apps.get_model("cases", "CaseSettings")
    CaseSettings.objects.get_or_create(pk=1)
    order = 0

    def put(code, name, kind, tier, lead, severity, limits, public, extra, parent):
        nonlocal order
        order += 10
        defaults = {
            "name": name, "kind": kind, "default_tier": tier, "lead_unit_kind": lead, "severity": severity,
            "is_public": public, "extra_questions": extra, "parent": parent, "sort_order": order, **_limits(limits),
        }
        return Category.objects.get_or_create(code=code, defaults=defaults)[0]

    def walk(node, parent, kind, tier, lead, severity, limits):
        code, name, node_lead, node_severity, node_limits, rest = node
        lead = node_lead if node_lead is not None else lead
        severity = node_severity or severity
        limits = node_limits or limits
        children = rest if rest and isinstance(rest[0], tuple) else []
        extra = [] if children else rest
        row = put(code, name, kind, tier, lead, severity, limits, not children, extra, parent)
        for child in children:
            walk(child, row, kind, tier, lead, severity, limits)

    for code, name, kind, tier, lead, severity, limits, children in TREE:
        root = put(code, name, kind, tier, lead, severity, limits, False, [], None)
        for child in children:
            walk(child, root, kind, tier, lead, severity, limits)


def unseed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    while Category.objects.exists():
        Category.objects.filter(children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
