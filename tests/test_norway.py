"""The Norwegian municipalities of 2020-2023 and their weights (data/norway, datasets.norway).

Reference facts: the 2020 reform left 356 municipalities in 11 counties (Statistics Norway's
classification 131, valid 2020-2023); queen contiguity of the coast-cut polygons leaves 23
municipalities without neighbours in 29 components (measured by data/norway/build.py and
documented in data/norway/README.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import connected_components

from naeringsmiljo import datasets
from naeringsmiljo.exceptions import IslandError

# Coordinates in the CSV are rounded to 0.1 m; reprojecting lon/lat must land within that.
PROJECTION_ATOL_M = 0.06
# Mainland Norway covers 323,781 km2 (Statistics Norway, land and fresh water). The polygons are
# generalised and cut along a generalised coastline, so their area agrees only to about 1%.
AREA_RTOL = 0.01
NORWAY_AREA_KM2 = 323_781.0

COUNTIES_2020 = {
    "03": "Oslo",
    "11": "Rogaland",
    "15": "Møre og Romsdal",
    "18": "Nordland",
    "30": "Viken",
    "34": "Innlandet",
    "38": "Vestfold og Telemark",
    "42": "Agder",
    "46": "Vestland",
    "50": "Trøndelag",
    "54": "Troms og Finnmark",
}
QUEEN_ISLANDS = [
    "1144", "1145", "1151", "1505", "1531", "1532", "1554", "1573", "1815", "1835", "1856",
    "1857", "1860", "3011", "4613", "4616", "4625", "4626", "4627", "4633", "4636", "5014",
    "5413",
]  # fmt: skip


@pytest.fixture(scope="module")
def municipalities() -> pd.DataFrame:
    return datasets.norway_municipalities()


def _components(w) -> int:
    return int(connected_components(w.sparse, directed=False)[0])


def _distances_km(frame: pd.DataFrame) -> np.ndarray:
    xy = frame[["x", "y"]].to_numpy()
    return np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) / 1e3


# ---------------------------------------------------------------------- attributes
def test_356_municipalities_with_4_digit_string_codes(municipalities):
    assert municipalities.shape == (356, 8)
    assert municipalities.index.is_unique and municipalities.index.is_monotonic_increasing
    assert all(isinstance(code, str) and len(code) == 4 for code in municipalities.index)
    assert municipalities.index.str.fullmatch(r"\d{4}").all()
    assert municipalities.loc[["0301", "4601", "5001", "5401"], "name"].tolist() == [
        "Oslo", "Bergen", "Trondheim", "Tromsø",
    ]  # fmt: skip


def test_11_counties_of_2020_to_2023(municipalities):
    counties = municipalities.groupby("county_code")["county_name"].unique()
    assert {code: names.tolist() for code, names in counties.items()} == {
        code: [name] for code, name in COUNTIES_2020.items()
    }
    assert (municipalities.index.str[:2] == municipalities["county_code"]).all()


def test_points_project_to_x_y(municipalities):
    import pyproj  # a dependency of geopandas, in the test extra

    to_utm = pyproj.Transformer.from_crs("EPSG:4258", "EPSG:25833", always_xy=True)
    x, y = to_utm.transform(municipalities["lon"].to_numpy(), municipalities["lat"].to_numpy())
    np.testing.assert_allclose(x, municipalities["x"], rtol=0, atol=PROJECTION_ATOL_M)
    np.testing.assert_allclose(y, municipalities["y"], rtol=0, atol=PROJECTION_ATOL_M)


def test_total_area_is_mainland_norway(municipalities):
    assert (municipalities["area_km2"] > 0).all()
    np.testing.assert_allclose(
        municipalities["area_km2"].sum(), NORWAY_AREA_KM2, rtol=AREA_RTOL, atol=0
    )


def test_geometry_frame_matches_attributes(municipalities):
    shapes = datasets.norway_municipalities(geometry=True)
    assert str(shapes.crs) == "EPSG:25833"
    assert shapes.index.equals(municipalities.index)
    pd.testing.assert_frame_equal(shapes.drop(columns="geometry"), municipalities)
    assert shapes.geometry.is_valid.all()


# ---------------------------------------------------------------------- queen and islands
def test_queen_edges_equal_contiguity_of_the_stored_polygons():
    from naeringsmiljo.weights import contiguity

    stored = datasets.norway_weights("queen", islands="keep")
    rebuilt = contiguity(datasets.norway_municipalities(geometry=True))
    assert rebuilt.equals(stored)


def test_queen_islands_and_components_as_documented(municipalities):
    w = datasets.norway_weights("queen", islands="keep")
    assert w.ids.equals(municipalities.index)
    assert w.nnz == 1496 and w.is_symmetric
    assert w.islands.tolist() == QUEEN_ISLANDS
    assert _components(w) == 29


def test_queen_raises_on_islands_by_default():
    with pytest.raises(IslandError, match="23 municipalities have no queen neighbour") as info:
        datasets.norway_weights("queen")
    assert list(info.value.islands) == QUEEN_ISLANDS
    assert "islands='knn'" in str(info.value) and "1856 Røst" in str(info.value)


def test_island_policy_knn_links_each_island_to_its_nearest_point(municipalities):
    queen = datasets.norway_weights("queen", islands="keep")
    linked = datasets.norway_weights("queen", islands="knn")
    assert linked.ids.equals(municipalities.index)
    assert len(linked.islands) == 0 and linked.is_symmetric
    assert set(np.unique(linked.sparse.data)) == {1.0}

    distance = _distances_km(municipalities)
    np.fill_diagonal(distance, np.inf)
    expected = set()
    for island in QUEEN_ISLANDS:
        i = municipalities.index.get_loc(island)
        j = int(np.argmin(distance[i]))
        expected |= {(island, municipalities.index[j]), (municipalities.index[j], island)}
    added = (linked.sparse - queen.sparse).tocoo()
    assert (added.data == 1).all(), "the queen links must be kept as they are"
    assert {(linked.ids[i], linked.ids[j]) for i, j in zip(added.row, added.col)} == expected
    # 23 islands add 22 pairs: Røst and Værøy are each other's nearest.
    assert {("1856", "1857"), ("1857", "1856")} <= expected
    assert linked.nnz == 1496 + 2 * 22
    assert _components(linked) == 7


# ---------------------------------------------------------------------- knn and distance band
@pytest.mark.parametrize("k", [1, 4, 8])
def test_knn_has_k_links_per_row(k, municipalities):
    w = datasets.norway_weights("knn", k=k)
    assert w.ids.equals(municipalities.index)
    assert (w.cardinalities == k).all()


def test_knn_neighbours_are_the_nearest_points(municipalities):
    k = 5
    w = datasets.norway_weights("knn", k=k)
    distance = _distances_km(municipalities)
    np.fill_diagonal(distance, np.inf)
    nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
    dense = w.sparse.toarray()
    for i in range(w.n):
        assert set(np.flatnonzero(dense[i])) == set(nearest[i])


def test_distance_band_links_exactly_the_pairs_within_the_threshold(municipalities):
    threshold_km = 80.0
    w = datasets.norway_weights("distance", threshold_km=threshold_km)
    assert w.ids.equals(municipalities.index)
    distance = _distances_km(municipalities)
    expected = (distance < threshold_km) & ~np.eye(len(distance), dtype=bool)
    np.testing.assert_array_equal(w.sparse.toarray() > 0, expected)


def test_narrow_distance_band_follows_the_island_policy():
    with pytest.raises(IslandError, match="9 municipalities have no distance neighbour"):
        datasets.norway_weights("distance", threshold_km=50)
    linked = datasets.norway_weights("distance", threshold_km=50, islands="knn")
    assert len(linked.islands) == 0 and linked.is_symmetric
    kept = datasets.norway_weights("distance", threshold_km=50, islands="keep")
    assert "5444" in kept.islands and len(kept.islands) == 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "rook"}, "kind='rook' is not one of"),
        ({"kind": "distance"}, "needs threshold_km"),
        ({"kind": "queen", "threshold_km": 10}, "threshold_km applies"),
        ({"kind": "queen", "islands": "drop"}, "islands='drop' is not one of"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        datasets.norway_weights(**kwargs)
