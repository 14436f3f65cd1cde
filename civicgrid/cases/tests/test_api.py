"""The cases API (/api/v1/cases/) as its clients use it: token or session, each persona seeing only what
it may, the whole loop through HTTP, and every kind of bad input answered with a 4xx that writes nothing.

Personas (civicgrid/conftest.py): the test case lies in grid_a1_1, so it sits in village_a1's queue;
a case in grid_a2_1 (village_a2 has no center) sits in town_a's queue.
"""

from __future__ import annotations

import io
import json
import threading
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import Attachment, Case, CaseEvent, CaseSettings, Reporter
from civicgrid.cases.tests.conftest import IN_GRID_A1_1, IN_GRID_A2_1

API = "/api/v1/cases/"
# What the village center may do with a newly reported case in its queue (case_actions): no "deescalate",
# since no tier with a center lies below the village.
ACTIONS_REPORTED = ["accept", "reject", "merge", "escalate", "suspend", "attachment_add"]
CONFLICT = {"detail": "该事件已被他人更新，请刷新后重试。", "code": "conflict"}


def client_for(user: Any) -> APIClient:
    """A client authenticated the way scripts are: ``Authorization: Token <key>``."""
    token, _created = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def upload(name: str, data: bytes) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def create_body(category: Any, point: tuple[float, float] = IN_GRID_A1_1, **extra: Any) -> dict[str, Any]:
    lon, lat = point
    return {
        "title": "井盖缺失",
        "category": category.code,
        "channel": "grid_patrol",
        "lon": lon,
        "lat": lat,
        "address": "甲一村东路口",
        "reporter_name": "张三丰",
        "reporter_phone": "13812345678",
        **extra,
    }


def post(client: APIClient, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, format="json")


@pytest.fixture
def case(personas: Any, category: Any, settings_row: Any) -> Case:
    """A case created through the API by the grid worker, in village_a1's queue (version 1)."""
    response = post(client_for(personas.grid_worker), API, create_body(category))
    assert response.status_code == 201, response.content
    return Case.objects.get(number=response.json()["number"])


# --- create ----------------------------------------------------------------------------------------


def test_create_returns_the_case_with_reporter_masked(personas: Any, category: Any, world: Any) -> None:
    response = post(client_for(personas.grid_worker), API, create_body(category))

    assert response.status_code == 201
    body = response.json()
    row = Case.objects.get()
    assert body["number"] == row.number
    assert body["state"] == "reported"
    assert body["version"] == 1
    assert body["category"] == {"code": "T01", "name": "测试事件", "kind": "event"}
    assert body["grid"]["code"] == world.grid_a1_1.code
    assert body["region"]["code"] == world.village_a1.code
    assert body["tier"] == 3
    assert body["reporter"] == {
        "name": "张*丰", "phone": "138****5678", "email": "", "anonymous": False, "masked": True,
    }  # fmt: skip
    assert body["actions"] == ["attachment_add"]  # the grid worker handles it but the village center acts
    assert "13812345678" not in response.content.decode()
    assert row.created_by == personas.grid_worker


def test_create_with_tags_shows_them(personas: Any, category: Any) -> None:
    response = post(client_for(personas.grid_worker), API, create_body(category, tags=["夜间", "积水 ", "夜间"]))
    assert response.status_code == 201
    assert response.json()["tags"] == ["夜间", "积水"]
    assert response.json()["attachments"] == []


def test_create_with_a_seeded_category(personas: Any, world: Any) -> None:
    """The data migration seeds the category tree: E0102 暴露垃圾 is usable at once."""
    response = post(client_for(personas.grid_worker), API, {"title": "垃圾", "category": "E0102", "lon": 112.05,
                                                            "lat": 32.3})  # fmt: skip
    assert response.status_code == 201
    assert response.json()["category"]["name"] == "暴露垃圾"


def test_idempotency_key_returns_the_same_case_201_then_200(personas: Any, category: Any) -> None:
    client = client_for(personas.grid_worker)

    first = client.post(API, create_body(category), format="json", HTTP_IDEMPOTENCY_KEY="patrol-0001")
    again = client.post(API, create_body(category), format="json", HTTP_IDEMPOTENCY_KEY="patrol-0001")
    in_body = post(client, API, create_body(category, idempotency_key="patrol-0001"))

    assert (first.status_code, again.status_code, in_body.status_code) == (201, 200, 200)
    assert first.json()["number"] == again.json()["number"] == in_body.json()["number"]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(action="create").count() == 1


def test_idempotency_keys_are_per_user(personas: Any, category: Any) -> None:
    """Another user's identical key neither returns the first user's case nor collides with it."""
    mine = client_for(personas.grid_worker).post(API, create_body(category), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    theirs = client_for(personas.village_center).post(
        API, create_body(category), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["number"] != theirs.json()["number"]


def test_idempotency_key_too_long(personas: Any, category: Any) -> None:
    response = client_for(personas.grid_worker).post(
        API, create_body(category), format="json", HTTP_IDEMPOTENCY_KEY="k" * 81
    )
    assert response.status_code == 400
    assert response.json() == {"idempotency_key": ["幂等键过长（最多 80 个字符）。"]}
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"category": "NOPE"}, {"category": ["事件分类不存在或已停用。"]}),
        ({"title": ""}, {"title": ["该字段不能为空。"]}),
        ({"lon": 112.05, "lat": None}, {"detail": "经度和纬度必须同时提供。", "code": "coordinates"}),
        ({"reporter_phone": "call me"}, {"reporter_phone": ["电话号码格式不正确。"]}),
        ({"channel": "carrier_pigeon"}, {"channel": ["“carrier_pigeon” 不是合法选项。"]}),
    ],
    ids=["unknown-category", "empty-title", "half-a-point", "bad-phone", "bad-channel"],
)
def test_bad_input_is_400_and_writes_nothing(
    personas: Any, category: Any, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = post(client_for(personas.grid_worker), API, {**create_body(category), **body})
    assert response.status_code == 400
    assert response.json() == expected
    assert (Case.objects.count(), Reporter.objects.count(), CaseEvent.objects.count()) == (0, 0, 0)


def test_coordinates_outside_the_city_are_400(personas: Any, category: Any) -> None:
    response = post(client_for(personas.grid_worker), API, create_body(category, point=(116.4, 39.9)))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "far_outside"
    assert body["detail"].startswith("该点离本市超过 50 公里（经度 116.4，纬度 39.9）")
    assert Case.objects.count() == 0


def test_malformed_json_is_400_with_a_clear_message(personas: Any) -> None:
    response = client_for(personas.grid_worker).post(API, '{"title": "漏水", ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("请求体不是有效的 JSON（")
    assert Case.objects.count() == 0


def test_a_json_array_is_not_a_case(personas: Any) -> None:
    response = client_for(personas.grid_worker).post(API, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


@pytest.mark.parametrize("name", ["outsider", "unit_handler", "supervisor", "audit_admin"])
def test_who_may_not_create(personas: Any, category: Any, name: str) -> None:
    response = post(client_for(personas[name]), API, create_body(category))
    assert response.status_code == 403
    assert response.json() == {"detail": "您没有权限执行此操作（case.create）。"}
    assert Case.objects.count() == 0


def test_anonymous_requests_are_refused(category: Any, case: Case) -> None:
    client = APIClient()
    assert client.get(API).status_code == 403
    assert client.get(f"{API}{case.number}/").status_code == 403
    assert post(client, API, create_body(category)).status_code == 403


def test_session_authentication_works_too(personas: Any, case: Case) -> None:
    client = APIClient()
    client.force_login(personas.village_center)
    response = client.get(f"{API}{case.number}/")
    assert response.status_code == 200
    assert response.json()["actions"] == ACTIONS_REPORTED


def test_create_with_a_photo_multipart(personas: Any, category: Any) -> None:
    body = {**create_body(category), "attachments": [upload("现场.png", png())]}
    response = client_for(personas.grid_worker).post(API, body, format="multipart")
    assert response.status_code == 201, response.content
    (item,) = response.json()["attachments"]
    assert (item["original_name"], item["content_type"], item["purpose"]) == ("现场.png", "image/png", "report")


def test_a_disguised_attachment_is_refused_and_nothing_is_written(personas: Any, category: Any) -> None:
    before = media_files()
    body = {**create_body(category), "attachments": [upload("photo.jpg", b"MZ\x90\x00 this is a program")]}
    response = client_for(personas.grid_worker).post(API, body, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "只接受 JPEG、PNG、WebP 图片和 PDF 文件（按文件内容判断）。", "code": "attachment_type",
    }  # fmt: skip
    assert (Case.objects.count(), Attachment.objects.count()) == (0, 0)
    assert media_files() == before


def test_an_oversized_attachment_is_refused(personas: Any, category: Any, settings_row: Any) -> None:
    settings_row.attachment_max_bytes = 100
    settings_row.save()
    body = {**create_body(category), "attachments": [upload("big.png", png() + b"\0" * 200)]}
    response = client_for(personas.grid_worker).post(API, body, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "attachment_too_large"
    assert Case.objects.count() == 0


# --- list, filters, paging --------------------------------------------------------------------------


def test_list_is_scoped_filtered_and_paged(personas: Any, category: Any, world: Any) -> None:
    grid_worker = client_for(personas.grid_worker)
    a1 = post(grid_worker, API, create_body(category, title="甲一"))
    a1b = post(grid_worker, API, create_body(category, title="甲一乙"))
    a2 = post(client_for(personas.town_center), API, create_body(category, point=IN_GRID_A2_1, title="甲二"))
    assert {a1.status_code, a1b.status_code, a2.status_code} == {201}

    town = client_for(personas.town_center)
    listed = town.get(API).json()
    assert listed["count"] == 3
    assert [row["title"] for row in listed["results"]] == ["甲二", "甲一乙", "甲一"]  # newest first
    assert listed["results"][0]["reporter"]["phone"] == "138****5678"

    assert client_for(personas.other_town_center).get(API).json()["count"] == 0
    assert client_for(personas.outsider).get(API).json()["count"] == 0
    assert client_for(personas.grid_worker).get(API).json()["count"] == 2

    def titles(**params: Any) -> list[str]:
        response = town.get(API, params)
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert titles(tier=2) == ["甲二"]
    assert titles(tier=3) == ["甲一乙", "甲一"]
    assert titles(region=world.village_a2.code) == ["甲二"]
    assert titles(state="reported") == ["甲二", "甲一乙", "甲一"]
    assert titles(state=["accepted", "closed"]) == []
    assert titles(deadline="overdue") == []
    assert titles(q="乙") == ["甲一乙"]
    assert titles(category="T01", open="true") == ["甲二", "甲一乙", "甲一"]

    page = town.get(API, {"page_size": 2, "page": 2}).json()
    assert (page["count"], [r["title"] for r in page["results"]], page["next"]) == (3, ["甲一"], None)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"tier": 9}, "tier"), ({"region": "999"}, "region"), ({"category": "NOPE"}, "category"),
     ({"state": "lost"}, "state"), ({"deadline": "soon"}, "deadline")],
)  # fmt: skip
def test_bad_filters_are_400(personas: Any, params: dict[str, Any], field: str) -> None:
    response = client_for(personas.town_center).get(API, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_page_past_the_end_is_404(personas: Any, case: Case) -> None:
    response = client_for(personas.town_center).get(API, {"page": 5})
    assert response.status_code == 404
    assert response.json() == {"detail": "页码无效。"}


def test_todo_lists_what_waits_for_me(personas: Any, case: Case) -> None:
    numbers = [row["number"] for row in client_for(personas.village_center).get(f"{API}todo/").json()["results"]]
    assert numbers == [case.number]
    assert client_for(personas.grid_worker).get(f"{API}todo/").json()["results"] == []


def test_categories(personas: Any, world: Any) -> None:
    rows = client_for(personas.grid_worker).get(f"{API}categories/").json()
    codes = {row["code"] for row in rows}
    assert {"E", "E01", "E0102"} <= codes
    assert client_for(personas.audit_admin).get(f"{API}categories/").json() == []


# --- detail: 404 never leaks existence ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["other_town_center", "other_village_grid_worker", "outsider", "system_admin"])
def test_a_case_i_may_not_see_is_404_like_a_missing_one(personas: Any, case: Case, name: str) -> None:
    client = client_for(personas[name])
    hidden = client.get(f"{API}{case.number}/")
    missing = client.get(f"{API}420683-20990101-99999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "事件不存在或您无权查看。"}
    accept = post(client, f"{API}{case.number}/accept/", {"expected_version": 1})
    assert accept.status_code == 404
    case.refresh_from_db()
    assert case.state == "reported"


def test_detail_for_the_center_in_charge(personas: Any, case: Case) -> None:
    body = client_for(personas.village_center).get(f"{API}{case.number}/").json()
    assert body["number"] == case.number
    assert body["actions"] == ACTIONS_REPORTED
    assert body["reporter"]["masked"] is True
    assert body["city"]["code"] == "420683"


# --- the loop through the API -------------------------------------------------------------------------


def test_the_whole_loop_through_the_api(personas: Any, case: Case, world: Any) -> None:
    center, unit, grid = (client_for(personas[n]) for n in ("village_center", "unit_handler", "grid_worker"))
    url = f"{API}{case.number}/"

    def act(client: APIClient, action: str, body: dict[str, Any], fmt: str = "json") -> dict[str, Any]:
        version = client.get(url).json()["version"]
        response = client.post(f"{url}{action}/", {**body, "expected_version": version}, format=fmt)
        assert response.status_code == 200, (action, response.content)
        return response.json()

    assert act(center, "accept", {"note": "已受理"})["state"] == "accepted"
    assert act(center, "register", {})["state"] == "registered"
    dispatched = act(center, "dispatch", {"note": "请公安处理"})
    assert (dispatched["state"], dispatched["lead_unit"]["code"]) == ("dispatched", "police")
    assert act(unit, "sign-for", {})["state"] == "signed"
    handled = act(unit, "handle", {"note": "已修复", "attachments": [upload("修复后.png", png())]}, fmt="multipart")
    assert handled["state"] == "handled"
    assert [a["purpose"] for a in handled["attachments"]] == ["evidence"]
    assert act(grid, "verify", {"passed": True, "note": "现场已恢复"})["state"] == "verified"
    assert act(center, "close", {})["state"] == "closed"
    done = act(center, "follow-up", {"satisfaction": "satisfied"})
    assert (done["state"], done["satisfaction"], done["version"]) == ("followed_up", "satisfied", 9)

    timeline = center.get(f"{url}timeline/").json()
    assert [(e["action"], e["from_state"], e["to_state"]) for e in timeline] == [
        ("create", "", "reported"),
        ("accept", "reported", "accepted"),
        ("register", "accepted", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("sign_for", "dispatched", "signed"),
        ("handle", "signed", "handled"),
        ("verify_pass", "handled", "verified"),
        ("close", "verified", "closed"),
        ("follow_up", "closed", "followed_up"),
    ]
    assert timeline[1]["actor"] == "village_center"
    assert timeline[1]["action_label"] == "受理"
    stages = center.get(f"{url}stages/").json()
    assert [s["stage"] for s in stages] == ["accept", "sign_for", "handle", "verify", "close", "follow_up"]


def test_a_stale_version_is_409_and_changes_nothing(personas: Any, case: Case) -> None:
    first, second = client_for(personas.village_center), client_for(personas.village_center)
    url = f"{API}{case.number}/"
    assert first.get(url).json()["version"] == second.get(url).json()["version"] == 1

    won = post(first, f"{url}accept/", {"expected_version": 1})
    lost = post(second, f"{url}reject/", {"expected_version": 1, "reason": "重复"})

    assert won.status_code == 200
    assert lost.status_code == 409
    assert lost.json() == {**CONFLICT, "current_version": 2}
    case.refresh_from_db()
    assert (case.state, case.version, case.reject_reason) == ("accepted", 2, "")


def test_a_transition_the_state_does_not_allow_is_400(personas: Any, case: Case) -> None:
    response = post(client_for(personas.village_center), f"{API}{case.number}/close/", {"expected_version": 1})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "事件当前状态为“待受理”，不能执行“结案”。",
        "code": "transition_not_allowed",
        "state": "reported",
        "action": "close",
    }
    case.refresh_from_db()
    assert (case.state, case.version, case.events.count()) == ("reported", 1, 1)


@pytest.mark.parametrize(
    ("action", "body", "expected"),
    [
        ("accept", {}, {"expected_version": ["该字段是必填项。"]}),
        ("accept", {"expected_version": "one"}, {"expected_version": ["请填写合法的整数值。"]}),
        ("reject", {"expected_version": 1}, {"reason": ["该字段是必填项。"]}),
        ("merge", {"expected_version": 1, "into": "420683-20990101-99999"}, {"into": ["目标事件不存在。"]}),
        ("dispatch", {"expected_version": 1, "lead_unit": "nope"}, {"lead_unit": ["属性 code 为 nope 的对象不存在。"]}),
    ],
    ids=["no-version", "bad-version", "no-reason", "unknown-target", "unknown-unit"],
)
def test_bad_transition_input_is_400(
    personas: Any, case: Case, action: str, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = post(client_for(personas.village_center), f"{API}{case.number}/{action}/", body)
    assert response.status_code == 400
    assert response.json() == expected
    case.refresh_from_db()
    assert (case.state, case.version) == ("reported", 1)


def test_a_visible_case_i_may_not_act_on_is_403(personas: Any, case: Case) -> None:
    response = post(client_for(personas.town_center), f"{API}{case.number}/accept/", {"expected_version": 1})
    assert response.status_code == 403
    assert response.json() == {"detail": "您没有权限执行此操作（case.accept）。"}


def test_merge_and_escalate(personas: Any, category: Any, case: Case, world: Any) -> None:
    center = client_for(personas.village_center)
    other = post(client_for(personas.grid_worker), API, create_body(category, title="同一井盖")).json()["number"]
    merged = post(center, f"{API}{other}/merge/", {"expected_version": 1, "into": case.number})
    assert (merged.status_code, merged.json()["state"], merged.json()["merged_into"]) == (200, "merged", case.number)

    up = post(center, f"{API}{case.number}/escalate/", {"expected_version": 1, "reason": "涉及多个村"})
    assert up.status_code == 200
    assert (up.json()["tier"], up.json()["region"]["code"]) == (2, world.town_a.code)


def test_summon_and_report(personas: Any, category: Any, world: Any) -> None:
    number = post(client_for(personas.town_center), API, create_body(category, point=IN_GRID_A2_1)).json()["number"]
    town = client_for(personas.town_center)
    summoned = post(town, f"{API}{number}/summonses/", {"units": ["police", "water"], "reason": "联合处置"})
    assert summoned.status_code == 201, summoned.content
    summons_id = summoned.json()["id"]
    assert [u["unit"] for u in summoned.json()["units"]] == ["police", "water"]

    reported = post(client_for(personas.unit_handler), f"{API}{number}/summonses/{summons_id}/report/", {"note": "到"})
    assert reported.status_code == 200, reported.content
    lines = {u["unit"]: u for u in reported.json()["units"]}
    assert lines["police"]["on_time"] is True
    assert lines["water"]["reported_at"] is None
    again = post(client_for(personas.unit_handler), f"{API}{number}/summonses/{summons_id}/report/", {})
    assert again.status_code == 400
    assert again.json() == {"detail": "该部门已报到。", "code": "already_reported"}


# --- attachments and the reporter's data --------------------------------------------------------------


def test_attachment_upload_list_and_download(personas: Any, case: Case) -> None:
    grid = client_for(personas.grid_worker)
    created = grid.post(
        f"{API}{case.number}/attachments/", {"file": upload("井.png", png()), "purpose": "other"}, format="multipart"
    )
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["url"] == f"{API}{case.number}/attachments/{item['id']}/"
    assert [a["id"] for a in grid.get(f"{API}{case.number}/attachments/").json()] == [item["id"]]

    download = client_for(personas.town_center).get(item["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    stored = Attachment.objects.get(pk=item["id"])
    assert b"".join(download.streaming_content) == stored.file.open("rb").read()

    assert client_for(personas.other_town_center).get(item["url"]).status_code == 404
    assert client_for(personas.outsider).get(item["url"]).status_code == 404
    wrong_case = grid.get(f"{API}{case.number}/attachments/{item['id'] + 1000}/")
    assert wrong_case.status_code == 404


def test_supervisor_may_see_but_not_upload(personas: Any, case: Case) -> None:
    response = client_for(personas.supervisor).post(
        f"{API}{case.number}/attachments/", {"file": upload("a.png", png())}, format="multipart"
    )
    assert response.status_code == 403
    assert Attachment.objects.count() == 0


def test_reporter_reveal_is_for_those_handling_and_audited(personas: Any, case: Case) -> None:
    url = f"{API}{case.number}/reporter/reveal/"
    revealed = client_for(personas.village_center).post(url)
    assert revealed.status_code == 200
    assert revealed.json() == {
        "name": "张三丰", "phone": "13812345678", "email": "", "anonymous": False, "masked": False,
    }  # fmt: skip
    entry = AuditEntry.objects.get(action="case.reporter_reveal")
    assert entry.actor == personas.village_center

    assert client_for(personas.supervisor).post(url).status_code == 403  # sees the case, does not handle it
    assert client_for(personas.other_town_center).post(url).status_code == 404
    assert client_for(personas.village_center).get(url).status_code == 405
    assert AuditEntry.objects.filter(action="case.reporter_reveal").count() == 1


# --- schema -----------------------------------------------------------------------------------------


def test_the_schema_documents_versions_idempotency_and_errors(personas: Any) -> None:
    client = client_for(personas.town_center)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    accept = paths["/api/v1/cases/{number}/accept/"]["post"]
    assert set(accept["responses"]) >= {"200", "400", "403", "404", "409"}
    note = schema["components"]["schemas"]["Note"]
    assert note["required"] == ["expected_version"]
    create = paths["/api/v1/cases/"]["post"]
    assert [p["name"] for p in create["parameters"]] == ["Idempotency-Key"]
    assert set(create["responses"]) >= {"200", "201", "400"}
    assert "/api/v1/cases/{number}/reporter/reveal/" in paths


# --- concurrency: two clients, one case, the same version -----------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the in-memory SQLite test database cannot serve overlapping requests",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_transitions_exactly_one_wins(live_server: Any, personas: Any, category: Any) -> None:
    """Two HTTP clients post accept and reject at the same instant with the same version: one 200, one 409.

    PostgreSQL only: there the live server answers each request in its own thread with its own
    connection, and the row lock (SELECT … FOR UPDATE) orders the two. On SQLite the test database is
    in memory and shared by the live server's threads through one connection, so two requests cannot
    really overlap; SQLite serialises writers anyway (IMMEDIATE transactions), and the sequential
    version check is covered by test_a_stale_version_is_409_and_changes_nothing.
    """
    number = post(client_for(personas.grid_worker), API, create_body(category)).json()["number"]
    token = Token.objects.create(user=personas.village_center).key
    address = urlsplit(live_server.url)
    barrier = threading.Barrier(2)
    results: dict[str, tuple[int, dict[str, Any]]] = {}

    def go(action: str, body: dict[str, Any]) -> None:
        conn = HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
        payload = json.dumps({**body, "expected_version": 1})
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        conn.connect()
        barrier.wait()
        conn.request("POST", f"{API}{number}/{action}/", body=payload, headers=headers)
        response = conn.getresponse()
        results[action] = (response.status, json.loads(response.read()))
        conn.close()

    threads = [
        threading.Thread(target=go, args=("accept", {})),
        threading.Thread(target=go, args=("reject", {"reason": "不属实"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _body in results.values())
    assert statuses == [200, 409]
    winner = next(action for action, (status, _body) in results.items() if status == 200)
    loser = next(body for status, body in results.values() if status == 409)
    assert loser == {**CONFLICT, "current_version": 2}
    case = Case.objects.get(number=number)
    assert case.state == {"accept": "accepted", "reject": "rejected"}[winner]
    assert case.version == 2
    assert case.events.count() == 2
    assert CaseSettings.objects.count() == 1
