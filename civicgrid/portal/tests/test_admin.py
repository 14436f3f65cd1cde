"""The portal's limits are data: the system administrator edits them in the admin; others may not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from civicgrid.portal.models import RateLimit

pytestmark = pytest.mark.django_db


def test_system_admin_edits_rate_limits(personas: Any) -> None:
    browser = Client()
    browser.force_login(personas.system_admin)
    row = RateLimit.objects.get(scope="report-submit")
    response = browser.post(
        f"/admin/portal/ratelimit/{row.pk}/change/",
        {"scope": "report-submit", "description": "x", "max_requests": 3, "window_seconds": 600, "is_active": "on"},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.max_requests, row.window_seconds) == (3, 600)
    assert browser.get("/admin/portal/portalsettings/1/change/").status_code == 200


@pytest.mark.parametrize("name", ["town_center", "outsider", "audit_admin"])
def test_others_do_not_edit(personas: Any, name: str) -> None:
    browser = Client()
    browser.force_login(personas[name])
    row = RateLimit.objects.get(scope="report-submit")
    data = {"scope": "x", "max_requests": 1, "window_seconds": 1}
    response = browser.post(f"/admin/portal/ratelimit/{row.pk}/change/", data)
    assert response.status_code in {403, 302}  # refused, or sent to the login page (no admin access at all)
    row.refresh_from_db()
    assert row.max_requests == 10
