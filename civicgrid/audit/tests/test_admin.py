"""The audit log in the admin: the audit administrator reads and filters; nobody adds, changes or deletes."""

from __future__ import annotations

from django.utils import timezone

from civicgrid.audit.models import AuditEntry
from civicgrid.people import services


def signed_in(client, user):
    client.force_login(user)
    return client


def test_audit_admin_reads_but_cannot_touch_entries(client, personas):
    services.user_update(actor=personas.security_admin, user=personas.leader, phone="1")
    entry = AuditEntry.objects.get(action="user.update")
    signed_in(client, personas.audit_admin)
    listing = client.get("/admin/audit/auditentry/?action=user.update")
    assert listing.status_code == 200
    assert "security_admin" in listing.content.decode()
    detail = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"action": "x"}).status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "user.update"


def test_audit_changelist_filters(client, personas):
    signed_in(client, personas.audit_admin)
    year = timezone.localdate().year
    for query in ("?action=auth.login", f"?actor__id__exact={personas.audit_admin.pk}", f"?at__year={year}"):
        response = client.get(f"/admin/audit/auditentry/{query}")
        assert response.status_code == 200, query
        assert "audit_admin" in response.content.decode()  # force_login's own login entry
