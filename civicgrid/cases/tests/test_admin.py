"""Admin: the system administrator edits categories and sees no case; a center reads its cases, read-only."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_system_admin_edits_categories_but_sees_no_cases(personas: Any, new_case: Any, category: Any) -> None:
    case = new_case()
    client = Client()
    client.force_login(personas.system_admin)
    assert client.get("/admin/cases/category/").status_code == 200
    assert client.get(f"/admin/cases/category/{category.pk}/change/").status_code == 200
    response = client.get("/admin/cases/case/")
    assert response.status_code == 403
    assert case.number not in response.content.decode()


def test_center_reads_its_cases_read_only(personas: Any, new_case: Any) -> None:
    case = new_case()
    client = Client()
    client.force_login(personas.village_center)
    listing = client.get("/admin/cases/case/")
    assert listing.status_code == 200 and case.number in listing.content.decode()
    detail = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert detail.status_code == 200
    assert "13812345678" not in detail.content.decode()  # the reporter stays behind the audited reveal
    assert client.post(f"/admin/cases/case/{case.pk}/change/", {"title": "改"}).status_code == 403
    assert client.get("/admin/cases/category/add/").status_code == 403
    other = Client()
    other.force_login(personas.other_town_center)
    assert case.number not in other.get("/admin/cases/case/").content.decode()
