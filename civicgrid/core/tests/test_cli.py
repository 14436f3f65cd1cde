"""The civicgrid command maps hyphenated names to management commands."""

from __future__ import annotations

import pytest

from civicgrid import cli


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main([])
    out = capsys.readouterr().out
    for command in ("serve", "worker", "demo", "import-regions", "route", "deadline", "manage"):
        assert command in out


def test_manage_passes_through(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["manage", "check"])
    assert "no issues" in capsys.readouterr().out


def test_hyphenated_name_reaches_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", lambda argv: seen.append(argv))
    cli.main(["import-regions", "file.geojson"])
    assert seen == [["civicgrid", "import_regions", "file.geojson"]]
