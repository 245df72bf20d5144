"""The shared blocks of the samplers and the posterior results class.

Each block is checked against an independent computation: the log-determinant grid against the
log-determinant methods, the griddy draw against the moments of a known density, the conjugate
draws against the closed-form posterior moments written out here with dense algebra.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import naeringsmiljo as nm
from naeringsmiljo.exceptions import MixingWarning, OptionError, PriorError, SamplerError
from naeringsmiljo.sampling import (
    Priors,
    SamplerSettings,
    griddy_draw,
    inverse_gamma_draw,
    normal_coefficients_draw,
)
from naeringsmiljo.weights.logdet import SparseLULogDet, make_logdet
from naeringsmiljo.weights.logdet.grid import logdet_grid

FORMULA = "CRIME ~ INC + HOVAL"
# Moments of seeded samples are compared within this many Monte Carlo standard errors: a
# correct sampler fails such a check with probability below 1e-4 per comparison.
MC_Z = 4.0


@pytest.fixture(scope="module")
def sar_posterior(columbus: pd.DataFrame, w_anselin: nm.SpatialWeights):
    model = nm.SAR.from_formula(FORMULA, columbus, w_anselin)
    return model.fit(method="bayes", draws=3000, burn=500, seed=7)


# ----------------------------------------------------------------------------- log-det grid
def test_grid_matches_exact_methods_and_is_cached(w_anselin: nm.SpatialWeights) -> None:
    grid = logdet_grid(w_anselin, points=200)
    lu = SparseLULogDet(w_anselin.sparse)
    picks = grid.rho[[0, 57, 120, 199]]
    exact = [lu.value(float(r)) for r in picks]
    # eigenvalues and LU are both exact: agreement to rounding of a sum of 49 logs
    np.testing.assert_allclose(grid.values[[0, 57, 120, 199]], exact, rtol=1e-10, atol=1e-10)
    assert grid.error == 0.0
    assert logdet_grid(w_anselin, points=200) is grid  # cached with the weights
    low, high = w_anselin.parameter_interval()
    assert low < grid.rho[0] < grid.rho[-1] < high


def test_grid_with_stated_error_stays_within_it() -> None:
    rng = np.random.default_rng(3)
    coords = rng.random((1200, 2))
    w = nm.SpatialWeights.from_libpysal(
        __import__("libpysal").weights.KNN.from_array(coords, k=6)
    ).row_standardize()
    grid = logdet_grid(w, points=100)  # above AUTO_EIGEN_LIMIT: spline of exact values
    assert grid.method.startswith("spline")
    exact = make_logdet(w, "lu")
    errors = [abs(exact.value(float(r)) - v) for r, v in zip(grid.rho[::9], grid.values[::9])]
    assert max(errors) <= grid.error + 1e-9


# ----------------------------------------------------------------------------- priors, options
def test_prior_covariance_not_positive_definite_is_typed() -> None:
    with pytest.raises(PriorError, match="not positive definite") as info:
        Priors(beta_cov=np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert info.value.argument == "beta_cov"
    with pytest.raises(PriorError, match="not symmetric"):
        Priors(beta_cov=np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(PriorError, match="sigma2_shape"):
        Priors(sigma2_shape=-1.0)
    with pytest.raises(PriorError, match="3 coefficients"):
        Priors(beta_cov=np.eye(2)).beta_prior(["a", "b", "c"])


def test_burn_not_smaller_than_draws_is_typed(columbus, w_anselin) -> None:
    model = nm.SAR.from_formula(FORMULA, columbus, w_anselin)
    with pytest.raises(SamplerError, match="burn-in must be smaller") as info:
        model.fit(method="bayes", draws=500, burn=500)
    assert info.value.argument == "burn"
    with pytest.raises(SamplerError, match="keep 1 draw"):
        model.fit(method="bayes", draws=600, burn=500, thin=100)
    with pytest.raises(OptionError, match="draws"):
        model.fit(method="bayes", drawz=100)
    assert SamplerSettings(draws=10, burn=2, thin=3).kept == 3


# ----------------------------------------------------------------------------- draws
def test_griddy_draw_reproduces_a_known_density() -> None:
    grid = np.linspace(-1, 1, 2001)
    kernel = stats.norm.logpdf(grid, loc=0.3, scale=0.15)  # truncation at -1, 1 negligible
    rng = np.random.default_rng(11)
    sample = np.array([griddy_draw(grid, kernel, rng) for _ in range(4000)])
    se = 0.15 / np.sqrt(sample.size)
    assert abs(sample.mean() - 0.3) < MC_Z * se
    assert stats.kstest(sample, stats.norm(0.3, 0.15).cdf).pvalue > 1e-3


def test_conjugate_normal_and_inverse_gamma_draws_match_closed_form() -> None:
    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(30), rng.normal(size=30) * 1000.0])  # badly scaled column
    y = x @ np.array([1.0, 0.002]) + rng.normal(size=30)
    prior = Priors(beta_mean=[0.5, 0.0], beta_cov=np.diag([4.0, 1e-4])).beta_prior(["a", "b"])
    sigma2 = 1.3
    precision = x.T @ x / sigma2 + np.linalg.inv(prior.cov)
    mean = np.linalg.solve(precision, x.T @ y / sigma2 + np.linalg.solve(prior.cov, prior.mean))
    cov = np.linalg.inv(precision)
    draws = np.array([normal_coefficients_draw(x, y, sigma2, prior, rng) for _ in range(4000)])
    se = np.sqrt(np.diag(cov) / draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - mean) < MC_Z * se)
    # sample variances of 4,000 normal draws: relative s.e. sqrt(2/4000) = 2.2%
    np.testing.assert_allclose(draws.var(axis=0), np.diag(cov), rtol=MC_Z * 0.023)
    ig = np.array([inverse_gamma_draw(20.0, 30, 1.0, 2.0, rng) for _ in range(4000)])
    shape, scale = 1.0 + 15.0, 2.0 + 10.0
    ig_mean, ig_sd = scale / (shape - 1), scale / ((shape - 1) * np.sqrt(shape - 2))
    assert abs(ig.mean() - ig_mean) < MC_Z * ig_sd / np.sqrt(ig.size)


# ----------------------------------------------------------------------------- results
def test_posterior_results_protocol(sar_posterior) -> None:
    res = sar_posterior
    assert isinstance(res, nm.results.base.EstimationResults)
    sample = res.sample[res.param_names]
    np.testing.assert_allclose(res.params, sample.mean(), rtol=1e-14)
    np.testing.assert_allclose(res.std_errors, sample.std(ddof=1), rtol=1e-14)
    ci = res.conf_int(0.1)
    np.testing.assert_allclose(ci["lower"], sample.quantile(0.05), rtol=1e-14)
    hpd = res.conf_int(0.1, kind="hpd")
    width = hpd["upper"] - hpd["lower"]
    assert np.all(width <= (ci["upper"] - ci["lower"]) * (1 + 1e-9))  # HPD is the shortest
    assert res.parameter_draws().shape == (2500, 4)
    assert "R-hat" in res.summary()
    frame = res.to_frame()
    assert list(frame.columns) == ["mean", "sd", "lower", "upper", "mcse", "ess_bulk", "rhat"]


def test_to_arviz_gives_the_draws_and_arviz_diagnostics(sar_posterior) -> None:
    import arviz as az

    idata = sar_posterior.to_arviz()
    rho = idata.posterior["rho"].to_numpy()
    np.testing.assert_array_equal(rho.ravel(), sar_posterior.sample["rho"].to_numpy())
    ess = float(az.ess(idata, var_names=["rho"])["rho"])
    assert ess == pytest.approx(sar_posterior.diagnostics.loc["rho", "ess_bulk"], rel=1e-12)


def test_same_seed_gives_identical_draws(columbus, w_anselin, sar_posterior) -> None:
    model = nm.SAR.from_formula(FORMULA, columbus, w_anselin)
    again = model.fit(method="bayes", draws=3000, burn=500, seed=7)
    pd.testing.assert_frame_equal(again.sample, sar_posterior.sample)
    other = model.fit(method="bayes", draws=3000, burn=500, seed=8)
    assert not np.array_equal(other.sample.to_numpy(), sar_posterior.sample.to_numpy())


def test_unmixed_chain_warns_and_says_so(sar_posterior) -> None:
    drifting = sar_posterior.sample.copy()
    drifting["rho"] = np.linspace(-0.5, 0.9, len(drifting))  # a chain that never settles
    res = replace(sar_posterior, sample=drifting)
    assert res.unmixed == ["rho"]
    with pytest.warns(MixingWarning, match="rho"):
        res.warn_if_unmixed()
    assert "not mixed" in res.summary()


def test_impacts_are_posterior_means_of_the_draws_impacts(sar_posterior, w_anselin) -> None:
    res = sar_posterior
    imp = res.impacts(draws=200, seed=1)
    draws = res.parameter_draws(200, seed=1)
    names = res.param_names
    dense = w_anselin.sparse.toarray()
    n = dense.shape[0]
    direct, total = [], []
    for row in draws:
        inverse = np.linalg.inv(np.eye(n) - row[names.index("rho")] * dense)
        beta = row[names.index("INC")]
        direct.append(beta * np.trace(inverse) / n)
        total.append(beta * inverse.sum() / n)
    assert imp.estimates.loc["INC", "direct"] == pytest.approx(np.mean(direct), rel=1e-10)
    assert imp.estimates.loc["INC", "total"] == pytest.approx(np.mean(total), rel=1e-10)
    assert imp.std_errors.loc["INC", "total"] == pytest.approx(np.std(total, ddof=1), rel=1e-10)
    assert "the posterior" in imp.summary()


def test_fit_warns_when_rhat_above_threshold(columbus, w_anselin) -> None:
    model = nm.SAR.from_formula(FORMULA, columbus, w_anselin)
    with pytest.warns(MixingWarning):
        res = model.fit(method="bayes", draws=60, burn=10, seed=1, rhat_threshold=1.0)
    assert not res.record.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixingWarning)
        model.fit(method="bayes", draws=60, burn=10, seed=1, rhat_threshold=10.0)


def test_chains_run_on_independent_streams(columbus, w_anselin) -> None:
    model = nm.SEM.from_formula(FORMULA, columbus, w_anselin)
    res = model.fit(method="bayes", draws=800, burn=200, seed=3, chains=2, rhat_threshold=1.1)
    assert res.n_chains == 2
    assert res.to_arviz().posterior.sizes["chain"] == 2
    first, second = (res.sample.xs(c, level="chain")["lambda"].to_numpy() for c in (0, 1))
    assert not np.array_equal(first, second)
    with pytest.raises(nm.exceptions.InputTypeError, match="Priors"):
        model.fit(method="bayes", priors={"rho_a": 2.0})


def test_regression_table_takes_a_posterior_beside_ml(columbus, w_anselin, sar_posterior) -> None:
    ml = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit()
    table = nm.regression_table([ml, sar_posterior])
    assert f"({sar_posterior.std_errors['rho']:.3f})" in table
    # tail probability: twice the posterior mass beyond zero
    tail = sar_posterior.pvalues["INC"]
    share = float((sar_posterior.sample["INC"] > 0).mean())
    assert tail == pytest.approx(2 * min(share, 1 - share), abs=1e-15)
