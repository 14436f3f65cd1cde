"""The portal in Debian's Chromium on a phone-sized screen: a resident reports with a map pin and a photo,
gets a tracking code, staff close the case through the cases services, and the resident sees the closure
and rates it. Screenshots of every page go to artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Attachment, Case, State
from civicgrid.portal.tests.fixtures import IN_GRID_A1_1, jpeg_with_gps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait_for_map(page: Any) -> None:
    page.wait_for_selector("#map path.leaflet-interactive", timeout=15_000)


def test_resident_reports_tracks_and_rates_on_a_phone(
    live_server: Any, phone_page: Any, screenshot: Any, categories: Any, personas: Any, world: Any
) -> None:
    page = phone_page
    page.goto(live_server.url + "/report/")
    assert page.locator("h1").inner_text() == "我要反映问题"
    _wait_for_map(page)
    screenshot(page, "01-report-step1-map")

    # Step 1: pin the problem on the map (the grid polygons are the base layer).
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.35)
    lon, lat = float(page.input_value("#lon")), float(page.input_value("#lat"))
    assert 112.0 < lon < 112.4 and 32.0 < lat < 32.4
    assert "已标出位置" in page.inner_text("#pin-status")
    screenshot(page, "02-report-pinned")
    page.click("fieldset[data-step='1'] button.next")

    # Step 2: search the categories and answer the category's own questions.
    page.fill("#category-search", "路灯")
    assert page.locator("label.category:visible").count() == 1
    page.click("label.category:has-text('路灯不亮')")
    page.fill("#q_count", "2")
    page.select_option("#q_kind", "street")
    page.check("input[name=q_when][value=night]")
    screenshot(page, "03-report-step2-category")
    page.click("fieldset[data-step='2'] button.next")

    # Step 3: describe it with a photo; no similar case nearby, so no suggestions.
    page.fill("#description", "幸福路路灯一到晚上就不亮，行人看不清路")
    page.set_input_files(
        "#photos", files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
    )
    page.click("details.contact summary")
    page.fill("#email", "resident@example.com")
    assert page.locator("#nearby").is_hidden()
    screenshot(page, "04-report-step3-describe")
    page.click("#submit")

    page.wait_for_selector("#tracking-code")
    code = page.inner_text("#tracking-code")
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    screenshot(page, "05-receipt")
    case = Case.objects.get()
    assert case.attributes == {"count": 2, "kind": "street", "when": ["night"]}
    assert Attachment.objects.filter(case=case).count() == 1
    assert abs(case.lon - lon) < 1e-5 and abs(case.lat - lat) < 1e-5

    # Staff accept, register, dispatch, handle, verify and close it (through the cases services).
    p, s = personas, case_services
    center = {world.village_a1.pk: p.village_center, world.town_a.pk: p.town_center, world.city.pk: p.city_center}
    staff = center.get(case.region_id) or p.town_center
    case = s.case_accept(user=staff, case=case, expected_version=case.version)
    case = s.case_register(user=staff, case=case, expected_version=case.version)
    case = s.case_dispatch(user=staff, case=case, expected_version=case.version, lead_unit=world.police)
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="更换了灯泡")
    verifier = p.grid_worker if case.grid_id == world.grid_a1_1.pk else staff
    case = s.case_verify(user=verifier, case=case, expected_version=case.version, passed=True)
    case = s.case_close(user=staff, case=case, expected_version=case.version)
    assert case.state == State.CLOSED

    # The resident follows the link: closed, with the public timeline and no staff names.
    page.click("#tracking-link")
    page.wait_for_selector("#case-state")
    assert page.inner_text("#case-state") == "已结案"
    timeline = page.inner_text("#timeline")
    assert "已办结" in timeline and "现场核查通过" in timeline
    for secret in ("更换了灯泡", p.unit_handler.username, staff.username, "resident@example.com"):
        assert secret not in page.content()
    screenshot(page, "06-tracking-closed")

    page.check("input[name=satisfaction][value=satisfied]")
    page.fill("#rate-note", "很快就修好了，谢谢")
    page.click("#rate button[type=submit]")
    page.wait_for_selector("#case-state")
    screenshot(page, "07-tracking-rated")
    case.refresh_from_db()
    assert (case.state, case.satisfaction) == (State.FOLLOWED_UP, "satisfied")
    assert page.inner_text("#case-state") == "已回访"
    assert page.inner_text("#case-satisfaction") == "满意"


def test_nearby_open_case_is_suggested_and_resident_adds_their_voice(
    live_server: Any, phone_page: Any, screenshot: Any, categories: Any, world: Any
) -> None:
    existing = case_services.case_create(
        user=None, title="幸福路路灯不亮", category="LAMP", channel="resident",
        lon=IN_GRID_A1_1[0], lat=IN_GRID_A1_1[1], attributes={"count": 1},
    )  # fmt: skip
    page = phone_page
    page.goto(live_server.url + "/report/")
    _wait_for_map(page)
    # Place the pin 30 m away through the map itself (as a click would).
    page.evaluate(
        "([lon, lat]) => { document.getElementById('lon').value = lon; document.getElementById('lat').value = lat; }",
        [f"{IN_GRID_A1_1[0] + 0.0003:.6f}", f"{IN_GRID_A1_1[1]:.6f}"],
    )
    page.click("fieldset[data-step='1'] button.next")
    page.click("label.category:has-text('路灯不亮')")
    page.fill("#q_count", "1")
    page.click("fieldset[data-step='2'] button.next")
    page.wait_for_selector("#nearby:not([hidden]) li.candidate")
    assert "幸福路路灯不亮" in page.inner_text("#nearby")
    assert "28 米" in page.inner_text("#nearby")
    screenshot(page, "01-nearby-suggestion")
    page.click(f"button.metoo[data-case='{existing.number}']")
    page.wait_for_selector("#tracking-code")
    screenshot(page, "02-voice-added")
    assert page.inner_text("#case-number") == existing.number
    assert Case.objects.count() == 1


def test_stats_page_draws_charts_and_english_report_page(
    live_server: Any, page: Any, screenshot: Any, categories: Any, world: Any
) -> None:
    vendor = Path(__file__).resolve().parents[1] / "static" / "portal" / "vendor" / "echarts.min.js"
    assert vendor.exists(), "ECharts is fetched at install time: run scripts/bootstrap (see its ECharts lines)"
    for lon in (112.05, 112.15, 112.3):
        case_services.case_create(
            user=None, title="路灯", category="LAMP", channel="resident", lon=lon, lat=32.3, attributes={"count": 1}
        )
    page.goto(live_server.url + "/stats/")
    page.wait_for_function("document.body.dataset.statsLoaded === '1'")
    assert page.inner_text("#kpi-received") == "3"
    assert page.locator("#chart-months canvas").count() == 1
    assert "甲镇" in page.inner_text("#table-towns")
    screenshot(page, "01-stats")

    page.goto(live_server.url + "/report/")
    with page.expect_navigation():  # the switch posts the form and redirects back
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "02-report-en")
