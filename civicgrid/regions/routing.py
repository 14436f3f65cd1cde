"""Routing (落格): which grid a point lies in, and the chain of regions above it.

``route_point`` answers one point, ``route_points`` arrays of them; both use one ``GridIndex`` per process
built from the region table.

Freshness: the database keeps one ``RegionGeneration`` row whose random token triggers change in the
same transaction as any write to regions (migration 0002). Every call reads that row (in the one query
for all data generation tokens, at most once per request: ``civicgrid.core.generations``) and rebuilds
the index when the token differs from the one it was built from, so an import committed by another
process is seen on the next call (the next request). Set
``settings.CIVICGRID["ROUTING_GENERATION_CHECK_SECONDS"]`` above 0 to check at most that often instead
(a bounded window of staleness across processes in exchange for no query per call). Within a process,
``regions_import`` also drops the index at once, so the next call rebuilds whatever that setting says.

A point covered by several grids (on a shared edge or corner) goes to the grid with the lowest code.
A point in no grid but within ``ROUTING_SNAP_METRES`` of one goes to the nearest ("snapped"; ties:
lowest code). Otherwise it is "unrouted": callers put it in the city center's queue.

Coordinates are checked before routing (``CoordinateError``, translated): numbers, finite, in range, and
not more than ``ROUTING_MAX_OUTSIDE_KM`` from the bounding box of a root region (its own shape, or the
shapes below it when it has none). ``route_points`` answers -1 for such points instead of raising.
Only grids with a shape are routed to; building/lane regions below grids are not.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.utils.translation import gettext as _

from civicgrid.core import generations
from civicgrid.regions.coords import WGS84, CoordinateError, check_crs, check_lon_lat, to_wgs84
from civicgrid.regions.gridindex import INSIDE, METRES_PER_DEGREE, SNAPPED, UNROUTED, GridIndex
from civicgrid.regions.models import Level, Region

__all__ = ["INSIDE", "SNAPPED", "UNROUTED", "RouteResult", "invalidate", "route_point", "route_points"]


@dataclass(frozen=True)
class RouteResult:
    """Where a point belongs. ``chain_ids`` runs from the root city down to the grid (empty when unrouted)."""

    status: str
    grid_id: int | None
    chain_ids: tuple[int, ...]
    distance_m: float
    lon: float
    lat: float

    def regions(self) -> list[Region]:
        """The chain as Region rows, root first."""
        # The index this result came from keeps the rows it has loaded (fresh instances are handed out):
        # they belong to the same regions generation as the routing itself, so case intake, which routes
        # and then loads the chain on every call, asks the database once per generation, not per point.
        rows: _RowCache | None = getattr(self, "_rows", None)
        if rows is None:
            by_id = Region.objects.in_bulk(list(self.chain_ids))
            return [by_id[pk] for pk in self.chain_ids if pk in by_id]
        missing = [pk for pk in self.chain_ids if pk not in rows.values]
        if missing:
            names = [f.attname for f in Region._meta.concrete_fields]
            loaded = Region.objects.filter(pk__in=missing).values_list(*names)
            with _lock:
                rows.names = names  # set before any row, for readers outside the lock
                rows.values.update((values[0], tuple(values)) for values in loaded)
        return [
            Region.from_db(Region.objects.db, rows.names, rows.values[pk]) for pk in self.chain_ids if pk in rows.values
        ]


@dataclass
class _RowCache:
    names: list[str] = field(default_factory=list)
    values: dict[int, tuple[Any, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Snapshot:
    token: str | None
    index: GridIndex
    chains: dict[int, tuple[int, ...]]
    # Bounding boxes (min_lon, min_lat, max_lon, max_lat) of the root regions, for "far outside the city".
    outline: np.ndarray
    rows: _RowCache = field(default_factory=lambda: _RowCache())


_lock = threading.Lock()
_snapshot: _Snapshot | None = None
_checked_at = 0.0


def _knob(name: str, default: float) -> float:
    return float(getattr(settings, "CIVICGRID", {}).get(name, default))


def invalidate() -> None:
    """Forget the index; the next lookup rebuilds it. Called by every region write in this process."""
    global _snapshot
    with _lock:
        _snapshot = None
    generations.clear()  # a request that wrote regions reads their token again


def _current_token() -> str | None:
    # Read with every other data generation token, at most once per request (civicgrid.core.generations).
    return generations.token(generations.REGIONS)


def _snapshot_now() -> _Snapshot:
    global _snapshot, _checked_at
    snapshot = _snapshot
    ttl = _knob("ROUTING_GENERATION_CHECK_SECONDS", 0.0)
    now = time.monotonic()
    if snapshot is not None and snapshot.token is not None and ttl > 0 and now - _checked_at < ttl:
        return snapshot
    token = _current_token()
    if snapshot is not None and token is not None and snapshot.token == token:
        _checked_at = now
        return snapshot
    with _lock:
        if _snapshot is not None and token is not None and _snapshot.token == token:
            return _snapshot
        # The token is read before the rows: if a write lands in between, the index holds newer rows
        # under an older token and is simply rebuilt once more on the next call.
        fresh = _build(token)
        if token is not None:  # no version row (a flushed test database): never trust a cached index
            _snapshot = fresh
            _checked_at = now
        return fresh


def _build(token: str | None) -> _Snapshot:
    rows = list(
        Region.objects.values_list("id", "parent_id", "level", "code", "min_lon", "min_lat", "max_lon", "max_lat")
    )
    parent_of = {row[0]: row[1] for row in rows}
    grids = list(Region.objects.filter(level=Level.GRID, geometry__isnull=False).values_list("id", "code", "geometry"))
    index = GridIndex(
        [g[0] for g in grids],
        [g[1] for g in grids],
        shapely.from_wkb([bytes(g[2] or b"") for g in grids]) if grids else [],
        snap_metres=_knob("ROUTING_SNAP_METRES", 200.0),
    )
    chains: dict[int, tuple[int, ...]] = {}
    for grid_id, _code, _geom in grids:
        chain = [grid_id]
        node = parent_of.get(grid_id)
        while node is not None and len(chain) < 16:
            chain.append(node)
            node = parent_of.get(node)
        chains[grid_id] = tuple(reversed(chain))
    return _Snapshot(token=token, index=index, chains=chains, outline=_root_boxes(rows))


def _root_boxes(rows: list[tuple[Any, ...]]) -> np.ndarray:
    """Each root's own bounding box, or the box around everything below it that has a shape."""
    roots = {row[3]: row for row in rows if row[1] is None}
    boxes: dict[str, list[float]] = {}
    for row in rows:
        if row[4] is None:
            continue
        root_code = next((code for code in roots if row[3].startswith(code)), None)
        if root_code is None:
            continue
        own = roots[root_code][4] is not None
        if own and row[1] is not None:
            continue  # the root's own shape decides
        box = boxes.setdefault(root_code, [math.inf, math.inf, -math.inf, -math.inf])
        box[0], box[1] = min(box[0], row[4]), min(box[1], row[5])
        box[2], box[3] = max(box[2], row[6]), max(box[3], row[7])
    return np.array(list(boxes.values()), dtype=np.float64).reshape(-1, 4)


def _outside_metres(outline: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Metres from each point to the nearest root bounding box (0 inside one)."""
    out = np.zeros(lon.shape, dtype=np.float64)
    if not outline.size:
        return out
    inside = np.zeros(lon.shape, dtype=bool)
    for min_lon, min_lat, max_lon, max_lat in outline.tolist():
        inside = (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)
        if inside.all():
            return out  # the usual case: every point within the city's box
    far = np.flatnonzero(~inside) if len(outline) == 1 else np.arange(lon.size)
    box = outline[None, :, :]
    lon_f, lat_f = lon[far, None], lat[far, None]
    d_lon = np.maximum(np.maximum(box[..., 0] - lon_f, lon_f - box[..., 2]), 0.0)
    d_lat = np.maximum(np.maximum(box[..., 1] - lat_f, lat_f - box[..., 3]), 0.0)
    metres = np.hypot(d_lon * METRES_PER_DEGREE * np.cos(np.radians(lat_f)), d_lat * METRES_PER_DEGREE)
    out[far] = metres.min(axis=-1)
    return out


def route_point(lon: float, lat: float, *, crs: str = WGS84) -> RouteResult:
    """Route one point given in ``crs`` (wgs84, gcj02 or bd09). Bad coordinates raise CoordinateError."""
    crs = check_crs(crs)
    lon_in, lat_in = check_lon_lat(lon, lat)
    lon_w, lat_w = to_wgs84(lon_in, lat_in, crs)
    lon_w, lat_w = float(lon_w), float(lat_w)
    snapshot = _snapshot_now()
    limit_km = _knob("ROUTING_MAX_OUTSIDE_KM", 50.0)
    outside_m = (
        _outside_metres(snapshot.outline, np.array([lon_w]), np.array([lat_w]))[0] if snapshot.outline.size else 0.0
    )
    if outside_m > limit_km * 1000.0:
        raise CoordinateError(
            _("该点离本市超过 %(km)s 公里（经度 %(lon)s，纬度 %(lat)s）：请检查经纬度是否写反、坐标系是否选对。")
            % {"km": f"{limit_km:g}", "lon": lon, "lat": lat},
            code="far_outside",
        )
    located = snapshot.index.locate(lon_w, lat_w)
    if located.position < 0:
        return RouteResult(UNROUTED, None, (), located.distance_m, lon_w, lat_w)
    grid_id = snapshot.index.grid_id(located.position)
    result = RouteResult(located.status, grid_id, snapshot.chains[grid_id], located.distance_m, lon_w, lat_w)
    if snapshot.token is not None:  # a cached index (see _snapshot_now): its rows may be reused
        object.__setattr__(result, "_rows", snapshot.rows)  # not a field: equality and asdict stay as they were
    return result


def route_points(lons: np.ndarray, lats: np.ndarray, *, crs: str = WGS84) -> np.ndarray:
    """Grid ids for arrays of points (-1 = unrouted). Same answers as route_point for each point; where
    route_point would raise CoordinateError (not finite, out of range, far outside the city) this gives -1."""
    crs = check_crs(crs)
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    if lon_arr.shape != lat_arr.shape:
        raise CoordinateError(_("经度和纬度的个数必须相同。"), code="shape_mismatch")
    shape = lon_arr.shape
    lon_arr, lat_arr = lon_arr.ravel(), lat_arr.ravel()
    with np.errstate(invalid="ignore"):
        valid = (
            np.isfinite(lon_arr)
            & np.isfinite(lat_arr)
            & (lon_arr >= -180)
            & (lon_arr <= 180)
            & (lat_arr >= -90)
            & (lat_arr <= 90)
        )
    lon_w = np.where(valid, lon_arr, 0.0)
    lat_w = np.where(valid, lat_arr, 0.0)
    if crs != WGS84:
        lon_w, lat_w = (np.asarray(a, dtype=np.float64) for a in to_wgs84(lon_w, lat_w, crs))
    snapshot = _snapshot_now()
    if snapshot.outline.size:
        limit_m = _knob("ROUTING_MAX_OUTSIDE_KM", 50.0) * 1000.0
        valid &= _outside_metres(snapshot.outline, lon_w, lat_w) <= limit_m
    out = np.full(lon_arr.size, -1, dtype=np.int64)
    if valid.any():
        out[valid] = snapshot.index.lookup_many(lon_w[valid], lat_w[valid])
    return out.reshape(shape)
