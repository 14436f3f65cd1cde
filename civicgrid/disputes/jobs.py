"""Background jobs of the disputes app, run by ``civicgrid worker``."""

from __future__ import annotations

from civicgrid.core.jobs import periodic

from .services import reminders_send_due


@periodic("disputes.reminders", every_seconds=300)
def send_reminders() -> int:
    """Performance deadlines, performance follow-ups and court-confirmation windows that fall due."""
    return reminders_send_due()
