"""Structured, greppable log lines: ``ts=… level=… logger=… msg="…" key=value``."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


# Quotes and backslashes, and every character that could end or fake a line or hide in a terminal:
# C0/C1 controls (\r moves back to the start of the line), DEL, and the Unicode line separators.
_NAMED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SPECIAL = re.compile(r'[\\"\x00-\x1f\x7f-\x9f\u2028\u2029]')


def _quote(value: Any) -> str:
    text = str(value)
    if text == "" or " " in text or "=" in text or _SPECIAL.search(text):
        return '"' + _SPECIAL.sub(lambda match: _escape(match.group()), text) + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    """One line per record; extra= fields become key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        parts = [f"ts={ts}", f"level={record.levelname.lower()}", f"logger={record.name}"]
        parts.append(f"msg={_quote(record.getMessage())}")
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                parts.append(f"{key}={_quote(value)}")
        if record.exc_info:
            parts.append(f"exc={_quote(self.formatException(record.exc_info))}")
        return " ".join(parts)
