"""Reads: one's own profile; the staff holding a role in a region."""

from __future__ import annotations

from civicgrid.people.models import RoleAssignment, User
from civicgrid.people.selectors import grid_workers_of, user_profile, users_with_role


def test_profile_lists_roles_with_scopes(personas):
    profile = user_profile(user=personas.town_head)
    assert profile["roles"] == [
        {
            "role": "center_head",
            "role_display": "中心负责人",
            "region": {"code": "420683100", "name": "甲镇"},
            "unit": None,
        }
    ]
    assert profile["is_staff"] is True


def test_users_with_role_exact_and_within(personas, world):
    assert list(users_with_role(role="center_staff", region=world.town_a)) == [personas.town_center]
    within = users_with_role(role="center_staff", region=world.town_a, within=True)
    assert [u.username for u in within] == ["town_center", "village_center"]
    assert [u.username for u in users_with_role(role="center_staff")] == [
        "city_center",
        "other_town_center",
        "town_center",
        "village_center",
    ]


def test_role_and_region_match_on_the_same_assignment(personas, world):
    # town_center is a mediator in town_b and center staff in town_a: not "center staff in town_b".
    RoleAssignment.objects.create(user=personas.town_center, role="mediator", region=world.town_b)
    assert list(users_with_role(role="center_staff", region=world.town_b)) == [personas.other_town_center]


def test_grid_workers_of(personas, world):
    assert list(grid_workers_of(world.grid_a1_1)) == [personas.grid_worker]
    assert list(grid_workers_of(world.grid_a1_2)) == []
    assert [u.username for u in grid_workers_of(world.town_a)] == ["grid_worker", "other_village_grid_worker"]
    User.objects.filter(pk=personas.grid_worker.pk).update(is_active=False)
    assert list(grid_workers_of(world.grid_a1_1)) == []
