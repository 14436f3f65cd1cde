"""System checks: the agreement PDF needs WeasyPrint and a CJK font (Debian's fonts-noto-cjk)."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.core.checks import CheckMessage, Warning, register


@register("disputes")
def agreement_pdf_requirements(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from .agreement import cjk_font_available

    problems: list[CheckMessage] = []
    if importlib.util.find_spec("weasyprint") is None:
        problems.append(
            Warning(
                "WeasyPrint is not installed: written mediation agreements cannot be printed.",
                hint="Install the project again (scripts/bootstrap).",
                id="disputes.W001",
            )
        )
    if not cjk_font_available():
        problems.append(
            Warning(
                "No Noto CJK font found by fontconfig: agreement PDFs would show empty boxes for Chinese.",
                hint="apt-get install fonts-noto-cjk (scripts/bootstrap does).",
                id="disputes.W002",
            )
        )
    return problems
