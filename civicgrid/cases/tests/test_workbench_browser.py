"""The workbench in a real browser: a grid worker on a phone, a town center at a desk.

Screenshots go to artifacts/screenshots/<test>/ (see civicgrid/testing/browser.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import IN_GRID_A1_1, IN_GRID_A2_1
from civicgrid.conftest import PERSONA_PASSWORD

# The seeded rows (working calendar, categories) come back after an earlier test's flush: civicgrid/conftest.py.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(pg: Any, base: str, username: str, path: str) -> None:
    """Open a workbench page, get sent to the login form, log in, and come back to the page."""
    pg.goto(base + path)
    assert "/accounts/login/" in pg.url
    pg.fill("#id_username", username)
    pg.fill("#id_password", PERSONA_PASSWORD)
    pg.locator("form.stacked button[type=submit]").click()
    pg.wait_for_url(base + path)


def act(pg: Any, verb: str, fields: dict[str, str] | None = None) -> None:
    """Open an action's small form on the case page, fill it, submit, and wait for the page to come back."""
    box = pg.locator(f"details.action-{verb}")
    box.locator("summary").click()
    for name, value in (fields or {}).items():
        field = box.locator(f"[name='{verb}-{name}']")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    with pg.expect_navigation():
        box.locator("button[type=submit]").click()


def no_sideways_scrolling(pg: Any) -> bool:
    return bool(pg.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.fixture
def handled_case(personas: Any, category: Any, settings_row: Any) -> Case:
    """A case in grid_a1_1 that the police handled: it waits for the grid worker's on-site check."""
    from civicgrid.cases import services as s

    case = s.case_create(
        user=None, title="路灯不亮", category=category, channel="resident", lon=IN_GRID_A1_1[0], lat=IN_GRID_A1_1[1],
        address="甲一村村委会门口", reporter_name="张三丰", reporter_phone="13812345678",
    )  # fmt: skip
    case = s.case_accept(user=personas.village_center, case=case, expected_version=case.version)
    case = s.case_register(user=personas.village_center, case=case, expected_version=case.version)
    case = s.case_dispatch(user=personas.village_center, case=case, expected_version=case.version)
    case = s.case_sign_for(user=personas.unit_handler, case=case, expected_version=case.version)
    return s.case_handle(user=personas.unit_handler, case=case, expected_version=case.version, note="已更换灯泡")


def test_grid_worker_on_a_phone(live_server: Any, phone_page: Any, screenshot: Any, handled_case: Case) -> None:
    pg, base = phone_page, live_server.url
    log_in(pg, base, "grid_worker", "/cases/todo/")

    card = pg.locator("#todo-list .case-card")
    assert card.count() == 1
    assert handled_case.number in card.inner_text()
    assert no_sideways_scrolling(pg)
    screenshot(pg, "01-todo-phone")

    card.locator("a").click()
    pg.wait_for_url(f"{base}/cases/{handled_case.number}/")
    pin = pg.locator("#case-map .leaflet-marker-icon")
    pin.wait_for(state="visible")
    assert pin.evaluate("img => img.complete && img.naturalWidth > 0"), "the pin's image did not load"
    pg.locator("#case-map.map-ready").wait_for()
    assert pg.locator("#case-map svg path").count() == 1  # the worker's own grid, the only one in scope
    assert pg.locator("#case-state").inner_text() == "已处置"
    assert "138****5678" in pg.content()
    assert no_sideways_scrolling(pg)
    screenshot(pg, "02-case-phone")

    box = pg.locator("details.action-verify")
    box.locator("summary").click()
    box.locator("input[name='verify-passed'][value='1']").check()
    box.locator("[name='verify-note']").fill("现场路灯已亮")
    screenshot(pg, "03-verify-form-phone")
    with pg.expect_navigation():
        box.locator("button[type=submit]").click()
    assert pg.locator("#case-state").inner_text() == "已核查"
    assert "已完成：现场核查。" in pg.locator(".messages").inner_text()
    screenshot(pg, "04-verified-phone")
    handled_case.refresh_from_db()
    assert handled_case.state == "verified"


def test_town_center_accepts_registers_and_dispatches(
    live_server: Any, page: Any, screenshot: Any, personas: Any, category: Any, settings_row: Any
) -> None:
    from civicgrid.cases import services as s

    case = s.case_create(
        user=personas.grid_worker, title="河道堆放垃圾", category=category, channel="grid_patrol",
        lon=IN_GRID_A2_1[0], lat=IN_GRID_A2_1[1], address="甲二村河堤",
    )  # fmt: skip
    pg, base = page, live_server.url
    log_in(pg, base, "town_center", "/cases/todo/")
    assert case.number in pg.locator("#todo-list").inner_text()
    screenshot(pg, "01-todo")

    pg.locator(f"a[href='/cases/{case.number}/']").click()
    pg.wait_for_url(f"{base}/cases/{case.number}/")
    pg.locator("#case-map .leaflet-marker-icon").wait_for(state="visible")
    pg.locator("#case-map.map-ready").wait_for()
    screenshot(pg, "02-case-reported")

    act(pg, "accept", {"note": "已受理，转立案"})
    assert pg.locator("#case-state").inner_text() == "已受理"
    act(pg, "register")
    assert pg.locator("#case-state").inner_text() == "已立案"
    screenshot(pg, "03-registered")
    act(pg, "dispatch", {"lead_unit": "市公安局", "note": "请派员处理"})
    assert pg.locator("#case-state").inner_text() == "已派遣"
    timeline = pg.locator(".timeline-list").inner_text()
    assert [w for w in ("上报", "受理", "立案", "派遣") if w in timeline] == ["上报", "受理", "立案", "派遣"]
    screenshot(pg, "04-dispatched")

    # Someone else acts while this page is open: the next submit says the case changed.
    fresh = Case.objects.get(pk=case.pk)
    s.case_suspend(user=personas.town_head, case=fresh, expected_version=fresh.version, reason="等待法院裁定")
    act(pg, "escalate", {"reason": "需要市级协调"})
    assert "该事件已被他人更新，请刷新后重试。" in pg.locator("#conflict").inner_text()
    assert pg.locator("#case-state").inner_text() == "已挂起"
    screenshot(pg, "05-conflict")

    pg.goto(base + "/cases/map/")
    pg.locator("#cases-map.map-ready").wait_for()
    assert pg.locator("#cases-map path.case-marker").count() == 1
    assert pg.locator("#cases-map path.state-suspended").count() == 1
    screenshot(pg, "06-map")
    case.refresh_from_db()
    assert (case.state, case.lead_unit.code) == ("suspended", "police")
