"""``civicgrid demo``: migrate, build the demo city, print the demo logins, then serve it.

Running it again on a database that already holds the demo city restores the city's regions,
departments, centers and accounts (demo passwords included) without duplicating anything, and
leaves everything else (cases, audit log …) alone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicgrid.demo.city import DEFAULT_SEED
from civicgrid.demo.services import DEMO_LOGINS, DemoConflict, DemoSummary, demo_build
from civicgrid.people.models import Role, Unit
from civicgrid.regions.models import Region


class Command(BaseCommand):
    help = "Build the demo city (deterministic for --seed) and serve it; --no-serve only builds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"city seed (default {DEFAULT_SEED})")
        parser.add_argument("--no-serve", action="store_true", help="build the demo database and exit")
        parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(_("正在迁移数据库……"))
        call_command("migrate", interactive=False, verbosity=max(options["verbosity"] - 1, 0))
        self.stdout.write(_("正在建立示范城市（种子 %(seed)s）……") % {"seed": options["seed"]})
        try:
            summary = demo_build(seed=options["seed"])
        except DemoConflict as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:  # the import or a people service rejected the demo's own data
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(_summary_text(summary))
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(_logins_table(url, summary.grid_workers))
        if options["no_serve"]:
            return
        serve_args = ["--no-migrate", "--host", options["host"], "--port", str(options["port"])]
        serve_args += ["--workers", str(options["workers"])]
        if options["no_worker"]:
            serve_args.append("--no-worker")
        call_command("serve", *serve_args)


def _summary_text(summary: DemoSummary) -> str:
    return _(
        "示范城市已就绪，用时 %(seconds).1f 秒：区划新增 %(created)d、更新 %(updated)d、未变 %(unchanged)d；"
        "部门 %(units)d 个，综治中心 %(centers)d 个，网格员 %(grid_workers)d 名；新建账号 %(users)d 个。"
    ) % {
        "seconds": summary.seconds,
        "created": summary.regions_created,
        "updated": summary.regions_updated,
        "unchanged": summary.regions_unchanged,
        "units": summary.units,
        "centers": summary.centers,
        "grid_workers": summary.grid_workers,
        "users": summary.users_created,
    }


def _logins_table(url: str, grid_workers: int) -> str:
    codes = [login.scope_code for login in DEMO_LOGINS]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    names.update(Unit.objects.filter(code__in=codes).values_list("code", "name"))
    rows = [(_("用户名"), _("密码"), _("角色"), _("范围"))]
    for login in DEMO_LOGINS:
        scope = f"{names[login.scope_code]} {login.scope_code}" if login.scope_code else "-"
        rows.append((login.username, login.password, f"{Role(login.role).label} {login.role}", scope))
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    lines = ["", _("示范账号（登录页 %(url)saccounts/login/）：") % {"url": url}]
    for number, row in enumerate(rows):
        lines.append("  " + "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip())
        if number == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    lines.append(_("其余 %(count)d 名网格员（账号为 gw + 网格编码）没有可用密码。") % {"count": grid_workers - 1})
    lines.append("")
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)
