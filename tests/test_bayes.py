"""Bayesian SAR, SDM, SEM, SDEM and SAC against exact quadrature of their posteriors and R's
spatialreg samplers, and the log-marginal likelihoods against an independent quadrature.

References:

* exact posterior means by Gauss-Legendre quadrature written here with dense algebra (numpy
  eigenvalues and least squares, nothing of the package): with the flat prior on beta and
  1/sigma^2 on sigma^2 they integrate out, and E[beta | y] = int b(rho) p(rho | y) drho;
* R ``spatialreg::spBreg_lag/spBreg_err`` (``tests/reference/r/generate_columbus_bayes.R``,
  100,000 draws) with their effective priors matched (see ``R_*_PRIORS``);
* ML (with flat priors and a large sample the posterior mean approaches the MLE).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import naeringsmiljo as nm
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.sampling import Priors

FORMULA = "CRIME ~ INC + HOVAL"
REFERENCE = Path(__file__).parent / "reference" / "r" / "columbus_bayes.json"
# A posterior mean agrees with a reference when within this many Monte Carlo standard errors
# (batch means; both chains' errors combined for R) plus this fraction of the posterior s.d.
# (the griddy draw's discretisation and R's draw at the lower grid point).
MC_Z = 4.0
SD_FRACTION = 0.01
DRAWS, BURN = 6000, 1000
# spatialreg 1.2-6 adds dbeta(rho, 1.01, 1.01), the Beta density of rho itself (zero below 0),
# to rho's log kernel in spBreg_lag: the effective prior is exp(dbeta(rho, 1.01, 1.01)).
R_LAG_PRIORS = Priors(rho_log_density=lambda r: stats.beta.pdf(r, 1.01, 1.01))
# spBreg_err adds no prior term for lambda: uniform.
R_ERROR_PRIORS = Priors(rho_a=1.0)


def batch_mcse(x: np.ndarray, batches: int = 50) -> float:
    """Monte Carlo standard error of the mean of a chain by batch means."""
    size = len(x) // batches
    means = np.asarray(x[: size * batches]).reshape(batches, size).mean(axis=1)
    return float(means.std(ddof=1) / np.sqrt(batches))


def assert_posterior_mean(res, name: str, reference: float, reference_mcse: float = 0.0) -> None:
    draws = res.sample[name].to_numpy()
    mcse = np.hypot(batch_mcse(draws), reference_mcse)
    tolerance = MC_Z * mcse + SD_FRACTION * draws.std(ddof=1)
    assert abs(draws.mean() - reference) <= tolerance, (name, draws.mean(), reference, tolerance)


# ----------------------------------------------------------------------------- quadrature
def gauss_legendre(low: float, high: float, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    t, w = np.polynomial.legendre.leggauss(nodes)
    return 0.5 * (high - low) * t + 0.5 * (high + low), 0.5 * (high - low) * w


def beta_log_prior(values: np.ndarray, low: float, high: float, a: float) -> np.ndarray:
    return stats.beta.logpdf((values - low) / (high - low), a, a) - np.log(high - low)


def regression(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Least-squares coefficients, residual sum of squares and ln|X'X| (dense numpy)."""
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    return coef, float(resid @ resid), float(np.linalg.slogdet(x.T @ x)[1])


def columbus_arrays(columbus, w, durbin: bool):
    model = (nm.SDM if durbin else nm.SAR).from_formula(FORMULA, columbus, w)
    spec = model.spec
    return spec.y, spec.x, w.sparse.toarray()


def exact_posterior_means(y, x, dense_w, kind: str, a: float = 1.01, nodes: int = 400):
    """Posterior means of (beta, rho or lambda) of SAR or SEM by quadrature of the marginal
    posterior of the spatial parameter (flat beta, 1/sigma^2, Beta(a, a) on the interval)."""
    n, k = x.shape
    omega = np.linalg.eigvals(dense_w)
    low, high = 1 / omega.real.min(), 1 / omega.real.max()
    nodes_, weights = gauss_legendre(low, high, nodes)
    log_post, coefs = [], []
    for t in nodes_:
        a_t = np.eye(n) - t * dense_w
        xs = a_t @ x if kind == "error" else x
        coef, ssr, logdet_xx = regression(a_t @ y, xs)
        logdet = float(np.sum(np.log(np.abs(1 - t * omega))))
        log_post.append(logdet - 0.5 * (n - k) * np.log(ssr) - (0.5 * logdet_xx if kind == "error" else 0.0))
        coefs.append(coef)
    log_post = np.array(log_post) + beta_log_prior(nodes_, low, high, a)
    p = np.exp(log_post - log_post.max()) * weights
    p /= p.sum()
    return np.array(coefs).T @ p, float(nodes_ @ p)


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())["models"]


# ----------------------------------------------------------------------------- exact posterior
@pytest.mark.parametrize("model_name", ["SAR", "SEM"])
def test_posterior_means_match_exact_quadrature(columbus, w_anselin, model_name) -> None:
    model = getattr(nm, model_name).from_formula(FORMULA, columbus, w_anselin)
    res = model.fit(method="bayes", draws=DRAWS, burn=BURN, seed=3)
    y, x, dense = columbus_arrays(columbus, w_anselin, durbin=False)
    kind = "y" if model_name == "SAR" else "error"
    beta, spatial = exact_posterior_means(y, x, dense, kind)
    for name, value in zip(model.spec.exog_names, beta):
        assert_posterior_mean(res, name, value)
    assert_posterior_mean(res, "rho" if kind == "y" else "lambda", spatial)


def sac_quadrature(y, x, dense, *, profile: bool, nodes: int = 120) -> dict[str, float]:
    """Posterior means of SAC by two-dimensional Gauss-Legendre quadrature.

    ``profile=False``: the posterior with flat beta, 1/sigma^2 and Beta(1.01, 1.01) priors,
    ``|A||B| |X*'X*|^{-1/2} S^{-(n-k)/2} p(rho) p(lambda)``. ``profile=True``: the distribution
    R's spBreg_sac samples, ``|A||B| S^{-n/2}`` on (-1, 1)^2 with no prior term (its
    Metropolis-Hastings kernels put beta at its least-squares value and draw sigma^2 from that
    S); its beta draws are normal around the least-squares value.
    """
    n, k = x.shape
    omega = np.linalg.eigvals(dense)
    low, high = 1 / omega.real.min(), 1 / omega.real.max()
    if profile:
        low, high = max(low, -1.0), min(high, 1.0)
    nodes_, weights = gauss_legendre(low, high, nodes)
    logdet = np.array([np.sum(np.log(np.abs(1 - t * omega))) for t in nodes_])
    prior = np.zeros(nodes) if profile else beta_log_prior(nodes_, low, high, 1.01)
    log_post = np.empty((nodes, nodes))  # [rho, lambda]
    coefs = np.empty((nodes, nodes, k))
    wy = dense @ y
    for j, lam in enumerate(nodes_):
        b = np.eye(n) - lam * dense
        xs = b @ x
        # the residual and coefficients of B(y - rho W y) on B X are affine in rho
        c0, _, logdet_xx = regression(b @ y, xs)
        c1, *_ = np.linalg.lstsq(xs, b @ wy, rcond=None)
        e0, e1 = b @ y - xs @ c0, b @ wy - xs @ c1
        ssr = np.sum((e0[None, :] - nodes_[:, None] * e1[None, :]) ** 2, axis=1)
        if profile:
            log_post[:, j] = -0.5 * n * np.log(ssr)
        else:
            log_post[:, j] = -0.5 * logdet_xx - 0.5 * (n - k) * np.log(ssr)
        coefs[:, j] = c0[None, :] - nodes_[:, None] * c1[None, :]
    log_post += logdet[:, None] + logdet[None, :] + prior[:, None] + prior[None, :]
    p = np.exp(log_post - log_post.max()) * weights[:, None] * weights[None, :]
    p /= p.sum()
    means = {"rho": float(nodes_ @ p.sum(axis=1)), "lambda": float(nodes_ @ p.sum(axis=0))}
    for m in range(k):
        means[str(m)] = float(np.sum(coefs[:, :, m] * p))
    return means


def test_sac_posterior_means_match_two_dimensional_quadrature(columbus, w_anselin) -> None:
    model = nm.SAC.from_formula(FORMULA, columbus, w_anselin)
    res = model.fit(method="bayes", draws=DRAWS, burn=BURN, seed=4)
    y, x, dense = columbus_arrays(columbus, w_anselin, durbin=False)
    exact = sac_quadrature(y, x, dense, profile=False)
    assert_posterior_mean(res, "rho", exact["rho"])
    assert_posterior_mean(res, "lambda", exact["lambda"])
    for m, name in enumerate(model.spec.exog_names):
        assert_posterior_mean(res, name, exact[str(m)])


def test_slx_posterior_is_the_conjugate_student_t(columbus, w_anselin) -> None:
    """Without a spatial parameter the flat/1/sigma^2 posterior of beta is Student t with n - k
    degrees of freedom around OLS, variance (n-k)/(n-k-2) s^2 (X'X)^{-1} (Zellner 1971, s. 3.2)."""
    model = nm.SLX.from_formula(FORMULA, columbus, w_anselin)
    res = model.fit(method="bayes", draws=DRAWS, burn=BURN, seed=6)
    x, y = model.spec.x, model.spec.y
    n, k = x.shape
    coef, ssr, _ = regression(y, x)
    cov = (ssr / (n - k)) * np.linalg.inv(x.T @ x) * (n - k) / (n - k - 2)
    for j, name in enumerate(model.spec.exog_names):
        assert_posterior_mean(res, name, coef[j])
    # sample s.d. of ~5,000 nearly independent draws: relative s.e. about 1%
    np.testing.assert_allclose(res.std_errors, np.sqrt(np.diag(cov)), rtol=MC_Z * 0.012)


def test_convex_combination_posterior_matches_two_dimensional_quadrature() -> None:
    """SAR with rho (gamma W_geo + (1 - gamma) W_collab) y: posterior means against quadrature
    over (rho, gamma) with dense log-determinants (flat beta, 1/sigma^2, Beta(1.01, 1.01) on
    rho in (-1, 1), gamma uniform)."""
    from naeringsmiljo.weights.builders import knn

    n = 120
    rng = np.random.default_rng(20261205)
    points = pd.DataFrame(rng.uniform(size=(n, 2)), columns=["e", "n"])
    geo = knn(points, 5).row_standardize()
    links = (rng.uniform(size=(n, n)) < 0.03).astype(float)
    np.fill_diagonal(links, 0.0)
    for i in np.flatnonzero(links.sum(axis=1) == 0):
        links[i, (i + 7) % n] = 1.0
    collab = nm.SpatialWeights.from_sparse(
        __import__("scipy.sparse").sparse.csr_array(links / links.sum(axis=1, keepdims=True)),
        ids=geo.ids,
    )
    dense = [geo.sparse.toarray(), collab.sparse.toarray()]
    x = rng.normal(size=(n, 2))
    w_c = 0.6 * dense[0] + 0.4 * dense[1]
    y = np.linalg.solve(np.eye(n) - 0.5 * w_c, 1.0 + x @ [1.0, -1.0] + rng.normal(size=n))
    frame = pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1]}, index=geo.ids)
    model = nm.SAR.from_formula("y ~ x1 + x2", frame, {"geo": geo, "collab": collab})
    res = model.fit(method="bayes", draws=3500, burn=500, seed=2)
    design = model.spec.x
    k = design.shape[1]
    rhos, rho_weights = gauss_legendre(-1.0, 1.0, 40)
    gammas, gamma_weights = gauss_legendre(0.0, 1.0, 24)
    log_post = np.empty((rhos.size, gammas.size))
    coefs = np.empty((rhos.size, gammas.size, k))
    for j, g in enumerate(gammas):
        mix = g * dense[0] + (1 - g) * dense[1]
        for i, r in enumerate(rhos):
            a = np.eye(n) - r * mix
            coef, ssr, _ = regression(a @ y, design)
            log_post[i, j] = np.linalg.slogdet(a)[1] - 0.5 * (n - k) * np.log(ssr)
            coefs[i, j] = coef
    log_post += beta_log_prior(rhos, -1.0, 1.0, 1.01)[:, None]
    p = np.exp(log_post - log_post.max()) * rho_weights[:, None] * gamma_weights[None, :]
    p /= p.sum()
    assert_posterior_mean(res, "rho", float(rhos @ p.sum(axis=1)))
    assert_posterior_mean(res, "gamma_geo", float(gammas @ p.sum(axis=0)))
    for m, name in enumerate(model.spec.exog_names):
        assert_posterior_mean(res, name, float(np.sum(coefs[:, :, m] * p)))
    # impacts at the posterior means against the dense multiplier
    imp = res.impacts(draws=100, seed=1)
    post = res.params
    a_inv = np.linalg.inv(
        np.eye(n) - post["rho"] * (post["gamma_geo"] * dense[0] + post["gamma_collab"] * dense[1])
    )
    np.testing.assert_allclose(
        imp.estimates.loc["x1", ["direct", "total"]],
        [post["x1"] * np.trace(a_inv) / n, post["x1"] * a_inv.sum() / n],
        rtol=1e-10,
    )
    np.testing.assert_allclose(imp.channels.sum(axis=1), imp.estimates["indirect"], rtol=1e-10)
    assert imp.std_errors is not None and imp.draws == 100


# ----------------------------------------------------------------------------- R spatialreg
@pytest.mark.parametrize(
    ("model_name", "priors"),
    [("SAR", R_LAG_PRIORS), ("SDM", R_LAG_PRIORS), ("SEM", R_ERROR_PRIORS), ("SDEM", R_ERROR_PRIORS)],
)
def test_posterior_means_match_spatialreg(columbus, w_anselin, reference, model_name, priors) -> None:
    model = getattr(nm, model_name).from_formula(FORMULA, columbus, w_anselin)
    res = model.fit(method="bayes", draws=DRAWS, burn=BURN, seed=5, priors=priors)
    expected = reference[model_name]["posterior"]
    error_model = "lambda" in res.param_names
    # sigma2 of spBreg_err is checked separately (test_spatialreg_error_sigma2_filters_twice)
    for name in res.param_names + ([] if error_model else ["sigma2"]):
        ref = expected[name]
        assert_posterior_mean(res, name, ref["mean"], ref["mcse"])


@pytest.mark.parametrize("model_name", ["SEM", "SDEM"])
def test_spatialreg_error_sigma2_filters_twice(columbus, w_anselin, reference, model_name) -> None:
    """spBreg_err 1.2-6 draws sigma^2 from ||(I - lambda W) e||^2 with e = (I - lambda W)(y - X
    beta) already filtered: (I - lambda W) is applied twice, so its sigma^2 is about 8% too large
    on Columbus (and its beta draws, whose variance is sigma^2 (X*'X*)^{-1}, about 4% too spread).
    Our draws of (beta, lambda) put into that rule, E[d] / (n - 2) with E[1/chi^2_n] =
    1/(n - 2), reproduce R's mean; 2% allows for the wider spread of R's own beta draws (which
    adds about k/n of 8% to E[d]) and Monte Carlo error."""
    model = getattr(nm, model_name).from_formula(FORMULA, columbus, w_anselin)
    res = model.fit(method="bayes", draws=DRAWS, burn=BURN, seed=5, priors=R_ERROR_PRIORS)
    x, y = model.spec.x, model.spec.y
    w = w_anselin.sparse
    beta = res.sample[model.spec.exog_names].to_numpy()
    lam = res.sample["lambda"].to_numpy()[:, None]
    u = y[None, :] - beta @ x.T
    e = u - lam * (w @ u.T).T
    twice = e - lam * (w @ e.T).T
    reconstructed = float(np.mean(np.sum(twice**2, axis=1))) / (len(y) - 2)
    r_sigma2 = reference[model_name]["posterior"]["sigma2"]["mean"]
    assert reconstructed == pytest.approx(r_sigma2, rel=0.02)
    assert res.sigma2 < 0.95 * r_sigma2  # the posterior's sigma^2 is not R's


def test_spatialreg_sac_samples_nearly_the_profile_not_the_posterior(
    columbus, w_anselin, reference
) -> None:
    """spBreg_sac 1.2-6 puts beta at its least-squares value in the Metropolis-Hastings kernels
    of rho and lambda and has no prior term: it samples (nearly) the profile |A||B| S^{-n/2},
    not the posterior |A||B| |X*'X*|^{-1/2} S^{-(n-k)/2}. On Columbus R's means lie within 0.1
    s.d. of the profile's (the rest: its sigma^2, filtered twice as in spBreg_err, flattens the
    kernels) and rho and lambda lie 0.4 s.d. or more from the posterior's, which our sampler
    matches (test_sac_posterior_means_match_two_dimensional_quadrature)."""
    y, x, dense = columbus_arrays(columbus, w_anselin, durbin=False)
    profile = sac_quadrature(y, x, dense, profile=True)
    posterior = sac_quadrature(y, x, dense, profile=False)
    expected = reference["SAC"]["posterior"]
    names = nm.SAC.from_formula(FORMULA, columbus, w_anselin).spec.exog_names
    for key, name in [("rho", "rho"), ("lambda", "lambda"), *((str(m), n) for m, n in enumerate(names))]:
        ref = expected[name]
        assert abs(ref["mean"] - profile[key]) <= 0.1 * ref["sd"], name
    for name in ("rho", "lambda"):
        ref = expected[name]
        assert abs(ref["mean"] - posterior[name]) >= 0.4 * ref["sd"], name


# ----------------------------------------------------------------------------- ML
@pytest.mark.slow
def test_flat_prior_posterior_agrees_with_ml_in_a_large_sample() -> None:
    """Bernstein-von Mises: at n = 900 the posterior mean is within 0.1 posterior s.d. of the
    MLE and the posterior s.d. within 10% of the ML standard error (the difference is O(1/n)
    relative to the s.d.: degrees of freedom n - k against n, and the skewness of rho)."""
    w = nm.SpatialWeights.from_libpysal(
        __import__("libpysal").weights.lat2W(30, 30, rook=True)
    ).row_standardize()
    rng = np.random.default_rng(2)
    x = rng.normal(size=(w.n, 2))
    dense = w.sparse.toarray()
    y = np.linalg.solve(np.eye(w.n) - 0.5 * dense, 1.0 + x @ [1.0, -0.5] + rng.normal(size=w.n))
    frame = pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1]}, index=w.ids)
    model = nm.SAR.from_formula("y ~ x1 + x2", frame, w)
    ml = model.fit()
    res = model.fit(method="bayes", draws=6000, burn=1000, seed=1, priors=Priors(rho_a=1.0))
    sd = res.std_errors
    gap = (res.params - ml.params).abs() / sd
    assert (gap < 0.1 + MC_Z * np.array([batch_mcse(res.sample[c]) for c in res.param_names]) / sd).all()
    np.testing.assert_allclose(sd, ml.std_errors, rtol=0.10)


def test_rescaling_a_column_rescales_its_draws_only(columbus, w_anselin) -> None:
    model = nm.SAR.from_formula(FORMULA, columbus, w_anselin)
    scaled = columbus.assign(HOVAL=columbus["HOVAL"] * 1000.0)
    # a short chain: the check is draw by draw, not of mixing
    res = model.fit(method="bayes", draws=500, burn=100, seed=9, rhat_threshold=1.5)
    res_scaled = nm.SAR.from_formula(FORMULA, scaled, w_anselin).fit(
        method="bayes", draws=500, burn=100, seed=9, rhat_threshold=1.5
    )
    np.testing.assert_allclose(res_scaled.sample["rho"], res.sample["rho"], rtol=1e-9)
    np.testing.assert_allclose(
        res_scaled.sample["HOVAL"] * 1000.0, res.sample["HOVAL"], rtol=1e-8, atol=1e-12
    )


# ----------------------------------------------------------------------------- heteroskedastic
def test_heteroskedastic_variant_finds_the_noisy_units_and_nests_the_homoskedastic() -> None:
    w = nm.SpatialWeights.from_libpysal(
        __import__("libpysal").weights.lat2W(12, 12, rook=True)
    ).row_standardize()
    rng = np.random.default_rng(8)
    x = rng.normal(size=w.n)
    scale = np.ones(w.n)
    noisy = np.arange(0, w.n, 12)  # one unit in twelve with a 5 times larger error s.d.
    scale[noisy] = 5.0
    dense = w.sparse.toarray()
    y = np.linalg.solve(np.eye(w.n) - 0.4 * dense, 1.0 + 2.0 * x + scale * rng.normal(size=w.n))
    frame = pd.DataFrame({"y": y, "x": x}, index=w.ids)
    model = nm.SAR.from_formula("y ~ x", frame, w)
    het = model.fit(method="bayes", draws=2000, burn=500, seed=2, heteroskedastic=True)
    v = het.unit_variances
    assert v.iloc[noisy].median() > 3 * v.drop(v.index[noisy]).median()
    # r large: chi2(r)/r concentrates at 1 and the variant is the homoskedastic model
    nested = model.fit(
        method="bayes", draws=2000, burn=500, seed=2, heteroskedastic=True,
        priors=Priors(v_r=1e6),
    )
    homo = model.fit(method="bayes", draws=2000, burn=500, seed=2)
    for name in nested.param_names:
        se = np.hypot(batch_mcse(nested.sample[name]), batch_mcse(homo.sample[name]))
        assert abs(nested.params[name] - homo.params[name]) <= MC_Z * se + SD_FRACTION * homo.std_errors[name]


# ----------------------------------------------------------------------------- model comparison
def test_log_marginal_matches_independent_quadrature(columbus, w_anselin) -> None:
    models = [
        M.from_formula(FORMULA, columbus, w_anselin) for M in (nm.SAR, nm.SDM, nm.SEM, nm.SDEM, nm.SLX)
    ]
    table = nm.compare_models(models)
    for model in models:
        y, x = model.spec.y, model.spec.x
        n, k = x.shape
        nu = 0.5 * (n - k)
        dense = w_anselin.sparse.toarray()
        omega = np.linalg.eigvals(dense)
        low, high = 1 / omega.real.min(), 1 / omega.real.max()
        kind = {"SAR": "y", "SDM": "y", "SEM": "error", "SDEM": "error", "SLX": None}[model.name]

        def log_f(t: float) -> float:
            a_t = np.eye(n) - t * dense
            xs = a_t @ x if kind == "error" else x
            _, ssr, logdet_xx = regression(a_t @ y if kind else y, xs)
            return (
                special.gammaln(nu) - nu * np.log(np.pi) - 0.5 * logdet_xx - nu * np.log(ssr)
                + (np.sum(np.log(np.abs(1 - t * omega))) if kind else 0.0)
            )

        if kind is None:
            expected = log_f(0.0)
        else:
            nodes, weights = gauss_legendre(low, high, 400)
            values = np.array([log_f(t) for t in nodes]) + beta_log_prior(nodes, low, high, 1.01)
            expected = special.logsumexp(values, b=weights)
        # trapezoid on 2,000 cell midpoints against 400-node Gauss-Legendre: both converge to
        # well below 1e-4 on this smooth integrand
        assert table.loc[model.name, "log_marginal"] == pytest.approx(expected, abs=1e-4)
    assert table["probability"].sum() == pytest.approx(1.0, abs=1e-12)
    assert table["probability"].idxmax() == table["log_marginal"].idxmax()


def test_compare_models_refuses_what_it_cannot_compare(columbus, w_anselin) -> None:
    sar = nm.SAR.from_formula(FORMULA, columbus, w_anselin)
    with pytest.raises(SpecificationError, match="at most one spatial parameter"):
        nm.compare_models([sar, nm.SAC.from_formula(FORMULA, columbus, w_anselin)])
    other = nm.SAR.from_formula("HOVAL ~ INC", columbus, w_anselin)
    with pytest.raises(SpecificationError, match="same outcome"):
        nm.compare_models([sar, other])
    with pytest.raises(SpecificationError, match="flat"):
        nm.compare_models([sar], priors=Priors(beta_cov=10.0))


def test_combinations_the_sampler_does_not_cover_are_refused(columbus, w_anselin, w_queen) -> None:
    w = {"anselin": w_anselin, "queen": w_queen}
    with pytest.raises(SpecificationError, match="combines several weights"):
        nm.SEM.from_formula(FORMULA, columbus, w).fit(method="bayes", draws=100, burn=10)
    with pytest.raises(SpecificationError, match="combines several weights"):
        nm.SDM.from_formula(FORMULA, columbus, w).fit(method="bayes", draws=100, burn=10)
    with pytest.raises(SpecificationError, match="heteroskedastic"):
        nm.SAR.from_formula(FORMULA, columbus, w).fit(
            method="bayes", draws=100, burn=10, heteroskedastic=True
        )


# ----------------------------------------------------------------------------- coverage study
COVERAGE = Path(__file__).parents[1] / "benchmarks" / "results" / "bayes_coverage.csv"


def _coverage_module():
    import importlib.util

    path = Path(__file__).parents[1] / "benchmarks" / "bayes_coverage.py"
    spec = importlib.util.spec_from_file_location("bayes_coverage", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_coverage_study_is_in_the_binomial_band() -> None:
    """benchmarks/bayes_coverage.py: 200 replications of a SAR at n = 100; each 95% credible
    interval covers the truth at a rate within 3 binomial s.e. of 0.95 (flat priors)."""
    rows = pd.read_csv(COVERAGE)
    assert len(rows) == 200
    table = _coverage_module().summarise(rows)
    for _, row in table.iterrows():
        assert row["band_low"] <= row["coverage"] <= row["band_high"], row["parameter"]


@pytest.mark.mc
def test_coverage_study_reproduces_its_committed_rows() -> None:
    """The first replications of the committed study rerun to the same numbers (seeded)."""
    import libpysal

    module = _coverage_module()
    w = nm.SpatialWeights.from_libpysal(
        libpysal.weights.lat2W(module.SIDE, module.SIDE, rook=True)
    ).row_standardize()
    committed = pd.read_csv(COVERAGE).set_index("replication")
    for r in range(5):
        row = module.replication(r, w, w.sparse.toarray())
        for key, value in row.items():
            if key != "replication":
                # identical seeds and arithmetic; 1e-9 allows a different BLAS
                assert value == pytest.approx(committed.loc[r, key], rel=1e-9, abs=1e-12), key
