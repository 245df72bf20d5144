"""Dynamic spatial panels (Yu, de Jong & Lee 2008): estimates, bias correction and impacts
against an independent dense computation, stability, bad input, and the Monte Carlo table.

The dense reference transforms the data by orthonormal bases of what the fixed effects leave
(``F_T`` of the ``T - 1`` dimensions orthogonal to the constant over periods, ``F_N`` of the
``N - 1`` orthogonal to the constant over entities with period effects; Lee & Yu 2010), so that
it shares no code with the package's within transformation and deflated log-determinant:
``W* = F_N' W F_N``, the likelihood counts ``(N*) (T - 1)`` observations and
``(T - 1) ln|I - rho W*|``, the information matrix is written out in full, and the traces of
the bias are dense inverses.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import naeringsmiljo as nm
from naeringsmiljo.exceptions import (
    ConvergenceWarning,
    FormulaError,
    OptionError,
    PanelStructureError,
    ParameterSpaceError,
    SpecificationError,
)
from naeringsmiljo.inference.dynamic import bias_correction
from tools import rerun_study

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "benchmarks" / "results" / "panel_dynamic.csv"
SDPDMOD = ROOT / "tests" / "reference" / "r" / "cigar_sdpdmod.json"

#: The package's search stops at a relative step of ~1e-10 in rho; the dense one (bounded
#: Brent at xatol 1e-12) is independent, so estimates agree to the accuracy of the two searches
#: propagated through beta: 1e-6.
ESTIMATE_ATOL = 1e-6
#: The bias correction is a linear function of the information matrix and the traces, both
#: evaluated at estimates equal to ESTIMATE_ATOL: the same order.
CORRECTION_ATOL = 1e-6
#: R SDPDmod takes ln|I - rho W| at the nearest point of a grid of rho of step 1e-5
#: (generate_cigar_sdpdmod.R): its ML rho differs from the exact one by 6e-5 (measured), and
#: everything computed from the estimates by as much; 2e-4 leaves a margin of three.
SDPDMOD_ATOL = 2e-4
#: Impacts at the same estimates, dense inverse against the package's eigenvalue multiplier.
IMPACT_RTOL = 1e-8

N_UNITS, PERIODS = 12, 6  # six observed periods, five used
TRUE = {"tau": 0.35, "eta": 0.1, "rho": 0.3, "x": 1.0, "W_x": 0.5}


def weights() -> nm.SpatialWeights:
    """Row-standardised 3-nearest-neighbour weights of random points, made symmetric."""
    rng = np.random.default_rng(7)
    points = rng.uniform(size=(N_UNITS, 2))
    distance = np.linalg.norm(points[:, None] - points[None], axis=2)
    np.fill_diagonal(distance, np.inf)
    dense = np.zeros((N_UNITS, N_UNITS))
    for i in range(N_UNITS):
        dense[i, np.argsort(distance[i])[:3]] = 1.0
    dense = np.maximum(dense, dense.T)
    return nm.SpatialWeights.from_sparse(
        dense, ids=[f"r{i:02d}" for i in range(N_UNITS)]
    ).row_standardize()


def panel(w: nm.SpatialWeights, seed: int = 11, period_effects: bool = True) -> pd.DataFrame:
    """A seeded dynamic SDM panel with entity and period effects, rows shuffled."""
    rng = np.random.default_rng(seed)
    wd = w.sparse.toarray()
    n = w.n
    mu = rng.normal(size=n)
    xi = rng.normal(size=PERIODS) if period_effects else np.zeros(PERIODS)
    x = rng.normal(size=(PERIODS, n)) + 0.5 * mu
    s = np.eye(n) - TRUE["rho"] * wd
    y = np.zeros((PERIODS, n))
    previous = rng.normal(size=n)
    for t in range(PERIODS):
        rhs = (TRUE["tau"] * np.eye(n) + TRUE["eta"] * wd) @ previous
        rhs += TRUE["x"] * x[t] + TRUE["W_x"] * wd @ x[t] + mu + xi[t] + rng.normal(size=n)
        y[t] = np.linalg.solve(s, rhs)
        previous = y[t]
    index = pd.MultiIndex.from_product([list(w.ids), range(2000, 2000 + PERIODS)])
    frame = pd.DataFrame({"y": y.T.reshape(-1), "x": x.T.reshape(-1)}, index=index)
    frame.index.names = ["region", "year"]
    return frame.sample(frac=1.0, random_state=3)


def orthonormal_complement(m: int) -> np.ndarray:
    """An ``m x (m - 1)`` orthonormal basis of the vectors orthogonal to the constant."""
    q, _ = np.linalg.qr(np.column_stack([np.ones(m), np.eye(m)[:, : m - 1]]))
    return q[:, 1:]


def dense_fit(data: pd.DataFrame, w: nm.SpatialWeights, effects: str, durbin: bool) -> dict:
    """ML of the transformation approach, the information matrix and the YdJL correction."""
    wd = w.sparse.toarray()
    ids = list(w.ids)
    y = data["y"].unstack("year").loc[ids].to_numpy().T  # periods x entities
    x = data["x"].unstack("year").loc[ids].to_numpy().T
    periods = y.shape[0] - 1
    f_t = orthonormal_complement(periods)
    f_n = orthonormal_complement(N_UNITS) if effects == "twoways" else np.eye(N_UNITS)
    n_star = f_n.shape[1]
    w_star = f_n.T @ wd @ f_n

    def transform(v: np.ndarray) -> np.ndarray:  # periods used x entities -> stacked
        return (f_t.T @ v @ f_n).reshape(-1)

    columns = {"x": x[1:]}
    if durbin:
        columns["W_x"] = x[1:] @ wd.T
    columns["tau"] = y[:-1]
    columns["eta"] = y[:-1] @ wd.T
    names = list(columns)
    z = np.column_stack([transform(v) for v in columns.values()])
    ys = transform(y[1:])
    wys = transform(y[1:] @ wd.T)
    nobs = n_star * (periods - 1)

    def profile(rho: float) -> tuple[float, np.ndarray, float]:
        beta, *_ = np.linalg.lstsq(z, ys - rho * wys, rcond=None)
        e = ys - rho * wys - z @ beta
        sigma2 = e @ e / nobs
        logdet = np.linalg.slogdet(np.eye(n_star) - rho * w_star)[1]
        loglik = -nobs / 2 * (np.log(2 * np.pi * sigma2) + 1) + (periods - 1) * logdet
        return loglik, beta, sigma2

    rho = optimize.minimize_scalar(
        lambda r: -profile(r)[0],
        bounds=(-0.99, 0.99),
        method="bounded",
        options={"xatol": 1e-12},
    ).x
    _, beta, sigma2 = profile(rho)
    k = len(names)

    def information(theta: np.ndarray) -> np.ndarray:
        """Information matrix of (beta, rho, sigma^2) at theta, Lee & Yu (2010), written out."""
        beta, rho, sigma2 = theta[:k], theta[k], theta[k + 1]
        g = w_star @ np.linalg.inv(np.eye(n_star) - rho * w_star)
        gz = np.kron(np.eye(periods - 1), g) @ (z @ beta)
        info = np.zeros((k + 2, k + 2))
        info[:k, :k] = z.T @ z / sigma2
        info[:k, k] = info[k, :k] = z.T @ gz / sigma2
        info[k, k] = gz @ gz / sigma2 + (periods - 1) * np.trace(g.T @ g + g @ g)
        info[k, k + 1] = info[k + 1, k] = (periods - 1) * np.trace(g) / sigma2
        info[k + 1, k + 1] = nobs / (2 * sigma2**2)
        return info

    def correction(theta: np.ndarray) -> np.ndarray:
        """The YdJL-corrected estimate at theta: theta + I(theta)^{-1} b(theta)."""
        tau, eta, rho = theta[names.index("tau")], theta[names.index("eta")], theta[k]
        g = w_star @ np.linalg.inv(np.eye(n_star) - rho * w_star)
        r_inv = np.linalg.inv((1 - tau) * np.eye(n_star) - (rho + eta) * w_star)
        b = np.zeros(k + 2)
        b[names.index("tau")] = np.trace(r_inv)
        b[names.index("eta")] = np.trace(w_star @ r_inv)
        b[k] = tau * np.trace(g @ r_inv) + eta * np.trace(g @ w_star @ r_inv)
        return theta + np.linalg.solve(information(theta), b)

    theta = np.array([*beta, rho, sigma2])
    index = [*names, "rho", "sigma2"]
    return {
        "ml": pd.Series(theta, index=index),
        "corrected": pd.Series(correction(theta), index=index),
        "cov": np.linalg.inv(information(theta)),
        "map": correction,
    }


def richardson_jacobian(f, theta: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Jacobian of ``f`` by Richardson extrapolation of central differences at steps ``h`` and
    ``h/2`` (``h = step * max(|theta_j|, 0.1)``): error ``O(h^4)``, independent of the package's
    single central difference at relative step 1e-4."""
    theta = np.asarray(theta, dtype=float)
    columns = []
    for j in range(theta.size):
        h = step * max(abs(theta[j]), 0.1)

        def central(d: float, j: int = j) -> np.ndarray:
            up, down = theta.copy(), theta.copy()
            up[j] += d
            down[j] -= d
            return (f(up) - f(down)) / (2 * d)

        columns.append((4 * central(h / 2) - central(h)) / 3)
    return np.column_stack(columns)


def dense_impacts(params: pd.Series, wd: np.ndarray, long_run: bool) -> pd.DataFrame:
    """Mean diagonal and mean row sum of the short- or long-run multiplier of x."""
    n = wd.shape[0]
    tau, eta = (params.get("tau", 0.0), params.get("eta", 0.0)) if long_run else (0.0, 0.0)
    a = (1 - tau) * np.eye(n) - (params["rho"] + eta) * wd
    m = np.linalg.solve(a, params["x"] * np.eye(n) + params.get("W_x", 0.0) * wd)
    direct, total = np.trace(m) / n, m.sum() / n
    return pd.DataFrame(
        {"direct": [direct], "indirect": [total - direct], "total": [total]}, index=["x"]
    )


@pytest.fixture(scope="module")
def w() -> nm.SpatialWeights:
    return weights()


@pytest.fixture(scope="module")
def data(w) -> pd.DataFrame:
    return panel(w)


@pytest.mark.parametrize("effects", ["entity", "twoways"])
def test_ml_and_correction_equal_dense(w, data, effects):
    model = nm.SDM.from_formula("y ~ x", data, w, effects=effects, dynamic="spacetime")
    reference = dense_fit(data, w, effects, durbin=True)
    names = ["x", "W_x", "tau", "eta", "rho"]
    corrected = model.fit(bias_correction=True, correction_cov="ml")
    np.testing.assert_allclose(
        corrected.params[names].to_numpy(),
        reference["corrected"][names].to_numpy(),
        atol=CORRECTION_ATOL,
    )
    np.testing.assert_allclose(corrected.sigma2, reference["corrected"]["sigma2"], atol=1e-6)
    # correction_cov="ml": the covariance of the ML estimate, as before the delta method
    np.testing.assert_allclose(
        corrected.cov.loc[names, names].to_numpy(),
        reference["cov"][:5, :5],
        rtol=1e-5,
    )
    np.testing.assert_allclose(corrected.sigma2_se, np.sqrt(reference["cov"][5, 5]), rtol=1e-5)
    assert corrected.correction_cov == "ml" and corrected.ml.jacobian is None
    if effects == "entity":
        # the direct approach (no correction) on entity effects: same beta and rho as the
        # transformation approach (sigma^2 differs by the factor (T - 1)/T)
        direct = model.fit()
        np.testing.assert_allclose(
            direct.params[names].to_numpy(),
            reference["ml"][names].to_numpy(),
            atol=ESTIMATE_ATOL,
        )
        periods = PERIODS - 1
        np.testing.assert_allclose(
            direct.sigma2, reference["ml"]["sigma2"] * (periods - 1) / periods, rtol=1e-6
        )


#: The delta covariance J V J' against the dense reference's: V agrees to 1e-5 (above), and J
#: (a derivative of the correction, O(1/T)) is evaluated at estimates equal to 1e-6 and
#: differenced with errors near 1e-8 (the package) and 1e-10 (Richardson): 1e-5 again.
DELTA_RTOL = 1e-5


@pytest.mark.parametrize("effects", ["entity", "twoways"])
def test_delta_covariance_equals_dense(w, data, effects):
    """The default covariance of the corrected estimate is J V J', with J the Jacobian of the
    dense reference's own correction map (its information matrix and traces at each theta)."""
    model = nm.SDM.from_formula("y ~ x", data, w, effects=effects, dynamic="spacetime")
    reference = dense_fit(data, w, effects, durbin=True)
    res = model.fit(bias_correction=True)
    assert res.correction_cov == "delta"
    jacobian = richardson_jacobian(reference["map"], reference["ml"].to_numpy())
    expected = jacobian @ reference["cov"] @ jacobian.T
    names = ["x", "W_x", "tau", "eta", "rho"]
    order = [*names, "sigma2"]
    full = np.block(
        [
            [res.cov.loc[names, names].to_numpy(), np.full((5, 1), np.nan)],
            [np.full((1, 5), np.nan), np.array([[res.sigma2_se**2]])],
        ]
    )
    positions = [list(reference["ml"].index).index(n) for n in order]
    expected = expected[np.ix_(positions, positions)]
    np.testing.assert_allclose(full[:5, :5], expected[:5, :5], rtol=DELTA_RTOL)
    np.testing.assert_allclose(full[5, 5], expected[5, 5], rtol=DELTA_RTOL)
    # and it is not the ML covariance: at T = 5 tau's variance grows by a fifth or more
    ml = model.fit(bias_correction=True, correction_cov="ml")
    assert res.cov.loc["tau", "tau"] > 1.2 * ml.cov.loc["tau", "tau"]
    # the estimates do not depend on the covariance, and "ml" reports the ML covariance
    # that the delta method starts from, unchanged
    np.testing.assert_array_equal(res.params.to_numpy(), ml.params.to_numpy())
    assert res.sigma2 == ml.sigma2
    np.testing.assert_array_equal(ml.cov.to_numpy(), res.ml.ml_covariance()[:5, :5])


def test_delta_covariance_with_a_fixed_parameter(w, data):
    """A parameter held fixed does not vary: its column of J is the identity's and its
    (co)variances stay zero (NaN standard error); the others still get J V J'."""
    model = nm.SDM.from_formula("y ~ x", data, w, effects="entity", dynamic="spacetime")
    res = model.fit(bias_correction=True, fixed={"rho": 0.2})
    rho = list(res.params.index).index("rho")
    np.testing.assert_array_equal(res.ml.jacobian[:, rho], np.eye(res.ml.jacobian.shape[0])[rho])
    assert np.isnan(res.std_errors["rho"]) and res.params["rho"] == 0.2
    j, v = res.ml.jacobian, res.ml.ml_covariance()
    np.testing.assert_allclose(res.cov.to_numpy(), (j @ v @ j.T)[:5, :5], rtol=1e-12, atol=0)
    assert (
        res.std_errors["tau"]
        > model.fit(bias_correction=True, fixed={"rho": 0.2}, correction_cov="ml").std_errors["tau"]
    )


#: The package's Jacobian (one central difference at relative step 1e-4, truncation error
#: ~1e-8 relative to the distance to the unit root) against Richardson extrapolation of the
#: same map at steps 1e-3 and 5e-4 (error ~1e-12), entries of order one: with the analytic
#: information they agree to rtol 1e-6, atol 1e-9 for the entries that vanish (beta's columns
#: in sigma^2). The observed Hessian is itself a central difference of the score (relative
#: step 1e-5, error ~1e-10 relatively); differenced again over 2h = 2e-4 that noise becomes
#: ~5e-8 in J (measured 4e-8): atol 2e-7 there.
JACOBIAN_TOLERANCE = {"information": (1e-6, 1e-9), "hessian": (1e-6, 2e-7)}


@pytest.mark.parametrize("cov", ["information", "hessian"])
def test_jacobian_equals_richardson(w, data, cov):
    """J of the fit against an independent derivative of the public correction map."""
    from naeringsmiljo.inference.covariance import covariance_estimator
    from naeringsmiljo.inference.dynamic import CorrectionMap

    model = nm.SDM.from_formula("y ~ x", data, w, effects="twoways", dynamic="spacetime")
    res = model.fit(bias_correction=True, cov=cov)
    est = res.ml.problem.estimate
    ml_theta = np.concatenate([est.beta, [est.rho, est.sigma2]])
    correction = CorrectionMap(
        replace(res.ml, jacobian=None),
        covariance_estimator(cov),
        tuple(res.params.index),
        w,
        True,
    )
    # the map at the ML estimate is the reported estimate
    np.testing.assert_allclose(
        correction(ml_theta), np.append(res.params.to_numpy(), res.sigma2), rtol=1e-12
    )
    expected = richardson_jacobian(correction, ml_theta)
    rtol, atol = JACOBIAN_TOLERANCE[cov]
    np.testing.assert_allclose(res.ml.jacobian, expected, rtol=rtol, atol=atol)
    # J is not the identity: d tau_c / d tau exceeds one (b_tau = tr R^{-1} grows with tau)
    tau = list(res.params.index).index("tau")
    assert res.ml.jacobian[tau, tau] > 1.05
    # switching the ML covariance keeps J: J V J' with the other V
    switched = res.with_cov("information" if cov == "hessian" else "hessian")
    j = res.ml.jacobian
    np.testing.assert_allclose(
        switched.ml.covariance(), j @ switched.ml.ml_covariance() @ j.T, rtol=1e-12
    )
    assert "delta method" in switched.cov_type


def test_correction_cov_where_it_does_not_apply(w, data):
    """correction_cov= names the covariance of the analytic dynamic correction: an OptionError
    naming the option wherever that correction is not applied, and a misspelt value too."""
    dynamic = nm.SAR.from_formula("y ~ x", data, w, effects="entity", dynamic="time")
    static = nm.SAR.from_formula("y ~ x", data, w, effects="entity")
    time_only = nm.SAR.from_formula("y ~ x", data, w, effects="time", dynamic="time")
    cases = [
        (static, {"bias_correction": True, "correction_cov": "delta"}),
        (dynamic, {"correction_cov": "ml"}),
        (time_only, {"bias_correction": True, "correction_cov": "delta"}),
        (
            dynamic,
            {"bias_correction": "bootstrap", "seed": 1, "replications": 50, "correction_cov": "ml"},
        ),
    ]
    for model, options in cases:
        with pytest.raises(OptionError, match="correction_cov") as info:
            model.fit(**options)
        assert info.value.option == "correction_cov"
    with pytest.raises(OptionError, match="delta"):
        dynamic.fit(bias_correction=True, correction_cov="dleta")
    # where the correction does not apply, no option and no change
    assert static.fit(bias_correction=True).correction_cov is None


def test_correction_moves_the_estimates(w, data):
    """The correction is not negligible here (T = 5): tau moves up by the Nickell order 1/T."""
    model = nm.SDM.from_formula("y ~ x", data, w, effects="entity", dynamic="spacetime")
    corrected = model.fit(bias_correction=True)
    shift = corrected.params["tau"] - model.fit().params["tau"]
    assert 0.05 < shift < 0.5
    assert "Yu-de Jong-Lee correction: yes (covariance: delta method" in str(corrected.summary())
    assert "delta method through the Yu-de Jong-Lee correction" in corrected.cov_type
    ml_cov = model.fit(bias_correction=True, correction_cov="ml")
    assert "(covariance: that of the uncorrected ML estimate)" in str(ml_cov.summary())


def test_design_conditions_on_the_first_period(w, data):
    model = nm.SAR.from_formula("y ~ x", data, w, effects="entity", dynamic="time")
    spec = model.spec
    assert spec.n_periods == PERIODS - 1
    assert spec.nobs == N_UNITS * (PERIODS - 1)
    assert list(spec.times) == list(range(2001, 2000 + PERIODS))
    assert spec.exog_names == ["x", "tau"]
    assert spec.regressor_names == ["x"]
    raw = data["y"].unstack("year").loc[list(w.ids)]
    # y_{t-1} of entity r03 in 2003 is its 2002 outcome, whatever the order of the rows
    row = spec.ids.get_loc(("r03", 2003))
    assert spec.raw_x[row, 1] == raw.loc["r03", 2002]


@pytest.mark.parametrize("horizon", ["short", "long"])
def test_impacts_equal_dense_multipliers(w, data, horizon):
    res = nm.SDM.from_formula("y ~ x", data, w, effects="entity", dynamic="spacetime").fit(
        bias_correction=True
    )
    got = res.impacts(horizon=horizon, inference=None).estimates
    expected = dense_impacts(res.params, w.sparse.toarray(), long_run=horizon == "long")
    np.testing.assert_allclose(
        got.loc[["x"], ["direct", "indirect", "total"]].to_numpy(),
        expected.to_numpy(),
        rtol=IMPACT_RTOL,
    )


def test_long_run_impacts_without_rho(w, data):
    """An SLX with W y_{t-1}: no spatial multiplier in the short run, one in the long run."""
    res = nm.SLX.from_formula("y ~ x", data, w, effects="entity", dynamic="spacetime").fit()
    params = res.params.copy()
    params["rho"] = 0.0
    got = res.impacts(horizon="long", inference=None).estimates
    expected = dense_impacts(params, w.sparse.toarray(), long_run=True)
    np.testing.assert_allclose(
        got.loc[["x"], ["direct", "indirect", "total"]].to_numpy(),
        expected.to_numpy(),
        rtol=IMPACT_RTOL,
    )
    short = res.impacts(inference=None).estimates
    np.testing.assert_allclose(short.loc["x", "direct"], params["x"], rtol=1e-12)


def test_long_run_simulated_inference(w, data):
    """The long-run draws are the transformed draws of the parameters: their mean is close to
    the estimate, and the total impact's s.e. is larger than in the short run (1/(1 - tau))."""
    res = nm.SDM.from_formula("y ~ x", data, w, effects="entity", dynamic="spacetime").fit(
        bias_correction=True
    )
    short = res.impacts(draws=2000, seed=5)
    long = res.impacts(horizon="long", draws=2000, seed=5)
    assert long.std_errors.loc["x", "total"] > short.std_errors.loc["x", "total"]
    simulated_total = long.simulated[:, 0, 2]
    # 2,000 draws: the simulated mean is within a few s.e./sqrt(draws) of... the point estimate
    # up to the nonlinearity of the multiplier; 10% of the s.e. is ample
    assert abs(np.median(simulated_total) - long.estimates.loc["x", "total"]) < (
        0.1 * long.std_errors.loc["x", "total"] + 0.05 * abs(long.estimates.loc["x", "total"])
    )
    assert long.draws == 2000


def test_unstable_estimate_is_not_converged(w):
    data = panel(w, seed=2)
    rng = np.random.default_rng(4)
    wd = w.sparse.toarray()
    # an explosive process: tau + rho = 1.3, no fixed effects, so ML is consistent for it
    y = np.zeros((PERIODS, N_UNITS))
    previous = np.ones(N_UNITS)
    x = data["x"].unstack("year").loc[list(w.ids)].to_numpy().T
    for t in range(PERIODS):
        y[t] = np.linalg.solve(
            np.eye(N_UNITS) - 0.4 * wd, 0.9 * previous + x[t] + 0.01 * rng.normal(size=N_UNITS)
        )
        previous = y[t]
    frame = pd.DataFrame(
        {"y": y.T.reshape(-1), "x": x.T.reshape(-1)},
        index=pd.MultiIndex.from_product([list(w.ids), range(PERIODS)]),
    )
    with pytest.warns(ConvergenceWarning, match="not stable"):
        res = nm.SAR.from_formula("y ~ x", frame, w, effects="none", dynamic="time").fit()
    assert not res.record.converged
    assert res.params["tau"] + res.params["rho"] > 1
    with pytest.raises(ParameterSpaceError, match="unstable"):
        res.impacts(horizon="long")


@pytest.mark.parametrize(
    ("model", "kwargs", "error", "match"),
    [
        (nm.SAR, {"effects": "random", "dynamic": "time"}, SpecificationError, "initial"),
        (nm.SEM, {"effects": "entity", "dynamic": "time"}, SpecificationError, "error term"),
        (nm.SAR, {"effects": "entity", "dynamic": "lagged"}, OptionError, "dynamic"),
        (
            nm.SAR,
            {"effects": "twoways", "dynamic": "time", "lag_convention": "demean_then_lag"},
            SpecificationError,
            "exact transform",
        ),
    ],
)
def test_bad_specifications(w, data, model, kwargs, error, match):
    with pytest.raises(error, match=match):
        model.from_formula("y ~ x", data, w, **kwargs)


def test_too_few_periods_and_name_clash(w, data):
    two = data[data.index.get_level_values("year") < 2002]
    with pytest.raises(PanelStructureError, match="three periods"):
        nm.SAR.from_formula("y ~ x", two, w, effects="entity", dynamic="time")
    clash = data.assign(tau=data["x"] ** 2)
    with pytest.raises(FormulaError, match="tau"):
        nm.SAR.from_formula("y ~ x + tau", clash, w, effects="entity", dynamic="time")


def test_long_run_needs_a_dynamic_model_and_simulation(w, data):
    static = nm.SAR.from_formula("y ~ x", data, w, effects="entity").fit()
    with pytest.raises(SpecificationError, match="dynamic panel"):
        static.impacts(horizon="long")
    dynamic = nm.SAR.from_formula("y ~ x", data, w, effects="entity", dynamic="time").fit()
    with pytest.raises(SpecificationError, match="simulation"):
        dynamic.impacts(horizon="long", inference="delta")


# ------------------------------------------------------------------ the Monte Carlo study
def check(table: pd.DataFrame) -> None:
    t = table.set_index(["effects", "periods", "estimator", "parameter"]).sort_index()
    assert (t["replications"] >= 200).all()
    delta, ml_cov = "corrected (delta cov)", "corrected (ML cov)"
    for effects in ("entity", "twoways"):
        for periods in (5, 10):
            ml, corrected = t.loc[(effects, periods, "ML")], t.loc[(effects, periods, delta)]
            with_ml_cov = t.loc[(effects, periods, ml_cov)]
            # the two covariances share the estimates
            np.testing.assert_array_equal(corrected["bias"], with_ml_cov["bias"])
            # ML: tau biased downwards (Nickell), far outside 2 MC s.e., and under-covered
            assert ml.loc["tau", "bias_in_mc_se"] < -10
            assert ml.loc["tau", "coverage"] < ml.loc["tau", "band_low"]
            # corrected: tau's bias at most a quarter of the uncorrected one
            assert abs(corrected.loc["tau", "bias"]) < 0.25 * abs(ml.loc["tau", "bias"])
            # and no spatial parameter made worse than the ML's by more than 2 MC s.e.
            for name in ("rho", "eta"):
                assert (
                    abs(corrected.loc[name, "bias"])
                    < abs(ml.loc[name, "bias"]) + 2 * (corrected.loc[name, "mc_se"])
                )
            # sigma^2: most of the bias removed
            assert abs(corrected.loc["sigma2", "bias"]) < 0.3 * abs(ml.loc["sigma2", "bias"])
            # the delta covariance: tau's mean s.e. within 10% of the MC s.d. and its
            # intervals in the binomial band in every cell; eta's at most 0.005 above it
            # (0.967 and 0.965 at T = 5, panel_dynamic.md); rho, beta and sigma^2 covered
            # as well as with the ML covariance (within 0.005) and sigma^2's s.e. unchanged
            # (within 2%): its under-coverage at T = 5 is its bias's
            row = corrected.loc["tau"]
            assert abs(row["mean_se"] / row["mc_sd"] - 1) < 0.10
            assert row["band_low"] <= row["coverage"] <= row["band_high"]
            row = corrected.loc["eta"]
            assert row["band_low"] <= row["coverage"] <= row["band_high"] + 0.005
            for name in ("rho", "x", "sigma2"):
                assert corrected.loc[name, "coverage"] >= with_ml_cov.loc[name, "coverage"] - 0.005
            assert (
                abs(corrected.loc["sigma2", "mean_se"] / with_ml_cov.loc["sigma2", "mean_se"] - 1)
                < 0.02
            )
            # the ML covariance of the corrected tau: its s.e. too small and its intervals
            # short of the band (most at T = 5: 19% and 0.86-0.88)
            row = with_ml_cov.loc["tau"]
            assert row["mean_se"] < 0.95 * row["mc_sd"]
            assert row["coverage"] < row["band_low"]
            if periods == 5:
                assert row["mean_se"] < 0.85 * row["mc_sd"]
    # at T = 10 (the remainder of the correction is O(1/T^2); at T = 5 it is not small, see
    # panel_dynamic.md): the corrected tau within 3 MC s.e. of the truth, beta within 2; rho
    # keeps an O(1/n) ML bias (-0.006, 4 MC s.e. at 1,000 replications) under 0.01; the
    # intervals of tau, eta, rho and beta cover within 0.015 of the binomial band
    for effects in ("entity", "twoways"):
        corrected = t.loc[(effects, 10, delta)]
        assert abs(corrected.loc["tau", "bias_in_mc_se"]) < 3
        assert abs(corrected.loc["x", "bias_in_mc_se"]) < 2
        assert abs(corrected.loc["rho", "bias"]) < 0.01
        for name in ("tau", "eta", "rho", "x"):
            row = corrected.loc[name]
            assert row["band_low"] - 0.015 <= row["coverage"] <= row["band_high"], (effects, name)


def test_committed_monte_carlo_table():
    check(pd.read_csv(TABLE))


@pytest.mark.mc
def test_monte_carlo_reproduces(tmp_path, monkeypatch):
    rerun_study("panel_dynamic", tmp_path, monkeypatch, check)


def test_documented_cigar_example():
    """The numbers printed in docs/panels.md (at their printed precision) stay true."""
    data = nm.datasets.cigar()
    w = nm.datasets.cigar_weights().row_standardize()
    formula = "np.log(sales) ~ np.log(price / cpi) + np.log(ndi / cpi)"
    model = nm.SDM.from_formula(formula, data, w, effects="twoways", dynamic="spacetime")
    ml, corrected = model.fit(), model.fit(bias_correction=True)
    np.testing.assert_allclose(
        ml.params[["tau", "eta", "rho"]].to_numpy(), [0.825, 0.023, 0.036], atol=5e-4
    )
    np.testing.assert_allclose(
        corrected.params[["tau", "eta", "rho"]].to_numpy(), [0.866, -0.015, 0.076], atol=5e-4
    )
    price = "np.log(price / cpi)"
    short = corrected.impacts(inference=None).estimates.loc[price, "direct"]
    long = corrected.impacts(horizon="long", inference=None).estimates.loc[price, "direct"]
    np.testing.assert_allclose(short, -0.262, atol=5e-4)
    np.testing.assert_allclose(long, -1.92, atol=5e-3)


def test_entity_effects_equal_sdpdmod():
    """ML (the direct approach, as SDPDmod) and its Yu-de Jong-Lee correction with the terms of
    the direct approach (``direct_sigma2``) equal R SDPDmod's ``SDPDm(..., dynamic = TRUE)``; the
    package's own correction (transformation approach) differs from it by O(1/T^2)."""
    reference = json.loads(SDPDMOD.read_text())
    data = nm.datasets.cigar()
    w = nm.datasets.cigar_weights().row_standardize()
    formula = "np.log(sales) ~ np.log(price / cpi) + np.log(ndi / cpi)"
    model = nm.SDM.from_formula(formula, data, w, effects="entity", dynamic="spacetime")
    ml = model.fit()
    names = {
        "tau": "tau",
        "eta": "eta",
        "lp": "np.log(price / cpi)",
        "ly": "np.log(ndi / cpi)",
        "W_lp": "W_np.log(price / cpi)",
        "W_ly": "W_np.log(ndi / cpi)",
        "rho": "rho",
    }
    ours = [names[key] for key in names]
    expected_ml = [reference["ml"][key] for key in names]
    np.testing.assert_allclose(ml.params[ours].to_numpy(), expected_ml, atol=SDPDMOD_ATOL)
    np.testing.assert_allclose(ml.sigma2, reference["ml"]["sigma2"], rtol=1e-3)
    shift = bias_correction(ml.params, ml.ml.covariance(), w, False, direct_sigma2=ml.sigma2)
    corrected = pd.Series(np.append(ml.params.to_numpy(), ml.sigma2) + shift)
    corrected.index = [*ml.params.index, "sigma2"]
    expected = [reference["corrected"][key] for key in names]
    np.testing.assert_allclose(corrected[ours].to_numpy(), expected, atol=SDPDMOD_ATOL)
    np.testing.assert_allclose(corrected["sigma2"], reference["corrected"]["sigma2"], rtol=1e-3)
    # the correction itself (about +0.049 in tau) is reproduced, not only the ML
    assert corrected["tau"] - ml.params["tau"] > 0.04
    # the transformation approach: within 0.005 of SDPDmod's corrected estimates (T = 29);
    # the corrected process is not stable here (tau + eta + rho = 1.02 with entity effects
    # only), which the fit reports
    with pytest.warns(ConvergenceWarning, match="not stable"):
        own = model.fit(bias_correction=True)
    np.testing.assert_allclose(own.params[ours].to_numpy(), expected, atol=5e-3)
    assert not own.record.converged
