"""MKL PARDISO log-determinants and the ML search that needs only log-determinant values.

PARDISO is optional (x86-64 wheels); its tests are skipped where it cannot load, except in CI on
a platform with PARDISO wheels, where the ``test`` extra installs it and a failure to load fails
(``tests/tools.py``). The search is
tested with every backend by marking an exact method as having a costly derivative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import naeringsmiljo as nm
from naeringsmiljo.estimators import ml_search as ml
from naeringsmiljo.exceptions import ParameterSpaceError
from naeringsmiljo.weights import knn
from naeringsmiljo.weights.logdet import (
    EigenLogDet,
    PardisoLogDet,
    SparseLULogDet,
    make_logdet,
    pardiso_available,
)
from tools import pardiso_platform, require


@pytest.fixture
def pardiso() -> None:
    require(pardiso_available(), "MKL PARDISO", needed_in_ci=pardiso_platform())


needs_pardiso = pytest.mark.usefixtures("pardiso")

# Both are factorisations of a well-conditioned matrix; |value| ~ n, so 1e-10 relative is
# ~1e3 ulp of rounding.
RTOL_EXACT = 1e-10
# The search stops when its step plus its estimated model error is below INTERPOLATION_XTOL
# (1e-8); the score root of the eigenvalue fit is exact to ~1e-13. A factor 5 covers the
# estimate of the model error being an estimate.
ATOL_RHO_SEARCH = 5e-8
# beta and sigma^2 are smooth functions of rho with slopes O(1): same order as ATOL_RHO_SEARCH.
RTOL_BETA_SEARCH = 5e-7


def _knn_weights(n: int, seed: int) -> nm.SpatialWeights:
    rng = np.random.default_rng(seed)
    points = pd.DataFrame(rng.random((n, 2)), columns=["x", "y"])
    return knn(points, 10).row_standardize()


def _sar_data(w: nm.SpatialWeights, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((w.n, 3))
    b = 1.0 + x @ np.array([1.0, -0.5, 0.25]) + rng.standard_normal(w.n)
    y = sp.linalg.spsolve(sp.csc_array(sp.identity(w.n) - rho * w.sparse), b)
    return y, x


@pytest.fixture(scope="module")
def small_asymmetric() -> nm.SpatialWeights:
    return _knn_weights(400, 11)


@dataclass
class CostlyDerivative:
    """An exact method presented to the ML search as one whose derivative is costly."""

    inner: EigenLogDet | SparseLULogDet
    name: str = "costly"
    cheap_derivative: bool = False
    values: int = 0

    def value(self, rho: float) -> float:
        self.values += 1
        return self.inner.value(rho)

    def derivative(self, rho: float) -> float:
        raise AssertionError("the values-only search must not ask for the derivative")

    def error_bound(self, rho: float) -> float:
        return 0.0

    def derivative_error_bound(self, rho: float) -> float:
        return 0.0


# --------------------------------------------------------------------------- the search
@pytest.mark.parametrize("which", ["rho", "lambda"])
@pytest.mark.parametrize("true_value", [-0.6, 0.2, 0.85])
def test_values_only_search_finds_the_score_root(small_asymmetric, which, true_value) -> None:
    w = small_asymmetric
    y, x = _sar_data(w, true_value, seed=int(10 * abs(true_value)))
    eigen = EigenLogDet(w.eigenvalues())
    interval = w.parameter_interval()
    reference = ml.fit_one_parameter(
        ml.ConcentratedLikelihood(y, x, w.sparse, eigen), which, interval
    )
    costly = CostlyDerivative(eigen)
    lik = ml.ConcentratedLikelihood(y, x, w.sparse, costly)
    found = ml.fit_one_parameter(lik, which, interval)
    got = found.rho if which == "rho" else found.lam
    expected = reference.rho if which == "rho" else reference.lam
    assert found.record.optimizer.startswith("exact log-determinants at the maximisers")
    assert abs(got - expected) <= ATOL_RHO_SEARCH
    np.testing.assert_allclose(found.beta, reference.beta, rtol=RTOL_BETA_SEARCH)
    # the likelihood at the estimate is exact (evaluated, not interpolated)
    np.testing.assert_allclose(
        found.loglik, lik.value(*((got, 0.0) if which == "rho" else (0.0, got))), rtol=1e-14
    )
    # few factorisations: the point of the search (the bracketing search needs ~40)
    assert costly.values <= 12


def test_values_only_search_handles_the_other_parameter_fixed(small_asymmetric) -> None:
    """SAC with lambda fixed: rho searched, lambda's log-determinant held."""
    w = small_asymmetric
    y, x = _sar_data(w, 0.4, seed=3)
    eigen = EigenLogDet(w.eigenvalues())
    interval = w.parameter_interval()
    reference = ml.fit_one_parameter(
        ml.ConcentratedLikelihood(y, x, w.sparse, eigen), "rho", interval, other=0.3
    )
    lik = ml.ConcentratedLikelihood(y, x, w.sparse, CostlyDerivative(eigen))
    found = ml.fit_one_parameter(lik, "rho", interval, other=0.3)
    assert abs(found.rho - reference.rho) <= ATOL_RHO_SEARCH
    assert found.lam == 0.3


def test_concentrated_score_is_the_derivative_of_the_profile(small_asymmetric) -> None:
    w = small_asymmetric
    y, x = _sar_data(w, 0.5, seed=5)
    lik = ml.ConcentratedLikelihood(y, x, w.sparse, None)

    def part(rho: float, lam: float) -> float:
        return -0.5 * w.n * np.log(lik.profile(rho, lam)[3])

    h = 1e-6
    for rho, lam in [(0.5, 0.0), (0.0, 0.4), (0.3, -0.2)]:
        numeric = [
            (part(rho + h, lam) - part(rho - h, lam)) / (2 * h),
            (part(rho, lam + h) - part(rho, lam - h)) / (2 * h),
        ]
        # central differences: truncation ~h^2 times the third derivative, rounding ~eps |f| / h:
        # about 1e-8 of slopes of order n
        np.testing.assert_allclose(lik.concentrated_score(rho, lam), numeric, rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- PARDISO
@needs_pardiso
def test_pardiso_matches_dense_log_determinant(small_asymmetric) -> None:
    w = small_asymmetric
    pardiso = PardisoLogDet(w.sparse)
    eigen = EigenLogDet(w.eigenvalues())
    low, high = w.parameter_interval()
    for rho in np.linspace(0.98 * low, 0.98 * high, 7):
        np.testing.assert_allclose(pardiso.value(rho), eigen.value(rho), rtol=RTOL_EXACT)
        # the central-difference derivative holds its stated error
        assert abs(
            pardiso.derivative(rho) - eigen.derivative(rho)
        ) <= pardiso.derivative_error_bound(rho)


@needs_pardiso
def test_pardiso_matches_superlu_on_medium_weights() -> None:
    w = _knn_weights(5000, 12)
    pardiso = make_logdet(w, "pardiso")
    lu = SparseLULogDet(w.sparse)
    for rho in (-0.9, 0.3, 0.95):
        np.testing.assert_allclose(pardiso.value(rho), lu.value(rho), rtol=RTOL_EXACT)


@needs_pardiso
def test_pardiso_refuses_a_singular_matrix(small_asymmetric) -> None:
    pardiso = PardisoLogDet(small_asymmetric.sparse)
    with pytest.raises(ParameterSpaceError):
        pardiso.value(1.0)  # W 1 = 1: I - W is singular


@needs_pardiso
@pytest.mark.parametrize("model", ["SAR", "SEM"])
def test_pardiso_fit_equals_lu_fit(model) -> None:
    w = _knn_weights(1500, 13)
    y, x = _sar_data(w, 0.5, seed=14)
    cls = {"SAR": nm.SAR, "SEM": nm.SEM}[model]
    lu = cls.from_arrays(y, x, w).fit(logdet="lu")
    fast = cls.from_arrays(y, x, w).fit(logdet="pardiso")
    param = "rho" if model == "SAR" else "lambda"
    assert fast.record.logdet == "pardiso"
    assert abs(fast.params[param] - lu.params[param]) <= ATOL_RHO_SEARCH
    np.testing.assert_allclose(fast.params, lu.params, rtol=RTOL_BETA_SEARCH)
    np.testing.assert_allclose(fast.loglik, lu.loglik, rtol=1e-12)


def test_pardiso_is_chosen_by_auto_only_above_the_limit(small_asymmetric, monkeypatch) -> None:
    from naeringsmiljo.weights import logdet

    assert not isinstance(make_logdet(small_asymmetric), PardisoLogDet)
    if not pardiso_available():
        with pytest.raises(ImportError, match="pypardiso"):
            make_logdet(small_asymmetric, "pardiso")
        return
    monkeypatch.setattr(logdet, "AUTO_EIGEN_LIMIT", 100)
    monkeypatch.setattr(logdet, "AUTO_PARDISO_LIMIT", 100)
    assert isinstance(make_logdet(small_asymmetric), PardisoLogDet)


@needs_pardiso
def test_pardiso_solves_with_the_factor_of_the_latest_evaluation(small_asymmetric) -> None:
    w = small_asymmetric
    pardiso = PardisoLogDet(w.sparse)
    a = sp.csr_array(sp.identity(w.n) - 0.4 * w.sparse)
    rhs = np.random.default_rng(2).standard_normal((w.n, 3))
    pardiso.value(0.7)  # another factorisation first: solve must refactorise at 0.4
    # residuals of a backward-stable solve of a matrix with condition number ~ 1/(1 - 0.4)
    np.testing.assert_allclose(a @ pardiso.solve(0.4, rhs), rhs, atol=1e-12)
    np.testing.assert_allclose(a.T @ pardiso.solve(0.4, rhs, transpose=True), rhs, atol=1e-12)
    np.testing.assert_allclose(a @ pardiso.solve(0.4, rhs[:, 0]), rhs[:, 0], atol=1e-12)


@needs_pardiso
def test_pardiso_releases_and_refactorises(small_asymmetric) -> None:
    pardiso = PardisoLogDet(small_asymmetric.sparse)
    value = pardiso.value(0.3)
    pardiso.release_factor()
    pardiso.release_factor()  # idempotent
    assert pardiso.value(0.3) == value  # cached
    np.testing.assert_allclose(
        pardiso.value(0.31),
        EigenLogDet(small_asymmetric.eigenvalues()).value(0.31),
        rtol=RTOL_EXACT,
    )
    rhs = np.ones(small_asymmetric.n)
    pardiso.release_factor()
    # row sums of W are 1: (I - 0.3 W) 1 = 0.7 * 1
    np.testing.assert_allclose(pardiso.solve(0.3, rhs), rhs / 0.7, rtol=1e-12)
