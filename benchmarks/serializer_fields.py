"""Serializer field copies: what case creation pays per request to render its 201 (CaseDetailSerializer)
and to parse its input (CaseCreateSerializer), with DRF's own copies and with CheapFieldCopy.

Run: ``.venv/bin/python benchmarks/serializer_fields.py [--rounds 2000]``. No database: the case is built in
memory with its relations (as the create view renders it: no tags, no files, so no query), without a request
(no ``actions``). Three ways of copying fields, microseconds per serializer, best of 5 runs:

- ``drf``: DRF unchanged (deepcopy per instance; a ModelSerializer introspects its model per instance),
- ``built_once_deepcopy``: fields built once per class, deep-copied per instance (the code before CheapFieldCopy),
- ``cheap``: CheapFieldCopy.

Prints ``name: value unit`` lines; never asserts.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import sys
import tempfile
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
os.environ.setdefault("CIVICGRID_DATA_DIR", tempfile.mkdtemp(prefix="cg-bench-"))
os.environ.setdefault("CIVICGRID_LOG_LEVEL", "WARNING")


def line(name: str, value: float | str, unit: str = "") -> None:
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    print(f"{name}: {text} {unit}".rstrip(), flush=True)


@contextmanager
def mode(name: str) -> Iterator[None]:
    from civicgrid.core import serializers as cheap

    saved = (cheap.CheapFieldCopy.cheap_field_copy, cheap._copy)
    if name == "drf":
        cheap.CheapFieldCopy.cheap_field_copy = False
    elif name == "built_once_deepcopy":
        cheap._copy = lambda plan: copy.deepcopy(plan.prototype)
    try:
        yield
    finally:
        cheap.CheapFieldCopy.cheap_field_copy, cheap._copy = saved


def a_case() -> Any:
    from civicgrid.cases.models import Case, Category, Reporter
    from civicgrid.people.models import Unit, User
    from civicgrid.regions.models import Region

    def region(code: str, name: str, level: int) -> Region:
        return Region(code=code, name=name, level=level)

    now = dt.datetime(2025, 9, 22, 1, 0, tzinfo=dt.UTC)
    city, town = region("420683", "枣阳市", 3), region("420683001", "甲镇", 4)
    village = region("420683001001", "甲一村", 5)
    case = Case(
        pk=1, number="420683-20250922-00001", title="路灯不亮", description="东路口", channel="resident",
        state="reported", tier=3, address="甲一村村委会门口", lon=Decimal("112.05"), lat=Decimal("32.3"),
        area_code="420683001001", priority=2, stage="accept", stage_started_at=now, stage_due_at=now,
        stage_warn_at=now, deadline_status="ok", version=1, created_at=now, updated_at=now,
        attributes={"depth": 3},
    )  # fmt: skip
    case.category = Category(code="T01", name="测试事件", kind="event")
    case.region, case.grid = village, region("420683001001G01", "网格一", 6)
    case.village, case.town, case.city = village, town, city
    case.lead_unit = Unit(code="police", name="派出所", kind="police")
    case.owner = User(username="center", first_name="中心")
    case.reporter = Reporter(name="张三丰", phone="13812345678", email="zhang@example.com")
    return case


def per_call(work: Callable[[], Any], rounds: int) -> float:
    work()
    return min(timeit.repeat(work, number=rounds, repeat=5)) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()

    import django

    django.setup()
    from civicgrid.cases.serializers import CaseCreateSerializer, CaseDetailSerializer

    case = a_case()
    context = {"empty_relations": frozenset({"tags", "attachments"})}
    body = {
        "title": "井盖缺失", "category": "T01", "channel": "grid_patrol", "lon": 112.05, "lat": 32.3,
        "address": "甲一村东路口", "reporter_name": "张三丰", "reporter_phone": "13812345678", "tags": ["夜间"],
    }  # fmt: skip

    def detail_data() -> Any:
        return CaseDetailSerializer(case, context=context).data

    def detail_fields() -> Any:
        return CaseDetailSerializer(case, context=context).fields

    def create_valid() -> Any:
        serializer = CaseCreateSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    line("python", sys.version.split()[0])
    line("load_average", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    outputs = {}
    for name in ("drf", "built_once_deepcopy", "cheap"):
        with mode(name):
            outputs[name] = (detail_data(), create_valid())
            line(f"detail_fields_{name}", per_call(detail_fields, args.rounds), "us")
            line(f"detail_data_{name}", per_call(detail_data, args.rounds), "us")
            line(f"create_is_valid_{name}", per_call(create_valid, args.rounds), "us")
    line("same_output_in_all_modes", str(outputs["drf"] == outputs["built_once_deepcopy"] == outputs["cheap"]))
    line("load_average_end", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
