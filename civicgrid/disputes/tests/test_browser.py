"""The dispute page in a real browser on a phone-sized screen: masked parties, the htmx reveal."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from civicgrid.audit.models import AuditEntry
from civicgrid.disputes.models import PartyRole

from .conftest import make_id, new_dispute, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_dispute_page_on_a_phone_reveals_a_party_with_htmx(
    live_server: Any, phone_page: Any, screenshot: Any, world: Any, personas: Any, categories: Any
) -> None:
    number = make_id("19700101", "011")
    mediation = new_dispute(
        personas.village_center,
        categories.neighbours,
        grid=world.grid_a1_1,
        title="排水纠纷",
        parties=[
            person(PartyRole.APPLICANT, "张三", id_number=number, phone="13811112222"),
            person(PartyRole.RESPONDENT, "李四"),
        ],
    )
    _log_in(phone_page, live_server, personas.village_center)
    phone_page.goto(f"{live_server.url}/disputes/{mediation.case.number}/")
    assert phone_page.locator("h1").inner_text() == "排水纠纷"
    cell = phone_page.locator(f"#party-{mediation.parties.get(name='张三').pk}-ids")
    assert "138****2222" in cell.inner_text()
    # Nothing wider than the phone's screen except the tables' own scroll boxes.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "01-dispute-phone-masked")
    cell.locator("button").click()
    phone_page.wait_for_function(f"document.body.innerText.includes('{number}')")
    assert "13811112222" in cell.inner_text()
    screenshot(phone_page, "02-dispute-phone-revealed")
    assert AuditEntry.objects.filter(action="disputes.party.reveal", actor=personas.village_center).count() == 1
