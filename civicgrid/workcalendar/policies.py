"""Who may read and change the working calendar rows: the system administrator alone. Deadlines are
computed for everyone without asking here; the rows themselves are configuration."""

from __future__ import annotations

from civicgrid.people.authorization import ConfigTablePolicy, register_policy
from civicgrid.people.models import Role


def register() -> None:
    from .models import CalendarDay, CalendarYear, Closure, WorkingPeriod

    policy = ConfigTablePolicy(view_roles=(Role.SYSTEM_ADMIN,), edit_roles=(Role.SYSTEM_ADMIN,))
    for model in (CalendarYear, CalendarDay, WorkingPeriod, Closure):
        register_policy(model, policy)
