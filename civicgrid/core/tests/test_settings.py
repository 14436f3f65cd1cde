"""Settings read from the environment: database defaults, the kept secret key, production checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[3]


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Start from a clean slate: no CIVICGRID_* knobs, and not the async-unsafe switch the browser tests set.
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    full_env.update(env)
    full_env["DJANGO_SETTINGS_MODULE"] = "civicgrid.settings"
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60, cwd=REPO
    )


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite pragmas only apply to the embedded database")
    # The test database is in memory (no WAL there), so check a real file database.
    result = _run(
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor();"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0])",
        {"CIVICGRID_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000"]
    assert (tmp_path / "civicgrid.sqlite3").exists()


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    first = _run(code, {"CIVICGRID_DATA_DIR": str(tmp_path)})
    second = _run(code, {"CIVICGRID_DATA_DIR": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    given = _run(code, {"CIVICGRID_DATA_DIR": str(tmp_path), "CIVICGRID_SECRET_KEY": "x" * 60})
    assert given.stdout.strip() == "x" * 60


def test_defaults_are_safe(tmp_path: Path) -> None:
    result = _run(
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.DEBUG, settings.TIME_ZONE, settings.LANGUAGE_CODE, settings.DATABASES['default']['ENGINE'])",
        {"CIVICGRID_DATA_DIR": str(tmp_path)},
    )
    assert result.stdout.split() == ["False", "Asia/Shanghai", "zh-hans", "django.db.backends.sqlite3"]


def test_check_deploy_is_clean_in_production_mode(tmp_path: Path) -> None:
    env = {
        "CIVICGRID_DATA_DIR": str(tmp_path),
        "CIVICGRID_SECURE": "1",
        "CIVICGRID_ALLOWED_HOSTS": "grid.example.gov.cn",
    }
    result = _run(
        "import sys; from civicgrid.cli import main; main(['manage', 'check', '--deploy', '--fail-level', 'WARNING'])",
        env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_postgres_url_is_parsed(tmp_path: Path) -> None:
    result = _run(
        "import django; django.setup(); from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'])",
        {"CIVICGRID_DATA_DIR": str(tmp_path), "CIVICGRID_DATABASE_URL": "postgres://u@127.0.0.1:5432/cg"},
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "cg", "127.0.0.1", "5432"]
