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


@pytest.mark.django_db
def test_request_lines_are_logged(client, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO, logger="civicgrid.request"):
        client.get("/healthz")
    records = [r for r in caplog.records if r.name == "civicgrid.request"]
    assert records and records[-1].path == "/healthz" and records[-1].status == 200
