"""Per-process, always fresh copies of the small tables every case intake reads (categories, the case
settings, which regions have a center, a center's staff): see ``civicgrid.core.generations``.

Each call hands out its own copies of the model instances, so no caller can change a shared object.
"""

from __future__ import annotations

import copy

from civicgrid.cases.models import CaseSettings, Category
from civicgrid.core.generations import GenerationCache, KeyedGenerationCache
from civicgrid.people.models import Center, Role, User
from civicgrid.people.selectors import users_holding

_CENTER_ROLES = (Role.CENTER_STAFF, Role.CENTER_HEAD)


def _load_category(key: tuple[str, str | int]) -> Category | None:
    field, value = key
    return Category.objects.filter(**{field: value}).first()


def _load_center_users(region_id: int) -> list[User]:
    return users_holding(roles=_CENTER_ROLES, region_ids=[region_id])


_categories: KeyedGenerationCache[tuple[str, str | int], Category | None] = KeyedGenerationCache(
    ("cases_category",), _load_category, maxsize=2048
)
_settings: GenerationCache[CaseSettings | None] = GenerationCache(
    ("cases_casesettings",), lambda: CaseSettings.objects.filter(pk=1).first()
)
_center_regions: GenerationCache[frozenset[int]] = GenerationCache(
    ("people_center",), lambda: frozenset(Center.objects.values_list("region_id", flat=True))
)
_center_users: KeyedGenerationCache[int, list[User]] = KeyedGenerationCache(
    ("people_roleassignment", "people_user"), _load_center_users, maxsize=4096
)


def category(code_or_pk: str | int) -> Category | None:
    """The category with this code (a string) or primary key (an int), active or not; None if none."""
    key = ("code", code_or_pk) if isinstance(code_or_pk, str) else ("pk", code_or_pk)
    row = _categories.get(key)
    return None if row is None else copy.copy(row)


def case_settings() -> CaseSettings:
    """``CaseSettings.current()``: the one row, created with defaults if the database lacks it."""
    row = _settings.get()
    if row is None:
        return CaseSettings.current()  # creating it redraws the token: the next call loads and keeps it
    return copy.copy(row)


def center_region_ids() -> frozenset[int]:
    """The ids of the regions that have a center."""
    return _center_regions.get()


def center_users(region_id: int | None) -> list[User]:
    """The active center staff and heads of ``region_id``, by primary key (``_center_users`` in services)."""
    if not region_id:
        return []
    return [copy.copy(user) for user in _center_users.get(region_id)]
