"""GCJ-02 / BD-09 conversion against published reference pairs, and rejection of bad coordinates.

Reference pairs (lon, lat) and where they are published:

- WGS-84 ↔ GCJ-02: the test vectors of eviltransform (github.com/googollee/eviltransform,
  python/test.py ``TESTS``: Shanghai, Shenzhen, Beijing), given there as (lat, lng) pairs.
- GCJ-02 ↔ BD-09 and WGS-84 → GCJ-02 at (116.404, 39.915): the result block of the README of
  coordtransform (github.com/wandergis/coordtransform, "示例用法").
- BD-09 → WGS-84 at (116.404, 39.915): hutool's CoordinateUtilTest.bd09toWgs84Test
  (github.com/dromara/hutool, hutool-core/src/test/java/cn/hutool/core/util/CoordinateUtilTest.java).

Tolerances: forward formulas 1e-9° (the references print 15–17 digits of the same closed formulas; 1e-9°
is about 0.1 mm). GCJ-02 → WGS-84 is inverted exactly here, so it must give back the WGS-84 of the pair
to 1e-9°. coordtransform's and hutool's GCJ-02 → WGS-84 are the one-step approximation (off by up to a
few metres), so our exact answer is held to 5e-6° (~0.5 m) of theirs, and our forward transform of our
answer must reproduce the GCJ-02 input to 1e-9°.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from civicgrid.regions.coords import (
    CoordinateError,
    bd09_to_gcj02,
    bd09_to_wgs84,
    check_crs,
    check_lon_lat,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_lon_lat,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# (wgs lon, wgs lat, gcj lon, gcj lat) — eviltransform python/test.py, reordered to lon, lat.
EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]


@pytest.mark.parametrize(("w_lon", "w_lat", "g_lon", "g_lat"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform(w_lon: float, w_lat: float, g_lon: float, g_lat: float) -> None:
    lon, lat = wgs84_to_gcj02(w_lon, w_lat)
    assert lon == pytest.approx(g_lon, abs=1e-9)
    assert lat == pytest.approx(g_lat, abs=1e-9)


@pytest.mark.parametrize(("w_lon", "w_lat", "g_lon", "g_lat"), EVILTRANSFORM)
def test_gcj02_to_wgs84_is_the_exact_inverse(w_lon: float, w_lat: float, g_lon: float, g_lat: float) -> None:
    lon, lat = gcj02_to_wgs84(g_lon, g_lat)
    assert lon == pytest.approx(w_lon, abs=1e-9)
    assert lat == pytest.approx(w_lat, abs=1e-9)


def test_coordtransform_readme_pairs() -> None:
    assert bd09_to_gcj02(116.404, 39.915) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-9)
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-9)
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-9)
    # The README's gcj02towgs84 is the one-step approximation: ours is exact, so within 5e-6° of it...
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    assert (lon, lat) == pytest.approx((116.39775550083061, 39.91359571849836), abs=5e-6)
    # ...and going forward again lands on the input.
    assert wgs84_to_gcj02(lon, lat) == pytest.approx((116.404, 39.915), abs=1e-9)


def test_hutool_bd09_to_wgs84_pair() -> None:
    lon, lat = bd09_to_wgs84(116.404, 39.915)
    assert (lon, lat) == pytest.approx((116.3913836995125, 39.907253214522164), abs=5e-6)
    assert wgs84_to_bd09(lon, lat) == pytest.approx((116.404, 39.915), abs=1e-6)


def test_outside_china_gcj02_is_the_identity() -> None:
    for lon, lat in ((2.35, 48.85), (-104.9903, 39.7392), (139.767125, 35.681236)):
        assert wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_arrays_convert_like_scalars() -> None:
    lons = np.array([row[2] for row in EVILTRANSFORM] + [2.35])
    lats = np.array([row[3] for row in EVILTRANSFORM] + [48.85])

    got_lon, got_lat = gcj02_to_wgs84(lons, lats)

    expected = [gcj02_to_wgs84(lon, lat) for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True)]
    assert list(zip(got_lon.tolist(), got_lat.tolist(), strict=True)) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (math.nan, 30.0, "not_finite"),
        (120.0, -math.inf, "not_finite"),
        ("120", 30.0, "not_a_number"),
        (120.0, None, "not_a_number"),
        (False, 30.0, "not_a_number"),
        ([120.0], 30.0, "not_a_number"),
        (-180.0001, 30.0, "out_of_range"),
        (120.0, 90.0001, "out_of_range"),
    ],
)
def test_bad_coordinates_are_rejected_with_a_translated_message(lon: object, lat: object, code: str) -> None:
    with pytest.raises(CoordinateError) as info:
        check_lon_lat(lon, lat)
    assert info.value.code == code
    assert info.value.messages[0].startswith(("经纬度必须", "坐标超出范围"))


def test_numbers_of_any_numeric_type_are_accepted() -> None:
    assert check_lon_lat(Decimal("120.5"), np.float32(30.5)) == (120.5, 30.5)
    assert check_lon_lat(120, 30) == (120.0, 30.0)
    assert check_lon_lat(-180, 90) == (-180.0, 90.0)


def test_text_is_parsed_only_by_parse_lon_lat() -> None:
    assert parse_lon_lat(" 120.5", "30.25 ") == (120.5, 30.25)
    for bad, code in (("abc", "not_a_number"), ("nan", "not_finite"), ("1e400", "not_finite"), ("", "not_a_number")):
        with pytest.raises(CoordinateError) as info:
            parse_lon_lat(bad, "30")
        assert info.value.code == code


def test_crs_names() -> None:
    assert [check_crs(name) for name in ("wgs84", "GCJ02", "bd-09")] == ["wgs84", "gcj02", "bd09"]
    with pytest.raises(CoordinateError) as info:
        check_crs("cgcs2000")
    assert info.value.code == "unknown_crs"
    assert "cgcs2000" in info.value.messages[0]


@pytest.mark.parametrize(
    ("lon", "lat", "code", "shown"),
    [
        (10**400, 30.0, "out_of_range", "收到经度 1.79769e+308，纬度 30.0"),
        (120.0, -(10**5000), "out_of_range", "收到经度 120.0，纬度 -1.79769e+308"),
        (200, 30, "out_of_range", "收到经度 200，纬度 30"),
        (Decimal("sNaN"), 30.0, "not_finite", None),
        (Decimal("1e400"), 30.0, "not_finite", None),
    ],
    ids=["int-400-digits", "int-5000-digits", "int-out-of-range", "signalling-nan", "decimal-overflow"],
)
def test_numbers_beyond_a_float_are_rejected_not_crashed_on(lon: object, lat: object, code: str, shown: str) -> None:
    """JSON gives Python ints of any length; float() of one beyond 1e308 raises OverflowError."""
    with pytest.raises(CoordinateError) as info:
        check_lon_lat(lon, lat)
    assert info.value.code == code
    if shown:
        assert shown in info.value.messages[0]
