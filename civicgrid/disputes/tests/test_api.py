"""/api/v1/disputes/: parties masked, the audited reveal, sessions and outcome, the PDF download, figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from civicgrid.audit.models import AuditEntry
from civicgrid.disputes import services
from civicgrid.disputes.models import Outcome, PartyRole

from .conftest import NOW, make_id, new_dispute, person

pytestmark = pytest.mark.django_db


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def agreed(world: Any, personas: Any, categories: Any, roster: Any, media: Any, clock: Any) -> Any:
    mediation = new_dispute(
        personas.village_center,
        categories.neighbours,
        grid=world.grid_a1_1,
        parties=[
            person(PartyRole.APPLICANT, "张三", id_number=make_id("19700101", "011"), phone="13811112222"),
            person(PartyRole.RESPONDENT, "李四"),
        ],
    )
    services.mediation_assign(user=personas.village_center, mediation=mediation, lead=roster.lead)
    services.session_record(
        user=personas.mediator,
        mediation=mediation,
        held_at=NOW - dt.timedelta(hours=1),
        place="村委会",
        record="达成一致",
    )
    services.mediation_conclude(
        user=personas.mediator,
        mediation=mediation,
        outcome=Outcome.AGREEMENT,
        agreement=services.AgreementTerms(
            form="written",
            terms="李四赔偿张三500元。",
            responsibilities="李四负全部责任。",
            performance_manner="微信转账",
            performance_deadline=dt.date(2025, 3, 20),
        ),
    )
    services.agreement_generate(user=personas.mediator, mediation=mediation)
    return mediation


def test_detail_masks_parties_and_lists_sessions_outcome_and_documents(personas: Any, agreed: Any) -> None:
    number = agreed.case.number
    response = _client(personas.leader).get(f"/api/v1/disputes/{number}/")
    assert response.status_code == 200, response.content
    body = response.json()
    zhang = next(p for p in body["parties"] if p["name"] == "张三")
    assert zhang["id_number"] == "420683********0111"[:6] + "********" + make_id("19700101", "011")[-4:]
    assert zhang["phone"] == "138****2222"
    assert make_id("19700101", "011") not in response.content.decode()
    assert "13811112222" not in response.content.decode()
    assert [s["record"] for s in body["sessions"]] == ["达成一致"]
    assert (body["outcome"], body["terms"], body["performance_deadline"]) == (
        "agreement",
        "李四赔偿张三500元。",
        "2025-03-20",
    )
    assert [d["kind"] for d in body["documents"]] == ["agreement"]

    listing = _client(personas.town_center).get("/api/v1/disputes/?outcome=agreement")
    assert [row["number"] for row in listing.json()["results"]] == [number]
    assert _client(personas.other_town_center).get(f"/api/v1/disputes/{number}/").status_code == 404
    assert _client(personas.outsider).get("/api/v1/disputes/").json()["results"] == []


def test_reveal_is_for_those_handling_and_audited(personas: Any, agreed: Any) -> None:
    number = agreed.case.number
    party = agreed.parties.get(name="张三")
    url = f"/api/v1/disputes/{number}/parties/{party.pk}/reveal/"
    assert _client(personas.leader).post(url).status_code == 403
    assert _client(personas.other_town_center).post(url).status_code == 404
    assert AuditEntry.objects.filter(action="disputes.party.reveal").count() == 0
    response = _client(personas.mediator).post(url)
    assert response.status_code == 200
    assert response.json() == {
        "party_id": party.pk,
        "name": "张三",
        "id_number": make_id("19700101", "011"),
        "phone": "13811112222",
    }
    assert AuditEntry.objects.filter(action="disputes.party.reveal", actor=personas.mediator).count() == 1


def test_agreement_pdf_download_is_audited(personas: Any, agreed: Any) -> None:
    document = agreed.documents.get()
    url = f"/api/v1/disputes/{agreed.case.number}/documents/{document.pk}/download/"
    response = _client(personas.village_center).get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-") and len(content) == document.size
    assert response["Content-Type"] == "application/pdf"
    assert AuditEntry.objects.filter(action="disputes.document.download", target_id=str(document.pk)).count() == 1
    assert _client(personas.other_town_center).get(url).status_code == 404


def test_figures_endpoint(world: Any, personas: Any, agreed: Any) -> None:
    response = _client(personas.city_center).get(
        "/api/v1/disputes/figures", {"start": "2025-03-01", "end": "2025-03-31", "region": world.city.code}
    )
    assert response.status_code == 200, response.content
    [row] = response.json()
    assert (row["screened"], row["mediated"], row["agreed"], row["success_rate"], row["resolved_in_village"]) == (
        1,
        1,
        1,
        "1.0000",
        1,
    )
    bad = _client(personas.city_center).get("/api/v1/disputes/figures", {"start": "2025-03-31", "end": "2025-03-01"})
    assert bad.status_code == 400
    assert "end" in bad.json()
    unknown = _client(personas.city_center).get(
        "/api/v1/disputes/figures", {"start": "2025-03-01", "end": "2025-03-31", "region": "999"}
    )
    assert unknown.status_code == 400
    assert (
        _client(personas.outsider)
        .get("/api/v1/disputes/figures", {"start": "2025-03-01", "end": "2025-03-31"})
        .status_code
        == 403
    )


def test_the_schema_documents_the_disputes_api(personas: Any) -> None:
    response = _client(personas.city_center).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/v1/disputes/{number}/",
        "/api/v1/disputes/{number}/parties/{party_id}/reveal/",
        "/api/v1/disputes/{number}/documents/{document_id}/download/",
        "/api/v1/disputes/figures",
    ):
        assert path in text, path
