from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from civicgrid.notifications.models import Notification
from civicgrid.notifications.services import notification_queue

URL = "/api/v1/notifications/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def inboxes(personas):
    for subject in ("甲", "乙", "丙"):
        notification_queue(event="case.dispatched", subject=subject, body="", recipients=[personas.unit_handler])
    notification_queue(event="case.dispatched", subject="别人的", body="", recipients=[personas.town_center])
    return list(Notification.objects.filter(user=personas.unit_handler).order_by("id"))


def test_list_is_my_inbox_newest_first_and_paged(api, personas, inboxes):
    api.force_authenticate(personas.unit_handler)
    body = api.get(URL).json()
    assert body["count"] == 3
    assert [item["subject"] for item in body["results"]] == ["丙", "乙", "甲"]
    assert set(body["results"][0]) == {"id", "event", "subject", "body", "link", "created_at", "read_at", "is_read"}
    assert body["results"][0]["is_read"] is False


def test_list_filters_unread(api, personas, inboxes):
    Notification.objects.filter(pk=inboxes[0].pk).update(read_at=inboxes[0].created_at)
    api.force_authenticate(personas.unit_handler)
    assert [item["subject"] for item in api.get(URL, {"unread": "true"}).json()["results"]] == ["丙", "乙"]


def test_another_users_notification_is_not_found(api, personas, inboxes):
    theirs = Notification.objects.get(user=personas.town_center)
    api.force_authenticate(personas.unit_handler)
    assert api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api.get(f"{URL}{inboxes[0].pk}/").json()["subject"] == "甲"


def test_mark_read_by_ids_touches_only_my_items(api, personas, inboxes):
    theirs = Notification.objects.get(user=personas.town_center)
    api.force_authenticate(personas.unit_handler)
    response = api.post(f"{URL}mark-read/", {"ids": [inboxes[0].pk, theirs.pk]}, format="json")
    assert (response.status_code, response.json()) == (200, {"marked": 1, "unread": 2})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(api, personas, inboxes):
    api.force_authenticate(personas.unit_handler)
    response = api.post(f"{URL}mark-read/", {"all": True}, format="json")
    assert response.json() == {"marked": 3, "unread": 0}
    assert api.get(f"{URL}unread-count/").json() == {"unread": 0}


@pytest.mark.parametrize("data", [{}, {"all": True, "ids": [1]}, {"ids": []}, {"ids": ["x"]}])
def test_mark_read_needs_either_ids_or_all(api, personas, inboxes, data):
    api.force_authenticate(personas.unit_handler)
    response = api.post(f"{URL}mark-read/", data, format="json")
    assert response.status_code == 400
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_mark_read_explains_the_choice_in_chinese(api, personas, inboxes):
    api.force_authenticate(personas.unit_handler)
    response = api.post(f"{URL}mark-read/", {}, format="json")
    assert response.json() == {"non_field_errors": ["请给出 ids，或设置 all 为 true（二者择一）。"]}


def test_unread_count(api, personas, inboxes):
    api.force_authenticate(personas.unit_handler)
    assert api.get(f"{URL}unread-count/").json() == {"unread": 3}


def test_anonymous_gets_nothing(api, inboxes):
    assert api.get(URL).status_code == 403
    assert api.post(f"{URL}mark-read/", {"all": True}, format="json").status_code == 403


def test_the_schema_documents_the_endpoints(client, db):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/notifications/mark-read/" in schema
    assert "/api/v1/notifications/unread-count/" in schema
    assert "$ref: '#/components/schemas/MarkRead'" in schema
    assert "$ref: '#/components/schemas/MarkReadResult'" in schema


@pytest.mark.parametrize("ids", [[2**63], [10**30], ["x"], [0], [], "1"])
def test_mark_read_rejects_what_is_not_an_id_with_400(api, personas, inboxes, ids):
    api.force_authenticate(personas.unit_handler)
    response = api.post(f"{URL}mark-read/", {"ids": ids}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["ids"]
    assert Notification.objects.filter(user=personas.unit_handler, read_at__isnull=True).count() == 3
