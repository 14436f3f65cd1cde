"""The English catalog is complete, compiled and in step with the source; pages speak English when
asked and Chinese (the source strings) by default.

The catalog is read with a small parser below (no polib), and the compiled .mo with the standard
library's gettext, so these tests need neither GNU gettext nor extra packages; the one check that
calls msgfmt skips where it is not installed.
"""

from __future__ import annotations

import ast
import gettext as gnu_gettext
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils.translation.template import templatize

from civicgrid.conftest import Personas

PACKAGE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PY_FORMAT = re.compile(r"%(?:\((\w+)\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
# The language switcher names each language in its own script (简体中文 / English) on purpose.
LANGUAGE_OPTION = re.compile(r"<option value=\"zh-hans\"[^>]*>[^<]*</option>")
ENGLISH = {settings.LANGUAGE_COOKIE_NAME: "en"}


# --- a small .po reader ----------------------------------------------------------------------


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] | None = None
    flags: frozenset[str] = frozenset()
    obsolete: bool = False

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def _unquote(token: str) -> str:
    value = ast.literal_eval(token)
    assert isinstance(value, str), token
    return value


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po file in order, the header (msgid "") included."""
    entries: list[Entry] = []
    current = Entry(msgstr={})
    field: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal current, field, started
        if started:
            entries.append(current)
        current, field, started = Entry(msgstr={}), None, False

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue  # previous msgid of an obsolete entry
            current.obsolete = True
        elif line.startswith("#,"):
            current.flags = current.flags | {flag.strip() for flag in line[2:].split(",")}
            continue
        elif line.startswith("#"):
            continue
        if line.startswith('"'):
            assert field is not None, raw
            name, index = field
            if name == "msgstr":
                assert current.msgstr is not None
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, name, getattr(current, name) + _unquote(line))
            continue
        keyword, _, value = line.partition(" ")
        started = True
        plural_form = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if plural_form or keyword == "msgstr":
            index = int(plural_form.group(1)) if plural_form else 0
            assert current.msgstr is not None
            current.msgstr[index] = _unquote(value)
            field = ("msgstr", index)
        elif keyword in {"msgctxt", "msgid", "msgid_plural"}:
            setattr(current, keyword, _unquote(value))
            field = (keyword, 0)
        else:
            raise AssertionError(f"unexpected line in {PO_PATH.name}: {raw!r}")
    finish()
    return entries


def catalog() -> tuple[Entry, list[Entry]]:
    """The header and the live (not obsolete) messages of the English catalog."""
    entries = parse_po(PO_PATH.read_text(encoding="utf-8"))
    header = entries[0]
    assert header.msgid == "" and header.msgctxt is None
    return header, [e for e in entries[1:] if not e.obsolete]


def placeholders(text: str) -> Counter[str]:
    return Counter(m.group(0) for m in PY_FORMAT.finditer(text))


# --- the catalog ---------------------------------------------------------------------------


def test_parser_reads_plurals_contexts_continuations_and_obsolete_entries() -> None:
    text = "\n".join(
        [
            'msgid ""',
            'msgstr ""',
            '"Language: en\\n"',
            "",
            "#, python-format",
            'msgid "共 %(n)d 件"',
            'msgid_plural "共 %(n)d 件"',
            'msgstr[0] "%(n)d case"',
            'msgstr[1] "%(n)d "',
            '"cases"',
            "",
            'msgctxt "月份"',
            'msgid "五月"',
            'msgstr "May"',
            "",
            '#~ msgid "旧"',
            '#~ msgstr ""',
            '#~ "Old \\"one\\""',
        ]
    )
    header, plural, context, old = parse_po(text)
    assert header.msgstr == {0: "Language: en\n"}
    assert (plural.msgid, plural.msgid_plural, plural.flags) == ("共 %(n)d 件", "共 %(n)d 件", {"python-format"})
    assert plural.msgstr == {0: "%(n)d case", 1: "%(n)d cases"}
    assert (context.key, context.msgstr) == ("月份\x04五月", {0: "May"})
    assert (old.obsolete, old.msgid, old.msgstr) == (True, "旧", {0: 'Old "one"'})


def test_catalog_header_is_english_with_two_plural_forms() -> None:
    header, _ = catalog()
    assert header.msgstr is not None
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields["Language"] == "en"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert "fuzzy" not in header.flags


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    _, entries = catalog()
    assert len(entries) > 1000  # the parser found the catalog, not an empty file
    untranslated = [e.msgid for e in entries if not e.msgstr or any(not form.strip() for form in e.msgstr.values())]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []
    plurals = [e for e in entries if e.msgid_plural is not None]
    assert plurals and all(sorted(e.msgstr or {}) == [0, 1] for e in plurals)


def test_translations_keep_every_placeholder() -> None:
    _, entries = catalog()
    wrong = []
    for e in entries:
        if "python-format" not in e.flags:
            continue
        for form in (e.msgstr or {}).values():
            if placeholders(form) != placeholders(e.msgid):
                wrong.append((e.msgid, form))
    assert wrong == []


def test_translations_are_english() -> None:
    """No Chinese left in an English string, except the language's own name in the switcher and a
    column header that hotline files really carry (事发地址)."""
    _, entries = catalog()
    allowed = {"简体中文", "事发地址"}
    left = [
        form
        for e in entries
        for form in (e.msgstr or {}).values()
        if CJK.search(form) and not any(word in form for word in allowed)
    ]
    assert left == []


# --- the compiled catalog ------------------------------------------------------------------


def test_mo_holds_exactly_the_po_translations() -> None:
    """The committed .mo was compiled from the committed .po (recompile after every .po edit)."""
    _, entries = catalog()
    with MO_PATH.open("rb") as fp:
        compiled: dict[Any, str] = dict(gnu_gettext.GNUTranslations(fp)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)  # the header
    expected: dict[Any, str] = {}
    for e in entries:
        assert e.msgstr is not None
        if e.msgid_plural is None:
            expected[e.key] = e.msgstr[0]
        else:
            for index, form in e.msgstr.items():
                expected[(e.key, index)] = form
    assert compiled == expected


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_po_compiles_cleanly_with_msgfmt(tmp_path: Path) -> None:
    _, entries = catalog()
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO_PATH)],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"{len(entries)} translated messages."


# --- the catalog covers the source ---------------------------------------------------------

GETTEXT_FUNCTIONS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
TEMPLATE_CALL = re.compile(r"\b(gettext|ngettext|pgettext|npgettext)\(((?:u?'(?:[^'\\]|\\.)*'(?:, )?)+)")
TEMPLATE_STRING = re.compile(r"u?'(?:[^'\\]|\\.)*'")


def _python_messages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in GETTEXT_FUNCTIONS:
            continue
        context, singular, _plural = GETTEXT_FUNCTIONS[name]
        args = node.args
        if len(args) <= singular or not all(
            isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[: singular + 1]
        ):
            continue
        msgid = args[singular].value  # type: ignore[attr-defined]
        if msgid:
            found.add(msgid if context is None else f"{args[context].value}\x04{msgid}")  # type: ignore[attr-defined]
    return found


def _template_messages(path: Path) -> set[str]:
    found = set()
    for match in TEMPLATE_CALL.finditer(templatize(path.read_text(encoding="utf-8"), origin=str(path))):
        strings = [ast.literal_eval(s) for s in TEMPLATE_STRING.findall(match.group(2))]
        if match.group(1).startswith("p") or match.group(1).startswith("np"):
            found.add(f"{strings[0]}\x04{strings[1]}")
        else:
            found.add(strings[0])
    return found


def source_messages() -> set[str]:
    """Every literal message in civicgrid's Python code and templates (what makemessages extracts)."""
    found: set[str] = set()
    for path in PACKAGE_DIR.rglob("*"):
        if "tests" in path.relative_to(PACKAGE_DIR).parts or not path.is_file():
            continue
        if path.suffix == ".py" and "migrations" not in path.parts:
            found |= _python_messages(path)
        elif path.suffix in {".html", ".txt"} and "templates" in path.parts:
            found |= _template_messages(path)
    return found


def test_catalog_covers_every_message_in_the_source() -> None:
    """A string added without a translation fails here. To fix: from the repository root run
    `DJANGO_SETTINGS_MODULE=civicgrid.settings civicgrid manage makemessages -l en --no-location
    --ignore=.venv --ignore=data --ignore=artifacts --ignore=benchmarks --ignore=scripts
    --ignore='*.egg-info'`, translate the new entries, then `compilemessages --locale en`."""
    _, entries = catalog()
    translated = {e.key for e in entries}
    found = source_messages()
    assert len(found) > 1000  # the scan found the source
    assert sorted(found - translated) == []


# --- pages ---------------------------------------------------------------------------------


def chrome(html: str) -> str:
    """The page without the language switcher's own-language option."""
    return LANGUAGE_OPTION.sub("", html)


@pytest.mark.django_db
def test_home_in_english(client: Client) -> None:
    client.cookies.load(ENGLISH)
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    for label in ["Grassroots governance platform", "Staff login", "API documentation", "Log in", "Switch"]:
        assert label in html
    assert "Every problem, dispute and request" in html
    assert '<option value="zh-hans">简体中文</option>' in html  # the switcher keeps the endonym
    assert CJK.findall(chrome(html)) == []


@pytest.mark.django_db
def test_home_in_chinese_by_default(client: Client) -> None:
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    for label in ["基层治理综合平台", "工作人员登录", "接口文档", "登录"]:
        assert label in html
    assert "Grassroots governance platform" not in html


@pytest.mark.django_db
def test_login_in_english(client: Client) -> None:
    client.cookies.load(ENGLISH)
    html = client.get("/accounts/login/").content.decode()
    for label in ["<h1>Staff login</h1>", ">Username</label>", ">Password</label>", ">Log in</button>"]:
        assert label in html
    assert CJK.findall(chrome(html)) == []


@pytest.mark.django_db
def test_login_in_chinese_by_default(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()
    for label in ["<h1>工作人员登录</h1>", ">用户名</label>", ">密码</label>", ">登录</button>"]:
        assert label in html


@pytest.mark.django_db
def test_wrong_password_message_in_english(client: Client, personas: Personas) -> None:
    client.cookies.load(ENGLISH)
    html = client.post("/accounts/login/", {"username": "grid_worker", "password": "wrong"}).content.decode()
    assert "Please enter a correct username and password." in html  # Django's own catalog
    assert CJK.findall(chrome(html)) == []


@pytest.mark.django_db
def test_admin_index_in_english(client: Client, personas: Personas) -> None:
    client.cookies.load(ENGLISH)
    client.force_login(personas.system_admin)
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>System administration | civicgrid administration</title>" in html
    assert "Organizations and people" in html  # the people app
    for chinese in ["civicgrid 管理后台", "系统管理", "机构与人员", "站点管理"]:
        assert chinese not in html
    assert CJK.findall(chrome(html)) == []


@pytest.mark.django_db
def test_admin_index_in_chinese_by_default(client: Client, personas: Personas) -> None:
    client.force_login(personas.system_admin)
    html = client.get("/admin/").content.decode()
    assert "<title>系统管理 | civicgrid 管理后台</title>" in html
    assert "机构与人员" in html


def _inbox_with_one_message(client: Client, personas: Personas) -> str:
    from civicgrid.notifications.services import notification_queue

    notification_queue(
        event="case.dispatched", subject="新派遣事件：420683-1", body="路灯不亮", recipients=[personas.grid_worker]
    )
    client.force_login(personas.grid_worker)
    response = client.get("/inbox/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_inbox_in_english(client: Client, personas: Personas) -> None:
    client.cookies.load(ENGLISH)
    html = _inbox_with_one_message(client, personas)
    for label in ["<h1>Inbox</h1>", "1 unread", "Unread only", ">Mark all as read</button>", ">Mark as read</button>"]:
        assert label in html
    assert 'title="Unread notifications"' in html and ">Log out</button>" in html
    for chinese in ["收件箱", "条未读", "仅未读", "全部标为已读", "标为已读", "未读通知", "退出"]:
        assert chinese not in html
    # The message itself is data, written in the language it was queued in.
    assert "新派遣事件：420683-1" in html and "路灯不亮" in html


@pytest.mark.django_db
def test_inbox_in_chinese_by_default(client: Client, personas: Personas) -> None:
    html = _inbox_with_one_message(client, personas)
    for label in ["<h1>收件箱</h1>", "1 条未读", "仅未读", ">全部标为已读</button>", ">标为已读</button>"]:
        assert label in html
    assert "Inbox" not in html
