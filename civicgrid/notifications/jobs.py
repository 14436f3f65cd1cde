"""Background jobs of the notifications app, run by ``civicgrid worker``."""

from __future__ import annotations

from civicgrid.core.jobs import periodic

from .services import outbox_deliver_due


@periodic("notifications.deliver", every_seconds=5)
def deliver_outbox() -> int:
    """Send the e-mails and webhooks that are due (new ones and retries)."""
    return outbox_deliver_due(limit=50)
