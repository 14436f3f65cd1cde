"""The dispute pages as each persona sees them: workbench, board, the dispute page and its forms,
the htmx reveal, screening, figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from civicgrid.audit.models import AuditEntry
from civicgrid.disputes.models import Mediation, MediationSession, Outcome, PartyRole, ScreeningStatus

from .conftest import NOW, make_id, new_dispute, person

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def dispute(world: Any, personas: Any, categories: Any, roster: Any, clock: Any) -> Mediation:
    mediation = new_dispute(
        personas.village_center,
        categories.neighbours,
        grid=world.grid_a1_1,
        title="排水纠纷",
        parties=[
            person(PartyRole.APPLICANT, "张三", id_number=make_id("19700101", "011"), phone="13811112222"),
            person(PartyRole.RESPONDENT, "李四"),
        ],
    )
    return mediation


def test_dispute_page_masks_and_offers_the_reveal_only_to_those_handling(personas: Any, dispute: Mediation) -> None:
    url = f"/disputes/{dispute.case.number}/"
    number = make_id("19700101", "011")
    page = _client(personas.village_center).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "排水纠纷" in html and "138****2222" in html and f"{number[:6]}********{number[-4:]}" in html
    assert number not in html and "13811112222" not in html
    assert "查看完整信息" in html and "指定调解员" in html and "登记调解结果" in html

    leader = _client(personas.leader).get(url).content.decode()
    assert "138****2222" in leader and "查看完整信息" not in leader and "登记调解结果" not in leader
    assert _client(personas.other_town_center).get(url).status_code == 404
    assert _client(personas.outsider).get(url).status_code == 404

    party = dispute.parties.get(name="张三")
    reveal = f"/disputes/{dispute.case.number}/parties/{party.pk}/reveal/"
    assert _client(personas.leader).post(reveal, HTTP_HX_REQUEST="true").status_code == 403
    response = _client(personas.village_center).post(reveal, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert number in response.content.decode() and "13811112222" in response.content.decode()
    assert AuditEntry.objects.filter(action="disputes.party.reveal").count() == 1


def test_the_forms_of_the_dispute_page(personas: Any, roster: Any, dispute: Mediation, media: Any) -> None:
    base = f"/disputes/{dispute.case.number}"
    center = _client(personas.village_center)
    response = center.post(
        f"{base}/assign/", {"assign-lead": roster.lead.pk, "assign-co_mediators": [roster.advisor.pk]}
    )
    assert response.status_code == 302
    assert dispute.co_mediators.get() == roster.advisor

    mediator = _client(personas.mediator)
    bad = mediator.post(
        f"{base}/parties/",
        {"party-role": "third_party", "party-kind": "person", "party-name": "王五", "party-id_number": "123"},
    )
    assert bad.status_code == 400
    assert "身份证号码应为18位" in bad.content.decode()
    ok = mediator.post(f"{base}/parties/", {"party-role": "third_party", "party-kind": "person", "party-name": "王五"})
    assert ok.status_code == 302
    assert dispute.parties.filter(name="王五").exists()

    held = (NOW - dt.timedelta(hours=2)).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
    response = mediator.post(
        f"{base}/sessions/",
        {"session-held_at": held, "session-place": "村委会", "session-record": "双方同意各让一步。"},
    )
    assert response.status_code == 302
    session = MediationSession.objects.get(mediation=dispute)
    assert session.held_at == NOW - dt.timedelta(hours=2)

    missing = mediator.post(f"{base}/outcome/", {"outcome-outcome": "agreement", "outcome-form": "written"})
    assert missing.status_code == 400
    assert "此项为必填项" in missing.content.decode()
    response = mediator.post(
        f"{base}/outcome/",
        {
            "outcome-outcome": "agreement",
            "outcome-form": "written",
            "outcome-terms": "李四赔偿张三500元。",
            "outcome-responsibilities": "李四负全部责任。",
            "outcome-performance_manner": "转账",
            "outcome-performance_deadline": "2025-03-20",
        },
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.outcome == Outcome.AGREEMENT
    assert mediator.post(f"{base}/agreement/").status_code == 302
    document = dispute.documents.get()
    download = mediator.get(f"{base}/documents/{document.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")
    page = mediator.get(f"{base}/").content.decode()
    assert "生成调解协议书" in page and "登记履行回访" in page and "司法确认" in page
    response = mediator.post(f"{base}/court-confirmation/", {"court-wanted": "on", "court-applied_on": "2025-03-05"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.court_confirmation_wanted, dispute.court_confirmation_applied_on) == (True, dt.date(2025, 3, 5))
    response = mediator.post(
        f"{base}/performance/", {"perf-checked_on": "2025-03-05", "perf-status": "partial", "perf-note": "付了一半"}
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.performance_status == "partial"


def test_workbench_board_and_figures_render(personas: Any, roster: Any, dispute: Mediation) -> None:
    from civicgrid.disputes import services

    services.mediation_assign(user=personas.village_center, mediation=dispute, lead=roster.lead)
    bench = _client(personas.mediator).get("/disputes/")
    assert bench.status_code == 200 and "排水纠纷" in bench.content.decode()
    board = _client(personas.town_center).get("/disputes/board/")
    assert board.status_code == 200 and "矛盾纠纷看板" in board.content.decode()
    figures = _client(personas.town_center).get("/disputes/figures/", {"start": "2025-03-01", "end": "2025-03-31"})
    assert figures.status_code == 200
    assert (
        _client(personas.town_center)
        .get("/disputes/figures/", {"start": "2025-03-31", "end": "2025-03-01"})
        .status_code
        == 400
    )
    assert _client(personas.outsider).get("/disputes/").status_code == 403
    assert Client().get("/disputes/").status_code == 302  # to the login page
    english = _client(personas.town_center)
    english.cookies["django_language"] = "en"
    assert english.get("/disputes/board/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_screening_pages(world: Any, personas: Any, categories: Any, clock: Any) -> None:
    center = _client(personas.village_center)
    response = center.post(
        "/disputes/screening/",
        {
            "title": "三月排查",
            "kind": "regular",
            "region": world.village_a1.pk,
            "period_start": "2025-03-01",
            "period_end": "2025-03-31",
            "due_date": "2025-03-10",
        },
    )
    assert response.status_code == 302
    round_url = response["Location"]
    worker = _client(personas.grid_worker)
    page = worker.get(round_url)
    assert page.status_code == 200 and "报送：甲一村第1网格" in page.content.decode()
    report = world.grid_a1_1
    from civicgrid.disputes.models import ScreeningReport

    row = ScreeningReport.objects.get(grid=report)
    response = worker.post(
        f"/disputes/screening/reports/{row.pk}/",
        {
            "report-screened_on": "2025-03-05",
            "dispute-category": categories.neighbours.pk,
            "dispute-title": "宅前占道纠纷",
            "dispute-facts": "王某在门前堆放柴草占用通道。",
            "dispute-applicant_name": "赵某",
            "dispute-respondent_name": "王某",
        },
    )
    assert response.status_code == 302, response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.found_count) == (ScreeningStatus.FOUND, 1)
    mediation = Mediation.objects.get(screening_report=row)
    assert sorted(mediation.parties.values_list("name", flat=True)) == ["王某", "赵某"]
    coverage = center.get(round_url).content.decode()
    assert "邻里纠纷 1" in coverage
    assert (
        _client(personas.other_village_grid_worker)
        .post(f"/disputes/screening/reports/{row.pk}/", {"report-screened_on": "2025-03-05", "report-none_found": "on"})
        .status_code
        == 404
    )
