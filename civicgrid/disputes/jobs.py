"""Background jobs of the disputes app, run by ``civicgrid worker``."""

from __future__ import annotations

from civicgrid.core.files import remove_orphans
from civicgrid.core.jobs import periodic

from .services import reminders_send_due


@periodic("disputes.reminders", every_seconds=300)
def send_reminders() -> int:
    """Performance deadlines, performance follow-ups and court-confirmation windows that fall due."""
    return reminders_send_due()


@periodic("disputes.orphan_files", every_seconds=3600)
def orphan_files() -> int:
    """Mediation document files left on disk by a rolled-back transaction (no row refers to them)."""
    from civicgrid.disputes.models import MediationDocument

    return remove_orphans(MediationDocument, "file", "disputes")
