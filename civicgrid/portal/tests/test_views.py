"""The public pages through Django's test client: reporting, bad input on every endpoint (always a 4xx
with a clear message, never a 500), tracking and its actions, nearby cases, the map and statistics."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Attachment, Case, CaseEvent, Channel, EscalationRequest, State
from civicgrid.portal.models import PortalSettings, RateLimit, TrackingCode
from civicgrid.portal.services import code_hash
from civicgrid.portal.tests.fixtures import IN_GRID_A1_1, exe_named_png, jpeg_with_gps

pytestmark = pytest.mark.django_db


def form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "LAMP",
        "lon": str(IN_GRID_A1_1[0]),
        "lat": str(IN_GRID_A1_1[1]),
        "address": "幸福路12号",
        "description": "幸福路的路灯连续三晚不亮",
        "q_count": "3",
        "q_when": ["dusk", "night"],
        "name": "张三",
        "phone": "13800001111",
        "email": "zhang@example.com",
        "idem": "k1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def code_from(response: Any) -> str:
    match = re.search(r'id="tracking-code">([A-Z0-9-]+)<', response.content.decode())
    assert match, response.content.decode()[:2000]
    return match.group(1).replace("-", "")


def test_report_page_lists_only_public_categories(client: Client, categories: Any) -> None:
    response = client.get("/report/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="LAMP"' in page and 'value="TRASH"' in page
    assert 'value="INTERNAL"' not in page and 'value="DISP"' not in page and 'value="URB"' not in page
    config = json.loads(re.search(r'id="portal-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["maxPhotos"] == 5 and config["tileUrl"] == ""


def test_tile_url_setting_reaches_the_map(client: Client, categories: Any, settings: Any) -> None:
    settings.CIVICGRID = {**settings.CIVICGRID, "TILE_URL": "https://tiles.city.example/{z}/{x}/{y}.png"}
    page = client.get("/report/").content.decode()
    config = json.loads(re.search(r'id="portal-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["tileUrl"] == "https://tiles.city.example/{z}/{x}/{y}.png"


def test_report_creates_case_with_photo_and_tracking_code(client: Client, categories: Any, world: Any) -> None:
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post("/report/", {**form(), "photos": [photo]})
    assert response.status_code == 201, response.content.decode()[:3000]
    code = code_from(response)
    case = Case.objects.get()
    assert (case.channel, case.category.code, case.grid, case.title) == (
        Channel.RESIDENT,
        "LAMP",
        world.grid_a1_1,
        "幸福路的路灯连续三晚不亮",
    )
    assert case.attributes == {"count": 3, "when": ["dusk", "night"]}
    assert (case.reporter.name, case.reporter.phone, case.reporter.email) == (
        "张三",
        "13800001111",
        "zhang@example.com",
    )
    assert TrackingCode.objects.get().code_hash == code_hash(code)
    (attachment,) = Attachment.objects.filter(case=case)
    with attachment.file.open("rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
        assert stored.getexif().get_ifd(0x8825) == {}  # the GPS block is gone
        assert 0x010F not in stored.getexif()
    # A double tap (same idempotency key) gives the same case.
    again = client.post("/report/", form())
    assert again.status_code == 201
    assert Case.objects.count() == 1
    assert code_from(again) != code


def test_report_anonymous_keeps_no_name_or_phone(client: Client, categories: Any) -> None:
    response = client.post("/report/", form(anonymous="on", email=""))
    assert response.status_code == 201
    reporter = Case.objects.get().reporter
    assert reporter is None or (reporter.name, reporter.phone) == ("", "")


def test_report_by_address_only(client: Client, categories: Any, world: Any) -> None:
    response = client.post("/report/", form(lon="", lat="", address="甲镇幸福路"))
    assert response.status_code == 201
    assert (Case.objects.get().lon, Case.objects.get().region) == (None, world.city)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"category": ""}, "请选择问题分类。"),
        ({"category": "INTERNAL"}, "请选择一个有效的问题分类。"),
        ({"category": "DISP"}, "请选择一个有效的问题分类。"),
        ({"description": ""}, "请描述问题。"),
        ({"description": "长" * 2001}, "问题描述最多 2000 个字。"),
        ({"lon": "", "lat": "", "address": ""}, "请在地图上标出位置，或填写地址。"),
        ({"lat": ""}, "请在地图上点选位置，或只填写地址。"),
        ({"lon": "east"}, "经度必须是数字。"),
        ({"lat": "123"}, "纬度超出范围。"),
        ({"lon": "inf"}, "经度必须是数字。"),
        ({"lon": "10", "lat": "10"}, None),  # far outside the city: the routing module's message
        ({"q_count": ""}, "缺少必填属性 count（不亮的盏数）。"),
        ({"q_count": "many"}, "属性 count 必须是数字。"),
        ({"q_when": ["noon"]}, "属性 when 的取值无效：noon。"),
        ({"phone": "call me"}, "电话号码格式不正确。"),
        ({"email": "nope"}, "电子邮箱格式不正确。"),
        ({"name": "名" * 51}, None),
    ],
)
def test_report_bad_input_is_400_with_a_message(
    client: Client, categories: Any, overrides: dict[str, Any], message: str | None
) -> None:
    response = client.post("/report/", form(**overrides))
    assert response.status_code == 400, response.content.decode()[:1500]
    page = response.content.decode()
    error = re.search(r'id="form-error">(.*?)</p>', page, re.S)
    assert error is not None
    if message is not None:
        assert error.group(1).strip() == message
    assert Case.objects.count() == 0


def test_photos_checked_by_content_count_and_size(client: Client, categories: Any) -> None:
    fake = SimpleUploadedFile("photo.png", exe_named_png(), content_type="image/png")
    response = client.post("/report/", {**form(), "photos": [fake]})
    assert response.status_code == 400
    assert "“photo.png”不是 JPEG、PNG 或 WebP 图片。" in response.content.decode()

    six = [SimpleUploadedFile(f"{i}.jpg", jpeg_with_gps(), content_type="image/jpeg") for i in range(6)]
    response = client.post("/report/", {**form(), "photos": six})
    assert response.status_code == 400
    assert "最多上传 5 张照片。" in response.content.decode()

    PortalSettings.objects.update(photo_max_bytes=100)
    big = SimpleUploadedFile("big.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post("/report/", {**form(), "photos": [big]})
    assert response.status_code == 400
    assert "照片“big.jpg”过大" in response.content.decode()
    assert Case.objects.count() == 0


def test_huge_body_is_413(client: Client, categories: Any) -> None:
    PortalSettings.objects.update(photo_max_bytes=1000, max_photos=1)
    payload = SimpleUploadedFile("a.jpg", b"\xff\xd8\xff" + b"0" * 1_100_000, content_type="image/jpeg")
    response = client.post("/report/", {**form(), "photos": [payload]})
    assert response.status_code == 413
    assert "上传内容过大。" in response.content.decode()


def test_html_in_user_text_is_never_rendered(client: Client, categories: Any) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = client.post("/report/", form(description=evil, title=evil))
    code = code_from(response)
    page = client.get(f"/track/{code}/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_report_rate_limit_does_not_block_other_addresses(client: Client, categories: Any) -> None:
    RateLimit.objects.filter(scope="report-submit").update(max_requests=2)
    statuses = [client.post("/report/", form(idem=f"k{i}")).status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    limited = client.post("/report/", form(idem="k9"))
    assert "操作过于频繁，请" in limited.content.decode()
    assert int(limited["Retry-After"]) > 0
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert other.post("/report/", form(idem="k10")).status_code == 201
    # Limits are data: switching the row off lifts the limit.
    RateLimit.objects.filter(scope="report-submit").update(is_active=False)
    assert client.post("/report/", form(idem="k11")).status_code == 201


# --- tracking ----------------------------------------------------------------------------------


@pytest.fixture
def filed(client: Client, categories: Any) -> tuple[str, Case]:
    response = client.post("/report/", form())
    return code_from(response), Case.objects.get()


def test_tracking_page_shows_state_tier_unit_due_and_public_timeline_only(
    client: Client, filed: tuple[str, Case], personas: Any, world: Any
) -> None:
    code, case = filed
    p = personas
    case = case_services.case_accept(
        user=p.village_center, case=case, expected_version=case.version, note="内部备注：找老王"
    )
    case = case_services.case_register(user=p.village_center, case=case, expected_version=case.version)
    case = case_services.case_dispatch(
        user=p.village_center, case=case, expected_version=case.version, lead_unit=world.urban
    )
    page = client.get(f"/track/{code}/").content.decode()
    assert re.search(r'id="case-state"[^>]*>已派遣<', page)
    assert re.search(r'id="case-tier">村（社区）级<', page)
    assert re.search(r'id="case-handler">市城市管理局<', page)
    assert 'id="case-due"' in page
    timeline = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', page, re.S).group(1)
    assert [m for m in re.findall(r"<strong>(.*?)</strong>", timeline)] == [
        "收到上报",
        "已受理",
        "已立案",
        "已派遣至办理部门",
    ]
    for secret in ("内部备注", "找老王", p.village_center.username, "张三", "13800001111", "zhang@example.com"):
        assert secret not in page
    # A formatted code (with dashes, lower case) works too.
    pretty = "-".join(code[i : i + 4] for i in range(0, 12, 4)).lower()
    assert client.get(f"/track/{pretty}/").status_code == 200


def test_tracking_unknown_code_is_404_and_lookups_are_rate_limited(client: Client, categories: Any) -> None:
    RateLimit.objects.filter(scope="track-lookup").update(max_requests=3)
    response = client.get("/track/ABCDEFGHJKMN/")
    assert response.status_code == 404
    assert "查询码不存在，请核对后重试。" in response.content.decode()
    assert client.get("/track/x/").status_code == 404
    assert [client.get("/track/ABCDEFGHJKMN/").status_code for _i in range(2)] == [404, 429]


def test_track_form_redirects_to_the_code(client: Client, filed: tuple[str, Case]) -> None:
    code, _case = filed
    response = client.post("/track/", {"code": f" {code[:4]}-{code[4:8]}-{code[8:]} "})
    assert (response.status_code, response["Location"]) == (302, f"/track/{code}/")
    assert client.post("/track/", {"code": ""}).status_code == 400


def test_escalation_request_is_always_recorded(client: Client, filed: tuple[str, Case]) -> None:
    code, case = filed
    response = client.post(f"/track/{code}/escalate/", {"reason": "一直没人管"})
    assert (response.status_code, response["Location"]) == (302, f"/track/{code}/?done=1")
    request = EscalationRequest.objects.get(case=case)
    assert request.reason == "一直没人管"
    page = client.get(response["Location"]).content.decode()
    assert "群众申请提级：已记录并转交" in page and "已提交，谢谢。" in page


def test_unknown_action_and_bad_input_on_actions(client: Client, filed: tuple[str, Case]) -> None:
    code, _case = filed
    assert client.post(f"/track/{code}/delete/").status_code == 404
    assert client.post(f"/track/{code}/rate/", {"satisfaction": "ecstatic"}).status_code == 400
    assert client.post(f"/track/{code}/escalate/", {"reason": "长" * 2001}).status_code == 400
    assert client.post(f"/track/{code}/info/", {"text": ""}).status_code == 400
    assert client.post("/track/ABCDEFGHJKMN/escalate/", {"reason": "x"}).status_code == 404
    assert client.get(f"/track/{code}/escalate/").status_code == 405


def test_rating_after_closure(client: Client, filed: tuple[str, Case], personas: Any, world: Any) -> None:
    """The rating form appears only once the case is closed; "dissatisfied" reopens the case."""
    code, case = filed
    assert 'id="rate"' not in client.get(f"/track/{code}/").content.decode()
    assert client.post(f"/track/{code}/rate/", {"satisfaction": "satisfied"}).status_code == 400  # not closed yet
    case = close_case(case, personas, world)
    page = client.get(f"/track/{code}/").content.decode()
    assert re.search(r'id="case-state"[^>]*>已结案<', page)
    assert 'id="rate"' in page
    response = client.post(f"/track/{code}/rate/", {"satisfaction": "dissatisfied", "note": "灯还是暗"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.reopen_count) == (State.REGISTERED, 1)
    page = client.get(response["Location"]).content.decode()
    timeline = re.findall(r"<strong>(.*?)</strong>", re.search(r'id="timeline">(.*?)</ol>', page, re.S).group(1))
    assert timeline[-2:] == ["已回访", "群众不满意，重新办理"]
    assert "灯还是暗" not in page


def test_add_info_with_a_photo(client: Client, filed: tuple[str, Case]) -> None:
    code, case = filed
    photo = SimpleUploadedFile("more.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(f"/track/{code}/info/", {"text": "晚上七点以后才不亮，电话 139xxxx", "photos": [photo]})
    assert response.status_code == 302
    event = CaseEvent.objects.get(case=case, action="info_added")
    assert event.note == "晚上七点以后才不亮，电话 139xxxx"
    assert Attachment.objects.filter(case=case).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "群众补充了信息" in page and "电话 139" not in page
    fake = SimpleUploadedFile("x.png", exe_named_png(), content_type="image/png")
    assert client.post(f"/track/{code}/info/", {"text": "再补充", "photos": [fake]}).status_code == 400


def close_case(case: Case, personas: Any, world: Any) -> Case:
    p, s = personas, case_services
    case = s.case_accept(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_register(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_dispatch(user=p.village_center, case=case, expected_version=case.version, lead_unit=world.police)
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="已修复")
    case = s.case_verify(user=p.grid_worker, case=case, expected_version=case.version, passed=True)
    case = s.case_close(user=p.village_center, case=case, expected_version=case.version)
    assert case.state == State.CLOSED
    return case


# --- nearby, join, map, stats ------------------------------------------------------------------


def test_nearby_and_join(client: Client, filed: tuple[str, Case]) -> None:
    _code, case = filed
    params = {"category": "LAMP", "lon": str(IN_GRID_A1_1[0] + 0.0005), "lat": str(IN_GRID_A1_1[1]), "text": "路灯不亮"}
    data = json.loads(client.get("/report/nearby.json", params).content)
    reported = case.created_at.date().isoformat()
    assert data == {
        "candidates": [
            {"number": case.number, "title": case.title, "state": "待受理", "reported": reported, "distance_m": 47}
        ]
    }
    for bad in ({"category": "NOPE"}, {"category": "LAMP", "lon": "x", "lat": "1"}, {"category": "LAMP", "lon": "1"},
                {"category": "LAMP", "lon": "500", "lat": "1"}):  # fmt: skip
        response = client.get("/report/nearby.json", bad)
        assert response.status_code == 400
        assert json.loads(response.content)["error"]
    response = client.post("/report/join/", {"case": case.number, "email": "li@example.com", "anonymous": "on"})
    assert response.status_code == 201
    joined = TrackingCode.objects.get(joined=True)
    assert joined.case == case
    assert (joined.reporter.case, joined.reporter.joined, joined.reporter.email, joined.reporter.name) == (
        case,
        True,
        "li@example.com",
        "",
    )
    assert CaseEvent.objects.filter(case=case, action="reporter_added").count() == 1
    assert client.get(f"/track/{code_from(response)}/").status_code == 200
    assert client.post("/report/join/", {"case": "nope"}).status_code == 404
    assert client.post("/report/join/", {"case": case.number, "email": "bad"}).status_code == 400


def test_map_geojson(client: Client, world: Any) -> None:
    data = json.loads(client.get("/report/map.geojson").content)
    names = sorted(f["properties"]["name"] for f in data["features"])
    assert names == sorted(["甲镇", "乙镇", "甲一村第1网格", "甲一村第2网格", "甲二村第1网格", "乙一村第1网格"])
    assert data["features"][0]["geometry"]["type"] == "Polygon"


def test_stats_page_and_data(client: Client, filed: tuple[str, Case], world: Any) -> None:
    assert client.get("/stats/").status_code == 200
    data = json.loads(client.get("/stats/data.json", {"months": "3"}).content)
    assert data["totals"]["received"] == 1
    assert data["by_town"] == [{"code": world.town_a.code, "name": "甲镇", "received": 1, "closed": 0}]
    assert data["by_category"] == [{"code": "LAMP", "name": "路灯不亮", "received": 1, "closed": 0}]
    assert "张三" not in json.dumps(data, ensure_ascii=False)
    for bad in ("0", "37", "x"):
        assert client.get("/stats/data.json", {"months": bad}).status_code == 400


def test_risk_escalation_shows_as_a_plain_escalation_to_the_resident() -> None:
    """A dispute's risk signals are internal: the public timeline says it moved up, not why."""
    from civicgrid.cases.models import CaseEvent
    from civicgrid.portal.selectors import PUBLIC_ACTIONS, public_label

    assert "risk_escalate" in PUBLIC_ACTIONS
    assert public_label(CaseEvent(action="risk_escalate")) == public_label(CaseEvent(action="escalate")) == "提级办理"
