"""Point → grid lookup over a set of grid polygons: a coarse raster in front of exact shapely tests.

Pure shapely/numpy, no Django, so the benchmark measures the very class the app routes with.

How it answers (the exact rule every path must agree on):

1. the grids whose closed polygon covers the point (boundary included); if there are several (a point
   on a shared edge or in a tolerated sliver of overlap) the one with the lowest code wins;
2. otherwise the nearest grid within ``snap_metres`` ("snapped"; equal distances: lowest code);
3. otherwise none ("unrouted").

The raster cuts the grids' bounding box (plus a margin of ``snap_metres``) into square cells of about
``cells_per_grid`` cells per grid. A cell that no polygon boundary touches lies wholly inside one grid
(its id is stored in the cell) or wholly outside every grid (stored as "far" when no boundary is within
the snap distance). Only cells that a boundary touches, or that are near one from outside, are marked
for the exact test, with the list of grids whose boundary touches them. Which grid holds a cell centre
is found by a scanline sweep over the polygon edges (entries and exits counted per row), so building
needs no per-cell point-in-polygon test.

Distances are metres on an equirectangular plane at the grids' mean latitude (error under 1% across a
county, a few percent across a province: good enough for a snap radius of a few hundred metres).
Containment is tested in lon/lat itself, so shared edges are exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0

#: Cell values: >= 0 is the (code-ordered) grid position; FAR means no grid within the snap distance;
#: values <= EXACT_BASE encode a slot ``EXACT_BASE - value`` of a cell that needs the exact test.
FAR = -1
EXACT_BASE = -2

#: Shewchuk's error bound for the fast orientation test, (3 + 16 eps) * eps with eps = 2**-53.
_CCW_ERRBOUND_A = (3.0 + 16.0 * 2.0**-53) * 2.0**-53

#: Point–polygon pairs tested per numpy pass in the bulk exact test.
_PAIR_BLOCK = 4096

#: Boundary marks are widened by this many cells, far above floating-point noise, so a point that
#: rounding puts one ulp into a neighbouring cell still meets the boundary that cell is marked for.
_EPS_CELLS = 1e-6

INSIDE = "inside"
SNAPPED = "snapped"
UNROUTED = "unrouted"


@dataclass(frozen=True)
class Located:
    """One point's answer: grid position in code order (-1 none), status and distance in metres."""

    position: int
    status: str
    distance_m: float


class GridIndex:
    """Routes lon/lat points to grids. Immutable once built; safe to share between threads."""

    def __init__(
        self,
        ids: Sequence[int] | np.ndarray,
        codes: Sequence[str],
        geometries: Sequence[Any] | np.ndarray,
        *,
        snap_metres: float,
        cells_per_grid: float = 128.0,
        max_cells: int = 16_000_000,
    ) -> None:
        if not (len(ids) == len(codes) == len(geometries)):
            raise ValueError("ids, codes and geometries must have the same length")
        order = sorted(range(len(codes)), key=lambda i: codes[i])
        self.ids = np.asarray(ids, dtype=np.int64)[order] if len(order) else np.zeros(0, dtype=np.int64)
        self.codes: list[str] = [codes[i] for i in order]
        geoms = np.asarray(list(geometries), dtype=object)
        self.geoms = geoms[order] if len(order) else np.zeros(0, dtype=object)
        self.snap_metres = max(0.0, float(snap_metres))
        self._id_list: list[int] = self.ids.tolist()
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self._build_projection()
        self._build_raster(cells_per_grid, max_cells)

    # --- building -------------------------------------------------------------------------------

    def _build_projection(self) -> None:
        if len(self.geoms):
            min_x, min_y, max_x, max_y = shapely.total_bounds(self.geoms)
        else:
            min_x = min_y = max_x = max_y = 0.0
        self.bounds = (float(min_x), float(min_y), float(max_x), float(max_y))
        self.lon0 = (min_x + max_x) / 2.0
        self.lat0 = (min_y + max_y) / 2.0
        self.kx = METRES_PER_DEGREE * math.cos(math.radians(self.lat0))
        self.ky = METRES_PER_DEGREE
        offset = np.array([self.lon0, self.lat0])
        scale = np.array([self.kx, self.ky])
        self.geoms_m = shapely.transform(self.geoms, lambda c: (c - offset) * scale)
        self.tree_m = shapely.STRtree(self.geoms_m)

    def project(self, lon: Any, lat: Any) -> tuple[Any, Any]:
        """Lon/lat → metres on the index's plane."""
        return (np.subtract(lon, self.lon0) * self.kx, np.subtract(lat, self.lat0) * self.ky)

    def _build_raster(self, cells_per_grid: float, max_cells: int) -> None:
        n = len(self.geoms)
        min_x, min_y, max_x, max_y = self.bounds
        width_m = max((max_x - min_x) * self.kx, 1.0)
        height_m = max((max_y - min_y) * self.ky, 1.0)
        cell_m = math.sqrt(width_m * height_m / max(1.0, n * cells_per_grid))
        margin_m = self.snap_metres + 2 * cell_m
        cells_estimate = (width_m + 2 * margin_m) * (height_m + 2 * margin_m) / (cell_m * cell_m)
        if cells_estimate > max_cells:
            cell_m *= math.sqrt(cells_estimate / max_cells)
            margin_m = self.snap_metres + 2 * cell_m
        self.cell_m = cell_m
        self.cx = cell_m / self.kx  # cell width in degrees of longitude
        self.cy = cell_m / self.ky
        self.icx = 1.0 / self.cx
        self.icy = 1.0 / self.cy
        self.ox = min_x - margin_m / self.kx
        self.oy = min_y - margin_m / self.ky
        self.ncols = math.ceil((width_m + 2 * margin_m) / cell_m) + 1
        self.nrows = math.ceil((height_m + 2 * margin_m) / cell_m) + 1
        ncells = self.ncols * self.nrows

        # Ring vertices in cell units, exteriors counter-clockwise and holes clockwise, so the
        # interior is always on the left of the direction of travel.
        oriented = shapely.orient_polygons(self.geoms, exterior_cw=False) if n else self.geoms
        parts, part_poly = shapely.get_parts(oriented, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        u = (coords[:, 0] - self.ox) * self.icx
        v = (coords[:, 1] - self.oy) * self.icy
        same = coord_ring[:-1] == coord_ring[1:]
        u0, v0, u1, v1 = u[:-1][same], v[:-1][same], u[1:][same], v[1:][same]
        seg_poly = part_poly[ring_part[coord_ring[:-1][same]]].astype(np.int64)
        # The same segments in lon/lat, grouped by polygon, for the vectorised exact test.
        self.seg_x0, self.seg_y0 = coords[:-1, 0][same], coords[:-1, 1][same]
        self.seg_x1, self.seg_y1 = coords[1:, 0][same], coords[1:, 1][same]
        self.seg_start = np.searchsorted(seg_poly, np.arange(n + 1)).astype(np.int64)

        depth, sum1, sum2 = self._sweep(u0, v0, u1, v1, seg_poly)
        edge_cells, edge_polys = self._boundary_marks(u0, v0, u1, v1, seg_poly)

        edge = np.zeros(ncells, dtype=bool)
        edge[edge_cells] = True
        # A cell with one polygon active at its centre is wholly in that polygon unless a boundary
        # touches it; the sums of ids and squared ids prove that exactly one polygon (id sum1) is active.
        single = (depth == 1) & (sum2 == sum1 * sum1) & (sum1 >= 1) & (sum1 <= n)
        empty = (depth == 0) & (sum1 == 0) & (sum2 == 0)

        raster = np.full(ncells, FAR, dtype=np.int32)
        pure = single & ~edge
        raster[pure] = (sum1[pure] - 1).astype(np.int32)
        near = self._near_mask(edge)
        exact = edge | (~single & ~empty) | (empty & near)
        exact_cells = np.flatnonzero(exact)
        slots = np.arange(exact_cells.size, dtype=np.int64)
        raster[exact_cells] = (EXACT_BASE - slots).astype(np.int32)
        self.raster = raster
        self._cells = raster.data

        # Candidates per exact cell: every grid whose boundary touches it, plus the one grid holding
        # its centre (a grid can hold a whole cell that another grid's boundary pokes into only where
        # they overlap, which import keeps below the tolerance, but the index stays exact anyway).
        holder_cells = exact_cells[single[exact_cells]]
        all_cells = np.concatenate([edge_cells, holder_cells])
        all_polys = np.concatenate([edge_polys, sum1[holder_cells] - 1])
        slot_of_cell = EXACT_BASE - raster[all_cells].astype(np.int64)
        keys = np.sort(slot_of_cell * max(n, 1) + all_polys)
        if keys.size:
            keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
        cand_slot = keys // max(n, 1)
        self.cand_poly = (keys % max(n, 1)).astype(np.int64)
        counts = np.bincount(cand_slot, minlength=exact_cells.size)
        self.cand_start = np.zeros(exact_cells.size + 1, dtype=np.int64)
        np.cumsum(counts, out=self.cand_start[1:])
        # Cells where the sweep saw several grids (overlaps) fall back to a tree query.
        self.complex = np.asarray(~single[exact_cells] & ~empty[exact_cells])
        self.cand_geoms = self.geoms[self.cand_poly] if n else np.zeros(0, dtype=object)
        self._cand_start = self.cand_start.data
        self._cand_poly = self.cand_poly.data
        self._complex = self.complex.tolist()
        self.exact_cell_count = int(exact_cells.size)

    def _sweep(
        self, u0: np.ndarray, v0: np.ndarray, u1: np.ndarray, v1: np.ndarray, seg_poly: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per cell centre: how many polygons hold it, and the sums of their ids and squared ids (id = pos + 1)."""
        ncols, nrows = self.ncols, self.nrows
        ncells = ncols * nrows
        vlo, vhi = np.minimum(v0, v1), np.maximum(v0, v1)
        # Rows whose centre line v = r + 0.5 the segment crosses, half-open so a vertex counts once.
        first = np.ceil(vlo - 0.5).astype(np.int64)
        last = np.ceil(vhi - 0.5).astype(np.int64) - 1
        count = np.maximum(last - first + 1, 0)
        total = int(count.sum())
        if total == 0:
            zeros = np.zeros(ncells, dtype=np.int64)
            return zeros, zeros.copy(), zeros.copy()
        seg = np.repeat(np.arange(u0.size), count)
        start = np.cumsum(count) - count
        row = first[seg] + (np.arange(total) - start[seg])
        yc = row + 0.5
        t = (yc - v0[seg]) / (v1[seg] - v0[seg])
        x = u0[seg] + t * (u1[seg] - u0[seg])
        # Interior on the left: travelling down means entering when moving +x.
        sign = np.where(v1[seg] < v0[seg], 1, -1).astype(np.int64)
        ident = (seg_poly[seg] + 1).astype(np.float64)
        # Each crossing changes the state of every cell centre to its right on that row: add it at the
        # first such cell, then a running sum along the row gives each centre's state. No sort needed.
        # Float sums are exact here: |id²| ≤ 1e12 and a row holds far fewer than 9e3 crossings.
        col = np.clip(np.floor(x + 0.5), 0, ncols).astype(np.int64)
        flat = row * (ncols + 1) + col
        size = nrows * (ncols + 1)
        out = []
        for weight in (sign.astype(np.float64), sign * ident, sign * ident * ident):
            grid = np.bincount(flat, weights=weight, minlength=size).reshape(nrows, ncols + 1)
            out.append(np.rint(np.cumsum(grid, axis=1)[:, :ncols]).astype(np.int64).ravel())
        return out[0], out[1], out[2]

    def _boundary_marks(
        self, u0: np.ndarray, v0: np.ndarray, u1: np.ndarray, v1: np.ndarray, seg_poly: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(cell, polygon) for every cell a polygon's boundary touches, widened by a hair.

        A segment meets a cell either at one of its ends or where it crosses a grid line, so marking the
        cells around every vertex and on both sides of every grid-line crossing finds them all. Each
        mark is widened by _EPS_CELLS: a segment that merely grazes a cell within that distance counts
        as touching it (it can miss only by passing a corner farther than _EPS_CELLS / sqrt(2)).
        """
        ncols = self.ncols
        cells: list[np.ndarray] = []
        polys: list[np.ndarray] = []

        def mark(iy: np.ndarray, ix: np.ndarray, poly: np.ndarray) -> None:
            cells.append(iy * ncols + ix)
            polys.append(poly)

        def around(a_lo: np.ndarray, a_hi: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray, poly: np.ndarray) -> None:
            # Cells (b, a) for a in {a_lo, a_hi} and b in {b_lo, b_hi}; the pairs differ only rarely.
            mark(b_lo, a_lo, poly)
            other_a = a_hi != a_lo
            other_b = b_hi != b_lo
            mark(b_lo[other_a], a_hi[other_a], poly[other_a])
            mark(b_hi[other_b], a_lo[other_b], poly[other_b])
            both = other_a & other_b
            mark(b_hi[both], a_hi[both], poly[both])

        # Vertices (every vertex starts a segment of its closed ring).
        around(
            np.floor(u0 - _EPS_CELLS).astype(np.int64),
            np.floor(u0 + _EPS_CELLS).astype(np.int64),
            np.floor(v0 - _EPS_CELLS).astype(np.int64),
            np.floor(v0 + _EPS_CELLS).astype(np.int64),
            seg_poly,
        )
        # Crossings of vertical lines u = i (then of horizontal lines v = j, with the axes swapped).
        for a0, b0, a1, b1, vertical in ((u0, v0, u1, v1, True), (v0, u0, v1, u1, False)):
            first = np.ceil(np.minimum(a0, a1)).astype(np.int64)
            last = np.floor(np.maximum(a0, a1)).astype(np.int64)
            count = np.where(a1 != a0, np.maximum(last - first + 1, 0), 0)
            total = int(count.sum())
            if total == 0:
                continue
            seg = np.repeat(np.arange(a0.size), count)
            line = first[seg] + (np.arange(total) - np.repeat(np.cumsum(count) - count, count))
            b = b0[seg] + (line - a0[seg]) * ((b1[seg] - b0[seg]) / (a1[seg] - a0[seg]))
            b_lo = np.floor(b - _EPS_CELLS).astype(np.int64)
            b_hi = np.floor(b + _EPS_CELLS).astype(np.int64)
            poly = seg_poly[seg]
            for a in (line - 1, line):
                if vertical:
                    around(a, a, b_lo, b_hi, poly)
                else:
                    around(b_lo, b_hi, a, a, poly)
        return np.concatenate(cells), np.concatenate(polys)

    def _near_mask(self, edge: np.ndarray) -> np.ndarray:
        """Cells within the snap distance of a boundary cell (Chebyshev dilation by whole cells)."""
        if self.snap_metres <= 0:
            return np.zeros_like(edge)
        reach = math.ceil(self.snap_metres / self.cell_m) + 1
        grid = edge.reshape(self.nrows, self.ncols).astype(np.int32)
        for axis in (0, 1):
            size = grid.shape[axis]
            padded = np.concatenate(
                [np.zeros_like(grid.take([0], axis=axis)), np.cumsum(grid, axis=axis, dtype=np.int32)], axis=axis
            )
            hi = np.minimum(np.arange(size) + reach + 1, size)
            lo = np.maximum(np.arange(size) - reach, 0)
            grid = padded.take(hi, axis=axis) - padded.take(lo, axis=axis)
            grid = (grid > 0).astype(np.int32)
        return grid.ravel().astype(bool)

    # --- lookups --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._id_list)

    def grid_id(self, position: int) -> int:
        return self._id_list[position]

    def lookup(self, lon: float, lat: float) -> int:
        """Grid id for one point, -1 when unrouted. The fast path is two multiplications and a read."""
        u = (lon - self.ox) * self.icx
        v = (lat - self.oy) * self.icy
        if not (0.0 <= u < self.ncols and 0.0 <= v < self.nrows):
            return -1  # beyond the margin (farther than the snap distance from every grid), or NaN
        value = self._cells[int(v) * self.ncols + int(u)]
        if value >= 0:
            return self._id_list[value]
        if value == FAR:
            return -1
        position = self._exact(EXACT_BASE - value, lon, lat)
        if position < 0:
            position = self._snap(lon, lat)[0]
        return self._id_list[position] if position >= 0 else -1

    def locate(self, lon: float, lat: float) -> Located:
        """Position, status and distance for one point (the unrouted distance is to the nearest grid)."""
        if not len(self._id_list):
            return Located(-1, UNROUTED, math.inf)
        u = (lon - self.ox) * self.icx
        v = (lat - self.oy) * self.icy
        if 0.0 <= u < self.ncols and 0.0 <= v < self.nrows:
            value = self._cells[int(v) * self.ncols + int(u)]
            if value >= 0:
                return Located(value, INSIDE, 0.0)
            if value <= EXACT_BASE:
                position = self._exact(EXACT_BASE - value, lon, lat)
                if position >= 0:
                    return Located(position, INSIDE, 0.0)
                position, distance = self._snap(lon, lat)
                if position >= 0:
                    return Located(position, SNAPPED, distance)
        return Located(-1, UNROUTED, self.nearest_distance(lon, lat))

    def _exact(self, slot: int, lon: float, lat: float) -> int:
        if self._complex[slot]:
            hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
            return int(hits.min()) if hits.size else -1
        start, end = self._cand_start[slot], self._cand_start[slot + 1]
        if start == end:
            return -1
        # One call for all candidates: a shapely call costs microseconds, the tests themselves far less.
        hits = shapely.lib.intersects_xy(self.cand_geoms[start:end], lon, lat)
        first = int(hits.argmax())
        # Candidates are in code order: the first hit has the lowest code.
        return self._cand_poly[start + first] if hits[first] else -1

    def _snap(self, lon: float, lat: float) -> tuple[int, float]:
        positions, distances = self._nearest_within(np.array([lon]), np.array([lat]))
        return int(positions[0]), float(distances[0])

    def _nearest_within(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest grid within the snap distance (ties: lowest code) and its distance; -1 and inf if none.

        A box query and vectorised distances: several times faster than STRtree.query_nearest here.
        """
        positions = np.full(lons.size, -1, dtype=np.int64)
        distances = np.full(lons.size, np.inf)
        snap = self.snap_metres
        if snap <= 0 or not lons.size or not len(self._id_list):
            return positions, distances
        x, y = self.project(lons, lats)
        which, position = self.tree_m.query(shapely.box(x - snap, y - snap, x + snap, y + snap))
        distance = shapely.distance(self.geoms_m[position], shapely.points(x[which], y[which]))
        keep = distance <= snap
        which, position, distance = which[keep], position[keep], distance[keep]
        order = np.lexsort((position, distance, which))
        which, position, distance = which[order], position[order], distance[order]
        first = np.ones(which.size, dtype=bool)
        first[1:] = which[1:] != which[:-1]
        positions[which[first]] = position[first]
        distances[which[first]] = distance[first]
        return positions, distances

    def nearest_distance(self, lon: float, lat: float) -> float:
        """Metres from the point to the nearest grid (inf when there is none)."""
        if not len(self._id_list):
            return math.inf
        x, y = self.project(lon, lat)
        _, distances = self.tree_m.query_nearest(shapely.Point(x, y), return_distance=True)
        return float(distances.min()) if distances.size else math.inf

    def _covers(self, poly: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Does polygon ``poly[i]`` cover point ``(px[i], py[i])`` (boundary included)? Exact.

        Crossing number over every ring segment with Shewchuk's filtered orientation: where rounding
        could flip an orientation (the point is on or within ~1e-16 relative of a segment's line) the
        pair goes to GEOS, whose predicates are robust. Several times faster than GEOS for every pair,
        which pays a per-call cost larger than the whole test of a small polygon.
        """
        if poly.size > _PAIR_BLOCK:
            # In blocks, so the temporaries stay in cache instead of being mapped and zeroed afresh.
            return np.concatenate(
                [
                    self._covers(poly[i : i + _PAIR_BLOCK], px[i : i + _PAIR_BLOCK], py[i : i + _PAIR_BLOCK])
                    for i in range(0, poly.size, _PAIR_BLOCK)
                ]
            )
        counts = self.seg_start[poly + 1] - self.seg_start[poly]
        pair = np.repeat(np.arange(poly.size), counts)
        first = np.cumsum(counts) - counts
        seg = np.repeat(self.seg_start[poly] - first, counts) + np.arange(int(counts.sum()))
        x, y = px[pair], py[pair]
        x0, y0, x1, y1 = self.seg_x0[seg], self.seg_y0[seg], self.seg_x1[seg], self.seg_y1[seg]
        left = (x0 - x) * (y1 - y)
        right = (y0 - y) * (x1 - x)
        det = left - right  # > 0: the point is left of the segment's direction
        unsure = np.abs(det) <= _CCW_ERRBOUND_A * (np.abs(left) + np.abs(right))
        upward = (y0 <= y) & (y < y1)
        downward = (y1 <= y) & (y < y0)
        crossing = (upward & (det > 0)) | (downward & (det < 0))  # the segment crosses the ray to +x
        in_box = (np.minimum(x0, x1) <= x) & (x <= np.maximum(x0, x1))
        in_box &= (np.minimum(y0, y1) <= y) & (y <= np.maximum(y0, y1))
        near = upward | downward | in_box
        crossings = np.add.reduceat(crossing.astype(np.int32), first) if poly.size else np.zeros(0, np.int32)
        doubt = np.add.reduceat((unsure & near).astype(np.int32), first) if poly.size else np.zeros(0, np.int32)
        covered = (crossings % 2 == 1) & (doubt == 0)
        recheck = np.flatnonzero(doubt > 0)
        if recheck.size:
            covered[recheck] = shapely.lib.intersects_xy(self.geoms[poly[recheck]], px[recheck], py[recheck])
        return covered

    def lookup_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Grid ids for arrays of points, -1 where unrouted (or not finite). Same answers as lookup()."""
        positions = self.locate_many(lons, lats)
        out = np.full(positions.shape, -1, dtype=np.int64)
        found = positions >= 0
        out[found] = self.ids[positions[found]]
        return out

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Grid positions (code order) for arrays of points, -1 where unrouted."""
        lons = np.asarray(lons, dtype=np.float64).ravel()
        lats = np.asarray(lats, dtype=np.float64).ravel()
        result = np.full(lons.size, -1, dtype=np.int64)
        if not len(self._id_list) or not lons.size:
            return result
        u = (lons - self.ox) * self.icx
        v = (lats - self.oy) * self.icy
        inside = (u >= 0) & (u < self.ncols) & (v >= 0) & (v < self.nrows)  # False for NaN
        cells = np.zeros(lons.size, dtype=np.int64)
        cells[inside] = v[inside].astype(np.int64) * self.ncols + u[inside].astype(np.int64)
        values = np.where(inside, self.raster[cells], FAR)
        pure = values >= 0
        result[pure] = values[pure]
        need = np.flatnonzero(values <= EXACT_BASE)
        if not need.size:
            return result
        slots = EXACT_BASE - values[need].astype(np.int64)
        px, py = lons[need], lats[need]
        found = np.full(need.size, -1, dtype=np.int64)

        simple = ~self.complex[slots]
        idx = np.flatnonzero(simple)
        if idx.size:
            starts = self.cand_start[slots[idx]]
            counts = self.cand_start[slots[idx] + 1] - starts
            owner = np.repeat(idx, counts)
            offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
            cand = self.cand_poly[np.repeat(starts, counts) + offsets]
            hit = self._covers(cand, px[owner], py[owner])
            hit_owner, hit_cand = owner[hit], cand[hit]
            # Candidates are ascending per point, so the first hit per point has the lowest code.
            first = np.ones(hit_owner.size, dtype=bool)
            first[1:] = hit_owner[1:] != hit_owner[:-1]
            found[hit_owner[first]] = hit_cand[first]
        idx = np.flatnonzero(~simple)
        if idx.size:
            which, position = self.tree.query(shapely.points(px[idx], py[idx]), predicate="intersects")
            best = np.full(idx.size, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(best, which, position)
            got = best != np.iinfo(np.int64).max
            found[idx[got]] = best[got]

        missing = np.flatnonzero(found < 0)
        if missing.size:
            found[missing] = self._nearest_within(px[missing], py[missing])[0]
        result[need] = found
        return result
