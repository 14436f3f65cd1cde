"""The written mediation agreement (人民调解协议书, People's Mediation Law Art. 29) as a PDF.

Rendered from an HTML template by WeasyPrint on A4 with the system's Noto CJK font (Debian
``fonts-noto-cjk``), which WeasyPrint embeds as a subset. One PDF holds every copy: one per party
plus the committee's, each starting on a new page with places for signatures or fingerprints, the
mediator's signature and the committee's seal. ID numbers are printed masked (the document is
stored and downloaded; the parties bring their ID cards to sign), phones are left out.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import translation

if TYPE_CHECKING:
    from .models import Mediation, Party

FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")


def chinese_date(day: dt.date | None) -> str:
    """``2025年3月31日`` (blank when unknown)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


@dataclass(frozen=True)
class PartyLine:
    role: str
    name: str
    details: str


@dataclass(frozen=True)
class Copy:
    number: int
    holder: str


def _party_line(party: Party) -> PartyLine:
    from .models import PartyKind

    bits: list[str] = []
    if party.kind == PartyKind.PERSON:
        if party.sex:
            bits.append(str(party.get_sex_display()))
        if party.birth_date:
            bits.append(f"{chinese_date(party.birth_date)}出生")
        elif party.age is not None:
            bits.append(f"{party.age}岁")
        if party.id_number:
            bits.append(f"身份证号码{party.id_number_masked}")
        if party.address:
            bits.append(f"住{party.address}")
    else:
        if party.credit_code:
            bits.append(f"统一社会信用代码{party.credit_code}")
        if party.representative:
            bits.append(f"法定代表人（负责人）{party.representative}")
        if party.address:
            bits.append(f"住所地{party.address}")
    return PartyLine(role=str(party.get_role_display()), name=party.name, details="，".join(bits))


def agreement_context(mediation: Mediation) -> dict[str, object]:
    parties = list(mediation.parties.all())
    copies = [Copy(number=i, holder=f"{p.get_role_display()}{p.name}") for i, p in enumerate(parties, start=1)]
    copies.append(Copy(number=len(parties) + 1, holder=mediation.committee_name))
    mediators = [mediation.lead_mediator, *mediation.co_mediators.all()] if mediation.lead_mediator else []
    return {
        "mediation": mediation,
        "case": mediation.case,
        "number": mediation.agreement_number or "",
        "committee": mediation.committee_name,
        "parties": [_party_line(p) for p in parties],
        "signers": [f"{p.get_role_display()}：{p.name}" for p in parties],
        "mediators": [m.name for m in mediators if m is not None],
        "deadline": chinese_date(mediation.performance_deadline),
        "signed_on": chinese_date(mediation.agreement_signed_on),
        "copies": copies,
        "copy_total": len(copies),
        "font_families": ", ".join(f'"{name}"' for name in FONT_FAMILIES),
    }


def agreement_html(mediation: Mediation) -> str:
    with translation.override("zh-hans"):  # a legal document in Chinese whatever the UI language
        return render_to_string("disputes/agreement_pdf.html", agreement_context(mediation))


def agreement_pdf(mediation: Mediation) -> bytes:
    """The agreement as PDF bytes (every copy in one file)."""
    from weasyprint import HTML  # imported late: loading Pango takes a moment

    pdf = HTML(string=agreement_html(mediation)).write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf returns bytes when no target is given
        raise RuntimeError("WeasyPrint produced no PDF")
    return bytes(pdf)


def cjk_font_available() -> bool:
    """True when fontconfig finds one of the agreement's CJK fonts (else the PDF would show boxes)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    result = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    return any(name in result.stdout for name in FONT_FAMILIES)
