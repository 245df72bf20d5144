"""Log-determinant methods: exact ones agree with the dense eigenvalues, approximate ones within
the error they state, and SAR fits with each method agree with the eigenvalue fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import naeringsmiljo as nm
from naeringsmiljo.weights import knn
from naeringsmiljo.weights.logdet import (
    ChebyshevLogDet,
    CholeskyLogDet,
    EigenLogDet,
    MonteCarloLogDet,
    SparseLULogDet,
    SplineLogDet,
    make_logdet,
)
from naeringsmiljo.weights.logdet.base import symmetrizing_scale

FORMULA = "CRIME ~ INC + HOVAL"
EXACT = ["lu", "cholesky"]
APPROXIMATE = ["chebyshev", "monte_carlo", "spline"]
# Exact methods differ from the eigenvalues only by rounding in a factorisation of a
# well-conditioned matrix (|value| ~ n, so 1e-10 relative is ~1e3 ulp).
RTOL_EXACT = 1e-10
# The stated bounds of the approximate methods cover the approximation, not the rounding of the
# reference; this much is added to each bound.
ROUNDING = 1e-9
# Exact log-determinant methods must give the same rho as the eigenvalues (task requirement;
# they agree to ~1e-13 in practice).
RTOL_RHO_EXACT = 1e-6
# The rho error of an approximate method is (derivative error) / |d score / d rho| to first
# order; the factor covers the second-order term.
PROPAGATION_SLACK = 2.0
MEDIUM_N = 3000


def _grid(weights: nm.SpatialWeights, size: int = 9) -> np.ndarray:
    """Values of rho across the parameter interval, from 2% inside each end."""
    low, high = weights.parameter_interval()
    return np.linspace(0.98 * low, 0.98 * high, size)


def _knn_medium(symmetric: bool) -> nm.SpatialWeights:
    rng = np.random.default_rng(20261127)
    points = pd.DataFrame(rng.random((MEDIUM_N, 2)), columns=["x", "y"])
    w = knn(points, 10)
    if symmetric:
        b = sp.csr_array(w.sparse)
        w = nm.SpatialWeights.from_sparse((b + b.T > 0).astype(float), ids=w.ids)
    return w.row_standardize()


@pytest.fixture(scope="module")
def medium_asymmetric() -> nm.SpatialWeights:
    return _knn_medium(symmetric=False)


@pytest.fixture(scope="module")
def medium_symmetric() -> nm.SpatialWeights:
    return _knn_medium(symmetric=True)


def _assert_within_bound(method, reference, rho: float) -> None:
    value, slope = reference.value(rho), reference.derivative(rho)
    assert abs(method.value(rho) - value) <= method.error_bound(rho) + ROUNDING * abs(value)
    assert abs(method.derivative(rho) - slope) <= (
        method.derivative_error_bound(rho) + ROUNDING * abs(slope)
    )


# ---------------------------------------------------------------------- small: Columbus
@pytest.mark.parametrize("method", EXACT)
def test_exact_methods_match_eigenvalues(w_queen, method) -> None:
    eig = EigenLogDet(w_queen.eigenvalues())
    ld = make_logdet(w_queen, method)
    assert ld.name == method
    for rho in _grid(w_queen):
        np.testing.assert_allclose(ld.value(rho), eig.value(rho), rtol=RTOL_EXACT)
        np.testing.assert_allclose(ld.derivative(rho), eig.derivative(rho), rtol=RTOL_EXACT)
        assert ld.error_bound(rho) == ld.derivative_error_bound(rho) == 0.0


@pytest.mark.parametrize("method", APPROXIMATE)
def test_approximate_methods_hold_their_bound(w_queen, method) -> None:
    eig = EigenLogDet(w_queen.eigenvalues())
    ld = make_logdet(w_queen, method)
    for rho in _grid(w_queen):
        _assert_within_bound(ld, eig, rho)
    # informative where spatial models live, not only true
    assert 0.0 < ld.error_bound(0.5) < 1.0


def test_chebyshev_with_exact_traces_is_nearly_exact(w_queen) -> None:
    """Real spectrum and exact traces leave only the polynomial error, which order 40 makes tiny
    away from the ends of the interval."""
    eig = EigenLogDet(w_queen.eigenvalues())
    ld = ChebyshevLogDet(w_queen, order=40, probes=None)
    assert ld.real_spectrum
    for rho in (-0.5, 0.0, 0.5, 0.8):
        _assert_within_bound(ld, eig, rho)
        assert ld.error_bound(rho) < 1e-6


def test_monte_carlo_bound_is_infinite_where_the_series_diverges(w_queen) -> None:
    ld = MonteCarloLogDet(w_queen, seed=1)
    assert np.isinf(ld.error_bound(-1.2))
    assert np.isfinite(ld.error_bound(0.9))


@pytest.mark.parametrize("cls", [MonteCarloLogDet, ChebyshevLogDet])
def test_seeds_are_reproducible(w_queen, cls) -> None:
    a, b, c = cls(w_queen, seed=7), cls(w_queen, seed=7), cls(w_queen, seed=8)
    assert a.value(0.5) == b.value(0.5)
    assert a.derivative(0.5) == b.derivative(0.5)
    assert a.value(0.5) != c.value(0.5)


def _rho_curvature(result: nm.SpatialResults) -> float:
    """``d score / d rho`` of the concentrated likelihood at the estimate (central difference)."""
    lik = result.ml.problem.lik
    rho, h = float(result.params["rho"]), 1e-5
    return (lik.score(rho + h, 0.0)[0] - lik.score(rho - h, 0.0)[0]) / (2 * h)


@pytest.mark.parametrize("method", EXACT + APPROXIMATE)
def test_sar_fits_agree_with_eigen_fit(columbus, w_queen, method) -> None:
    model = nm.SAR.from_formula(FORMULA, columbus, w_queen)
    eig = model.fit(logdet="eigen")
    res = model.fit(logdet=method)
    rho = float(res.params["rho"])
    assert eig.record.logdet_error == 0.0
    if method in EXACT:
        assert res.record.logdet_error == 0.0
        np.testing.assert_allclose(rho, eig.params["rho"], rtol=RTOL_RHO_EXACT)
        return
    ld = make_logdet(w_queen, method)
    assert res.record.logdet_error == pytest.approx(ld.error_bound(rho), rel=1e-6)
    assert res.record.logdet_error > 0.0
    propagated = ld.derivative_error_bound(rho) / abs(_rho_curvature(eig))
    assert abs(rho - eig.params["rho"]) <= PROPAGATION_SLACK * propagated


# ---------------------------------------------------------------------- structure and choice
def test_symmetrizing_scale_detects_row_standardised_symmetric_weights(
    w_queen, medium_asymmetric
) -> None:
    counts = np.diff(w_queen.sparse.indptr)
    np.testing.assert_array_equal(symmetrizing_scale(w_queen.sparse), counts)
    binary = w_queen.binary()
    np.testing.assert_array_equal(symmetrizing_scale(binary.sparse), np.ones(binary.n))
    assert symmetrizing_scale(medium_asymmetric.sparse) is None


def test_cholesky_refuses_weights_not_similar_to_symmetric(medium_asymmetric) -> None:
    with pytest.raises(ValueError, match="cholesky"):
        make_logdet(medium_asymmetric, "cholesky")


def test_auto_chooses_by_size_structure_and_tolerance(
    w_queen, medium_asymmetric, medium_symmetric
) -> None:
    assert isinstance(make_logdet(w_queen), EigenLogDet)
    assert isinstance(make_logdet(medium_asymmetric), SparseLULogDet)
    assert isinstance(make_logdet(medium_symmetric), CholeskyLogDet)
    spline = make_logdet(medium_symmetric, tolerance=1.0)
    assert isinstance(spline, SplineLogDet)
    assert isinstance(make_logdet(medium_symmetric, tolerance=1e-300), CholeskyLogDet)


def test_unknown_method_is_rejected(w_queen) -> None:
    with pytest.raises(ValueError, match=r"method='svd' \(log-determinant method\) is not one of"):
        make_logdet(w_queen, "svd")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- medium: knn, n = 3000
@pytest.mark.parametrize("method", APPROXIMATE + ["cholesky"])
def test_medium_methods_agree_with_lu_within_bound(
    medium_asymmetric, medium_symmetric, method
) -> None:
    """LU is the reference here (it matches the dense eigenvalues: the slow test below)."""
    for weights in (medium_symmetric, medium_asymmetric):
        if method == "cholesky" and weights is medium_asymmetric:
            continue
        lu = SparseLULogDet(weights.sparse)
        ld = make_logdet(weights, method)
        for rho in _grid(weights, 5):
            _assert_within_bound(ld, lu, rho)


@pytest.mark.slow
@pytest.mark.parametrize("method", EXACT)
def test_medium_exact_methods_match_dense(medium_asymmetric, medium_symmetric, method) -> None:
    for weights in (medium_symmetric, medium_asymmetric):
        if method == "cholesky" and weights is medium_asymmetric:
            continue
        dense = weights.sparse.toarray()
        eye = np.eye(weights.n)
        ld = make_logdet(weights, method)
        for rho in _grid(weights, 3):
            value = np.linalg.slogdet(eye - rho * dense)[1]
            slope = -np.trace(np.linalg.solve(eye - rho * dense, dense))
            np.testing.assert_allclose(ld.value(rho), value, rtol=RTOL_EXACT)
            np.testing.assert_allclose(ld.derivative(rho), slope, rtol=RTOL_EXACT)
