"""Who edits the portal's limits (system administrator) and who reads tracking-code rows (nobody but
the system administrator: they hold no personal data, but they are residents' keys)."""

from __future__ import annotations

from civicgrid.people.authorization import ConfigTablePolicy, RolePolicy, register_policy
from civicgrid.people.models import Role


def register() -> None:
    from civicgrid.portal.models import PortalSettings, RateLimit, TrackingCode

    register_policy(PortalSettings, ConfigTablePolicy(), things=("portalsettings",))
    register_policy(RateLimit, ConfigTablePolicy(), things=("ratelimit",))
    register_policy(TrackingCode, RolePolicy(view=(Role.SYSTEM_ADMIN,)))
