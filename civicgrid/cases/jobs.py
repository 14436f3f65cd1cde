"""Periodic work of the cases app, run by ``civicgrid worker``: the deadline sweep and late summonses."""

from __future__ import annotations

from civicgrid.cases.services import case_deadline_sweep, case_deadlines_refresh, summons_late_sweep
from civicgrid.core.files import remove_orphans
from civicgrid.core.jobs import periodic


@periodic("cases.deadline_sweep", every_seconds=60)
def deadline_sweep() -> int:
    """Yellow warnings, red overdue marks and automatic escalations of due case stages."""
    return case_deadline_sweep()


@periodic("cases.summons_late_sweep", every_seconds=60)
def summons_sweep() -> int:
    """Summoned departments that let their report-for-duty limit pass."""
    return summons_late_sweep()


@periodic("cases.deadlines_refresh", every_seconds=120)
def deadlines_refresh() -> int:
    """Running stages' deadlines recomputed after the working calendar changed (a closure, a year entered)."""
    return case_deadlines_refresh()


@periodic("cases.orphan_files", every_seconds=3600)
def orphan_files() -> int:
    """Case attachment files left on disk by a rolled-back transaction (no row refers to them)."""
    from civicgrid.cases.models import Attachment

    return remove_orphans(Attachment, "file", "cases")
