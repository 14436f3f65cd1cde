"""Orphan upload files (no row refers to them) are removed after the grace period; others are kept."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from civicgrid.cases import jobs as case_jobs
from civicgrid.cases.models import Attachment
from civicgrid.core.files import remove_orphans
from civicgrid.disputes import jobs as dispute_jobs

pytestmark = pytest.mark.django_db


def _age(storage: Any, name: str, hours: float) -> None:
    past = (timezone.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(storage.path(name), (past, past))


def test_a_file_without_its_row_goes_after_the_grace_period(new_case: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    case = new_case()
    storage = Attachment._meta.get_field("file").storage  # type: ignore[union-attr]
    month = timezone.now().strftime("%Y/%m")  # upload_to's folders are named in UTC
    kept_row = Attachment(case=case, content_type="image/png", size=3, sha256="x" * 64)
    kept_row.file.save("kept.png", ContentFile(b"png"), save=True)
    orphan = storage.save(f"cases/{month}/orphan.png", ContentFile(b"png"))
    young = storage.save(f"cases/{month}/young.png", ContentFile(b"png"))
    for name in (kept_row.file.name, orphan):
        _age(storage, name, hours=2)

    assert remove_orphans(Attachment, "file", "cases") == 1
    assert not storage.exists(orphan)
    assert storage.exists(kept_row.file.name)  # a row names it, however old
    assert storage.exists(young)  # maybe a transaction still writing its row

    _age(storage, young, hours=2)
    assert case_jobs.orphan_files() == 1  # the worker's job does the same
    assert not storage.exists(young)


def test_missing_folders_and_other_apps(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    assert remove_orphans(Attachment, "file", "cases") == 0  # nothing uploaded yet
    assert dispute_jobs.orphan_files() == 0


def test_only_file_fields() -> None:
    with pytest.raises(TypeError):
        remove_orphans(Attachment, "sha256", "cases")
