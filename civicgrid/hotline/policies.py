"""Who imports hotline work orders: city-level center staff and heads (the city takes in 12345 orders);
the system administrator manages sources and mappings too."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from civicgrid.people import authorization as authz
from civicgrid.people.authorization import register_policy
from civicgrid.people.models import Role
from civicgrid.regions.models import Level

_CENTER = (Role.CENTER_STAFF, Role.CENTER_HEAD)


def _city_center(user: Any) -> bool:
    return any(region.level == Level.CITY for region in authz.region_scopes(user, _CENTER))


class HotlinePolicy:
    """Verbs: view, import (city center staff/head, system admin); add/change (city center head, system admin)."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        verb = action.rsplit(".", 1)[-1]
        if authz.has_role(user, Role.SYSTEM_ADMIN):
            return verb in {"view", "import", "add", "change"}
        if verb in {"view", "import"}:
            return _city_center(user)
        if verb in {"add", "change"}:
            return any(r.level == Level.CITY for r in authz.region_scopes(user, (Role.CENTER_HEAD,)))
        return False

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs if self.can(user, "hotline.view", None) else qs.none()


def register() -> None:
    from civicgrid.hotline.models import HotlineImport, HotlineSource

    policy = HotlinePolicy()
    register_policy(HotlineSource, policy, things=("hotline",))
    register_policy(HotlineImport, policy)
