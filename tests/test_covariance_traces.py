"""Shared traces of powers of W: the sparse information matrix and the trace impacts.

The Monte Carlo series are truncated where their truncation bound falls below a tenth of their
Monte Carlo standard error; these tests check on a medium kNN problem (n = 2,500, above the
exact-trace limit) that the stated error (standard error and truncation bound) covers the
actual difference from the dense path, that the traces are computed once per weights, probes
and seed and reused, and that the banded reordering used for speed changes nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from naeringsmiljo import SpatialWeights
from naeringsmiljo.estimators.ml_search import fit_fixed
from naeringsmiljo.inference.covariance import InformationMatrix, MLProblem, sparse_information
from naeringsmiljo.inference.impacts import compute_impacts, multiplier_moments
from naeringsmiljo.likelihood.gaussian import ConcentratedLikelihood
from naeringsmiljo.weights import traces
from naeringsmiljo.weights.logdet import make_logdet
from naeringsmiljo.weights.traces import ProbePowers, monte_carlo_traces, trace_key

N = 2500
RHO = 0.5
STANDARD_ERRORS = 4.0


def knn_weights(n: int, seed: int = 11, k: int = 10) -> tuple[np.ndarray, SpatialWeights]:
    rng = np.random.default_rng(seed)
    points = rng.random((n, 2))
    _, idx = cKDTree(points).query(points, k + 1)
    rows = np.repeat(np.arange(n), k)
    binary = sp.csr_array((np.ones(n * k), (rows, idx[:, 1:].ravel())), shape=(n, n))
    return rng.standard_normal((n, 3)), SpatialWeights.from_sparse(binary).row_standardize()


def sar_problem(x: np.ndarray, weights: SpatialWeights, seed: int = 2) -> MLProblem:
    n = weights.n
    rng = np.random.default_rng(seed)
    a = sp.csc_array(sp.identity(n, format="csc") - RHO * weights.sparse)
    y = splu(a).solve(1.0 + x @ np.array([1.0, -1.0, 0.5]) + rng.standard_normal(n))
    xc = np.column_stack([np.ones(n), x])
    lik = ConcentratedLikelihood(y, xc, weights.sparse, make_logdet(weights, "lu"))
    return MLProblem(lik, fit_fixed(lik, RHO, 0.0, None), True, False, weights)


@pytest.fixture(scope="module")
def medium() -> tuple[MLProblem, np.ndarray]:
    x, weights = knn_weights(N)
    problem = sar_problem(x, weights)
    return problem, InformationMatrix(path="dense")(problem)


def test_stated_error_covers_the_actual_error_over_seeds(medium):
    """Entries of the rho row: |sparse - dense| <= 4 s.e. + truncation bound for every seed, and
    the standard errors are not understated (root mean square z below 2)."""
    problem, dense = medium
    k = problem.k
    z = []
    for seed in range(8):
        result = sparse_information(problem, traces="monte_carlo", seed=seed)
        acc = result.accuracy
        se = {
            (k, k): np.hypot(acc.std_errors["tr(G_A^2)"], acc.std_errors["tr(H'H)"]),
            (k, k + 1): acc.std_errors["tr(G_A)"] / problem.estimate.sigma2,
        }
        # the truncation stays below a tenth of the Monte Carlo error it is added to
        assert acc.truncation_bound <= 0.1 * max(acc.std_errors.values()) + 1e-12
        for (i, j), s in se.items():
            bound = acc.truncation_bound / (problem.estimate.sigma2 if j == k + 1 else 1.0)
            difference = abs(result.matrix[i, j] - dense[i, j])
            assert difference <= STANDARD_ERRORS * s + bound
            z.append(difference / s)
    assert np.sqrt(np.mean(np.square(z))) < 2.0


def test_series_truncated_at_the_monte_carlo_error(medium):
    """The Monte Carlo series stop well before the 1e-13 order of exact traces."""
    problem, _ = medium
    mc = sparse_information(problem, traces="monte_carlo", seed=1).accuracy
    exact = sparse_information(problem, traces="exact", seed=1).accuracy
    assert mc.series_order < exact.series_order
    # exact traces: only the Hutchinson norms are truncated, at a tenth of their error
    assert exact.std_errors["tr(G_A)"] == 0.0
    assert exact.truncation_bound <= 0.1 * exact.std_errors["tr(H'H)"]


def test_covariance_and_impacts_share_the_traces():
    """The information matrix caches its traces; impacts with the same seed reuse them, and a
    cold computation gives the same impacts within the stated truncation bounds."""
    x, weights = knn_weights(N, seed=5)
    problem = sar_problem(x, weights)
    sparse_information(problem, traces="monte_carlo", seed=0, probes=30)
    stream = np.random.SeedSequence(0).spawn(2)[0]
    key = trace_key("monte_carlo", 30, stream)
    cached = weights._cache["traces:powers"][key]
    params = pd.Series(
        np.r_[problem.estimate.beta, RHO], index=["const", "a", "b", "c", "rho"], name="estimate"
    )
    shared = compute_impacts(
        params, ["a", "b", "c"], "W_", weights, "SAR", "trace", seed=0, probes=30
    )
    assert shared.by_order.index.get_level_values("order").max() <= cached.order
    weights._cache.pop("traces:powers")
    cold = compute_impacts(
        params, ["a", "b", "c"], "W_", weights, "SAR", "trace", seed=0, probes=30
    )
    limit = shared.truncation_bound + cold.truncation_bound + 1e-14
    assert np.max(np.abs(shared.estimates - cold.estimates).to_numpy()) <= limit
    assert shared.truncation_bound <= max(0.1 * shared.trace_error, 1e-12)
    # and both are within their stated error of the exact impacts
    exact = multiplier_moments(weights.sparse, RHO)
    truth = params[["a", "b", "c"]].to_numpy() * exact.trace_m
    error = STANDARD_ERRORS * cold.trace_error + cold.truncation_bound
    assert np.max(np.abs(cold.estimates["direct"].to_numpy() - truth)) <= error


def test_prefix_of_higher_order_equals_lower_order():
    _, weights = knn_weights(600, seed=3)
    low = monte_carlo_traces(weights, 8, probes=20, seed=4)
    fresh = SpatialWeights.from_sparse(weights.sparse)
    high = monte_carlo_traces(fresh, 20, probes=20, seed=4)
    assert high.order == 20
    for name in ("traces", "sums", "std_errors", "probe_traces"):
        assert_allclose(getattr(high.truncated(8), name), getattr(low, name), rtol=1e-13)
    # cached: a lower order after a higher one is the prefix, not a recomputation
    assert monte_carlo_traces(fresh, 5, probes=20, seed=4).order == 5
    assert monte_carlo_traces(fresh, 5, probes=20, seed=None).probes == 20  # not cached


def test_banded_reordering_changes_nothing(monkeypatch):
    _, weights = knn_weights(1500, seed=8)
    plain = monte_carlo_traces(weights, 12, probes=10, seed=9)
    unpermuted = ProbePowers(weights, 10, 9).z
    monkeypatch.setattr(traces, "LOCALITY_LIMIT", 0)
    reordered = SpatialWeights.from_sparse(weights.sparse)
    assert not np.array_equal(ProbePowers(reordered, 10, 9).z, unpermuted)  # rows permuted
    banded = monte_carlo_traces(reordered, 12, probes=10, seed=9)
    assert_allclose(banded.probe_traces, plain.probe_traces, rtol=1e-12, atol=1e-15)
    assert_allclose(banded.sums, plain.sums, rtol=1e-12)
