"""The adjusted-score M-estimator of dynamic fixed-effects panels (``bias_correction="score"``).

Three independent checks:

- the traces of :class:`naeringsmiljo.inference.dynamic.ResponseBlocks` (sums over the
  eigenvalues of W of ``T x T`` matrices) against dense ``NT x NT`` response matrices built
  period by period from W, transformed by orthonormal bases of what the effects leave;
- a seeded simulation of the score at the true parameters, with a first period and fixed
  effects far from any steady state: its adjusted form has mean zero and the covariance the
  estimator's sandwich uses, while the unadjusted score is biased;
- the estimate and sandwich of a fit against a dense solution of the same equations in the
  orthonormal coordinates (``scipy.optimize.fsolve``, the Hessian by differences).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import naeringsmiljo as nm
from naeringsmiljo.exceptions import OptionError, SpecificationError
from naeringsmiljo.inference.dynamic import ResponseBlocks, response_diagonals, spectrum
from test_panel_dynamic import PERIODS, orthonormal_complement, panel, weights
from tools import rerun_study

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "benchmarks" / "results" / "panel_dynamic.csv"

#: Traces by eigenvalues against dense products of 60 x 60 matrices: both exact up to rounding
#: of sums of ~1e3 terms of order one.
TRACE_RTOL = 1e-10
#: The package and the dense solution solve the same equations to ~1e-12 (hybr at xtol 1e-12,
#: fsolve at xtol 1e-13) through different coordinates: the estimates agree to 1e-8.
ESTIMATE_ATOL = 1e-8
#: The sandwich against the dense one whose Hessian is a central difference at step 1e-6 of the
#: equations (error ~1e-8 relatively) and whose traces are dense: 1e-5 relatively.
SANDWICH_RTOL = 1e-5

PSI = {"tau": 0.35, "eta": 0.1, "rho": 0.3}


def dense_responses(wd: np.ndarray, psi: dict[str, float], periods: int) -> dict[str, np.ndarray]:
    """``L_tau``, ``L_eta``, ``L_rho``: the ``NT x NT`` maps from the innovations of periods
    1..T to ``y_{t-1}``, ``W y_{t-1}`` and ``W y_t``, built by running the recursion
    ``y_t = B^{-1}(A_0 y_{t-1} + e_t)`` on the identity."""
    n = wd.shape[0]
    b_inv = np.linalg.inv(np.eye(n) - psi["rho"] * wd)
    a0 = psi["tau"] * np.eye(n) + psi["eta"] * wd
    current = np.zeros((periods * n, periods * n))  # y_t in row block t
    state = np.zeros((n, periods * n))
    for t in range(periods):
        shock = np.zeros((n, periods * n))
        shock[:, t * n : (t + 1) * n] = np.eye(n)
        state = b_inv @ (a0 @ state + shock)
        current[t * n : (t + 1) * n] = state
    previous = np.zeros_like(current)
    previous[n:] = current[:-n]  # y_{t-1}; y_0 carries no innovation of the sample
    lag = np.kron(np.eye(periods), wd)
    return {"tau": previous, "eta": lag @ previous, "rho": lag @ current}


@pytest.mark.parametrize("effects", ["entity", "twoways"])
@pytest.mark.parametrize("symmetric", [True, False])
def test_traces_equal_dense(effects, symmetric):
    w = weights()
    wd = w.sparse.toarray()
    if not symmetric:  # a row-standardised W from a non-symmetric pattern: complex eigenvalues
        rng = np.random.default_rng(5)
        pattern = (wd > 0) * rng.uniform(0.2, 1.0, size=wd.shape)
        wd = pattern / pattern.sum(axis=1, keepdims=True)
        w = nm.SpatialWeights.from_sparse(wd, ids=list(w.ids))
    periods = PERIODS - 1
    deflated = effects == "twoways"
    omega = spectrum(w, deflated)
    if not symmetric:
        assert np.abs(np.imag(omega)).max() > 1e-3  # the case the real part must handle
    blocks = ResponseBlocks.at(PSI["tau"], PSI["eta"], PSI["rho"], omega, periods)
    dense = dense_responses(wd, PSI, periods)
    f_n = orthonormal_complement(wd.shape[0]) if deflated else np.eye(wd.shape[0])
    p = np.kron(orthonormal_complement(periods), f_n)  # Q = P P'
    reduced = {name: p.T @ matrix @ p for name, matrix in dense.items()}
    for first, left in reduced.items():
        np.testing.assert_allclose(blocks.mean(first), np.trace(left), rtol=TRACE_RTOL)
        for second, right in reduced.items():
            np.testing.assert_allclose(
                blocks.product(first, second), np.trace(left @ right), rtol=TRACE_RTOL
            )
    # the rho trace holds the (T - 1) tr G of the log-determinant, the rest is dynamic
    g = wd @ np.linalg.inv(np.eye(wd.shape[0]) - PSI["rho"] * wd)
    static = (periods - 1) * (np.trace(g) - (1.0 / (1.0 - PSI["rho"]) if deflated else 0.0))
    assert abs(blocks.mean("rho") - static) > 0.05 * abs(static)


#: Draws of the simulation of the score. The sample means are compared with zero within 4 of
#: their Monte Carlo standard errors; the sample covariance of the adjusted scores with the
#: mean of the estimated covariance within 10% on the diagonal (the sampling error of a
#: variance from R = 4,000 draws is at most 3.5% here, checked in the test: about 3 s.e.) and
#: 0.06 in correlation off it (the sampling error of a correlation is about 1/sqrt(R) = 0.016).
DRAWS = 4000
#: Centred chi-square(3) innovations scaled to variance one: third moment 24 / 6^1.5, fourth 7.
SKEWED_MU3, SKEWED_MU4 = 24.0 / 6.0**1.5, 7.0


@pytest.mark.parametrize("effects", ["entity", "twoways"])
@pytest.mark.parametrize("start", ["far", "quiet"])
@pytest.mark.parametrize("innovations", ["normal", "skewed"])
def test_adjusted_score_has_mean_zero_and_the_sandwich_covariance(effects, start, innovations):
    w = weights()
    wd = w.sparse.toarray()
    n, periods = w.n, PERIODS - 1
    deflated = effects == "twoways"
    rng = np.random.default_rng(2024)
    # "far": y_0 and the fixed effects far from any steady state, which the adjustment must
    # not need; "quiet": no fixed effects, y_0 and X, so that the innovations make up the
    # regressors and the covariance's trace term is large
    loud = 1.0 if start == "far" else 0.0
    y0 = loud * (5.0 + 3.0 * rng.normal(size=n))
    mu = loud * 2.0 * rng.normal(size=n)
    xi = loud * rng.normal(size=periods) if deflated else np.zeros(periods)
    x = rng.normal(size=(periods, n)) * (1.0 if start == "far" else 0.1) + mu
    beta, sigma = 1.0, 0.7
    b_inv = np.linalg.inv(np.eye(n) - PSI["rho"] * wd)
    a0 = PSI["tau"] * np.eye(n) + PSI["eta"] * wd
    if innovations == "normal":
        e = sigma * rng.normal(size=(DRAWS, periods, n))
        mu3, mu4 = 0.0, 3.0 * sigma**4
    else:
        e = sigma * (rng.chisquare(3, size=(DRAWS, periods, n)) - 3.0) / np.sqrt(6.0)
        mu3, mu4 = SKEWED_MU3 * sigma**3, SKEWED_MU4 * sigma**4
    y = np.empty((DRAWS, periods + 1, n))
    y[:, 0] = y0
    for t in range(periods):
        rhs = y[:, t] @ a0.T + beta * x[t] + mu + xi[t] + e[:, t]
        y[:, t + 1] = rhs @ b_inv.T

    def within(v: np.ndarray) -> np.ndarray:  # (draws, periods, n)
        out = v - v.mean(axis=1, keepdims=True)
        return out - out.mean(axis=2, keepdims=True) if deflated else out

    regressors = {
        "x": within(np.broadcast_to(x, (DRAWS, periods, n))),
        "tau": within(y[:, :-1]),
        "eta": within(y[:, :-1] @ wd.T),
        "rho": within(y[:, 1:] @ wd.T),
    }
    qe = within(e)
    s2 = sigma**2
    nobs = (n - deflated) * (periods - 1)
    blocks = ResponseBlocks.at(PSI["tau"], PSI["eta"], PSI["rho"], spectrum(w, deflated), periods)
    names = list(regressors)
    free = [name for name in names if name != "x"]
    means = np.array([blocks.mean(name) if name != "x" else 0.0 for name in names])
    raw = np.column_stack(
        [np.einsum("rtn,rtn->r", regressors[k], qe) / s2 for k in names]
        + [(np.einsum("rtn,rtn->r", qe, qe) - nobs * s2) / (2 * s2**2)]
    )
    adjusted = raw - np.append(means, 0.0)
    mc_se = adjusted.std(axis=0, ddof=1) / np.sqrt(DRAWS)
    assert np.all(np.abs(adjusted.mean(axis=0)) < 4 * mc_se), adjusted.mean(axis=0) / mc_se
    # the test can fail: the unadjusted score of tau is biased by more than ten MC s.e.
    assert raw[:, 1].mean() / mc_se[1] < -10
    # the covariance the estimator uses (ml_score._sandwich), written out: z_j' z_k / sigma^2
    # (averaged over draws) + tr(Q L_j Q L_k); tr(Q L_j) / sigma^2 against sigma^2; then the
    # moment terms with the diagonals of the quadratic forms and the regressors as linear parts
    stacked = np.stack([regressors[k] for k in names], -1).reshape(DRAWS, -1, len(names))
    expected = np.zeros((5, 5))
    expected[:4, :4] = np.einsum("rij,rik->jk", stacked, stacked) / (DRAWS * s2)
    for j, first in enumerate(names):
        for k, second in enumerate(names):
            if first in free and second in free:
                expected[j, k] += blocks.product(first, second)
    expected[:4, 4] = expected[4, :4] = means / s2
    expected[4, 4] = nobs / (2 * s2**2)
    gaussian = expected.copy()
    diagonals = response_diagonals(PSI["tau"], PSI["eta"], PSI["rho"], wd, periods, deflated)
    diag = np.zeros((periods * n, 5))
    for j, name in enumerate(names):
        if name in free:
            diag[:, j] = diagonals[name] / s2
    diag[:, 4] = (1 - 1 / periods) * ((1 - 1 / n) if deflated else 1.0) / (2 * s2**2)
    cross = np.einsum("rij,ik->jk", stacked, diag) / (DRAWS * s2)
    expected[:4, :] += mu3 * cross
    expected[:, :4] += mu3 * cross.T
    expected += (mu4 - 3 * s2**2) * diag.T @ diag
    observed = np.cov(adjusted, rowvar=False)
    # the sampling error of each variance, from the fourth moments of the draws
    relative_se = np.sqrt(np.var((adjusted - adjusted.mean(0)) ** 2, axis=0) / DRAWS) / np.diag(
        observed
    )
    assert relative_se.max() < 0.035
    np.testing.assert_allclose(np.diag(observed), np.diag(expected), rtol=0.10)
    scale = np.sqrt(np.diag(observed))  # correlations off the diagonal
    np.testing.assert_allclose(
        observed / np.outer(scale, scale),
        expected / np.sqrt(np.outer(np.diag(expected), np.diag(expected))),
        atol=0.06,
    )
    if start == "quiet":  # the trace term matters: without it a variance is off by over 15%
        traces = np.array([blocks.product(k, k) for k in free])
        assert np.max(np.abs(traces) / np.diag(expected)[1:4]) > 0.15
    if innovations == "skewed":  # the moment terms matter: sigma^2's variance more than doubles
        assert expected[4, 4] > 2 * gaussian[4, 4]
        assert abs(observed[4, 4] / gaussian[4, 4] - 1) > 0.5


def dense_score_fit(
    data: pd.DataFrame, w: nm.SpatialWeights, effects: str, start: np.ndarray
) -> dict:
    """The adjusted score equations of a dynamic SDM solved in orthonormal coordinates from
    ``start`` (the equations can have several roots: the package takes the one reached from
    the Yu-de Jong-Lee estimate, and so does this reference)."""
    wd = w.sparse.toarray()
    ids = list(w.ids)
    y = data["y"].unstack("year").loc[ids].to_numpy().T
    x = data["x"].unstack("year").loc[ids].to_numpy().T
    periods = y.shape[0] - 1
    f_n = orthonormal_complement(w.n) if effects == "twoways" else np.eye(w.n)
    p = np.kron(orthonormal_complement(periods), f_n)

    def transform(v: np.ndarray) -> np.ndarray:
        return p.T @ v.reshape(-1)

    columns = {
        "x": x[1:],
        "W_x": x[1:] @ wd.T,
        "tau": y[:-1],
        "eta": y[:-1] @ wd.T,
        "rho": y[1:] @ wd.T,
    }
    z = np.column_stack([transform(v) for v in columns.values()])
    ys = transform(y[1:])
    nobs = p.shape[1]
    dof = nobs - z.shape[1]

    def traces(psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dense = dense_responses(wd, dict(zip(("tau", "eta", "rho"), psi, strict=True)), periods)
        reduced = [p.T @ dense[name] @ p for name in ("tau", "eta", "rho")]
        return (
            np.array([np.trace(m) for m in reduced]),
            np.array([[np.trace(a @ b) for b in reduced] for a in reduced]),
        )

    def equations(theta: np.ndarray) -> np.ndarray:
        coef, sigma2 = theta[:-1], theta[-1]
        resid = ys - z @ coef
        score = z.T @ resid / sigma2
        score[2:] -= traces(coef[2:])[0]
        return np.append(score, (resid @ resid - dof * sigma2) / (2 * sigma2**2))

    theta = optimize.fsolve(equations, start, xtol=1e-13)
    hessian = np.empty((6, 6))
    for j in range(6):
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        hessian[:, j] = (equations(up) - equations(down)) / (2 * h)
    means, products = traces(theta[2:5])
    sigma2 = theta[-1]
    omega = np.zeros((6, 6))
    omega[:5, :5] = z.T @ z / sigma2
    omega[2:5, 2:5] += products
    omega[2:5, 5] = omega[5, 2:5] = means / sigma2
    omega[5, 5] = nobs / (2 * sigma2**2)
    # third and fourth moments (Kelejian & Prucha 2001; Lee 2004, appendix), in the raw coordinates
    # of the innovations: linear parts P z, quadratic forms L_j' Q / sigma^2 and Q / 2 sigma^4
    q = p @ p.T
    resid = q @ y[1:].reshape(-1) - (p @ z) @ theta[:5]
    c2, c3, c4 = (np.sum(q[0] ** power) for power in (2, 3, 4))
    m2 = np.mean(resid**2)
    mu3 = np.mean(resid**3) / m2**1.5 * c2**1.5 / c3 * sigma2**1.5
    mu4 = (np.mean(resid**4) / m2**2 * c2**2 - 3 * (c2**2 - c4)) / c4 * sigma2**2
    dense = dense_responses(wd, dict(zip(("tau", "eta", "rho"), theta[2:5], strict=True)), periods)
    linear = np.column_stack([p @ z, np.zeros(p.shape[0])]) / sigma2
    diag = np.zeros((p.shape[0], 6))
    for j, name in zip((2, 3, 4), ("tau", "eta", "rho"), strict=True):
        diag[:, j] = np.diag(dense[name].T @ q) / sigma2
    diag[:, 5] = np.diag(q) / (2 * sigma2**2)
    cross = linear.T @ diag
    omega += mu3 * (cross + cross.T) + (mu4 - 3 * sigma2**2) * diag.T @ diag
    h_inv = np.linalg.inv(hessian)
    return {"theta": theta, "cov": h_inv @ omega @ h_inv.T}


@pytest.mark.parametrize("effects", ["entity", "twoways"])
def test_fit_equals_dense_solution(effects):
    w = weights()
    data = panel(w)
    model = nm.SDM.from_formula("y ~ x", data, w, effects=effects, dynamic="spacetime")
    res = model.fit(bias_correction="score")
    names = ["x", "W_x", "tau", "eta", "rho"]
    corrected = model.fit(bias_correction=True)
    start = np.append(corrected.params[names].to_numpy(), corrected.sigma2)
    reference = dense_score_fit(data, w, effects, start)
    assert res.record.converged, res.record.message
    np.testing.assert_allclose(
        res.params[names].to_numpy(), reference["theta"][:5], atol=ESTIMATE_ATOL
    )
    np.testing.assert_allclose(res.sigma2, reference["theta"][5], atol=ESTIMATE_ATOL)
    np.testing.assert_allclose(
        res.cov.loc[names, names].to_numpy(), reference["cov"][:5, :5], rtol=SANDWICH_RTOL
    )
    np.testing.assert_allclose(res.sigma2_se, np.sqrt(reference["cov"][5, 5]), rtol=SANDWICH_RTOL)
    # it is not the analytic correction: tau differs from the Yu-de Jong-Lee estimate
    assert abs(res.params["tau"] - corrected.params["tau"]) > 1e-3
    assert res.bias_correction == "score" and res.ml is None
    text = str(res.summary())
    assert "adjusted score, consistent at fixed T (Yang 2018)" in text
    assert "score adjusted by its exact fixed-T mean" in text
    assert "sandwich of the adjusted score" in res.cov_type


def test_rescaled_data_give_the_same_decisions():
    """Estimates, t statistics and convergence unchanged when y and x change units."""
    w = weights()
    data = panel(w)
    model = nm.SDM.from_formula("y ~ x", data, w, effects="twoways", dynamic="spacetime")
    base = model.fit(bias_correction="score")
    scaled = data.assign(y=data["y"] * 1e3, x=data["x"] * 1e-4)
    res = nm.SDM.from_formula("y ~ x", scaled, w, effects="twoways", dynamic="spacetime").fit(
        bias_correction="score"
    )
    # rescaling multiplies the coefficients of x by 1e7 and sigma^2 by 1e6; the t statistics
    # and the spatial parameters are unit-free: equal to the accuracy of the solution
    for name in ("tau", "eta", "rho"):
        np.testing.assert_allclose(res.params[name], base.params[name], atol=1e-9)
    np.testing.assert_allclose(res.params["x"], base.params["x"] * 1e7, rtol=1e-8)
    np.testing.assert_allclose(res.sigma2, base.sigma2 * 1e6, rtol=1e-8)
    np.testing.assert_allclose(res.tstats.to_numpy(), base.tstats.to_numpy(), rtol=1e-6)
    assert res.record.converged == base.record.converged


def test_options_where_the_score_does_not_apply():
    w = weights()
    data = panel(w)
    static = nm.SAR.from_formula("y ~ x", data, w, effects="entity")
    with pytest.raises(SpecificationError, match="dynamic panel"):
        static.fit(bias_correction="score")
    time_only = nm.SAR.from_formula("y ~ x", data, w, effects="time", dynamic="time")
    with pytest.raises(SpecificationError, match="'entity' or 'twoways'"):
        time_only.fit(bias_correction="score")
    dynamic = nm.SAR.from_formula("y ~ x", data, w, effects="entity", dynamic="spacetime")
    with pytest.raises(SpecificationError, match="drop fixed"):
        dynamic.fit(bias_correction="score", fixed={"rho": 0.2})
    with pytest.raises(OptionError, match="correction_cov"):
        dynamic.fit(bias_correction="score", correction_cov="delta")
    with pytest.raises(OptionError):
        dynamic.fit(bias_correction="score", seed=1)
    with pytest.raises(OptionError, match="sandwich of its adjusted score"):
        dynamic.fit(bias_correction="score", cov="hessian")
    res = dynamic.fit(bias_correction="score")
    with pytest.raises(SpecificationError, match="cannot be switched"):
        res.with_cov("hessian")


def test_no_root_is_reported_not_converged():
    """A sample whose equations have no root: the nearest point, flagged, with a warning."""
    w = weights()
    for seed in range(40):
        data = panel(w, seed=seed)
        model = nm.SAR.from_formula("y ~ x", data, w, effects="entity", dynamic="spacetime")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(bias_correction="score")
        if "no root" in res.record.message:
            break
    else:  # pragma: no cover - the search above finds one (seed 7 at the time of writing)
        pytest.fail("no sample without a root among 40 seeds")
    assert not res.record.converged
    assert "standard errors are not reliable" in res.record.message


def test_committed_monte_carlo_rows():
    """The adjusted-score rows of ``panel_dynamic.md`` (1,000 replications per design point;
    ``test_panel_dynamic.py::test_monte_carlo_reproduces`` reruns the whole study)."""
    t = pd.read_csv(TABLE).set_index(["effects", "periods", "estimator", "parameter"])
    for effects in ("entity", "twoways"):
        score, analytic = (
            t.loc[(effects, 5, "adjusted score")],
            t.loc[(effects, 5, "corrected (delta cov)")],
        )
        assert (score["replications"] >= 1000).all()
        # at T = 5: every bias under a tenth of the estimates' spread and within 2.5 MC s.e.,
        # tau and sigma^2 within 2 (the analytic correction leaves 8 to 23 for them)
        assert (score["bias"].abs() < 0.1 * score["mc_sd"]).all()
        assert (score["bias_in_mc_se"].abs() < 2.5).all()
        for name in ("tau", "sigma2"):
            assert abs(score.loc[name, "bias_in_mc_se"]) < 2
            assert abs(analytic.loc[name, "bias_in_mc_se"]) > 5
        # intervals within 0.005 of the binomial band, standard errors within 7% of the spread
        assert (score["coverage"] >= score["band_low"]).all()
        assert (score["coverage"] <= score["band_high"] + 0.005).all()
        assert ((score["median_se"] / score["mc_sd"] - 1).abs() < 0.07).all()
        # fits not converged: about a tenth at T = 5, under 1% at T = 10
        assert score.loc["tau", "not_converged"] < 0.15 * score.loc["tau", "replications"]
        later = t.loc[(effects, 10, "adjusted score")]
        assert later.loc["tau", "not_converged"] < 0.01 * later.loc["tau", "replications"]
        # at T = 10 within 2 MC s.e. but rho's O(1/n) bias (under 0.006), covered in the band
        assert (later.drop("rho")["bias_in_mc_se"].abs() < 2).all()
        assert abs(later.loc["rho", "bias"]) < 0.006
        assert (
            (later["coverage"] >= later["band_low"]) & (later["coverage"] <= later["band_high"])
        ).all()


def test_nickell_bias_removed_without_spatial_lag():
    """A non-spatial dynamic panel (OLS with ``y_{t-1}``; no ``rho``) at N = 300, T = 4: the
    within estimator has Nickell's bias (about -(1 + tau)/(T - 1) here), the adjusted score does
    not. One seeded sample: ML more than 5 of its standard errors below the truth, the adjusted
    score within 3 of its own."""
    from naeringsmiljo.weights.builders import knn

    rng = np.random.default_rng(3)
    n, periods, tau = 300, 4, 0.5
    points = pd.DataFrame(rng.uniform(size=(n, 2)), index=[f"r{i:03d}" for i in range(n)])
    w = knn(points, k=4).row_standardize()
    mu = rng.normal(size=n)
    y = [mu / (1 - tau) + rng.normal(size=n)]
    x = [rng.normal(size=n)]
    for _ in range(periods):
        x.append(rng.normal(size=n) + 0.3 * mu)
        y.append(tau * y[-1] + x[-1] + mu + rng.normal(size=n))
    index = pd.MultiIndex.from_product([list(w.ids), range(periods + 1)], names=["r", "t"])
    data = pd.DataFrame(
        {"y": np.array(y).T.reshape(-1), "x": np.array(x).T.reshape(-1)}, index=index
    )
    model = nm.OLS.from_formula("y ~ x", data, w, effects="entity", dynamic="time")
    within = model.fit()
    score = model.fit(method="ml", bias_correction="score")
    assert score.record.converged
    assert (within.params["tau"] - tau) / within.std_errors["tau"] < -5
    assert abs(score.params["tau"] - tau) < 3 * score.std_errors["tau"]
    assert abs(score.params["x"] - 1.0) < 3 * score.std_errors["x"]


SKEWED_TABLE = ROOT / "benchmarks" / "results" / "panel_dynamic_skewed.csv"


def check_skewed(table: pd.DataFrame) -> None:
    """Skewed innovations (``panel_dynamic_skewed.md``): the moment terms of the adjusted
    score's covariance keep the intervals of sigma^2 near 95% where the Gaussian information
    of the analytic correction's covariance falls to about 70%; tau, rho and beta stay within
    0.005 of the band and the estimates within 3 MC s.e. of the truth."""
    t = table.set_index(["effects", "periods", "estimator", "parameter"]).sort_index()
    for effects in ("entity", "twoways"):
        score = t.loc[(effects, 5, "adjusted score")]
        analytic = t.loc[(effects, 5, "corrected (delta cov)")]
        assert (score["replications"] >= 1000).all()
        assert score.loc["sigma2", "coverage"] > 0.9
        assert analytic.loc["sigma2", "coverage"] < 0.8
        for name in ("tau", "rho", "x"):
            row = score.loc[name]
            assert row["band_low"] - 0.005 <= row["coverage"] <= row["band_high"] + 0.005
        assert (score["bias_in_mc_se"].abs() < 3).all()


def test_committed_skewed_table():
    check_skewed(pd.read_csv(SKEWED_TABLE))


@pytest.mark.mc
def test_skewed_monte_carlo_reproduces(tmp_path, monkeypatch):
    rerun_study("panel_dynamic_skewed", tmp_path, monkeypatch, check_skewed)


def test_starts_and_roots_keep_rho_inside_its_interval():
    """A start with rho outside the interval where I - rho W is invertible (the analytic
    correction can push it there in an extreme sample) is skipped, not followed to a root
    beyond the interval; with no admissible start the function refuses."""
    from naeringsmiljo.estimators.ml_score import adjusted_score_fit

    w = weights()
    model = nm.SDM.from_formula("y ~ x", panel(w), w, effects="twoways", dynamic="spacetime")
    spec = model.spec
    reference = model.fit(bias_correction="score")
    names = list(spec.exog_names) + ["rho"]
    interval = w.parameter_interval()
    arrays = (spec.y, spec.lag("y", spec.y), spec.x, names, spectrum(w, True), spec.n_periods)
    good = reference.params[names].to_numpy()
    outside = good.copy()
    outside[-1] = interval[0] - 5.0

    def fit(starts):
        return adjusted_score_fit(
            *arrays, (w.n - 1) * (spec.n_periods - 1), starts, w, True, interval
        )

    fitted = fit([outside, good])
    assert fitted.converged
    np.testing.assert_allclose(fitted.estimate[:-1], good, atol=ESTIMATE_ATOL)
    assert interval[0] < fitted.estimate[-2] < interval[1]
    with pytest.raises(ValueError, match="inside the interval"):
        fit([outside])


def test_second_seed_bounds_the_remaining_bias():
    """The study rerun with seed 777 (``benchmarks/results/seed777``): at T = 5 tau keeps a
    small positive bias in both runs (the estimator's O(1/N) bias, documented in
    docs/panels.md), under 0.01 and under half of the analytic correction's; at T = 10 every
    cell of the second run is within 2 MC s.e."""
    second_table = ROOT / "benchmarks" / "results" / "seed777" / "panel_dynamic.csv"
    runs = [
        pd.read_csv(path).set_index(["effects", "periods", "estimator", "parameter"])
        for path in (TABLE, second_table)
    ]
    for effects in ("entity", "twoways"):
        for t in runs:
            score = t.loc[(effects, 5, "adjusted score", "tau")]
            analytic = t.loc[(effects, 5, "corrected (delta cov)", "tau")]
            assert 0 < score["bias"] < 0.01
            assert score["bias"] < 0.5 * analytic["bias"]
        later = runs[1].loc[(effects, 10, "adjusted score")]
        assert (later["bias_in_mc_se"].abs() < 2).all()
