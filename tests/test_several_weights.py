"""Models with several weights matrices: convex combinations and separate (higher-order) lags.

The references are written here, independently of the package: dense log-determinants, a
grid over the parameters then a polish (estimates), a finite-difference Hessian of the dense
log-likelihood (the ``hessian`` covariance), the Gaussian information formula with numerical
derivatives of the mean and covariance of y (the ``information`` covariance), dense inverses
(impacts), a hand-written 2SLS (GMM), and simulated projections (chi-bar-square weights).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import scipy.sparse as sp

from naeringsmiljo import SAR, SDM, SEM, SpatialWeights
from naeringsmiljo.exceptions import (
    ConvergenceWarning,
    IdMismatchError,
    ParameterSpaceError,
    WeightsError,
)
from naeringsmiljo.inference.channels import chi_bar_square_pvalue, chi_bar_square_weights
from naeringsmiljo.weights.builders import knn

N = 150
GAMMA = (0.6, 0.4)
RHO = 0.5


def _collaboration(n: int, rng: np.random.Generator) -> np.ndarray:
    """A sparse random 'collaboration' network, row-standardised, every unit with a tie."""
    links = (rng.uniform(size=(n, n)) < 0.03).astype(float)
    np.fill_diagonal(links, 0.0)
    for i in np.flatnonzero(links.sum(axis=1) == 0):
        links[i, (i + 7) % n] = 1.0
    return links / links.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def world() -> dict:
    return make_world()


def make_world() -> dict:
    """The seeded problem of 150 units with a geographic and a collaboration matrix."""
    rng = np.random.default_rng(20261205)
    points = pd.DataFrame(rng.uniform(size=(N, 2)), columns=["e", "n"])
    geo = knn(points, 5).row_standardize()
    collab = SpatialWeights.from_sparse(sp.csr_array(_collaboration(N, rng)), ids=geo.ids)
    x = rng.normal(size=(N, 2))
    w_c = GAMMA[0] * geo.sparse.toarray() + GAMMA[1] * collab.sparse.toarray()
    xb = 1.0 + x @ np.array([1.0, -1.0])
    y = np.linalg.solve(np.eye(N) - RHO * w_c, xb + 0.5 * (w_c @ x[:, 0]) + rng.normal(size=N))
    data = pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1]}, index=geo.ids)
    return {"data": data, "geo": geo, "collab": collab}


def _dense(world: dict) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    data = world["data"]
    x = np.column_stack([np.ones(N), data[["x1", "x2"]].to_numpy()])
    return (
        data["y"].to_numpy(),
        x,
        [world["geo"].sparse.toarray(), world["collab"].sparse.toarray()],
    )


def _design(x: np.ndarray, w_c: np.ndarray, durbin: bool) -> np.ndarray:
    return np.column_stack([x, w_c @ x[:, 1:]]) if durbin else x


def _profile(y, x, ws, rho, gamma, *, kind="lag", durbin=False):
    """Dense concentrated log-likelihood and its beta, sigma^2 (written independently)."""
    w_c = gamma * ws[0] + (1 - gamma) * ws[1]
    a = np.eye(N) - rho * w_c
    z = _design(x, w_c, durbin)
    if kind == "lag":
        target, regressors = a @ y, z
    else:
        target, regressors = a @ y, a @ z
    beta = np.linalg.solve(regressors.T @ regressors, regressors.T @ target)
    e = target - regressors @ beta
    sigma2 = e @ e / N
    value = -N / 2 * (np.log(2 * np.pi) + 1 + np.log(sigma2)) + np.linalg.slogdet(a)[1]
    return value, beta, sigma2


def _brute_force(y, x, ws, *, kind="lag", durbin=False) -> np.ndarray:
    """Grid over (rho, gamma_geo), then a Nelder-Mead polish."""
    grid = [(r, g) for r in np.linspace(-0.9, 0.95, 38) for g in np.linspace(0.0, 1.0, 21)]
    values = [_profile(y, x, ws, r, g, kind=kind, durbin=durbin)[0] for r, g in grid]
    start = np.array(grid[int(np.argmax(values))])

    def minus(p: np.ndarray) -> float:
        if not (-1 < p[0] < 1 and 0 <= p[1] <= 1):
            return 1e10
        return -_profile(y, x, ws, p[0], p[1], kind=kind, durbin=durbin)[0]

    found = scipy.optimize.minimize(
        minus,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-11, "fatol": 1e-13, "maxiter": 4000},
    )
    return found.x


def _fit(model, world, **kwargs):
    w = {"geo": world["geo"], "collab": world["collab"]}
    formula = "y ~ x1 + x2"
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return model.from_formula(formula, world["data"], w, **kwargs.pop("spec", {})).fit(**kwargs)


@pytest.mark.parametrize(
    ("model", "kind", "durbin"), [(SAR, "lag", False), (SDM, "lag", True), (SEM, "error", False)]
)
def test_convex_combination_matches_a_brute_force_maximisation(world, model, kind, durbin):
    y, x, ws = _dense(world)
    rho, gamma = _brute_force(y, x, ws, kind=kind, durbin=durbin)
    _, beta, sigma2 = _profile(y, x, ws, rho, gamma, kind=kind, durbin=durbin)
    res = _fit(model, world)
    parameter = "rho" if kind == "lag" else "lambda"
    # 1e-6: the agreement asked for; both maxima are polished far below it (Nelder-Mead xatol 1e-11)
    np.testing.assert_allclose(res.params[parameter], rho, rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.params["gamma_geo"], gamma, rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.params["gamma_collab"], 1 - gamma, rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.params.iloc[: beta.size], beta, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.sigma2, sigma2, rtol=1e-6)
    assert res.record.converged


def _full_loglik(y, x, ws, p, *, durbin=False):
    """Dense log-likelihood of SAR/SDM at (beta, rho, gamma_geo, sigma^2)."""
    k = x.shape[1] + (x.shape[1] - 1 if durbin else 0)
    beta, rho, gamma, sigma2 = p[:k], p[k], p[k + 1], p[k + 2]
    w_c = gamma * ws[0] + (1 - gamma) * ws[1]
    a = np.eye(N) - rho * w_c
    e = a @ y - _design(x, w_c, durbin) @ beta
    return -N / 2 * np.log(2 * np.pi * sigma2) + np.linalg.slogdet(a)[1] - e @ e / (2 * sigma2)


def _numerical_hessian(f, p, step=1e-4):
    k = p.size
    out = np.empty((k, k))
    h = step * np.maximum(1.0, np.abs(p))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            out[i, j] = out[j, i] = (
                f(p + ei + ej) - f(p + ei - ej) - f(p - ei + ej) + f(p - ei - ej)
            ) / (4 * h[i] * h[j])
    return out


@pytest.mark.parametrize(("model", "durbin"), [(SAR, False), (SDM, True)])
def test_hessian_standard_errors_match_a_numerical_hessian(world, model, durbin):
    y, x, ws = _dense(world)
    res = _fit(model, world, cov="hessian")
    k = len(res.params) - 3
    point = np.concatenate(
        [res.params.iloc[:k], [res.params["rho"], res.params["gamma_geo"], res.sigma2]]
    )
    hessian = _numerical_hessian(lambda p: _full_loglik(y, x, ws, p, durbin=durbin), point)
    se = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    names = list(res.params.index[:k]) + ["rho", "gamma_geo"]
    # 1e-4 relative: the tolerance asked for; the reference's O(h^2) differencing error is ~1e-7
    np.testing.assert_allclose(res.std_errors[names], se[:-1], rtol=1e-4)
    np.testing.assert_allclose(res.std_errors["gamma_collab"], se[-2], rtol=1e-4)


def test_information_matrix_matches_the_gaussian_formula(world):
    """``mu_j' Sigma^-1 mu_k + tr(Sigma^-1 Sigma_j Sigma^-1 Sigma_k)/2`` with numerical
    derivatives of ``mu = A^-1 X beta`` and ``Sigma = sigma^2 (A'A)^-1``."""
    _, x, ws = _dense(world)
    res = _fit(SAR, world)
    k = x.shape[1]
    point = np.concatenate(
        [res.params.iloc[:k], [res.params["rho"], res.params["gamma_geo"], res.sigma2]]
    )

    def moments(p):
        beta, rho, gamma, sigma2 = p[:k], p[k], p[k + 1], p[k + 2]
        a_inv = np.linalg.inv(np.eye(N) - rho * (gamma * ws[0] + (1 - gamma) * ws[1]))
        return a_inv @ x @ beta, sigma2 * a_inv @ a_inv.T

    _, sigma = moments(point)
    sigma_inv = np.linalg.inv(sigma)
    derivatives = []
    for j in range(point.size):
        h = 1e-6 * max(1.0, abs(point[j]))
        up, down = (
            moments(point + h * np.eye(point.size)[j]),
            moments(point - h * np.eye(point.size)[j]),
        )
        derivatives.append(((up[0] - down[0]) / (2 * h), (up[1] - down[1]) / (2 * h)))
    info = np.array(
        [
            [
                dm_i @ sigma_inv @ dm_j + 0.5 * np.trace(sigma_inv @ ds_i @ sigma_inv @ ds_j)
                for dm_j, ds_j in derivatives
            ]
            for dm_i, ds_i in derivatives
        ]
    )
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    names = list(res.params.index[:k]) + ["rho", "gamma_geo"]
    # 1e-6: central differences with step 1e-6 leave ~1e-9; the analytic matrix is exact
    np.testing.assert_allclose(res.std_errors[names], se[:-1], rtol=1e-6)
    np.testing.assert_allclose(res.sigma2_se, se[-1], rtol=1e-6)


def test_separate_lags_match_a_brute_force_maximisation(world):
    y, x, ws = _dense(world)

    def minus(p):
        if np.sum(np.abs(p)) >= 1:
            return 1e10
        a = np.eye(N) - p[0] * ws[0] - p[1] * ws[1]
        beta = np.linalg.lstsq(x, a @ y, rcond=None)[0]
        e = a @ y - x @ beta
        return N / 2 * np.log(e @ e / N) - np.linalg.slogdet(a)[1]

    grid = [(a, b) for a in np.linspace(-0.9, 0.9, 19) for b in np.linspace(-0.9, 0.9, 19)]
    start = min(grid, key=lambda p: minus(np.array(p)))
    found = scipy.optimize.minimize(
        minus,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-11, "fatol": 1e-13, "maxiter": 4000},
    ).x
    res = _fit(SAR, world, spec={"combine": "separate"})
    # 1e-6 as for the convex combination
    np.testing.assert_allclose(res.params[["rho_geo", "rho_collab"]], found, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("vertex", "alone"), [("gamma_geo", "geo"), ("gamma_collab", "collab")])
def test_the_fit_at_a_vertex_is_the_single_matrix_model(world, vertex, alone):
    res = _fit(SDM, world, fixed={vertex: 1.0})
    single = SDM.from_formula("y ~ x1 + x2", world["data"], world[alone]).fit()
    names = list(single.params.index)
    # 1e-7: two searches polished to their score roots (|score| < 1e-8) on the same likelihood
    np.testing.assert_allclose(res.params[names], single.params[names], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(res.loglik, single.loglik, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(res.std_errors["rho"], single.std_errors["rho"], rtol=1e-6)
    assert res.params[vertex] == 1.0
    assert res.cov.loc[vertex, vertex] == 0.0 and np.isnan(res.std_errors[vertex])  # fixed
    assert res.record.converged
    full = _fit(SDM, world)
    table = full.vertex_tests
    # the restricted fits inside the vertex tests are the same single-matrix models
    np.testing.assert_allclose(
        table.loc[alone, "loglik_alone"], single.loglik, rtol=1e-12, atol=1e-9
    )
    lr = 2 * (full.loglik - single.loglik)
    np.testing.assert_allclose(table.loc[alone, "LR"], lr, rtol=1e-9)
    # two matrices: a 50:50 mixture of 0 and chi^2_1 (rtol as the LR statistic's)
    np.testing.assert_allclose(
        table.loc[alone, "pvalue"], 0.5 * scipy.stats.chi2.sf(lr, 1), rtol=1e-9
    )


def test_impacts_by_channel_match_dense_multipliers(world):
    res = _fit(SDM, world)
    _, _, ws = _dense(world)
    rho, g = res.params["rho"], res.params[["gamma_geo", "gamma_collab"]].to_numpy()
    w_c = g[0] * ws[0] + g[1] * ws[1]
    a_inv = np.linalg.inv(np.eye(N) - rho * w_c)
    impacts = res.impacts(inference=None)
    for name in ("x1", "x2"):
        beta, theta = res.params[name], res.params["W_" + name]
        s = a_inv @ (beta * np.eye(N) + theta * w_c)
        direct, total = np.trace(s) / N, s.sum() / N
        # 1e-10: below 400 units the package's traces come from a dense inverse too
        np.testing.assert_allclose(impacts.estimates.loc[name, "direct"], direct, rtol=1e-10)
        np.testing.assert_allclose(impacts.estimates.loc[name, "total"], total, rtol=1e-10)
        for m, channel in enumerate(("geo", "collab")):
            part = g[m] * (rho * beta + theta) * (a_inv @ ws[m])
            off = (part.sum() - np.trace(part)) / N
            np.testing.assert_allclose(impacts.channels.loc[name, channel], off, rtol=1e-10)
    np.testing.assert_allclose(
        impacts.channels.sum(axis=1), impacts.estimates["indirect"], rtol=1e-12
    )


def test_impacts_traces_from_factorisations_equal_the_dense_ones(world, monkeypatch):
    from naeringsmiljo.inference import channels

    res = _fit(SDM, world)
    dense = res.impacts(inference=None)
    monkeypatch.setattr(channels, "DENSE_IMPACTS_LIMIT", 0)
    sparse = res.impacts(inference=None)
    # 1e-9: the traces from central differences of the log-determinant carry about 1e-10
    pd.testing.assert_frame_equal(dense.estimates, sparse.estimates, rtol=1e-9)
    pd.testing.assert_frame_equal(dense.channels, sparse.channels, rtol=1e-9)


def test_impacts_inference_is_seeded_and_keeps_the_mix_on_the_simplex(world):
    res = _fit(SAR, world)
    draws = res.parameter_draws(200, seed=3)
    names = list(res.params.index)
    mix = draws[:, [names.index("gamma_geo"), names.index("gamma_collab")]]
    np.testing.assert_allclose(mix.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    first = res.impacts(draws=200, seed=3)
    again = res.impacts(draws=200, seed=3)
    pd.testing.assert_frame_equal(first.std_errors, again.std_errors)
    assert first.channel_std_errors is not None
    assert (first.std_errors.to_numpy() > 0).all()


def test_gmm_of_separate_lags_is_a_two_stage_least_squares(world):
    y, x, ws = _dense(world)
    xb = x[:, 1:]
    h = np.column_stack([x, ws[0] @ xb, ws[1] @ xb] + [wa @ wb @ xb for wa in ws for wb in ws])
    z = np.column_stack([x, ws[0] @ y, ws[1] @ y])
    p = h @ np.linalg.solve(h.T @ h, h.T)
    delta = np.linalg.solve(z.T @ p @ z, z.T @ p @ y)
    res = SAR.from_formula(
        "y ~ x1 + x2",
        world["data"],
        {"geo": world["geo"], "collab": world["collab"]},
        combine="separate",
    ).fit(method="gmm")
    # 1e-9: the same closed-form estimator, different linear algebra
    np.testing.assert_allclose(res.params.to_numpy(), delta, rtol=1e-9)
    convex = SAR.from_formula(
        "y ~ x1 + x2", world["data"], {"geo": world["geo"], "collab": world["collab"]}
    ).fit(method="gmm")
    np.testing.assert_allclose(convex.params["rho"], delta[-2:].sum(), rtol=1e-9)
    np.testing.assert_allclose(convex.params["gamma_geo"], delta[-2] / delta[-2:].sum(), rtol=1e-9)


# ---------------------------------------------------------------------------- chi-bar-square
def _simulated_weights(cov: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """Share of draws whose projection onto the orthant (in the V^-1 metric) has i free
    coordinates: ``min ||R(x - z)||, x >= 0`` with ``V^-1 = R'R``, by NNLS."""
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(cov.shape[0]), cov, size=draws)
    r = np.linalg.cholesky(np.linalg.inv(cov)).T
    counts = np.zeros(cov.shape[0] + 1)
    for row in z:
        x, _ = scipy.optimize.nnls(r, r @ row)
        counts[int(np.sum(x > 1e-12))] += 1
    return counts / draws


@pytest.mark.parametrize(
    "cov",
    [
        np.array([[1.0, 0.6], [0.6, 2.0]]),
        np.array([[1.0, -0.7], [-0.7, 1.0]]),
        np.array([[1.0, 0.3, -0.2], [0.3, 1.5, 0.4], [-0.2, 0.4, 0.8]]),
    ],
)
def test_chi_bar_square_weights_match_simulated_projections(cov):
    weights = chi_bar_square_weights(cov)
    np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-12)
    draws = 20_000
    simulated = _simulated_weights(cov, draws, seed=11)
    # four binomial standard errors at 20,000 draws (~0.013 at w = 0.5)
    band = 4 * np.sqrt(weights * (1 - weights) / draws) + 1e-12
    assert np.all(np.abs(simulated - weights) <= band), (simulated, weights)


def test_chi_bar_square_with_one_constraint_is_the_half_mixture():
    np.testing.assert_allclose(chi_bar_square_weights(np.array([[2.5]])), [0.5, 0.5], rtol=1e-15)
    np.testing.assert_allclose(
        chi_bar_square_pvalue(3.0, np.array([[2.5]])), 0.5 * scipy.stats.chi2.sf(3.0, 1), rtol=1e-14
    )
    assert chi_bar_square_pvalue(0.0, np.array([[1.0]])) == 1.0


# ---------------------------------------------------------------------------- bad input
def test_matrices_with_other_ids_are_an_error_naming_the_matrix(world):
    other = SpatialWeights.from_sparse(world["collab"].sparse, ids=[f"u{i}" for i in range(N)])
    with pytest.raises(IdMismatchError, match=r"w\[collab\]"):
        SAR.from_formula("y ~ x1", world["data"], {"geo": world["geo"], "collab": other})


def test_a_matrix_not_row_standardised_is_named(world):
    binary = world["geo"].binary()
    with pytest.raises(WeightsError, match=r"w\['collab'\] is not row-standardised"):
        SAR.from_formula("y ~ x1", world["data"], {"geo": world["geo"], "collab": binary})


def test_one_matrix_given_twice_is_an_error(world):
    with pytest.raises(WeightsError, match="same matrix"):
        SAR.from_formula("y ~ x1", world["data"], {"geo": world["geo"], "again": world["geo"]})


@pytest.mark.parametrize("value", [-0.1, 1.2])
def test_a_mix_fixed_outside_the_simplex_is_an_error(world, value):
    with pytest.raises(ParameterSpaceError, match="simplex"):
        _fit(SAR, world, fixed={"gamma_geo": value})


def test_number_names_and_options_of_the_matrices_are_checked(world):
    data, geo = world["data"], world["geo"]
    with pytest.raises(WeightsError, match="2 to 4"):
        SAR.from_formula("y ~ x1", data, {"geo": geo})
    with pytest.raises(WeightsError, match="identifiers"):
        SAR.from_formula("y ~ x1", data, {"a b": geo, "collab": world["collab"]})
    with pytest.raises(ValueError, match="combine="):
        SAR.from_formula("y ~ x1", data, geo, combine="separate")
    with pytest.raises(ValueError, match="combine=.* is not one of 'convex', 'separate'"):
        SAR.from_formula("y ~ x1", data, {"geo": geo, "collab": world["collab"]}, combine="mixed")
    from naeringsmiljo import SAC

    with pytest.raises(ValueError, match="w_error="):
        SAC.from_formula("y ~ x1", data, {"geo": geo, "collab": world["collab"]})
    model = SEM.from_formula("y ~ x1", data, {"geo": geo, "collab": world["collab"]})
    with pytest.raises(ValueError, match="method='ml'"):
        model.fit(method="gmm")
    with pytest.raises(ValueError, match="logdet"):
        model.fit(logdet="chebyshev")


def test_sac_with_a_combined_lag_at_a_vertex_is_the_one_matrix_sac(world):
    """The general likelihood with an error term: SAC whose lag combines the matrices, at the
    vertex of geography, against the one-matrix SAC (its own search and information matrix)."""
    from naeringsmiljo import SAC

    w = {"geo": world["geo"], "collab": world["collab"]}
    model = SAC.from_formula("y ~ x1 + x2", world["data"], w, w_error=world["collab"])
    res = model.fit(fixed={"gamma_geo": 1.0})
    single = SAC.from_formula(
        "y ~ x1 + x2", world["data"], world["geo"], w_error=world["collab"]
    ).fit()
    names = list(single.params.index)
    # 1e-6: two different searches (SLSQP here, a two-parameter Brent/Newton there) on the
    # same likelihood, each polished to its score root
    np.testing.assert_allclose(res.params[names], single.params[names], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(res.loglik, single.loglik, rtol=1e-10)
    # the analytic information matrices of the two paths (dense), written independently
    np.testing.assert_allclose(res.std_errors[names], single.std_errors[names], rtol=1e-5)
    free = model.fit()
    assert free.loglik >= res.loglik - 1e-9


def test_slx_with_several_matrices_lags_x_with_each_and_splits_its_impacts(world):
    from naeringsmiljo import SLX

    w = {"geo": world["geo"], "collab": world["collab"]}
    res = SLX.from_formula("y ~ x1 + x2", world["data"], w).fit()
    assert {"W_geo_x1", "W_collab_x1", "W_geo_x2", "W_collab_x2"} <= set(res.params.index)
    impacts = res.impacts(draws=200, seed=1)
    # without a lag of y the impacts are the coefficients themselves
    np.testing.assert_allclose(impacts.estimates["direct"], res.params[["x1", "x2"]], rtol=1e-14)
    np.testing.assert_allclose(
        impacts.channels["collab"], res.params[["W_collab_x1", "W_collab_x2"]], rtol=1e-14
    )


@pytest.mark.parametrize("backend", ["superlu", "pardiso"])
def test_the_sparse_information_matrix_agrees_with_the_dense_one(world, backend):
    """Hutchinson traces with the likelihood's own factorisations (SuperLU or PARDISO)."""
    from naeringsmiljo.inference.channels import channel_information
    from naeringsmiljo.likelihood.channels import CombinedLogDet
    from naeringsmiljo.weights.logdet import pardiso_available
    from tools import pardiso_platform, require

    if backend == "pardiso":
        require(pardiso_available(), "MKL PARDISO", needed_in_ci=pardiso_platform())
    res = _fit(SDM, world)
    lik = res.ml.lik
    lik.lag_logdet = CombinedLogDet(lik.lag, backend=backend)
    inference = res.ml
    dense, _ = channel_information(
        lik, inference.beta, inference.theta, inference.sigma2, path="dense"
    )
    sparse, label = channel_information(
        lik, inference.beta, inference.theta, inference.sigma2, path="sparse", probes=400, seed=5
    )
    assert "Hutchinson" in label
    se_dense = np.sqrt(np.diag(np.linalg.inv(dense)))
    se_sparse = np.sqrt(np.diag(np.linalg.inv(sparse)))
    # 5%: 400 Rademacher probes leave a Monte Carlo error of a few per cent on tr(K'K) terms
    np.testing.assert_allclose(se_sparse, se_dense, rtol=0.05)
    # the log-determinant of either backend is the dense one
    d_a, _ = lik.coefficients(inference.theta)
    _, _, ws = _dense(world)
    exact = np.linalg.slogdet(np.eye(N) - d_a[0] * ws[0] - d_a[1] * ws[1])[1]
    np.testing.assert_allclose(lik.lag_logdet.value(d_a), exact, rtol=1e-12)


def _dense_logdet_derivatives(world: dict, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``-tr(A^-1 W_m)`` and ``-tr(A^-1 W_i A^-1 W_j)`` from a dense inverse."""
    _, _, ws = _dense(world)
    a_inv = np.linalg.inv(np.eye(N) - delta[0] * ws[0] - delta[1] * ws[1])
    k = [a_inv @ w for w in ws]
    grad = -np.array([np.trace(m) for m in k])
    hess = -np.array([[np.sum(ki * kj.T) for kj in k] for ki in k])
    return grad, hess


def test_the_secant_cross_term_matches_the_dense_hessian(world):
    from naeringsmiljo.likelihood.channels import CombinedLogDet

    mats = [world["geo"].sparse, world["collab"].sparse]
    start, near = np.array([0.30, 0.20]), np.array([0.302, 0.199])
    first = CombinedLogDet(mats, backend="superlu")
    _, g0, h0 = first.value_gradient_hessian(start)
    assert first.factorisations == 6  # value, four differences, one cross term
    second = CombinedLogDet(mats, backend="superlu")
    _, grad, hess = second.value_gradient_hessian(near, previous=(start, g0, h0))
    assert second.factorisations == 5  # the cross term from the change of the gradient
    d_grad, d_hess = _dense_logdet_derivatives(world, near)
    np.testing.assert_allclose(grad, d_grad, rtol=1e-9)  # central differences: ~1e-10
    # the second differences' rounding, 4 eps |ln|A|| / h^2 (about 1e-4 here, h = 1e-5),
    # carried into the cross term by the secant; the trapezoidal rule's O(|s|^2) is smaller
    np.testing.assert_allclose(hess, d_hess, rtol=0, atol=4e-4)


def test_the_covariance_takes_the_derivatives_of_the_searchs_last_expansion(world):
    res = _fit(SAR, world)
    lik = res.ml.lik
    d_a, _ = lik.coefficients(res.ml.theta)
    count = lik.lag_logdet.factorisations
    # the search: a value at the trace series' maximiser and its expansion (1 + 5), a value at
    # the next centre and its expansion with the secant cross term (1 + 4), the last value
    assert count <= 12
    grad = lik.lag_logdet.value_and_gradient(d_a)[1]
    hess = lik.lag_logdet.known_hessian(d_a)
    assert lik.lag_logdet.factorisations == count  # no factorisation after the search
    d_grad, d_hess = _dense_logdet_derivatives(world, d_a)
    # the last expansion is within 1e-6 of the estimate: its gradient there is exact to ~1e-12
    # relative plus the central differences' 1e-10
    np.testing.assert_allclose(grad, d_grad, rtol=1e-8)
    # second differences: 4 eps |ln|A|| / h^2, about 1e-4
    np.testing.assert_allclose(hess, d_hess, rtol=0, atol=4e-4)


def test_the_lr_tests_one_matrix_fits_by_the_values_only_search_are_the_vertex_fits():
    """Above 500 units the one-matrix fits of the LR tests take the values-only search
    (SuperLU); their log-likelihood equals that of the combined model held at the vertex."""
    rng = np.random.default_rng(7)
    n = 700
    points = pd.DataFrame(rng.uniform(size=(n, 2)), columns=["e", "n"])
    geo = knn(points, 6).row_standardize()
    collab = SpatialWeights.from_sparse(sp.csr_array(_collaboration(n, rng)), ids=geo.ids)
    x = rng.normal(size=(n, 2))
    w_c = 0.6 * geo.sparse.toarray() + 0.4 * collab.sparse.toarray()
    y = np.linalg.solve(np.eye(n) - 0.5 * w_c, 1.0 + x @ np.array([1.0, -1.0]) + rng.normal(size=n))
    data = pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1]}, index=geo.ids)
    world = {"data": data, "geo": geo, "collab": collab}
    table = _fit(SAR, world).vertex_tests
    for vertex, alone in (("gamma_geo", "geo"), ("gamma_collab", "collab")):
        held = _fit(SAR, world, fixed={vertex: 1.0})
        # the values-only search locates rho to 1e-8: the log-likelihood to ~n 1e-16
        np.testing.assert_allclose(
            table.loc[alone, "loglik_alone"], held.loglik, rtol=1e-12, atol=1e-9
        )
