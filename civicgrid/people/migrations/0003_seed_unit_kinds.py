"""Seed the default department kinds (editable afterwards; a second run leaves edited rows alone)."""

from django.db import migrations

DEFAULT_KINDS = [
    ("police", "公安", "Police"),
    ("justice", "司法行政", "Justice bureau"),
    ("court", "法院", "Court"),
    ("procuratorate", "检察院", "Procuratorate"),
    ("petitions", "信访", "Petitions bureau"),
    ("law_enforcement", "综合行政执法", "Comprehensive law enforcement"),
    ("emergency_management", "应急管理", "Emergency management"),
    ("fire_rescue", "消防救援", "Fire and rescue"),
    ("ecology_environment", "生态环境", "Ecology and environment"),
    ("urban_management", "城市管理", "Urban management"),
    ("health", "卫生健康", "Health"),
    ("water_resources", "水利", "Water resources"),
    ("housing", "住房和城乡建设", "Housing and urban-rural development"),
    ("natural_resources", "自然资源和规划", "Natural resources and planning"),
    ("civil_affairs", "民政", "Civil affairs"),
    ("human_resources_social_security", "人力资源和社会保障", "Human resources and social security"),
    ("education", "教育", "Education"),
    ("market_regulation", "市场监督管理", "Market regulation"),
    ("transport", "交通运输", "Transport"),
    ("agriculture_rural", "农业农村", "Agriculture and rural affairs"),
    ("veterans_affairs", "退役军人事务", "Veterans affairs"),
    ("womens_federation", "妇联", "Women's federation"),
    ("utilities", "供水供电供气", "Utilities"),
    ("town_office", "镇（街道）办事机构", "Town or street office"),
    ("village_committee", "村（居）委会", "Village or residents' committee"),
    ("other", "其他", "Other"),
]


def seed(apps, schema_editor):
    UnitKind = apps.get_model("people", "UnitKind")
    for order, (code, name, name_en) in enumerate(DEFAULT_KINDS, start=1):
        UnitKind.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "sort_order": order * 10})


def unseed(apps, schema_editor):
    UnitKind = apps.get_model("people", "UnitKind")
    UnitKind.objects.filter(code__in=[code for code, _, _ in DEFAULT_KINDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0002_unitkind")]

    operations = [migrations.RunPython(seed, unseed)]
