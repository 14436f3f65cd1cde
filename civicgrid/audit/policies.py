"""Who may read the audit log: the audit administrator, and nobody else. Nobody writes through any UI."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from civicgrid.audit.models import AuditEntry
from civicgrid.people.authorization import has_role, register_policy
from civicgrid.people.models import Role


class AuditEntryPolicy:
    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        verb = action.rsplit(".", 1)[-1]
        return verb in {"view", "read", "export"} and has_role(user, Role.AUDIT_ADMIN)

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs if has_role(user, Role.AUDIT_ADMIN) else qs.none()


register_policy(AuditEntry, AuditEntryPolicy(), things=("audit",))
