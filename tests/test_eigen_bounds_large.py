"""Safe eigenvalue bounds above DENSE_EIGEN_LIMIT: Lanczos and norm bounds against dense truth."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg
from scipy.spatial import cKDTree

from naeringsmiljo import SpatialWeights
from naeringsmiljo.weights import spatial_weights as sw

N = 1000  # dense eigenvalues of a non-symmetric 1000 x 1000 matrix: ~1 s
# The dense reference is backward stable: its extreme real parts are off by a few ulps of |W|.
DENSE_SLACK = 1e-12
# Lanczos stops at a relative residual LANCZOS_TOL = 1e-6 and the bound subtracts the residual
# norm, so for a matrix similar to a symmetric one the lower end is within ~2e-6 relative of the
# exact smallest eigenvalue (Ritz value error ~ residual^2 / gap, plus the residual itself).
SYMMETRIC_RTOL = 1e-5
# The field-of-values bound lambda_min((W + W')/2) for k-nearest-neighbour weights: measured 5%
# (k = 6) and 5% (k = 10) below the true smallest real part; 15% leaves room across seeds.
FIELD_OF_VALUES_RTOL = 0.15


def _binary_knn(n: int, k: int, seed: int = 1) -> sp.csr_array:
    xy = np.random.default_rng(seed).uniform(size=(n, 2))
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    idx = idx[:, 1:]
    return sp.csr_array((np.ones(n * k), idx.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))


def _cases() -> dict[str, SpatialWeights]:
    knn6 = _binary_knn(N, 6)
    sym = sp.csr_array(((knn6 + knn6.T) > 0).astype(np.float64))  # contiguity-like
    return {
        "knn6-row": SpatialWeights.from_sparse(knn6).row_standardize(),  # not symmetrizable
        "knn10-row": SpatialWeights.from_sparse(_binary_knn(N, 10, seed=2)).row_standardize(),
        "symmetric-row": SpatialWeights.from_sparse(sym).row_standardize(),  # D^-1 C
        "symmetric-binary": SpatialWeights.from_sparse(sym),  # unequal row sums
    }


@pytest.fixture(scope="module")
def cases() -> dict[str, tuple[SpatialWeights, np.ndarray]]:
    return {name: (w, np.linalg.eigvals(w.sparse.toarray()).real) for name, w in _cases().items()}


@pytest.fixture
def small_dense_limit(monkeypatch):
    monkeypatch.setattr(sw, "DENSE_EIGEN_LIMIT", 100)


@pytest.mark.parametrize("name", ["knn6-row", "knn10-row", "symmetric-row", "symmetric-binary"])
@pytest.mark.parametrize("method", ["auto", "lanczos", "norms"])
def test_sparse_interval_inside_true_interval(cases, name, method, small_dense_limit):
    w, real = cases[name]
    true_low, true_high = real.min(), real.max()
    low, high = w.eigenvalue_bounds(method)
    assert low <= true_low + DENSE_SLACK
    assert high >= true_high - DENSE_SLACK * true_high
    lo, hi = w.parameter_interval(method)
    assert 1.0 / true_low - DENSE_SLACK <= lo < 0 < hi <= 1.0 / true_high + DENSE_SLACK
    # I - rho W stays invertible just inside both ends
    for rho in (lo * (1 - 1e-9), hi * (1 - 1e-9)):
        assert np.min(np.abs(1.0 - rho * real)) > 0


@pytest.mark.parametrize("name", ["knn6-row", "knn10-row"])
def test_field_of_values_bound_is_close(cases, name, small_dense_limit):
    w, real = cases[name]
    low, high = w.eigenvalue_bounds("lanczos")
    assert real.min() * (1 + FIELD_OF_VALUES_RTOL) <= low <= real.min()
    assert high == pytest.approx(1.0, rel=1e-12)  # equal row sums: exact


@pytest.mark.parametrize("name", ["symmetric-row", "symmetric-binary"])
def test_symmetrizable_lower_end_nearly_exact(cases, name, small_dense_limit):
    w, real = cases[name]
    low, high = w.eigenvalue_bounds("lanczos")
    assert low == pytest.approx(real.min(), rel=SYMMETRIC_RTOL)
    assert high == pytest.approx(real.max(), rel=SYMMETRIC_RTOL)


def test_row_standardised_norm_bound_is_minus_one_to_one(cases):
    w, _ = cases["knn6-row"]
    np.testing.assert_allclose(w.parameter_interval("norms"), (-1.0, 1.0), rtol=1e-12)


def test_large_n_default_skips_lanczos(cases, monkeypatch):
    """Above LANCZOS_EIGEN_LIMIT, equal row sums: no eigensolver call at all (O(nnz))."""
    calls: list[str] = []
    original = sw._lanczos_bound

    def counting(h, which):
        calls.append(which)
        return original(h, which)

    monkeypatch.setattr(sw, "_lanczos_bound", counting)
    monkeypatch.setattr(sw, "DENSE_EIGEN_LIMIT", 100)
    monkeypatch.setattr(sw, "LANCZOS_EIGEN_LIMIT", N // 2)
    w = _cases()["knn6-row"]  # fresh object, empty cache
    np.testing.assert_allclose(w.parameter_interval(), (-1.0, 1.0), rtol=1e-12)
    assert calls == []
    w.parameter_interval("lanczos")  # on request: one Lanczos run, the smallest end only
    assert calls == ["SA"]
    w.parameter_interval("lanczos")  # cached
    assert calls == ["SA"]
    monkeypatch.setattr(sw, "LANCZOS_EIGEN_LIMIT", 10_000)
    sw_fresh = _cases()["knn10-row"]
    sw_fresh.parameter_interval()  # between the limits: Lanczos by default
    assert calls == ["SA", "SA"]


def test_dense_path_unchanged_below_limit():
    w = SpatialWeights.from_sparse(_binary_knn(sw.DENSE_EIGEN_LIMIT, 6)).row_standardize()
    assert w.n <= sw.DENSE_EIGEN_LIMIT
    real = np.real(w.eigenvalues())
    assert w.eigenvalue_bounds() == (float(real.min()), float(real.max()))
    assert w.eigenvalue_bounds("dense") == w.eigenvalue_bounds()


def test_no_convergence_falls_back_to_norm_bound(cases, monkeypatch):
    def failing(*args, **kwargs):
        raise scipy.sparse.linalg.ArpackNoConvergence("no", np.array([]), np.empty((0, 0)))

    monkeypatch.setattr(scipy.sparse.linalg, "eigsh", failing)
    w = _cases()["symmetric-binary"]
    low, high = w.eigenvalue_bounds("lanczos")
    degrees = np.diff(w.sparse.indptr)
    assert (low, high) == (-float(degrees.max()), float(degrees.max()))


def test_unknown_method_raises(cases):
    w, _ = cases["knn6-row"]
    with pytest.raises(
        ValueError, match=r"method='arnoldi' \(eigenvalue bounds method\) is not one of"
    ):
        w.eigenvalue_bounds("arnoldi")  # type: ignore[arg-type]
