"""Duplicate candidates (radius, window, category, wording), tracking through merges, public statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case
from civicgrid.portal import selectors
from civicgrid.portal.models import PortalSettings
from civicgrid.portal.services import tracking_code_issue
from civicgrid.portal.tests.fixtures import IN_GRID_A1_1

BJ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
LON, LAT = IN_GRID_A1_1
METRE_LON = 1 / (111_320 * 0.8456)  # degrees of longitude per metre at 32.3° N (cos 32.3° ≈ 0.8456)


def report(
    at: dt.datetime, *, code: str = "LAMP", lon: float | None = LON, lat: float | None = LAT, title: str = "路灯不亮"
) -> Case:
    with time_machine.travel(at, tick=False):
        attributes = {"count": 1} if code == "LAMP" else {}
        return case_services.case_create(
            user=None, title=title, category=code, channel="resident", lon=lon, lat=lat, attributes=attributes,
            address="" if lon is not None else "甲镇",
        )  # fmt: skip


def found(**kwargs: Any) -> list[str]:
    from civicgrid.cases.models import Category

    values: dict[str, Any] = {"category": Category.objects.get(code="LAMP"), "lon": LON, "lat": LAT, "text": "路灯不亮"}
    values.update(kwargs)
    return [c.case.title for c in selectors.duplicate_candidates(**values)]


NOW = dt.datetime(2025, 11, 28, 10, 0, tzinfo=BJ)


def test_same_spot_same_category_within_window_is_suggested(categories: Any, world: Any) -> None:
    report(NOW - dt.timedelta(days=3), title="A 同一地点")
    report(NOW - dt.timedelta(days=2), title="B 150米外", lon=LON + 150 * METRE_LON)
    assert found(now=NOW) == ["A 同一地点", "B 150米外"]  # nearer first when the wording ties


def test_outside_radius_window_or_category_is_not_suggested(categories: Any, world: Any) -> None:
    report(NOW - dt.timedelta(days=3), title="250米外", lon=LON + 250 * METRE_LON)
    report(NOW - dt.timedelta(days=31), title="31天前")
    report(NOW + dt.timedelta(hours=1), title="之后才报")
    report(NOW - dt.timedelta(days=1), title="垃圾", code="TRASH")
    assert found(now=NOW) == []
    # The radius and window are data: widen them and both come back.
    PortalSettings.objects.update(duplicate_radius_m=300, duplicate_window_days=40)
    assert sorted(found(now=NOW)) == ["250米外", "31天前"]


def test_closed_and_merged_cases_are_not_suggested(categories: Any, personas: Any, world: Any) -> None:
    first = report(NOW - dt.timedelta(days=2), title="已不予立案")
    case_services.case_reject(user=personas.village_center, case=first, expected_version=first.version, reason="x")
    assert found(now=NOW) == []


def test_similar_wording_ranks_first_and_counts_without_a_point(categories: Any, world: Any) -> None:
    report(NOW - dt.timedelta(days=1), title="井盖丢了", lon=LON + 10 * METRE_LON)
    report(NOW - dt.timedelta(days=2), title="幸福路路灯晚上不亮", lon=LON + 100 * METRE_LON)
    assert found(now=NOW, text="幸福路的路灯不亮了") == ["幸福路路灯晚上不亮", "井盖丢了"]
    # No point: only similar wording (threshold is data) finds a case.
    report(NOW - dt.timedelta(days=1), title="幸福路路灯坏了不亮", lon=None, lat=None)
    assert found(now=NOW, lon=None, lat=None, text="幸福路路灯不亮") == ["幸福路路灯坏了不亮", "幸福路路灯晚上不亮"]
    PortalSettings.objects.update(duplicate_min_similarity=0.9)
    assert found(now=NOW, lon=None, lat=None, text="幸福路路灯不亮") == []


def test_tracking_follows_a_merge_to_the_surviving_case(categories: Any, personas: Any, world: Any) -> None:
    duplicate, survivor = report(NOW - dt.timedelta(days=1)), report(NOW)
    code = tracking_code_issue(case=duplicate, reporter=duplicate.reporter, channel="resident")
    case_services.case_merge(
        user=personas.village_center, case=duplicate, expected_version=duplicate.version, into=survivor
    )
    row, shown = selectors.tracking_lookup(code)
    assert (row.case, shown) == (duplicate, survivor)
    view = selectors.public_case(shown)
    assert view.merged_from == duplicate.number
    assert [e.label for e in view.timeline] == ["收到上报", "合并了同一问题的其他上报"]
    assert selectors.tracking_lookup("short") is None
    assert selectors.tracking_lookup("ABCDEFGHJKMN") is None


def test_public_stats_counts_by_month_town_and_category(categories: Any, personas: Any, world: Any) -> None:
    report(dt.datetime(2025, 9, 10, 9, 0, tzinfo=BJ))
    report(dt.datetime(2025, 10, 10, 9, 0, tzinfo=BJ), code="TRASH")
    report(dt.datetime(2025, 10, 11, 9, 0, tzinfo=BJ), lon=112.3, lat=32.2)
    merged = report(dt.datetime(2025, 10, 12, 9, 0, tzinfo=BJ))
    survivor = Case.objects.order_by("created_at").first()
    case_services.case_merge(user=personas.village_center, case=merged, expected_version=merged.version, into=survivor)
    data = selectors.public_stats(months=3, now=dt.datetime(2025, 11, 5, tzinfo=BJ))
    assert data["months"] == ["2025-09", "2025-10", "2025-11"]
    assert data["series"]["received"] == [1, 2, 0]  # the merged duplicate is not counted
    assert data["totals"] == {"received": 3, "closed": 0, "on_time": 0, "rated": 0, "satisfied": 0}
    assert (data["on_time_rate"], data["satisfaction_rate"]) == (None, None)
    assert [(r["name"], r["received"]) for r in data["by_town"]] == [("甲镇", 2), ("乙镇", 1)]
    assert [(r["code"], r["received"]) for r in data["by_category"]] == [("LAMP", 2), ("TRASH", 1)]
    only_b = selectors.public_stats(months=3, town=world.town_b.code, now=dt.datetime(2025, 11, 5, tzinfo=BJ))
    assert only_b["totals"]["received"] == 1
    by_group = selectors.public_stats(months=3, category="URB", now=dt.datetime(2025, 11, 5, tzinfo=BJ))
    assert by_group["totals"]["received"] == 3


def test_category_questions_normalise_values(categories: Any) -> None:
    from civicgrid.cases.models import Category

    row = Category(code="X", name="x", extra_questions=[
        {"code": "a", "label": "A", "datatype": "singlevaluelist", "values": ["甲", {"key": "2", "name": "乙"}]},
        {"label": "no code"},
        "junk",
    ])  # fmt: skip
    assert selectors.category_questions(row) == [
        {"code": "a", "label": "A", "datatype": "singlevaluelist", "required": False,
         "values": [{"key": "甲", "name": "甲"}, {"key": "2", "name": "乙"}]},
    ]  # fmt: skip
    assert [c.code for c in selectors.public_categories("路灯")] == ["LAMP"]
    assert [c.code for c in selectors.public_categories("trash")] == ["TRASH"]
