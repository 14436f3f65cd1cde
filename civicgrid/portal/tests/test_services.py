"""Rate-limit counting (fixed windows, per address, data-driven), tracking codes, purging old counters."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from civicgrid.portal.models import RateCounter, RateLimit, TrackingCode
from civicgrid.portal.services import (
    RateLimited,
    code_hash,
    format_code,
    normalise_code,
    rate_counters_purge,
    rate_limit_consume,
    tracking_code_issue,
)

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2025, 11, 28, 2, 0, tzinfo=dt.UTC)  # on an hour boundary


def test_fixed_window_per_scope_and_address() -> None:
    RateLimit.objects.filter(scope="report-submit").update(max_requests=2, window_seconds=3600)
    rate_limit_consume(scope="report-submit", ip="1.1.1.1", now=T0)
    rate_limit_consume(scope="report-submit", ip="1.1.1.1", now=T0 + dt.timedelta(minutes=10))
    with pytest.raises(RateLimited) as caught:
        rate_limit_consume(scope="report-submit", ip="1.1.1.1", now=T0 + dt.timedelta(minutes=15))
    assert caught.value.retry_after == 45 * 60
    assert str(caught.value) == "操作过于频繁，请 45 分钟后再试；情况紧急请直接拨打服务热线。"
    rate_limit_consume(scope="report-submit", ip="2.2.2.2", now=T0 + dt.timedelta(minutes=15))  # another address
    rate_limit_consume(scope="report-voice", ip="1.1.1.1", now=T0 + dt.timedelta(minutes=15))  # another scope
    rate_limit_consume(scope="report-submit", ip="1.1.1.1", now=T0 + dt.timedelta(hours=1))  # the next window
    # Counters hold a keyed hash, never the address.
    assert not RateCounter.objects.filter(client__contains="1.1.1.1").exists()
    assert all(re.fullmatch(r"[0-9a-f]{32}", c) for c in RateCounter.objects.values_list("client", flat=True))


def test_unknown_or_inactive_scope_is_unlimited() -> None:
    RateLimit.objects.filter(scope="report-submit").update(is_active=False, max_requests=0)
    for _i in range(5):
        rate_limit_consume(scope="report-submit", ip="1.1.1.1", now=T0)
        rate_limit_consume(scope="no-such-scope", ip="1.1.1.1", now=T0)
    assert RateCounter.objects.count() == 0


def test_purge_drops_counters_a_day_after_their_window() -> None:
    rate_limit_consume(scope="report-submit", ip="1.1.1.1", now=T0)
    assert rate_counters_purge(now=T0 + dt.timedelta(hours=24)) == 0
    assert rate_counters_purge(now=T0 + dt.timedelta(hours=26)) == 1


def test_tracking_codes(categories: Any, world: Any) -> None:
    from civicgrid.cases.services import case_create

    case = case_create(user=None, title="t", category="TRASH", channel="resident", lon=112.05, lat=32.3)
    code = tracking_code_issue(case=case, reporter=None, channel="resident")
    assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{12}", code)
    row = TrackingCode.objects.get()
    assert row.code_hash == code_hash(code) != code
    assert normalise_code(f" {code[:4].lower()}-{code[4:8]} {code[8:]} ") == code
    assert format_code("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"
    assert len({tracking_code_issue(case=case, reporter=None, channel="resident") for _i in range(20)}) == 20
