"""audit_record: who, what, when, from where; secrets never stored; login hooks write through it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils.translation import gettext_lazy

from civicgrid.audit.middleware import AuditContextMiddleware
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import audit_record, client_ip


def test_record_with_actor_target_and_request(personas, world):
    request = RequestFactory().post("/x", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="UA/1.0")
    moment = dt.datetime(2024, 10, 8, 1, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        entry = audit_record(
            actor=personas.system_admin,
            action="unit.update",
            target=world.police,
            detail={"fields": ["name"], "when": moment.date(), "label": gettext_lazy("名称")},
            request=request,
        )
    entry.refresh_from_db()
    assert (entry.at, entry.actor, entry.actor_name, entry.action) == (
        moment,
        personas.system_admin,
        "system_admin",
        "unit.update",
    )
    assert (entry.target_type, entry.target_id, entry.target_repr) == ("people.unit", str(world.police.pk), "市公安局")
    assert entry.detail == {"fields": ["name"], "when": "2024-10-08", "label": "名称"}
    assert (entry.ip, entry.user_agent) == ("10.1.2.3", "UA/1.0")


def test_system_actor_and_no_request(db):
    entry = audit_record(actor=None, action="job.run", actor_name="system")
    assert (entry.actor, entry.actor_name, entry.ip, entry.user_agent, entry.target_type) == (
        None,
        "system",
        None,
        "",
        "",
    )


def test_anonymous_actor_is_recorded_as_none(db):
    entry = audit_record(actor=AnonymousUser(), action="portal.submit")
    assert (entry.actor, entry.actor_name) == (None, "")


@pytest.mark.parametrize("key", ["password", "new_password", "password1", "api_token", "client_secret"])
def test_secrets_are_never_stored(db, key):
    entry = audit_record(actor=None, action="x", detail={key: "hunter2", "password_set": True})
    assert entry.detail == {key: "***", "password_set": True}


def test_secrets_are_never_stored_however_deep(db):
    detail = {"changes": [{"form": {"password1": "hunter2", "name": "x"}}], "auth": {"Token": "abc"}, "n": (1, 2)}
    entry = audit_record(actor=None, action="x", detail=detail)
    assert entry.detail == {
        "changes": [{"form": {"password1": "***", "name": "x"}}],
        "auth": {"Token": "***"},
        "n": [1, 2],
    }


def test_long_user_agent_is_cut_and_bad_ip_dropped(db):
    request = RequestFactory().get("/", REMOTE_ADDR="not-an-ip", HTTP_USER_AGENT="x" * 500)
    entry = audit_record(actor=None, action="x", request=request)
    assert (entry.ip, len(entry.user_agent)) == (None, 300)


def test_ipv6_address(db):
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="::1")) == "::1"


def test_middleware_supplies_the_request(db):
    seen = []

    def view(request):
        seen.append(audit_record(actor=None, action="deep.service"))
        return "ok"

    AuditContextMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="deep"))
    assert (seen[0].ip, seen[0].user_agent) == ("192.0.2.7", "deep")
    # Outside a request nothing leaks from the previous one.
    assert audit_record(actor=None, action="later").ip is None


def test_model_refuses_update_and_delete(db):
    entry = audit_record(actor=None, action="x")
    entry.action = "y"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.get().action == "x"


def test_actor_with_entries_cannot_be_deleted(personas):
    from django.db.models import ProtectedError

    audit_record(actor=personas.leader, action="x")
    with pytest.raises(ProtectedError):
        personas.leader.delete()
