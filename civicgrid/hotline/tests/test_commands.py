"""``civicgrid import-hotline``: dry run, import, the per-row lines and the exit status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from civicgrid.cases.models import Case
from civicgrid.cli import main
from civicgrid.hotline.models import HotlineSource

# The console entry point closes database connections when a command ends (as manage.py does), which
# a test transaction would not survive: these tests commit instead.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("categories"),
]
NOW = dt.datetime(2025, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CSV = "单号,时间,类别,内容,地址\nH1,2025-11-03 09:00,环卫,垃圾堆积,甲镇甲一村\nH2,明天,环卫,垃圾,甲镇\n"


@time_machine.travel(NOW, tick=False)
def test_import_hotline_command(tmp_path: Path, world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    args = [
        "import-hotline", str(path), "--source", "测试热线",
        "--map", "order_no=单号", "--map", "received_at=时间", "--map", "category=类别",
        "--map", "content=内容", "--map", "address=地址", "--category", "环卫=TRASH",
    ]  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        main([*args, "--dry-run"])
    assert exited.value.code == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "row 2\tH1\tcreate\tTRASH 垃圾清运不及时\t甲一村\t2025-11-03T09:00+08:00",
        "row 3\tH2\terror\t无法识别的时间：明天。",
        "2 rows: would create 1, already imported 0, with errors 1",
    ]
    assert Case.objects.count() == 0
    assert HotlineSource.objects.get().column_mapping == {}  # not saved without --save-mapping

    with pytest.raises(SystemExit):
        main([*args, "--save-mapping"])
    case = Case.objects.get()
    assert (
        capsys.readouterr().out.splitlines()[0]
        == f"row 2\tH1\tcreated\tTRASH 垃圾清运不及时\t甲一村\t2025-11-03T09:00+08:00\t{case.number}"
    )
    assert HotlineSource.objects.get().category_mapping == {"环卫": "TRASH"}

    # The saved mapping is used next time; the second run creates nothing.
    with pytest.raises(SystemExit):
        call_command("import_hotline", str(path), source="测试热线")
    assert (
        capsys.readouterr().out.splitlines()[0]
        == "row 2\tH1\texists\tTRASH 垃圾清运不及时\t甲一村\t2025-11-03T09:00+08:00"
    )
    assert Case.objects.count() == 1


def test_import_hotline_unusable_file_exits_2(tmp_path: Path, world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["import-hotline", str(path), "--source", "s"])
    assert exited.value.code == 2
    assert "找不到“工单编号”列" in capsys.readouterr().err
