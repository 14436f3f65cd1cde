"""Who may see and do what with notifications: an inbox is its owner's alone; the outbox and the
webhook endpoints (whose secrets sign our requests) are the system administrator's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from civicgrid.people.authorization import ConfigTablePolicy, register_policy
from civicgrid.people.models import Role


class InboxPolicy:
    """Each user sees and marks only their own inbox items; nobody, administrators included, reads another's."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        return obj is None or obj.user_id == user.pk

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(user_id=user.pk)


def register() -> None:
    from .models import Notification, OutboxMessage, WebhookEndpoint

    admin_only = ConfigTablePolicy(view_roles=(Role.SYSTEM_ADMIN,), edit_roles=(Role.SYSTEM_ADMIN,))
    register_policy(Notification, InboxPolicy())
    register_policy(OutboxMessage, admin_only, things=("outbox",))
    register_policy(WebhookEndpoint, admin_only, things=("webhook",))
