from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notification_queue

START = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
INBOX = "/inbox/"


def tell(user, subject: str, *, link: str = "", at: datetime = START) -> Notification:
    with time_machine.travel(at, tick=False):
        notification_queue(
            event="case.dispatched", subject=subject, body=f"{subject}的正文", recipients=[user], link=link
        )
    return Notification.objects.filter(user=user).latest("id")


@pytest.fixture
def handler_inbox(personas):
    first = tell(personas.unit_handler, "案件甲已派遣", link="/cases/1/")
    second = tell(personas.unit_handler, "案件乙已派遣", at=START + timedelta(hours=1))
    theirs = tell(personas.town_center, "乙镇的通知")
    return first, second, theirs


def test_the_inbox_lists_my_notifications_newest_first_with_the_unread_count(client, personas, handler_inbox):
    client.force_login(personas.unit_handler)
    response = client.get(INBOX)
    assert response.status_code == 200
    assert [item.subject for item in response.context["page"].object_list] == ["案件乙已派遣", "案件甲已派遣"]
    html = response.content.decode()
    assert "2 条未读" in html
    assert "案件甲已派遣的正文" in html
    assert "2025-03-03 10:00" in html  # shown in Asia/Shanghai
    assert "乙镇的通知" not in html


def test_nobody_sees_another_users_notifications(client, personas, handler_inbox):
    client.force_login(personas.town_center)
    response = client.get(INBOX)
    assert [item.subject for item in response.context["page"].object_list] == ["乙镇的通知"]
    assert "案件甲已派遣" not in response.content.decode()


def test_the_unread_filter(client, personas, handler_inbox):
    first, second, _ = handler_inbox
    Notification.objects.filter(pk=first.pk).update(read_at=START)
    client.force_login(personas.unit_handler)
    response = client.get(INBOX + "?unread=1")
    assert [item.pk for item in response.context["page"].object_list] == [second.pk]


def test_marking_read_without_htmx_redirects_back(client, personas, handler_inbox):
    first, _, _ = handler_inbox
    with time_machine.travel(START + timedelta(days=1), tick=False):
        client.force_login(personas.unit_handler)
        response = client.post(reverse("notifications:read", args=[first.pk]), {"page": "1"})
        assert response.status_code == 302
        assert response["Location"] == INBOX + "?page=1"
        first.refresh_from_db()
        assert first.read_at == START + timedelta(days=1)
        assert "1 条未读" in client.get(INBOX).content.decode()


def test_marking_read_with_htmx_returns_the_item_and_the_new_badge(client, personas, handler_inbox):
    first, _, _ = handler_inbox
    client.force_login(personas.unit_handler)
    response = client.post(reverse("notifications:read", args=[first.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<li id="notification-{first.pk}" class="inbox-item is-read">' in html
    assert 'id="inbox-badge"' in html
    assert 'hx-swap-oob="true"' in html
    assert '<span class="badge" title="未读通知">1</span>' in html


def test_another_users_item_cannot_be_marked_or_opened(client, personas, handler_inbox):
    _, _, theirs = handler_inbox
    client.force_login(personas.unit_handler)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_an_item_marks_it_read_and_goes_to_its_link(client, personas, handler_inbox):
    first, second, _ = handler_inbox
    client.force_login(personas.unit_handler)
    response = client.post(reverse("notifications:open", args=[first.pk]))
    assert (response.status_code, response["Location"]) == (302, "/cases/1/")
    response = client.post(reverse("notifications:open", args=[second.pk]))  # no link: back to the inbox
    assert (response.status_code, response["Location"]) == (302, INBOX)
    assert Notification.objects.filter(user=personas.unit_handler, read_at__isnull=True).count() == 0


def test_mark_all_read(client, personas, handler_inbox):
    client.force_login(personas.unit_handler)
    response = client.post(reverse("notifications:read-all"), follow=True)
    assert "已将 2 条通知标为已读。" in response.content.decode()
    assert "0 条未读" in response.content.decode()
    assert Notification.objects.filter(user=personas.town_center, read_at__isnull=True).count() == 1


def test_marking_read_needs_post(client, personas, handler_inbox):
    first, _, _ = handler_inbox
    client.force_login(personas.unit_handler)
    assert client.get(reverse("notifications:read", args=[first.pk])).status_code == 405
    assert client.get(reverse("notifications:read-all")).status_code == 405


def test_the_inbox_needs_a_login(client, db):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_inbox_is_paged(client, personas):
    notification_queue(event="e", subject="旧", body="", recipients=[personas.grid_worker])
    for number in range(30):
        notification_queue(event="e", subject=f"新{number}", body="", recipients=[personas.grid_worker])
    client.force_login(personas.grid_worker)
    assert len(client.get(INBOX).context["page"].object_list) == 30
    assert [n.subject for n in client.get(INBOX + "?page=2").context["page"].object_list] == ["旧"]


def test_the_header_badge_costs_one_count_query(personas, handler_inbox, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = personas.unit_handler
    template = Template("{% load inbox %}{% inbox_badge %}|{% unread_count %}")
    with django_assert_num_queries(1):
        html = template.render(Context({"request": request}))
    assert html == (
        '<a id="inbox-badge" class="inbox-badge" href="/inbox/">'
        '通知 <span class="badge" title="未读通知">2</span></a>|2'
    )


def test_the_badge_shows_no_number_when_nothing_is_unread(personas, db):
    request = RequestFactory().get("/")
    request.user = personas.outsider
    html = Template("{% load inbox %}{% inbox_badge %}").render(Context({"request": request}))
    assert html == '<a id="inbox-badge" class="inbox-badge" href="/inbox/">通知</a>'
