"""The shared personas build the tree and roles team.md describes."""

from civicgrid.conftest import PERSONA_NAMES, PERSONA_PASSWORD


def test_world_tree(world):
    assert [r.code for r in world.regions()] == [
        "420683",
        "420683100",
        "420683101",
        "420683100200",
        "420683100201",
        "420683101200",
        "420683100200001",
        "420683100200002",
        "420683100201001",
        "420683101200001",
    ]
    assert world.grid_a1_1.parent == world.village_a1
    assert world.village_a1.parent == world.town_a
    assert list(world.police.regions_covered.all()) == [world.city]


def test_personas_roles(personas, world):
    assert personas.grid_worker.roles.get().region == world.grid_a1_1
    assert personas.unit_handler.roles.get().unit == world.police
    assert personas.outsider.roles.count() == 0
    assert personas["town_head"].roles.get().role == "center_head"
    assert [u.username for u in personas] == list(PERSONA_NAMES)
    assert personas.leader.check_password(PERSONA_PASSWORD)
