"""Client applications in the admin: only the system and security administrators; the key shown once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from civicgrid.open311.models import ClientApplication
from civicgrid.open311.services import client_for_key

pytestmark = pytest.mark.django_db


def test_admin_adds_a_client_and_shows_its_key_once(personas: Any) -> None:
    browser = Client()
    browser.force_login(personas.security_admin)
    response = browser.post("/admin/open311/clientapplication/add/", {"name": "合作单位", "contact": "x"}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"] if str(m).startswith("新密钥")]
    assert len(shown) == 1 and shown[0].startswith("新密钥（只显示这一次，请立即交给对方）：")
    key = shown[0].split("：", 1)[1]
    assert client_for_key(key) == ClientApplication.objects.get(name="合作单位")
    page = browser.get(f"/admin/open311/clientapplication/{ClientApplication.objects.get().pk}/change/")
    assert key not in page.content.decode()


@pytest.mark.parametrize("name", ["town_center", "city_center", "audit_admin"])
def test_others_cannot_see_clients(personas: Any, name: str) -> None:
    browser = Client()
    browser.force_login(personas[name])
    assert browser.get("/admin/open311/clientapplication/").status_code == 403
