"""The staff workbench pages (/cases/): who lands where, what each persona sees and may do, the small
action forms with their version (a conflict says "this case changed, reload"), and the map's data.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.template import engines
from django.test import Client
from PIL import Image

from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.services import case_deadline_sweep
from civicgrid.cases.tests.conftest import IN_GRID_A1_1, bj

CONFLICT_TEXT = "该事件已被他人更新，请刷新后重试。"


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def png_upload(name: str = "现场.png") -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (6, 6), (0, 90, 200)).save(out, format="PNG")
    out.seek(0)
    out.name = name
    return out


@pytest.fixture
def case(new_case: Any) -> Case:
    """A resident's case in grid_a1_1, waiting in village_a1's queue."""
    return new_case()


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


# --- landing and access ---------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(db: None) -> None:
    response = Client().get("/cases/todo/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/cases/todo/"


def test_login_then_the_todo_list(personas: Any, case: Case) -> None:
    from civicgrid.conftest import PERSONA_PASSWORD

    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "village_center", "password": PERSONA_PASSWORD, "next": "/cases/todo/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/cases/todo/"
    html = page(client, "/cases/todo/")
    assert case.number in html
    assert "1 件等待您处理" in html


def test_people_without_casework_land_on_the_home_page(personas: Any) -> None:
    response = login(personas.system_admin).get("/cases/todo/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert login(personas.outsider).get("/cases/").status_code == 403
    assert login(personas.audit_admin).get("/cases/map/").status_code == 403


def test_todo_shows_yellow_then_red(clock: Any, personas: Any, new_case: Any) -> None:
    """Mon 2025-09-22 09:00: accept limit 2 working hours → warning at 10:30, due at 11:00."""
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    client = login(personas.village_center)
    assert 'class="deadline deadline-ok"' in page(client, "/cases/todo/")

    clock.at(bj(2025, 9, 22, 10, 45))
    case_deadline_sweep()
    html = page(client, "/cases/todo/")
    assert "case-card deadline-border-yellow" in html
    assert "预警 · 09-22 11:00 到期" in html

    clock.at(bj(2025, 9, 22, 11, 30))
    case_deadline_sweep()
    html = page(client, "/cases/todo/")
    assert "case-card deadline-border-red" in html
    assert "超时 · 09-22 11:00 到期" in html
    assert case.number in page(client, "/cases/?deadline=overdue")
    assert case.number not in page(client, "/cases/?deadline=warning")


def test_the_grid_worker_todo_is_empty_until_there_is_something_to_verify(personas: Any, case: Case) -> None:
    html = page(login(personas.grid_worker), "/cases/todo/")
    assert "暂无待办事件。" in html
    assert case.number not in html


# --- the list ------------------------------------------------------------------------------------------


def test_list_filters_and_htmx_rows(personas: Any, new_case: Any, world: Any) -> None:
    mine = new_case(title="井盖缺失")
    elsewhere = new_case(title="路灯不亮", point=(112.3, 32.2))  # town_b
    client = login(personas.town_center)

    html = page(client, "/cases/")
    assert mine.number in html
    assert elsewhere.number not in html  # town_b is not the town center's
    assert "共 1 件" in html

    rows = client.get("/cases/", {"state": "accepted"}, HTTP_HX_REQUEST="true")
    assert rows.status_code == 200
    assert "<html" not in rows.content.decode()
    assert "没有符合条件的事件。" in rows.content.decode()

    assert mine.number in page(client, f"/cases/?region={world.village_a1.code}&open=on&q=井盖")
    assert mine.number not in page(client, f"/cases/?region={world.village_a2.code}")


def test_a_bad_filter_is_400_with_the_reason(personas: Any, case: Case) -> None:
    response = login(personas.town_center).get("/cases/", {"region": "999999"})
    assert response.status_code == 400
    assert "区划代码不存在。" in response.content.decode()


# --- the case page --------------------------------------------------------------------------------------


def test_case_page_for_the_center_in_charge(personas: Any, case: Case) -> None:
    html = page(login(personas.village_center), f"/cases/{case.number}/")
    assert case.title in html
    for verb in ("accept", "reject", "merge", "escalate", "suspend", "attachment_add"):
        assert f"/cases/{case.number}/act/{verb}/" in html
    assert f'name="accept-expected_version" value="{case.version}"' in html
    assert "张*丰" in html and "138****5678" in html
    assert "13812345678" not in html
    assert 'id="case-map"' in html and 'data-lon="112.050000"' in html
    assert "查看完整信息（留痕）" in html


def test_case_page_for_someone_who_may_only_look(personas: Any, case: Case) -> None:
    html = page(login(personas.supervisor), f"/cases/{case.number}/")
    assert "/act/" not in html
    assert "查看完整信息（留痕）" not in html


@pytest.mark.parametrize("name", ["other_town_center", "other_village_grid_worker", "unit_handler"])
def test_case_page_is_404_for_those_who_may_not_see_it(personas: Any, case: Case, name: str) -> None:
    client = login(personas[name])
    assert client.get(f"/cases/{case.number}/").status_code == 404
    assert client.get("/cases/420683-20990101-99999/").status_code == 404
    assert client.post(f"/cases/{case.number}/act/accept/", {"accept-expected_version": 1}).status_code == 404


def test_accept_register_dispatch_through_the_forms(personas: Any, case: Case) -> None:
    client = login(personas.village_center)
    url = f"/cases/{case.number}/"

    response = client.post(f"{url}act/accept/", {"accept-expected_version": 1, "accept-note": "已受理"})
    assert (response.status_code, response["Location"]) == (302, url)
    assert "已完成：受理。" in page(client, url)
    client.post(f"{url}act/register/", {"register-expected_version": 2, "register-category": ""})
    response = client.post(f"{url}act/dispatch/", {"dispatch-expected_version": 3, "dispatch-lead_unit": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.lead_unit.code, case.version) == ("dispatched", "police", 4)
    assert [e.action for e in CaseEvent.objects.filter(case=case).order_by("id")] == [
        "create", "accept", "register", "dispatch",
    ]  # fmt: skip


def test_a_stale_form_shows_this_case_changed_reload(personas: Any, case: Case) -> None:
    client = login(personas.village_center)
    client.post(f"/cases/{case.number}/act/accept/", {"accept-expected_version": 1})

    response = client.post(f"/cases/{case.number}/act/reject/", {"reject-expected_version": 1, "reject-reason": "重复"})

    assert response.status_code == 409
    html = response.content.decode()
    assert CONFLICT_TEXT in html
    assert 'id="conflict"' in html
    assert 'name="register-expected_version" value="2"' in html  # the page shows the case as it is now
    case.refresh_from_db()
    assert (case.state, case.version) == ("accepted", 2)


def test_a_form_with_missing_input_is_400_and_kept_open(personas: Any, case: Case) -> None:
    response = login(personas.village_center).post(
        f"/cases/{case.number}/act/reject/", {"reject-expected_version": 1, "reject-reason": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<details class="action action-reject" open>' in html
    assert "该字段是必填项。" in html
    case.refresh_from_db()
    assert case.state == "reported"


def test_an_action_the_state_does_not_allow(personas: Any, case: Case) -> None:
    response = login(personas.village_center).post(f"/cases/{case.number}/act/close/", {"close-expected_version": 1})
    assert response.status_code == 400
    assert "事件当前状态为“待受理”，不能执行“结案”。" in response.content.decode()


def test_an_action_i_may_not_take_is_403(personas: Any, case: Case) -> None:
    response = login(personas.town_center).post(f"/cases/{case.number}/act/accept/", {"accept-expected_version": 1})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == "reported"


def test_unknown_action_and_wrong_method(personas: Any, case: Case) -> None:
    client = login(personas.village_center)
    assert client.post(f"/cases/{case.number}/act/teleport/", {}).status_code == 404
    assert client.get(f"/cases/{case.number}/act/accept/").status_code == 405


def test_reveal_with_htmx_is_audited(personas: Any, case: Case) -> None:
    response = login(personas.village_center).post(f"/cases/{case.number}/reporter/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "13812345678" in html and "张三丰" in html
    assert "<html" not in html
    assert AuditEntry.objects.filter(action="case.reporter_reveal", actor=personas.village_center).count() == 1
    assert login(personas.supervisor).post(f"/cases/{case.number}/reporter/").status_code == 403
    assert AuditEntry.objects.filter(action="case.reporter_reveal").count() == 1


def test_upload_and_download_an_attachment(personas: Any, case: Case) -> None:
    client = login(personas.grid_worker)
    response = client.post(
        f"/cases/{case.number}/act/attachment_add/",
        {"attachment_add-expected_version": 1, "attachment_add-file": png_upload(), "attachment_add-purpose": "other"},
    )
    assert response.status_code == 302
    attachment = case.attachments.get()
    download = login(personas.town_center).get(f"/cases/{case.number}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert (
        login(personas.other_town_center).get(f"/cases/{case.number}/attachments/{attachment.pk}/").status_code == 404
    )


def test_a_disguised_upload_is_refused_on_the_page(personas: Any, case: Case) -> None:
    fake = io.BytesIO(b"<?php echo 1; ?>")
    fake.name = "photo.png"
    response = login(personas.grid_worker).post(
        f"/cases/{case.number}/act/attachment_add/",
        {"attachment_add-expected_version": 1, "attachment_add-file": fake, "attachment_add-purpose": "other"},
    )
    assert response.status_code == 400
    assert "只接受 JPEG、PNG、WebP 图片和 PDF 文件（按文件内容判断）。" in response.content.decode()
    assert case.attachments.count() == 0


# --- taking in a case -----------------------------------------------------------------------------------


def test_grid_worker_reports_a_case_once_even_when_tapping_twice(personas: Any, category: Any) -> None:
    client = login(personas.grid_worker)
    html = page(client, "/cases/new/")
    assert 'id="pick-map"' in html
    lon, lat = IN_GRID_A1_1
    form = {
        "title": "路面塌陷", "category": category.code, "channel": "grid_patrol", "lon": lon, "lat": lat,
        "idempotency_key": "3f1c0d", "address": "甲一村",
    }  # fmt: skip
    first = client.post("/cases/new/", form)
    second = client.post("/cases/new/", form)
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == f"/cases/{case.number}/"
    assert (case.channel, case.created_by, case.grid.code) == ("grid_patrol", personas.grid_worker, "420683100200001")


def test_report_form_errors(personas: Any, category: Any) -> None:
    client = login(personas.grid_worker)
    response = client.post("/cases/new/", {"title": "x", "category": category.code, "channel": "grid_patrol",
                                           "lon": 116.4, "lat": 39.9})  # fmt: skip
    assert response.status_code == 400
    assert "该点离本市超过 50 公里" in response.content.decode()
    assert Case.objects.count() == 0
    assert login(personas.supervisor).get("/cases/new/").status_code == 403


# --- the map --------------------------------------------------------------------------------------------


def test_map_data_is_scoped(personas: Any, new_case: Any, world: Any, settings: Any) -> None:
    here = new_case()
    there = new_case(point=(112.3, 32.2))
    client = login(personas.town_center)

    settings.CIVICGRID = {**settings.CIVICGRID, "TILE_URL": "https://tiles.example/{z}/{x}/{y}.png"}
    html = page(client, "/cases/map/")
    assert 'data-tiles="https://tiles.example/{z}/{x}/{y}.png"' in html
    assert "/static/leaflet/leaflet.js" in html

    grids = client.get("/cases/map/grids.geojson").json()
    assert sorted(f["properties"]["code"] for f in grids["features"]) == [
        world.grid_a1_1.code, world.grid_a1_2.code, world.grid_a2_1.code,
    ]  # fmt: skip
    assert grids["features"][0]["geometry"]["type"] == "Polygon"

    points = client.get("/cases/map/cases.geojson").json()["features"]
    assert [p["properties"]["number"] for p in points] == [here.number]
    assert points[0]["geometry"] == {"type": "Point", "coordinates": [112.05, 32.3]}
    assert points[0]["properties"]["state"] == "reported"
    assert points[0]["properties"]["url"] == f"/cases/{here.number}/"
    other = login(personas.other_town_center).get("/cases/map/cases.geojson").json()["features"]
    assert [p["properties"]["number"] for p in other] == [there.number]


def test_no_tiles_by_default(personas: Any) -> None:
    assert 'data-tiles=""' in page(login(personas.town_center), "/cases/map/")


# --- the header link ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "shown"), [("grid_worker", True), ("unit_handler", True), ("outsider", False),
                                             ("system_admin", False)])  # fmt: skip
def test_workbench_nav_tag(personas: Any, rf: Any, name: str, shown: bool) -> None:
    request = rf.get("/")
    request.user = personas[name]
    html = engines["django"].from_string("{% load workbench %}{% workbench_nav %}").render({}, request)
    assert (html == '<a class="workbench-link" href="/cases/todo/">工作台</a>') is shown
    if not shown:
        assert html == ""
