"""Log lines are one line each, key=value, greppable."""

from __future__ import annotations

import logging

import pytest

from civicgrid.core.logging import KeyValueFormatter


def _record(msg: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("civicgrid.test", logging.INFO, __file__, 1, msg, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_extra_fields_become_key_value_pairs() -> None:
    line = KeyValueFormatter().format(_record("request", method="GET", path="/a b", status=200))
    assert line.startswith("ts=")
    assert ' level=info logger=civicgrid.test msg=request method=GET path="/a b" status=200' in line
    assert "\n" not in line


def test_newlines_and_quotes_are_escaped() -> None:
    line = KeyValueFormatter().format(_record('two\nlines "quoted"'))
    assert 'msg="two\\nlines \\"quoted\\""' in line
    assert "\n" not in line


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("/x\rts=forged level=info", '"/x\\rts=forged level=info"'),  # \r would overprint the line on a terminal
        ("/a\x1b[2Jb", '"/a\\x1b[2Jb"'),  # an escape sequence would clear the screen
        ("/a\u2028b\u0085c", '"/a\\u2028b\\x85c"'),  # line breaks to Unicode-aware readers
        ("C:\\dir", '"C:\\\\dir"'),
        ("tab\there", '"tab\\there"'),
        ("/plain/path", "/plain/path"),
        ("中文路径", "中文路径"),
    ],
)
def test_control_characters_cannot_forge_or_hide_log_lines(value: str, shown: str) -> None:
    """A request path is the client's text: every control character is escaped, so one request is one line."""
    line = KeyValueFormatter().format(_record("request", path=value))
    assert line.endswith(f" path={shown}")
    assert line.isprintable()


@pytest.mark.django_db
def test_request_lines_are_logged(client, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO, logger="civicgrid.request"):
        client.get("/healthz")
    records = [r for r in caplog.records if r.name == "civicgrid.request"]
    assert records and records[-1].path == "/healthz" and records[-1].status == 200


def test_tracking_codes_and_tokens_are_masked_in_logged_paths() -> None:
    from civicgrid.core.middleware import loggable_path

    assert loggable_path("/track/AB12CD34EF56/") == "/track/***/"
    assert loggable_path("/track/AB12CD34EF56/rate/") == "/track/***/rate/"
    assert loggable_path("/open311/v2/tokens/abc123.json") == "/open311/v2/tokens/***.json"
    assert loggable_path("/report/") == "/report/"
