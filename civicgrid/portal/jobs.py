"""Background work of the portal: old rate-limit counters are deleted (they hold only keyed hashes)."""

from __future__ import annotations

from civicgrid.core.jobs import periodic
from civicgrid.portal.services import rate_counters_purge


@periodic("portal.rate_counters_purge", every_seconds=3600)
def purge_rate_counters() -> int:
    return rate_counters_purge()
