"""The admin upload page: dry run first, then import the same file with one click."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from civicgrid.cases.models import Case
from civicgrid.hotline.models import HotlineImport, HotlineSource

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]
CSV = (
    "工单编号,受理时间,诉求分类,诉求内容,事发地址\n"
    "A1,2025-11-03 09:00,垃圾清运不及时,垃圾,甲镇甲一村\n"
    "A2,坏时间,垃圾清运不及时,垃圾,甲镇\n"
)


@time_machine.travel(dt.datetime(2025, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_upload_dry_run_then_import(personas: Any, world: Any) -> None:
    source = HotlineSource.objects.create(name="12345")
    browser = Client()
    browser.force_login(personas.city_center)
    upload = SimpleUploadedFile("工单.csv", CSV.encode(), content_type="text/csv")
    page = browser.post("/admin/hotline/hotlineimport/upload/", {"source": source.pk, "file": upload})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="status-create"' in html and "无法识别的时间：坏时间。" in html
    assert Case.objects.count() == 0
    stored = re.search(r'name="stored" value="([^"]+)"', html).group(1)
    page = browser.post(
        "/admin/hotline/hotlineimport/upload/", {"stored": stored, "source": source.pk, "file_name": "工单.csv"}
    )
    assert 'class="status-created"' in page.content.decode()
    assert list(Case.objects.values_list("external_ref", flat=True)) == ["A1"]
    assert list(HotlineImport.objects.order_by("id").values_list("dry_run", "rows_created")) == [(True, 0), (False, 1)]
    # The stored copy is gone: a replay asks for the file again and creates nothing.
    page = browser.post(
        "/admin/hotline/hotlineimport/upload/", {"stored": stored, "source": source.pk, "file_name": "工单.csv"}
    )
    assert "请重新上传文件。" in page.content.decode()
    assert Case.objects.count() == 1


def test_upload_page_is_for_importers_only(personas: Any) -> None:
    browser = Client()
    browser.force_login(personas.town_center)
    assert browser.get("/admin/hotline/hotlineimport/upload/").status_code == 403
