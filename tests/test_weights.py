"""Behaviour of :class:`SpatialWeights` and of the geographic builders.

Expected matrices come from hand-written edge lists (stated in each test), from libpysal's own
objects, from numpy/scipy computations done independently here (dense eigenvalues, brute-force
distances with ``scipy.spatial.distance.cdist``), and from the queen links shipped with the
package (libpysal's ``columbus.gal``, 236 directed links).
"""

from __future__ import annotations

import dataclasses
import re

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from libpysal.graph import Graph
from scipy.spatial.distance import cdist

from naeringsmiljo import SpatialWeights, datasets
from naeringsmiljo.exceptions import IdMismatchError, OptionError, WeightsError
from naeringsmiljo.weights import contiguity, distance_band, inverse_distance, knn
from naeringsmiljo.weights.spatial_weights import DENSE_EIGEN_LIMIT, _sparse_eigenvalue_bounds

# Sums of a few weights and divisions by them: exact up to a few ulps of numbers of order one.
ROUNDING_RTOL = 1e-12
# Extreme eigenvalues of the 49-unit Columbus matrix by numpy's general (eigvals) and symmetric
# (eigvalsh) LAPACK drivers: both backward stable, so they agree to ~1e-14 for this
# well-conditioned spectrum; 1e-10 leaves room for LAPACK builds.
DENSE_EIGEN_RTOL = 1e-10
# ARPACK stops at a relative Ritz residual of 1e-10 (tol in _sparse_eigenvalue_bounds); for a
# non-symmetric (k-nearest-neighbour) W the eigenvalue error is that residual times the
# eigenvalue's condition number, which exceeds one, so 1e-8 is the meaningful agreement.
ARPACK_RTOL = 1e-8
# Inverse distances d**alpha from libpysal's distances (KD-tree) and from cdist here: the two
# distance computations may differ in the last bits, amplified |alpha| times by the power.
DISTANCE_RTOL = 1e-12

N_BIG = 2500  # above DENSE_EIGEN_LIMIT, so eigenvalue_bounds() takes the sparse path
K_BIG = 6


def dense(w: SpatialWeights) -> np.ndarray:
    return w.sparse.toarray()


@pytest.fixture
def triangle_with_island() -> SpatialWeights:
    """Units a-b-c linked as a path (a-b weight 2, b-c weight 4, symmetric), d isolated."""
    edges = pd.DataFrame({"i": ["a", "b"], "j": ["b", "c"], "v": [2.0, 4.0]})
    return SpatialWeights.from_edges(
        edges, source="i", target="j", weight="v", ids=["a", "b", "c", "d"], symmetric=True
    )


# ---------------------------------------------------------------------------------- constructors
def test_from_sparse_default_and_given_ids():
    matrix = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 3.0], [0.0, 3.0, 0.0]])
    w = SpatialWeights.from_sparse(matrix)
    assert list(w.ids) == [0, 1, 2]
    assert w.transform == "o"
    assert w.sparse.format == "csr" and w.sparse.dtype == np.float64
    np.testing.assert_array_equal(dense(w), matrix)

    named = SpatialWeights.from_sparse(sp.csr_array(matrix), ids=["x", "y", "z"], transform="b")
    assert list(named.ids) == ["x", "y", "z"]
    assert named.transform == "b"
    np.testing.assert_array_equal(dense(named), matrix)


def test_from_sparse_copies_its_input():
    """The weights neither alias nor alter the caller's matrix, which stays usable."""
    matrix = sp.csr_array(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    w = SpatialWeights.from_sparse(matrix)
    matrix.data[0] = 99.0
    assert w.sparse[0, 1] == 1.0
    assert matrix.indptr.flags.writeable
    again = SpatialWeights.from_sparse(matrix)
    assert again.sparse[0, 1] == 99.0
    # Re-wrapping the (read-only) matrix of an existing SpatialWeights must work too.
    assert SpatialWeights.from_sparse(w.sparse, ids=w.ids).equals(w)


def test_from_edges_weights_duplicates_and_isolated_unit():
    # Links (source -> target, weight): 3 -> 1 (0.5), 1 -> 2 (2), 1 -> 2 (1.5, a duplicate),
    # 2 -> 3 (1); unit 9 has none.
    edges = pd.DataFrame({"s": [3, 1, 1, 2], "t": [1, 2, 2, 3], "v": [0.5, 2.0, 1.5, 1.0]})
    w = SpatialWeights.from_edges(edges, source="s", target="t", weight="v", ids=[3, 2, 1, 9])
    expected = np.array(
        [
            # to: 3    2    1    9
            [0.0, 0.0, 0.5, 0.0],  # from 3
            [1.0, 0.0, 0.0, 0.0],  # from 2
            [0.0, 3.5, 0.0, 0.0],  # from 1: 2 + 1.5 summed
            [0.0, 0.0, 0.0, 0.0],  # 9: no links
        ]
    )
    assert list(w.ids) == [3, 2, 1, 9]
    np.testing.assert_array_equal(dense(w), expected)
    assert list(w.islands) == [9]
    assert w.transform == "o"


def test_from_edges_default_ids_and_unit_weights():
    edges = pd.DataFrame({"i": ["b", "a", "b"], "j": ["c", "b", "c"]})
    w = SpatialWeights.from_edges(edges, source="i", target="j")
    assert list(w.ids) == ["a", "b", "c"]  # sorted union of the ids in both columns
    np.testing.assert_array_equal(dense(w), [[0, 1, 0], [0, 0, 2], [0, 0, 0]])


def test_from_edges_symmetric_adds_reverse_links(triangle_with_island):
    expected = np.array(
        [[0.0, 2.0, 0.0, 0.0], [2.0, 0.0, 4.0, 0.0], [0.0, 4.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    )
    np.testing.assert_array_equal(dense(triangle_with_island), expected)
    assert triangle_with_island.is_symmetric


def test_from_edges_unknown_ids_raise():
    edges = pd.DataFrame({"i": ["a", "b", "q"], "j": ["b", "zz", "a"]})
    with pytest.raises(IdMismatchError, match="'zz'") as info:
        SpatialWeights.from_edges(edges, source="i", target="j", ids=["a", "b"])
    assert set(info.value.missing_in_weights) == {"q", "zz"}


def test_from_edges_self_links_raise():
    edges = pd.DataFrame({"i": ["a", "b"], "j": ["b", "b"]})
    with pytest.raises(WeightsError, match="Self-links.*'b'"):
        SpatialWeights.from_edges(edges, source="i", target="j")


def test_from_libpysal_w_keeps_ids_order_and_weights():
    neighbors = {"z": ["x"], "x": ["z", "y"], "y": ["x"]}
    values = {"z": [2.0], "x": [2.0, 5.0], "y": [5.0]}
    w = libpysal.weights.W(neighbors, values, id_order=["z", "x", "y"])
    converted = SpatialWeights.from_libpysal(w)
    assert list(converted.ids) == ["z", "x", "y"]
    np.testing.assert_array_equal(dense(converted), w.full()[0])
    assert converted.transform == "o"


def test_from_libpysal_w_keeps_row_standardisation():
    w = libpysal.weights.lat2W(3, 3)
    w.transform = "r"
    converted = SpatialWeights.from_libpysal(w)
    assert converted.transform == "r"
    assert list(converted.ids) == list(w.id_order)
    np.testing.assert_allclose(dense(converted), w.full()[0], rtol=ROUNDING_RTOL)


def test_from_libpysal_graph_keeps_ids_weights_and_isolate():
    # Directed links b->c (2), b->a (1), c->b (3), a->b (4); d is an isolate (self-loop of weight
    # zero, libpysal's encoding of units without neighbours).
    graph = Graph.from_arrays(
        np.array(["b", "b", "c", "a", "d"]),
        np.array(["c", "a", "b", "b", "d"]),
        np.array([2.0, 1.0, 3.0, 4.0, 0.0]),
    )
    converted = SpatialWeights.from_libpysal(graph)
    assert list(converted.ids) == list(graph.unique_ids) == ["b", "c", "a", "d"]
    np.testing.assert_array_equal(dense(converted), graph.sparse.toarray())
    assert list(converted.islands) == ["d"]
    assert SpatialWeights.from_libpysal(graph.transform("r")).transform == "r"


def test_from_libpysal_rejects_other_objects():
    with pytest.raises(TypeError):
        SpatialWeights.from_libpysal(np.eye(2))


# ---------------------------------------------------------------------------------- immutability
# scipy warns that inserting a new link changes the sparsity structure, before it fails.
@pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")
def test_sparse_buffers_are_read_only():
    w = datasets.columbus_weights("queen")
    with pytest.raises(ValueError):
        w.sparse.data[0] = 2.0
    with pytest.raises(ValueError):
        w.sparse[0, 1] = 2.0  # an existing link
    with pytest.raises(ValueError):
        w.sparse[0, 40] = 2.0  # a new link
    with pytest.raises(ValueError):
        w.sparse.indices[0] = 0
    assert w.nnz == 236 and w.sparse.sum() == 236.0


def test_dataclass_is_frozen():
    w = datasets.columbus_weights("queen")
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.transform = "r"
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.ids = pd.RangeIndex(49)
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.sparse = sp.csr_array((49, 49))


# ---------------------------------------------------------------------------------- transforms
def _check_row(original: np.ndarray, out: np.ndarray) -> None:
    sums = out.sum(axis=1)
    links = original.sum(axis=1) > 0
    np.testing.assert_allclose(sums[links], 1.0, rtol=ROUNDING_RTOL)
    np.testing.assert_array_equal(out[~links], 0.0)  # islands stay zero rows
    expected = original[links] / original.sum(axis=1)[links, None]
    np.testing.assert_allclose(out[links], expected, rtol=ROUNDING_RTOL)


def _check_binary(original: np.ndarray, out: np.ndarray) -> None:
    np.testing.assert_array_equal(out, (original != 0).astype(float))


def _check_doubly(original: np.ndarray, out: np.ndarray) -> None:
    np.testing.assert_allclose(out.sum(), 1.0, rtol=ROUNDING_RTOL)
    np.testing.assert_allclose(out, original / original.sum(), rtol=ROUNDING_RTOL)


def _check_spectral(original: np.ndarray, out: np.ndarray) -> None:
    radius = np.max(np.abs(np.linalg.eigvals(out)))
    np.testing.assert_allclose(radius, 1.0, rtol=ROUNDING_RTOL)
    # Same relative weights: out is original divided by one positive number.
    ratio = original[original > 0] / out[original > 0]
    np.testing.assert_allclose(ratio, ratio[0], rtol=ROUNDING_RTOL)


TRANSFORMS = [
    ("row_standardize", "r", "row-standardised", _check_row),
    ("binary", "b", "binary", _check_binary),
    ("doubly_standardize", "d", "doubly standardised (weights sum to one)", _check_doubly),
    ("spectral_normalize", "s", "divided by the spectral radius", _check_spectral),
]


@pytest.mark.parametrize(
    ("method", "code", "name", "check"), TRANSFORMS, ids=[t[0] for t in TRANSFORMS]
)
def test_transforms_return_new_objects(triangle_with_island, method, code, name, check):
    w = triangle_with_island
    before = dense(w).copy()
    out = getattr(w, method)()
    assert out is not w
    assert out.transform == code and out.transform_name == name
    assert out.ids.equals(w.ids)
    check(before, dense(out))
    assert w.transform == "o"
    np.testing.assert_array_equal(dense(w), before)
    assert w.transformed(code).equals(out)


def test_unknown_transform_raises(triangle_with_island):
    with pytest.raises(OptionError, match="transform='x' is not one of 'o', 'r'"):
        triangle_with_island.transformed("x")


# ---------------------------------------------------------------------------------- properties
def test_counts_and_islands(triangle_with_island):
    w = triangle_with_island
    assert w.n == 4
    assert w.nnz == 4  # a-b, b-a, b-c, c-b
    pd.testing.assert_series_equal(
        w.cardinalities,
        pd.Series([1, 2, 1, 0], index=pd.Index(["a", "b", "c", "d"]), name="cardinality"),
        check_dtype=False,
    )
    assert list(w.islands) == ["d"]


def test_columbus_counts():
    w = datasets.columbus_weights("queen")
    assert (w.n, w.nnz, len(w.islands)) == (49, 236, 0)
    assert w.cardinalities.sum() == 236
    assert w.cardinalities.index.equals(w.ids)


# ---------------------------------------------------------------------------------- spectrum
def test_eigenvalue_bounds_columbus_dense():
    """Reference: eigvalsh of the symmetric matrix D^-1/2 C D^-1/2, similar to W = D^-1 C."""
    binary = datasets.columbus_weights("queen")
    w = binary.row_standardize()
    c = dense(binary)
    scale = 1.0 / np.sqrt(c.sum(axis=1))
    reference = np.linalg.eigvalsh(scale[:, None] * c * scale[None, :])
    low, high = w.eigenvalue_bounds()
    np.testing.assert_allclose(
        [low, high], [reference.min(), reference.max()], rtol=DENSE_EIGEN_RTOL
    )
    np.testing.assert_allclose(w.parameter_interval(), (1.0 / low, 1.0 / high), rtol=ROUNDING_RTOL)
    assert w.parameter_interval()[1] == pytest.approx(1.0, rel=DENSE_EIGEN_RTOL)


@pytest.mark.parametrize(
    ("kind", "transform"),
    [("queen", "b"), ("queen", "r"), ("anselin", "r")],
    ids=["queen-binary-eigsh", "queen-row-eigs", "anselin-row-eigs"],
)
def test_arpack_branch_agrees_with_dense_on_columbus(kind, transform):
    """The ARPACK estimate of the ends (not a bound; see _sparse_eigenvalue_bounds) on a small matrix.

    Binary contiguity is symmetric (Lanczos, eigsh); row-standardised is not (Arnoldi, eigs).
    """
    w = datasets.columbus_weights(kind).transformed(transform)
    reference = np.linalg.eigvals(dense(w)).real
    low, high = _sparse_eigenvalue_bounds(w.sparse, w.is_symmetric)
    assert w.is_symmetric == (transform == "b")
    np.testing.assert_allclose([low, high], [reference.min(), reference.max()], rtol=ARPACK_RTOL)


@pytest.fixture(scope="module")
def big_points() -> tuple[np.ndarray, np.ndarray]:
    """2,500 seeded uniform points and the dense eigenvalues of their row-standardised 6-NN W.

    The reference matrix is brute force: each unit's 6 nearest other units by cdist.
    """
    xy = np.random.default_rng(20240611).uniform(size=(N_BIG, 2))
    d = cdist(xy, xy)
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1)[:, :K_BIG]
    matrix = np.zeros((N_BIG, N_BIG))
    np.put_along_axis(matrix, nearest, 1.0 / K_BIG, axis=1)
    return xy, np.linalg.eigvals(matrix)


def _point_frame(xy: np.ndarray, kind: str, ids=None):
    index = pd.RangeIndex(len(xy)) if ids is None else pd.Index(ids)
    if kind == "coordinates":
        return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=index)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), index=index)


# Dense eigenvalues of a 2,500 x 2,500 non-symmetric matrix take 7 s on an idle 2-core machine
# and several times that under load: run with ``-m slow``.
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["coordinates", "points"])
def test_eigenvalue_bounds_sparse_path_agrees_with_dense(big_points, kind):
    xy, eigenvalues = big_points
    w = knn(_point_frame(xy, kind), K_BIG).row_standardize()
    assert w.n > DENSE_EIGEN_LIMIT and not w.is_symmetric  # sparse path, Lanczos on (W + W')/2
    low, high = w.eigenvalue_bounds()
    true_low, true_high = eigenvalues.real.min(), eigenvalues.real.max()
    # the sparse ends are safe bounds: the row sum (exact) above, the smallest eigenvalue of the
    # symmetric part (<= every real part) below, ~5% below the true value for knn weights
    np.testing.assert_allclose(high, true_high, rtol=ROUNDING_RTOL)
    assert true_low * 1.15 <= low <= true_low
    np.testing.assert_allclose(w.parameter_interval(), (1.0 / low, 1.0 / high), rtol=ROUNDING_RTOL)
    # the Arnoldi estimate of the ends is accurate, but not a bound
    estimate = _sparse_eigenvalue_bounds(w.sparse, symmetric=False)
    np.testing.assert_allclose(estimate, [true_low, true_high], rtol=ARPACK_RTOL)


# ---------------------------------------------------------------------------------- alignment
def test_reorder_permutes_rows_and_columns():
    w = datasets.columbus_weights("queen").row_standardize()
    order = np.random.default_rng(7).permutation(w.n)
    new_ids = w.ids[order]
    out = w.reorder(new_ids)
    assert out.ids.equals(new_ids)
    np.testing.assert_array_equal(dense(out), dense(w)[np.ix_(order, order)])
    assert out.transform == "r"
    assert w.reorder(w.ids).equals(w)


def test_reorder_different_ids_raise_naming_them():
    w = datasets.columbus_weights("queen")
    ids = [i for i in w.ids if i not in (3, 17)] + [101]
    with pytest.raises(IdMismatchError) as info:
        w.reorder(ids)
    message = str(info.value)
    assert re.search(r"of the data are not in the weights: 101\b", message), message
    assert re.search(r"of the weights are not in the data: 3, 17\b", message), message
    assert info.value.missing_in_weights == (101,)
    assert set(info.value.missing_in_data) == {3, 17}


def test_subset_reapplies_row_standardisation():
    binary = datasets.columbus_weights("queen")
    keep = [i for i in binary.ids if i % 3 != 0]
    out = binary.row_standardize().subset(keep)
    assert list(out.ids) == keep and out.transform == "r"
    # Reference: the binary links among the kept units, each row divided by its new sum.
    rows = binary.ids.get_indexer(keep)
    sub = dense(binary)[np.ix_(rows, rows)]
    sums = sub.sum(axis=1)
    expected = np.divide(sub, sums[:, None], out=np.zeros_like(sub), where=sums[:, None] > 0)
    np.testing.assert_allclose(dense(out), expected, rtol=ROUNDING_RTOL)
    linked = sums > 0
    np.testing.assert_allclose(dense(out).sum(axis=1)[linked], 1.0, rtol=ROUNDING_RTOL)


def test_subset_unknown_ids_raise():
    with pytest.raises(IdMismatchError) as info:
        datasets.columbus_weights("queen").subset([1, 2, 500])
    assert info.value.missing_in_weights == (500,)


# ---------------------------------------------------------------------------------- builders
@pytest.fixture(scope="module")
def geometry() -> gpd.GeoDataFrame:
    return datasets.columbus_geometry()


def test_contiguity_queen_equals_shipped_links(geometry):
    queen = contiguity(geometry)
    shipped = datasets.columbus_weights("queen")
    assert queen.nnz == 236
    assert queen.transform == "o"
    assert queen.equals(shipped)


def test_contiguity_id_column(geometry):
    out = contiguity(geometry.reset_index(), id_column="POLYID")
    assert out.equals(datasets.columbus_weights("queen"))


def test_rook_links_are_a_subset_of_queen(geometry):
    queen, rook = contiguity(geometry), contiguity(geometry, rook=True)
    assert rook.ids.equals(queen.ids)
    assert rook.nnz <= queen.nnz
    # Every rook link is a queen link: removing the queen links leaves nothing.
    assert (rook.sparse - rook.sparse.multiply(queen.sparse)).nnz == 0


# Small seeded point set for brute-force distance checks, with string ids.
N_SMALL = 30
SMALL_IDS = [f"site-{i:02d}" for i in range(N_SMALL)]
THRESHOLD = 2.5
INPUTS = [
    ("coordinates", None),
    ("coordinates", "code"),
    ("points", None),
    ("points", "code"),
]
INPUT_IDS = [f"{kind}-{'id_column' if col else 'index'}" for kind, col in INPUTS]


@pytest.fixture(scope="module")
def small_xy() -> np.ndarray:
    return np.random.default_rng(12345).uniform(0.0, 10.0, size=(N_SMALL, 2))


def _small_frame(xy, kind, id_column):
    """Ids in the index, or in column ``id_column`` with a default RangeIndex."""
    frame = _point_frame(xy, kind, ids=SMALL_IDS)
    if id_column is not None:
        frame = frame.assign(**{id_column: SMALL_IDS}).reset_index(drop=True)
    return frame


def _brute_distances(xy):
    d = cdist(xy, xy)
    linked = (d <= THRESHOLD) & ~np.eye(len(xy), dtype=bool)
    return d, linked


@pytest.mark.parametrize(("kind", "id_column"), INPUTS, ids=INPUT_IDS)
def test_knn_brute_force(small_xy, kind, id_column):
    k = 4
    out = knn(_small_frame(small_xy, kind, id_column), k, id_column=id_column)
    assert list(out.ids) == SMALL_IDS
    assert (out.cardinalities == k).all()
    d = cdist(small_xy, small_xy)
    np.fill_diagonal(d, np.inf)
    expected = np.zeros_like(d)
    np.put_along_axis(expected, np.argsort(d, axis=1)[:, :k], 1.0, axis=1)
    np.testing.assert_array_equal(dense(out), expected)


# A 4 x 4 grid of unit spacing: every interior point has 4 neighbours at distance 1 and 4 at
# sqrt(2), so k = 1, 2, 3, 5, 6, 7 all cut through a tie.
GRID = np.array([(i, j) for i in range(4) for j in range(4)], dtype=float)
GRID_IDS = [f"u{i:02d}" for i in range(len(GRID))]


def _neighbour_distances(matrix: np.ndarray) -> np.ndarray:
    """Each row's distances to its neighbours, sorted (the same for any tie-breaking)."""
    d = cdist(GRID, GRID)
    return np.sort(np.where(matrix != 0, d, np.inf), axis=1)


# libpysal's KNN warns that some of these graphs are not connected.
@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected")
@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 7])
def test_knn_breaks_ties_as_libpysal_graph(k):
    frame = pd.DataFrame(GRID, columns=["x", "y"], index=GRID_IDS)
    ours = knn(frame, k)
    graph = Graph.build_knn(GRID, k=k)
    # link for link the neighbours of Graph.build_knn, ties included (the documented rule)
    np.testing.assert_array_equal(dense(ours), (graph.sparse.toarray() != 0).astype(float))
    assert list(ours.ids) == GRID_IDS
    # the legacy KNN (another KD-tree) may pick other tied units, at the same distances
    legacy = libpysal.weights.KNN(GRID, k=k).sparse.toarray()
    np.testing.assert_array_equal(_neighbour_distances(dense(ours)), _neighbour_distances(legacy))


def test_knn_refuses_coincident_points():
    frame = pd.DataFrame({"x": [0.0, 0.0, 1.0, 2.0], "y": [0.0, 0.0, 1.0, 3.0]}, index=list("abcd"))
    with pytest.raises(WeightsError, match=r"same place.*\['a', 'b'\]"):
        knn(frame, 1)
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(frame["x"], frame["y"]), index=frame.index
    )
    with pytest.raises(WeightsError, match="same place"):
        knn(points, 2)


def test_knn_without_ties_agrees_with_both_libpysal_builders(small_xy):
    frame = pd.DataFrame(small_xy, columns=["x", "y"], index=SMALL_IDS)
    ours = dense(knn(frame, 3))
    np.testing.assert_array_equal(ours, (Graph.build_knn(small_xy, k=3).sparse.toarray() != 0))
    np.testing.assert_array_equal(ours, libpysal.weights.KNN(small_xy, k=3).full()[0])


@pytest.mark.parametrize(("kind", "id_column"), INPUTS, ids=INPUT_IDS)
def test_distance_band_brute_force(small_xy, kind, id_column):
    out = distance_band(_small_frame(small_xy, kind, id_column), THRESHOLD, id_column=id_column)
    _, linked = _brute_distances(small_xy)
    assert list(out.ids) == SMALL_IDS
    assert out.nnz == linked.sum() > 0
    np.testing.assert_array_equal(dense(out), linked.astype(float))


# libpysal evaluates d**alpha on the zero self-distances before dropping the self-links.
@pytest.mark.filterwarnings("ignore:divide by zero encountered in power:RuntimeWarning")
@pytest.mark.parametrize("alpha", [-1.0, -2.0])
@pytest.mark.parametrize(("kind", "id_column"), INPUTS, ids=INPUT_IDS)
def test_inverse_distance_brute_force(small_xy, kind, id_column, alpha):
    frame = _small_frame(small_xy, kind, id_column)
    out = inverse_distance(frame, THRESHOLD, alpha=alpha, id_column=id_column)
    d, linked = _brute_distances(small_xy)
    expected = np.where(linked, np.where(linked, d, 1.0) ** alpha, 0.0)
    assert list(out.ids) == SMALL_IDS
    np.testing.assert_array_equal(dense(out) > 0, linked)
    np.testing.assert_allclose(dense(out), expected, rtol=DISTANCE_RTOL)


def test_builder_argument_checks(small_xy):
    frame = _point_frame(small_xy, "points", ids=SMALL_IDS)
    with pytest.raises(WeightsError):
        knn(frame, 0)
    with pytest.raises(WeightsError):
        knn(frame, N_SMALL)
    with pytest.raises(WeightsError):
        distance_band(frame, 0.0)
    with pytest.raises(WeightsError):
        inverse_distance(frame, THRESHOLD, alpha=1.0)
    with pytest.raises(WeightsError):
        knn(frame, 2, id_column="missing")
