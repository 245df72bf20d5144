"""Properties every estimator must have, whatever the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import naeringsmiljo as nm
from naeringsmiljo import MODELS
from naeringsmiljo.weights.logdet import EigenLogDet, SparseLULogDet

FORMULA = "CRIME ~ INC + HOVAL"
SPATIAL = ["SAR", "SEM", "SDM", "SDEM", "SAC", "GNS"]
# Identities that hold in exact arithmetic, evaluated by different operation orders: the
# estimates are exact roots of the score, so they agree to the conditioning of the problem.
RTOL_SAME = 1e-9


def _fit(name: str, data: pd.DataFrame, w: nm.SpatialWeights, **kw) -> nm.SpatialResults:
    return MODELS[name].from_formula(FORMULA, data, w).fit(**kw)


@pytest.mark.parametrize("name", list(MODELS))
def test_permuting_units_leaves_estimates_unchanged(name, columbus, w_anselin) -> None:
    rng = np.random.default_rng(20261127)
    order = rng.permutation(columbus.index)
    base = _fit(name, columbus, w_anselin)
    # data and weights permuted together
    both = _fit(name, columbus.loc[order], w_anselin.reorder(order))
    # data permuted alone: the model aligns the weights by id
    data_only = _fit(name, columbus.loc[order], w_anselin)
    for res in (both, data_only):
        np.testing.assert_allclose(res.params, base.params, rtol=RTOL_SAME)
        np.testing.assert_allclose(res.std_errors, base.std_errors, rtol=1e-7)  # dense solves
        np.testing.assert_allclose(res.loglik, base.loglik, rtol=1e-12)
        pd.testing.assert_series_equal(res.resid.loc[columbus.index], base.resid, rtol=1e-8)


@pytest.mark.parametrize("rho", [-1.4, -0.5, 0.2, 0.7, 0.99])
def test_eigen_and_lu_logdets_agree(w_queen, rho) -> None:
    eig, lu = EigenLogDet(w_queen.eigenvalues()), SparseLULogDet(w_queen.sparse)
    dense = np.linalg.slogdet(np.eye(w_queen.n) - rho * w_queen.sparse.toarray())[1]
    np.testing.assert_allclose(eig.value(rho), dense, rtol=1e-12)
    np.testing.assert_allclose(lu.value(rho), dense, rtol=1e-12)
    trace = -np.trace(
        np.linalg.solve(
            np.eye(w_queen.n) - rho * w_queen.sparse.toarray(), w_queen.sparse.toarray()
        )
    )
    np.testing.assert_allclose(eig.derivative(rho), trace, rtol=1e-10)
    np.testing.assert_allclose(lu.derivative(rho), trace, rtol=1e-10)


@pytest.mark.parametrize("name", SPATIAL)
def test_eigen_and_lu_fits_agree(name, columbus, w_anselin) -> None:
    eig = _fit(name, columbus, w_anselin, logdet="eigen")
    lu = _fit(name, columbus, w_anselin, logdet="lu")
    assert (eig.record.logdet, lu.record.logdet) == ("eigen", "lu")
    np.testing.assert_allclose(lu.params, eig.params, rtol=1e-8)  # both exact to ~1e-13
    np.testing.assert_allclose(lu.loglik, eig.loglik, rtol=1e-12)


@pytest.mark.parametrize(
    ("name", "fixed"),
    [("SAR", {"rho": 0.0}), ("SEM", {"lambda": 0.0}), ("SAC", {"rho": 0.0, "lambda": 0.0})],
)
def test_spatial_parameters_fixed_at_zero_reproduce_ols(name, fixed, columbus, w_anselin) -> None:
    ols = nm.OLS.from_formula(FORMULA, columbus, w_anselin).fit(method="ml")
    res = _fit(name, columbus, w_anselin, fixed=fixed)
    np.testing.assert_allclose(res.params[ols.params.index], ols.params, rtol=1e-12)
    np.testing.assert_allclose(res.loglik, ols.loglik, rtol=1e-13)
    np.testing.assert_allclose(res.sigma2, ols.sigma2, rtol=1e-13)
    # the covariance of beta is the OLS ML covariance once rho/lambda are not estimated
    np.testing.assert_allclose(res.std_errors[ols.params.index], ols.std_errors, rtol=1e-10)
    for p in fixed:  # not estimated: zero variance, and no standard error to report
        assert res.cov.loc[p, p] == 0.0
        assert np.isnan(res.std_errors[p]) and np.isnan(res.pvalues[p])


def test_sdm_fixed_rho_zero_is_slx(columbus, w_anselin) -> None:
    slx = nm.SLX.from_formula(FORMULA, columbus, w_anselin).fit(method="ml")
    sdm = _fit("SDM", columbus, w_anselin, fixed={"rho": 0.0})
    np.testing.assert_allclose(sdm.params[slx.params.index], slx.params, rtol=1e-12)


@pytest.mark.parametrize("name", SPATIAL)
def test_estimate_is_the_exact_maximiser(name, columbus, w_anselin) -> None:
    """The score vanishes and no nearby point has a higher likelihood."""
    res = _fit(name, columbus, w_anselin)
    assert res.record.converged
    assert max(abs(s) for s in res.record.score) < 1e-6
    for p in ("rho", "lambda"):
        if p not in res.params:
            continue
        for step in (-1e-6, 1e-6):
            fixed = {q: res.params[q] for q in ("rho", "lambda") if q in res.params}
            fixed[p] += step
            nearby = _fit(name, columbus, w_anselin, fixed=fixed)
            assert nearby.loglik < res.loglik


@pytest.mark.parametrize("name", list(MODELS))
def test_impacts_equal_brute_force_also_for_unstandardised_weights(name, columbus) -> None:
    """Mean diagonal / mean row sum of S_r = (I - rho W)^{-1}(beta_r I + theta_r W), dense."""
    w = nm.datasets.columbus_weights("anselin")  # binary: row sums are not one
    w = w.spectral_normalize()
    res = _fit(name, columbus, w)
    n = w.n
    dense = w.sparse.toarray()
    multiplier = np.linalg.inv(np.eye(n) - res.params.get("rho", 0.0) * dense)
    est = res.impacts().estimates
    for var in ("INC", "HOVAL"):
        s = multiplier @ (res.params[var] * np.eye(n) + res.params.get("W_" + var, 0.0) * dense)
        np.testing.assert_allclose(est.loc[var, "direct"], np.trace(s) / n, rtol=1e-10)
        np.testing.assert_allclose(est.loc[var, "total"], s.sum() / n, rtol=1e-10)


def _dense_loglik(y, x, w, theta, has_rho, has_lambda):
    """Full Gaussian log-likelihood written out densely, independently of the package."""
    n, k = x.shape
    beta, rest = theta[:k], list(theta[k:])
    rho = rest.pop(0) if has_rho else 0.0
    lam = rest.pop(0) if has_lambda else 0.0
    sigma2 = rest.pop(0)
    a, b = np.eye(n) - rho * w, np.eye(n) - lam * w
    e = b @ (a @ y - x @ beta)
    return (
        -n / 2 * np.log(2 * np.pi * sigma2)
        + np.linalg.slogdet(a)[1]
        + np.linalg.slogdet(b)[1]
        - e @ e / (2 * sigma2)
    )


@pytest.mark.parametrize("name", SPATIAL)
def test_observed_hessian_equals_second_differences(name, columbus, w_anselin) -> None:
    """cov="hessian" inverts the Hessian of the full log-likelihood: check it against a
    second-difference Hessian of an independent dense log-likelihood (step 1e-4: error ~1e-7)."""
    res = _fit(name, columbus, w_anselin, cov="hessian")
    model = MODELS[name]
    theta = np.r_[res.params.to_numpy(), res.sigma2]
    h = 1e-4 * np.maximum(1.0, np.abs(theta))
    y, x, w = res.spec.y, res.spec.x, w_anselin.sparse.toarray()

    def f(t):
        return _dense_loglik(y, x, w, t, model.has_rho, model.has_lambda)

    size = theta.size
    hess = np.empty((size, size))
    for i in range(size):
        for j in range(size):
            ei, ej = np.eye(size)[i] * h[i], np.eye(size)[j] * h[j]
            hess[i, j] = (
                f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)
            ) / (4 * h[i] * h[j])
    expected = np.sqrt(np.diag(np.linalg.inv(-hess)))[:-1]
    np.testing.assert_allclose(res.std_errors, expected, rtol=1e-5)
    np.testing.assert_allclose(res.loglik, f(theta), rtol=1e-13)


@pytest.mark.parametrize("name", ["SAR", "SEM", "SDM", "SDEM", "SAC"])
def test_information_matrix_close_to_observed_hessian(name, columbus, w_anselin) -> None:
    """Expected and observed information differ by O(1/sqrt(n)) terms (here up to ~14%).

    GNS is left out on purpose: it is weakly identified on these data (Elhorst 2014, s. 2.7)
    and its observed-information standard errors are about half the expected-information ones;
    Elhorst's printed GNS t-values are the expected-information ones.
    """
    info = _fit(name, columbus, w_anselin, cov="information")
    hess = _fit(name, columbus, w_anselin, cov="hessian")
    np.testing.assert_allclose(hess.params, info.params, rtol=0, atol=0)  # same estimates
    np.testing.assert_allclose(hess.std_errors, info.std_errors, rtol=0.2)


def test_formula_and_arrays_agree(columbus, w_anselin) -> None:
    by_formula = nm.SDM.from_formula(FORMULA, columbus, w_anselin).fit()
    by_arrays = nm.SDM.from_arrays(columbus["CRIME"], columbus[["INC", "HOVAL"]], w_anselin).fit()
    pd.testing.assert_series_equal(by_arrays.params, by_formula.params, rtol=1e-12)
    assert list(by_arrays.params.index) == ["Intercept", "INC", "HOVAL", "W_INC", "W_HOVAL", "rho"]


def test_durbin_subset(columbus, w_anselin) -> None:
    res = nm.SAR.from_formula(FORMULA, columbus, w_anselin, durbin=["INC"]).fit()
    assert list(res.params.index) == ["Intercept", "INC", "HOVAL", "W_INC", "rho"]
    assert res.impacts().estimates.index.tolist() == ["INC", "HOVAL"]


def test_results_interface(columbus, w_anselin) -> None:
    res = nm.SAC.from_formula(FORMULA, columbus, w_anselin).fit()
    names = ["Intercept", "INC", "HOVAL", "rho", "lambda"]
    for attr in ("params", "std_errors", "tstats", "pvalues"):
        assert list(getattr(res, attr).index) == names
    assert list(res.cov.index) == names and list(res.cov.columns) == names
    ci = res.conf_int(alpha=0.1)
    assert (ci["lower"] < res.params).all() and (res.params < ci["upper"]).all()
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate", "std_error", "tstat", "pvalue", "lower", "upper"]
    assert res.resid.index.equals(columbus.index) and res.fitted.index.equals(columbus.index)
    np.testing.assert_allclose(res.fitted + res.resid, columbus["CRIME"], rtol=1e-14)
    assert res.nobs == 49 and res.n_params == 6
    np.testing.assert_allclose(res.aic, -2 * res.loglik + 12, rtol=1e-14)
    np.testing.assert_allclose(res.bic, -2 * res.loglik + 6 * np.log(49), rtol=1e-14)
    text = res.summary()
    for needle in (
        "SAC",
        "CRIME ~ INC + HOVAL",
        "232 links",
        "row-standardised",
        "eigen",
        "Convergence:         yes",
        "lambda",
        "Parameter interval",
    ):
        assert needle in text
    new = res.with_covariance(res.cov * 4, "scaled")
    np.testing.assert_allclose(new.std_errors, 2 * res.std_errors, rtol=1e-14)
    assert res.cov_type != "scaled"  # the original is untouched
