"""Writes of the public portal: rate-limit counting, tracking codes, and the resident's actions, each
handed to the cases services (the portal never changes a case by itself).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import ngettext

from civicgrid.portal.models import RateCounter, RateLimit, TrackingCode

if TYPE_CHECKING:
    from civicgrid.cases.models import Case, Reporter

# 32 letters and digits without 0/O/1/I/L look-alikes: 12 of them carry 60 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


class RateLimited(Exception):
    """Too many requests of one kind from one address in the current window."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            ngettext(
                "操作过于频繁，请 %(minutes)d 分钟后再试；情况紧急请直接拨打服务热线。",
                "操作过于频繁，请 %(minutes)d 分钟后再试；情况紧急请直接拨打服务热线。",
                minutes,
            )
            % {"minutes": minutes}
        )
        self.retry_after = retry_after


def _client_key(scope: str, ip: str) -> str:
    """A keyed hash of the address: counters never hold an IP address."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{scope}|{ip}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def rate_limit_consume(*, scope: str, ip: str, now: dt.datetime | None = None) -> None:
    """Count one request of ``scope`` from ``ip``; raise RateLimited once the window's limit is passed.

    The count is committed on its own (even if the caller's action then fails), so a flood cannot
    slip through by failing validation on purpose. A scope without an active RateLimit row is unlimited.
    """
    limit = RateLimit.objects.filter(scope=scope, is_active=True).first()
    if limit is None:
        return
    now = now or timezone.now()
    window = limit.window_seconds
    epoch = int(now.timestamp())
    start = dt.datetime.fromtimestamp(epoch - epoch % window, tz=dt.UTC)
    client = _client_key(scope, ip or "-")
    rows = RateCounter.objects.filter(scope=scope, client=client, window_start=start)
    with transaction.atomic():
        if not rows.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(scope=scope, client=client, window_start=start, count=1)
            except IntegrityError:
                rows.update(count=F("count") + 1)
        count = rows.values_list("count", flat=True).get()
    if count > limit.max_requests:
        raise RateLimited(retry_after=max(1, int((start + dt.timedelta(seconds=window) - now).total_seconds())))


def rate_counters_purge(*, now: dt.datetime | None = None) -> int:
    """Delete counters whose window started more than a day (plus the longest window) ago."""
    now = now or timezone.now()
    longest = max(RateLimit.objects.values_list("window_seconds", flat=True), default=3600)
    cutoff = now - dt.timedelta(seconds=longest) - dt.timedelta(days=1)
    deleted, _detail = RateCounter.objects.filter(window_start__lt=cutoff).delete()
    return deleted


# --- tracking codes ---------------------------------------------------------------------------


def normalise_code(text: str) -> str:
    """Upper-case, without spaces or dashes: what residents type back in."""
    return "".join(ch for ch in text.upper() if ch.isalnum())[: CODE_LENGTH * 2]


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def format_code(code: str) -> str:
    """ABCD-EFGH-JKMN: easier to read out on the phone."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class Receipt:
    """What the resident gets back: the case and their tracking code (shown once)."""

    case: Any
    code: str

    @property
    def display_code(self) -> str:
        return format_code(self.code)


def tracking_code_issue(*, case: Case, reporter: Reporter | None, channel: str, joined: bool = False) -> str:
    """A new tracking code for ``case`` (inside the caller's transaction); returns the plain code."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        digest = code_hash(code)
        if not TrackingCode.objects.filter(code_hash=digest).exists():
            break
    TrackingCode.objects.create(code_hash=digest, case=case, reporter=reporter, channel=channel, joined=joined)
    return code


# --- the resident's actions -------------------------------------------------------------------


def report_submit(
    *,
    category: Any,
    title: str,
    description: str,
    lon: float | None,
    lat: float | None,
    address: str,
    answers: dict[str, Any],
    photos: list[tuple[str, bytes]],
    name: str = "",
    phone: str = "",
    email: str = "",
    anonymous: bool = False,
    idempotency_key: str | None = None,
) -> Receipt:
    """File a new case from the portal and issue its tracking code, in one transaction.

    The same idempotency key twice (a double tap on "submit") gives the same case with a fresh code.
    """
    from civicgrid.cases.models import Channel
    from civicgrid.portal import casebridge

    with transaction.atomic():
        case = casebridge.create_case(
            channel=Channel.RESIDENT,
            category=category,
            title=title,
            description=description,
            lon=lon,
            lat=lat,
            address=address,
            reporter_name=name,
            reporter_phone=phone,
            reporter_email=email,
            anonymous=anonymous,
            attributes=answers,
            attachments=photos,
            idempotency_key=f"portal:{idempotency_key}" if idempotency_key else None,
        )
        code = tracking_code_issue(case=case, reporter=case.reporter, channel=Channel.RESIDENT)
    return Receipt(case=case, code=code)


def report_join(*, case: Case, name: str = "", phone: str = "", email: str = "", anonymous: bool = False) -> Receipt:
    """“Me too” (附议): the resident adds their voice to an open case instead of filing a new one."""
    from civicgrid.cases.models import Channel
    from civicgrid.portal import casebridge

    with transaction.atomic():
        reporter = casebridge.add_voice(
            case=case,
            reporter_name=name,
            reporter_phone=phone,
            reporter_email=email,
            anonymous=anonymous,
            channel=Channel.RESIDENT,
        )
        code = tracking_code_issue(case=case, reporter=reporter, channel=Channel.RESIDENT, joined=True)
    return Receipt(case=case, code=code)


def tracking_add_info(*, case: Case, text: str, photos: list[tuple[str, bytes]]) -> None:
    from civicgrid.portal import casebridge

    casebridge.add_info(case=case, text=text, attachments=photos)


def tracking_escalate(*, case: Case, reason: str) -> None:
    from civicgrid.portal import casebridge

    casebridge.escalate(case=case, reason=reason)


def tracking_rate(*, case: Case, satisfaction: str, note: str) -> None:
    from civicgrid.portal import casebridge

    casebridge.rate(case=case, satisfaction=satisfaction, note=note)
