"""Shared helpers for the disputes tests: computed (never real) ID numbers and credit codes, the
dispute categories, a small roster, and a one-call dispute for a persona."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

from civicgrid.core import crypto

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Wednesday 2025-03-05 10:00 in Shanghai: a plain working day, far from holidays.
NOW = dt.datetime(2025, 3, 5, 2, 0, tzinfo=dt.UTC)


def make_id(birth: str = "19800101", seq: str = "123", region: str = "420683") -> str:
    """An ID number with the right GB 11643 check character, computed here from the algorithm."""
    body = region + birth + seq
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def make_id_with_x(birth: str = "19800101") -> str:
    """An ID number whose check character is X (searching the sequence codes for one)."""
    for n in range(1000):
        number = make_id(birth=birth, seq=f"{n:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives X")  # pragma: no cover


def make_uscc(body: str = "91420683MA4F0T5L0") -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


@pytest.fixture(autouse=True)
def field_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CIVICGRID_FIELD_KEY", bytes(range(100, 132)).hex())
    crypto.reset_keys()
    yield
    crypto.reset_keys()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def categories(db: None) -> Any:
    from civicgrid.cases.models import Category

    class Categories:
        neighbours = Category.objects.get(code="D02")
        family = Category.objects.get(code="D01")
        contract = Category.objects.get(code="D05")
        land = Category.objects.get(code="D04")

    return Categories


@pytest.fixture
def roster(world: Any, personas: Any, categories: Any) -> Any:
    from civicgrid.disputes.models import Mediator, MediatorKind

    lead = Mediator.objects.create(name="王调解", kind=MediatorKind.PEOPLES_MEDIATOR, user=personas.mediator)
    lead.regions.set([world.town_a])
    advisor = Mediator.objects.create(name="李律师", kind=MediatorKind.LEGAL_ADVISOR, organisation="甲律师事务所")
    advisor.regions.set([world.village_a1])
    elder = Mediator.objects.create(name="赵大爷", kind=MediatorKind.ELDER)
    elder.regions.set([world.village_a1])
    elder.categories.set([categories.family])
    other_town = Mediator.objects.create(name="孙调解", kind=MediatorKind.PEOPLES_MEDIATOR)
    other_town.regions.set([world.town_b])

    class Roster:
        pass

    roster = Roster()
    roster.lead, roster.advisor, roster.elder, roster.other_town = lead, advisor, elder, other_town  # type: ignore[attr-defined]
    return roster


def person(role: str, name: str, **extra: Any) -> Any:
    from civicgrid.disputes.services import PartyData

    return PartyData(role=role, name=name, **extra)


def new_dispute(user: Any, category: Any, *, grid: Any = None, parties: Any = (), **extra: Any) -> Any:
    from civicgrid.disputes.services import DisputeDraft, dispute_create

    draft = DisputeDraft(
        category=category,
        title=extra.pop("title", "邻里排水纠纷"),
        facts=extra.pop("facts", "张三家排水管道经过李四家门前，雨天积水。"),
        points_in_dispute=extra.pop("points_in_dispute", "排水管道改道费用由谁承担"),
        parties=list(parties),
        grid=grid,
        **extra,
    )
    return dispute_create(user=user, draft=draft)


def poppler(tool: str, *args: Any) -> str:
    """Run a poppler-utils tool (pdffonts, pdftotext, pdfinfo, pdftoppm) and return its output."""
    executable = shutil.which(tool)
    assert executable, f"{tool} missing: install poppler-utils (scripts/bootstrap does)"
    result = subprocess.run([executable, *map(str, args)], capture_output=True, text=True, check=True, timeout=120)
    return result.stdout
