"""Who manages Open311 client applications: the system and security administrators (keys are credentials)."""

from __future__ import annotations

from civicgrid.people.authorization import RolePolicy, register_policy
from civicgrid.people.models import Role

_ADMINS = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)


def register() -> None:
    from civicgrid.open311.models import ClientApplication, Submission

    register_policy(
        ClientApplication,
        RolePolicy(view=_ADMINS, add=_ADMINS, change=_ADMINS, delete=(), revoke=_ADMINS),
        things=("open311client",),
    )
    register_policy(Submission, RolePolicy(view=_ADMINS))
