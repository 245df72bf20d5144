"""Spatial probit and Tobit by latent-variable Gibbs sampling (``fit(method="bayes")``).

References: R ``spatialprobit::sarprobit`` (Wilhelm & de Matos 2013) on a seeded data set
(``tests/reference/r/generate_sarprobit.R``); the committed coverage study of the SAR probit
(``benchmarks/probit_mc.py``); scipy's truncated normal for the latent draws; the exact impacts
for the sparse, stochastic path; recovery of the truth on seeded simulated data for the SEM
probit and the SAR Tobit. Then properties (same seed, same draws; direct + indirect = total)
and bad input.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.linalg import splu

from naeringsmiljo import SARProbit, SARTobit, SEMProbit, SpatialWeights
from naeringsmiljo.exceptions import OutcomeError, SamplerError, SpecificationError
from naeringsmiljo.inference import latent_impacts as li
from naeringsmiljo.sampling.latent import colour_units, truncated_normal
from naeringsmiljo.weights.builders import knn
from tools import benchmark_module

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "r" / "sarprobit.json"

# Agreement with R: posterior means differ by Monte Carlo error (both chains, batch-means
# s.e.) plus what the two samplers do differently: R returns rho at the grid point below its
# draw (step 0.001, a downward shift of 0.0005 on average) and uses -(n - k)/2 log Q(rho) in
# place of -Q(rho)/2 (equal to first order where Q = n - k). 4 s.e. plus 0.001 for rho.
MC_SE_MULTIPLE = 4.0
RHO_SHIFT_ATOL = 1e-3
# R's direct impacts use diag(W^i), i < 100, estimated from 50 normal probes (tracesWi), an
# error common to all its draws: at this W and the posterior mean, 200 replications of that
# estimator give a relative s.d. of 1.4% for the phi-weighted mean of the diagonal. Direct and
# indirect impacts (indirect = total - direct) are compared within 4 of those s.d. of the
# direct impact; R's total impacts are solved exactly, so they agree to Monte Carlo error
# (posterior s.d. of a total impact ~0.04 over ~1,000 effective draws: 0.35%), within 1%.
R_TRACE_RELATIVE_SD = 0.014
TOTAL_RTOL = 0.01


def _weights(n: int, seed: int, k: int = 6) -> SpatialWeights:
    rng = np.random.default_rng(seed)
    return knn(pd.DataFrame(rng.random((n, 2)), columns=["x", "y"]), k).row_standardize()


def _probit_data(
    w: SpatialWeights, seed: int, *, rho: float = 0.5, kind: str = "lag"
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = w.n
    data = pd.DataFrame({"x1": rng.standard_normal(n), "x2": rng.standard_normal(n)}, index=w.ids)
    system = (sp.identity(n, format="csc") - rho * sp.csc_matrix(w.sparse)).tocsc()
    signal = (data["x1"] - data["x2"]).to_numpy()
    if kind == "lag":
        z = splu(system).solve(signal + rng.standard_normal(n))
    else:
        z = signal + splu(system).solve(rng.standard_normal(n))
    data["y"] = (z > 0).astype(float)
    data["latent"] = z
    return data


@pytest.fixture(scope="module")
def small() -> tuple[SpatialWeights, pd.DataFrame]:
    w = _weights(300, 7)
    return w, _probit_data(w, 8)


# ---------------------------------------------------------------------------- the latent draws
@pytest.mark.parametrize(
    ("mean", "lower", "upper"),
    [(0.0, 0.0, np.inf), (2.0, -np.inf, 0.0), (-9.0, 0.0, np.inf), (1.0, -0.5, 0.3)],
)
def test_truncated_normal_matches_scipy(mean: float, lower: float, upper: float) -> None:
    rng = np.random.default_rng(1)
    size = 20_000
    draws = truncated_normal(
        np.full(size, mean), np.full(size, 1.5), np.full(size, lower),
        np.full(size, upper), rng.random(size),
    )
    assert np.all(draws >= lower) and np.all(draws <= upper)
    reference = stats.truncnorm((lower - mean) / 1.5, (upper - mean) / 1.5, loc=mean, scale=1.5)
    # a KS test at the 0.1% level: fails for a wrong tail or scale, rarely by chance
    assert stats.kstest(draws, reference.cdf).pvalue > 1e-3


def test_truncated_normal_far_in_the_tail_stays_finite_and_inside() -> None:
    draws = truncated_normal(
        np.array([-60.0, 60.0]), np.ones(2), np.array([0.0, -np.inf]),
        np.array([np.inf, 0.0]), np.array([0.3, 0.7]),
    )
    assert np.all(np.isfinite(draws))
    assert draws[0] >= 0 and draws[1] <= 0 and np.all(np.abs(draws) < 1)


def test_colours_are_independent_under_the_precision() -> None:
    w = _weights(200, 3).sparse
    pattern = (w != 0).astype(int)
    graph = (pattern + pattern.T + pattern.T @ pattern).toarray() > 0
    parts = colour_units(sp.csr_array(w))
    assert sorted(np.concatenate(parts).tolist()) == list(range(200))
    for part in parts:
        block = graph[np.ix_(part, part)]
        np.fill_diagonal(block, False)
        assert not block.any()


# ---------------------------------------------------------------------------- R spatialprobit
@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


@pytest.fixture(scope="module")
def r_data_fit(reference):
    n = reference["n"]
    links = sp.csr_array(
        (np.ones(len(reference["source"])), (reference["source"], reference["target"])),
        shape=(n, n),
    )
    w = SpatialWeights.from_sparse(links, ids=pd.RangeIndex(n)).row_standardize()
    data = pd.DataFrame({"y": reference["y"], "x1": reference["x1"], "x2": reference["x2"]})
    return SARProbit.from_formula("y ~ x1 + x2", data, w).fit(draws=3500, burn=500, seed=11)


def test_sarprobit_posterior_agrees_with_r_spatialprobit(reference, r_data_fit) -> None:
    table = r_data_fit.to_frame()
    ours = table.loc[reference["names"]]
    se = np.hypot(ours["mcse"].to_numpy(), np.asarray(reference["mcse"]))
    atol = MC_SE_MULTIPLE * se + np.array([0, 0, 0, RHO_SHIFT_ATOL])
    gap = np.abs(ours["mean"].to_numpy() - np.asarray(reference["mean"]))
    assert np.all(gap <= atol), dict(zip(reference["names"], gap / atol, strict=True))
    # posterior s.d.: the Monte Carlo error of an s.d. from ~1,000 effective draws is ~2-3%
    np.testing.assert_allclose(ours["sd"], reference["sd"], rtol=0.1)


def test_sarprobit_impacts_agree_with_r_spatialprobit(reference, r_data_fit) -> None:
    impacts = r_data_fit.impacts(draws=1000).estimates
    trace_error = 4 * R_TRACE_RELATIVE_SD * np.abs(reference["direct_mean"])
    for effect in ("direct", "indirect"):
        gap = np.abs(impacts[effect].to_numpy() - np.asarray(reference[f"{effect}_mean"]))
        assert np.all(gap <= trace_error), (effect, gap / trace_error)
    np.testing.assert_allclose(
        impacts["total"].to_numpy(), reference["total_mean"], rtol=TOTAL_RTOL, atol=0
    )


# ---------------------------------------------------------------------------- the coverage study
def test_committed_coverage_study_is_in_the_binomial_band() -> None:
    table = pd.read_csv(ROOT / "benchmarks" / "results" / "probit_mc.csv")
    low, high = benchmark_module("probit_mc").band(int(table["replications"].iloc[0]))
    assert int(table["replications"].iloc[0]) >= 200
    assert set(table["parameter"]) == {"Intercept", "x1", "x2", "rho"}
    for _, row in table.iterrows():
        assert low <= row["coverage"] <= high, row["parameter"]


@pytest.mark.mc
def test_coverage_study_reproduces_the_committed_table() -> None:
    module = benchmark_module("probit_mc")
    table = module.coverage(module.run(1000, 20261205, 200, 3000, 500, workers=2))
    committed = pd.read_csv(ROOT / "benchmarks" / "results" / "probit_mc.csv")
    pd.testing.assert_frame_equal(table, committed, check_dtype=False, rtol=1e-5, atol=0)


def test_logdet_grid_above_the_eigen_limit_is_exact_near_the_ends() -> None:
    """The spline of a k-nearest-neighbour W bends near the ends (here it states errors up to
    6e5 at 580 of the 2,000 grid points, where the grid now takes exact values); the grid
    must match sparse LU."""
    from naeringsmiljo.weights.logdet import SparseLULogDet
    from naeringsmiljo.weights.logdet.grid import GRID_TOLERANCE, logdet_grid

    w = _weights(1200, 1)
    grid = logdet_grid(w)
    assert grid.error <= GRID_TOLERANCE
    exact = SparseLULogDet(w.sparse)
    for i in (*range(5), *range(-5, 0)):
        assert abs(grid.values[i] - exact.value(float(grid.rho[i]))) <= GRID_TOLERANCE


# ---------------------------------------------------------------------------- properties
def test_same_seed_gives_identical_draws(small) -> None:
    w, data = small
    model = SARProbit.from_formula("y ~ x1 + x2", data, w)
    a = model.fit(draws=300, burn=100, seed=5).sample
    b = model.fit(draws=300, burn=100, seed=5).sample
    c = model.fit(draws=300, burn=100, seed=6).sample
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not np.allclose(a.to_numpy(), c.to_numpy())


def test_impacts_add_up_and_the_sem_probit_has_no_spillovers(small) -> None:
    w, data = small
    sar = SARProbit.from_formula("y ~ x1 + x2", data, w).fit(draws=600, burn=200, seed=1)
    imp = sar.impacts(draws=200)
    np.testing.assert_allclose(
        imp.estimates["direct"] + imp.estimates["indirect"], imp.estimates["total"],
        rtol=1e-12, atol=1e-14,
    )
    assert (imp.estimates["indirect"].abs() > 0).all()
    sem = SEMProbit.from_formula("y ~ x1 + x2", data, w).fit(draws=600, burn=200, seed=1)
    sem_imp = sem.impacts(draws=200)
    np.testing.assert_array_equal(sem_imp.estimates["indirect"], 0.0)


def test_sparse_stochastic_impacts_agree_with_exact(small, monkeypatch) -> None:
    w, data = small
    res = SARProbit.from_formula("y ~ x1 + x2", data, w).fit(draws=600, burn=200, seed=1)
    exact = res.impacts(draws=100).estimates
    monkeypatch.setattr(li, "EXACT_LIMIT", 10)
    sparse = res.impacts(draws=100, probes=400).estimates
    # S^-1 X and S^-1 1 are solved exactly on both paths (total impacts equal to rounding);
    # the diagonal of S^-1 from 400 Rademacher probes has relative error ~1/sqrt(400)/sqrt(n)
    # per unit on average, 1% is several times that
    np.testing.assert_allclose(sparse["total"], exact["total"], rtol=1e-8)
    np.testing.assert_allclose(sparse["direct"], exact["direct"], rtol=0.01)


def test_impacts_of_the_probit_are_phi_weighted_coefficients(small) -> None:
    """At rho = 0 the SAR probit's direct impact is mean(phi(x beta)) beta_r, no spillover."""
    w, data = small
    x = np.column_stack([np.ones(w.n), data["x1"], data["x2"]])
    beta = np.array([[0.1, 0.8, -0.6]])
    out = li.latent_impacts("lag", "probit", x, w.sparse, beta, np.zeros(1), np.ones(1),
                            np.array([1, 2]))
    expected = np.mean(stats.norm.pdf(x @ beta[0])) * beta[0, 1:]
    np.testing.assert_allclose(out.direct[0], expected, rtol=1e-10)
    np.testing.assert_allclose(out.indirect[0], 0.0, atol=1e-12)


# ---------------------------------------------------------------------------- recovery
def test_sem_probit_recovers_the_truth() -> None:
    w = _weights(400, 21)
    data = _probit_data(w, 22, rho=0.6, kind="error")
    res = SEMProbit.from_formula("y ~ x1 + x2", data, w).fit(draws=1200, burn=200, seed=2)
    # one data set: each truth within 4 posterior s.d. of the posterior mean
    truth = pd.Series({"Intercept": 0.0, "x1": 1.0, "x2": -1.0, "lambda": 0.6})
    assert ((res.params[truth.index] - truth).abs() < 4 * res.std_errors[truth.index]).all()


def test_sar_tobit_recovers_the_truth() -> None:
    w = _weights(400, 31)
    rng = np.random.default_rng(32)
    n = w.n
    data = pd.DataFrame({"x1": rng.standard_normal(n), "x2": rng.standard_normal(n)}, index=w.ids)
    system = (sp.identity(n, format="csc") - 0.5 * sp.csc_matrix(w.sparse)).tocsc()
    z = splu(system).solve((data["x1"] - data["x2"]).to_numpy() + 0.7 * rng.standard_normal(n))
    data["y"] = np.maximum(z, 0.0)
    res = SARTobit.from_formula("y ~ x1 + x2", data, w).fit(draws=1200, burn=200, seed=3)
    truth = pd.Series({"Intercept": 0.0, "x1": 1.0, "x2": -1.0, "rho": 0.5})
    assert ((res.params[truth.index] - truth).abs() < 4 * res.std_errors[truth.index]).all()
    sigma2 = res.sample["sigma2"]
    assert abs(sigma2.mean() - 0.49) < 4 * sigma2.std()
    imp = res.impacts(draws=200).estimates
    # Tobit effects on E[y] are Phi-weighted: smaller than the latent multipliers
    assert 0 < imp.loc["x1", "direct"] < 1.0 and imp.loc["x2", "total"] < 0


# ---------------------------------------------------------------------------- bad input
def test_probit_outcome_not_binary_names_the_rows(small) -> None:
    w, data = small
    bad = data.copy()
    bad.loc[bad.index[[3, 17]], "y"] = [2.0, 0.5]
    with pytest.raises(OutcomeError, match="0 or 1") as info:
        SARProbit.from_formula("y ~ x1 + x2", bad, w)
    assert info.value.rows == tuple(bad.index[[3, 17]])
    assert str(bad.index[3]) in str(info.value)


def test_tobit_outcome_below_zero_names_the_rows(small) -> None:
    w, data = small
    bad = data.assign(y=np.maximum(data["latent"], 0.0))
    bad.loc[bad.index[5], "y"] = -1.0
    with pytest.raises(OutcomeError, match="negative") as info:
        SARTobit.from_formula("y ~ x1 + x2", bad, w)
    assert info.value.rows == (bad.index[5],)


def test_chain_options_are_checked(small) -> None:
    w, data = small
    model = SARProbit.from_formula("y ~ x1 + x2", data, w)
    with pytest.raises(SamplerError, match="burn"):
        model.fit(draws=100, burn=100)
    with pytest.raises(SpecificationError, match="heteroskedastic"):
        model.fit(draws=100, burn=10, heteroskedastic=True)
    with pytest.raises(SpecificationError, match="gaussian|binary"):
        model.fit(method="ml")


# ---------------------------------------------------------------------------- counts
def test_poisson_latent_step_targets_the_exact_posterior() -> None:
    """Many Metropolis-Hastings steps for one log-rate give the posterior of
    y ~ Poisson(exp(z)), z ~ N(m, v), whose mean and s.d. come from quadrature."""
    from naeringsmiljo.sampling.latent import poisson_latent_step

    rng = np.random.default_rng(4)
    chains = 4000
    for y, m, v in ((0.0, 0.5, 0.4), (7.0, 0.0, 1.0), (40.0, 2.0, 0.25)):
        z = np.full(chains, m)
        for _ in range(60):  # independent chains, so the draws after 60 steps are i.i.d.
            z = poisson_latent_step(
                z, np.full(chains, m), np.full(chains, v), np.full(chains, y), rng
            )
        grid = np.linspace(m - 12 * np.sqrt(v), m + 12 * np.sqrt(v), 20001)
        log_post = y * grid - np.exp(grid) - 0.5 * (grid - m) ** 2 / v
        dens = np.exp(log_post - log_post.max())
        mean = np.trapezoid(grid * dens, grid) / np.trapezoid(dens, grid)
        sd = np.sqrt(np.trapezoid((grid - mean) ** 2 * dens, grid) / np.trapezoid(dens, grid))
        # 4,000 independent draws: the mean within 4 standard errors of the exact one
        assert abs(z.mean() - mean) < 4 * sd / np.sqrt(chains), (y, z.mean(), mean)
        assert abs(z.std() / sd - 1) < 0.06


def test_sar_poisson_recovers_the_truth() -> None:
    from naeringsmiljo import SARPoisson

    w = _weights(500, 41)
    rng = np.random.default_rng(42)
    n = w.n
    data = pd.DataFrame({"x1": rng.standard_normal(n), "x2": rng.standard_normal(n)}, index=w.ids)
    system = (sp.identity(n, format="csc") - 0.5 * sp.csc_matrix(w.sparse)).tocsc()
    signal = (0.5 + 0.5 * data["x1"] - 0.5 * data["x2"]).to_numpy()
    z = splu(system).solve(signal + 0.3 * rng.standard_normal(n))
    data["y"] = rng.poisson(np.exp(z)).astype(float)
    res = SARPoisson.from_formula("y ~ x1 + x2", data, w).fit(draws=1500, burn=300, seed=1)
    truth = pd.Series({"Intercept": 0.5, "x1": 0.5, "x2": -0.5, "rho": 0.5})
    assert ((res.params[truth.index] - truth).abs() < 4 * res.std_errors[truth.index]).all()
    imp = res.impacts(draws=200).estimates
    np.testing.assert_allclose(
        imp["direct"] + imp["indirect"], imp["total"], rtol=1e-12, atol=1e-14
    )
    assert imp.loc["x1", "total"] > imp.loc["x1", "direct"] > 0


def test_count_outcome_must_be_a_non_negative_integer(small) -> None:
    from naeringsmiljo import SARPoisson

    w, data = small
    bad = data.assign(y=np.round(np.exp(data["latent"])))
    bad.loc[bad.index[2], "y"] = 1.5
    with pytest.raises(OutcomeError, match="non-negative integer") as info:
        SARPoisson.from_formula("y ~ x1 + x2", bad, w)
    assert info.value.rows == (bad.index[2],)
