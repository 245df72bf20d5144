"""Large-n inference without dense n-by-n matrices.

The sparse information matrix (traces of ``W^k`` in power series, Hutchinson estimates of the
Frobenius norms, sparse LU solves) is compared with the dense one on medium kNN problems,
evaluated at fixed parameter values so that no optimisation is timed. Then a fit above
``DENSE_MATRIX_LIMIT`` and its trace impacts with simulated inference run with every dense
matrix routine disabled.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from naeringsmiljo import SAR, SEM, SpatialWeights
from naeringsmiljo._options import DENSE_MATRIX_LIMIT
from naeringsmiljo.estimators.ml_search import fit_fixed
from naeringsmiljo.inference.covariance import (
    InformationMatrix,
    MLProblem,
    covariance_from_information,
    sparse_information,
)
from naeringsmiljo.likelihood.gaussian import ConcentratedLikelihood
from naeringsmiljo.weights.logdet import make_logdet

# Exact traces (series truncated where the tail is below 1e-13 of tr(W^k)/n) agree with the
# dense traces to rounding of n-term sums; 1e-8 leaves room for the dense solves' rounding.
EXACT_RTOL = 1e-8
# Stochastic traces: the difference is a mean of independent probes, so 4 standard errors make
# a false failure a ~1e-4 event per entry.
STANDARD_ERRORS = 4.0

MODELS = {"SAR": (True, False), "SEM": (False, True), "SAC": (True, True)}
PARAMETERS = {"SAR": (0.5, 0.0), "SEM": (0.0, 0.5), "SAC": (0.4, 0.3)}


def knn_problem(
    n: int, *, k: int = 10, symmetric: bool = False, seed: int = 7
) -> tuple[np.ndarray, np.ndarray, SpatialWeights]:
    """kNN weights on uniform points (row-standardised, or a symmetric scaled version), and a
    SAR outcome with rho = 0.5."""
    rng = np.random.default_rng(seed)
    points = rng.random((n, 2))
    _, idx = cKDTree(points).query(points, k + 1)
    rows = np.repeat(np.arange(n), k)
    binary = sp.csr_array((np.ones(n * k), (rows, idx[:, 1:].ravel())), shape=(n, n))
    if symmetric:
        sym = sp.csr_array(((binary + binary.T) > 0).astype(np.float64))
        weights = SpatialWeights.from_sparse(sym / sym.sum(axis=1).max())
    else:
        weights = SpatialWeights.from_sparse(binary).row_standardize()
    x = rng.standard_normal((n, 3))
    a = sp.csc_array(sp.identity(n, format="csc") - 0.5 * weights.sparse)
    y = splu(a).solve(1.0 + x @ np.array([1.0, -1.0, 0.5]) + rng.standard_normal(n))
    return y, np.column_stack([np.ones(n), x]), weights


def problem_at(model: str, y: np.ndarray, x: np.ndarray, weights: SpatialWeights) -> MLProblem:
    """The ML problem evaluated at fixed spatial parameters (beta and sigma^2 concentrated)."""
    has_rho, has_lambda = MODELS[model]
    rho, lam = PARAMETERS[model]
    lik = ConcentratedLikelihood(y, x, weights.sparse, make_logdet(weights, "lu"))
    estimate = fit_fixed(lik, rho, lam, None)
    return MLProblem(lik, estimate, has_rho, has_lambda, weights)


def stochastic_entries(model: str) -> dict[tuple[int, int], list[str]]:
    """Positions (after the k betas) of the entries holding traces, and those traces."""
    has_rho, has_lambda = MODELS[model]
    entries: dict[tuple[int, int], list[str]] = {}
    pos = 0
    sigma = int(has_rho) + int(has_lambda)
    if has_rho:
        entries[pos, pos] = ["tr(G_A^2)", "tr(H'H)"]
        entries[pos, sigma] = ["tr(G_A)"]
    if has_lambda:
        lam = int(has_rho)
        entries[lam, lam] = ["tr(G_B^2)", "tr(G_B'G_B)"]
        entries[lam, sigma] = ["tr(G_B)"]
        if has_rho:
            entries[0, lam] = ["tr(G_B H)", "tr(G_B'H)"]
    return entries


@pytest.fixture(scope="module")
def medium() -> tuple[np.ndarray, np.ndarray, SpatialWeights]:
    # above DENSE_EIGEN_LIMIT, so that the eigenvalue bounds come from ARPACK, not all eigenvalues
    return knn_problem(2100)


# SAR keeps the default run under its time budget; SEM and SAC repeat it with more dense solves.
SAR_FAST = [
    "SAR",
    pytest.param("SEM", marks=pytest.mark.slow),
    pytest.param("SAC", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("model", SAR_FAST)
def test_sparse_information_matches_dense(model, medium):
    """Exact traces of W^k: entries without Hutchinson estimates to 1e-8, the rest within 4 s.e."""
    problem = problem_at(model, *medium)
    dense = InformationMatrix(path="dense")(problem)
    result = InformationMatrix(path="sparse", traces="exact").evaluate(problem)
    sparse, accuracy = result.matrix, result.accuracy
    assert accuracy.trace_method == "exact" and accuracy.probes == 50
    k = problem.k
    hutchinson = {"tr(H'H)", "tr(G_B'G_B)", "tr(G_B'H)"}
    checked = np.zeros_like(dense, dtype=bool)
    for (i, j), traces in stochastic_entries(model).items():
        i, j = i + k, j + k
        assert set(traces) <= set(accuracy.std_errors)
        se = np.sqrt(sum(accuracy.std_errors[t] ** 2 for t in traces))
        if hutchinson & set(traces):
            assert se > 0
            assert abs(sparse[i, j] - dense[i, j]) <= STANDARD_ERRORS * se
        else:
            assert se == 0.0
            assert_allclose(sparse[i, j], dense[i, j], rtol=EXACT_RTOL)
        checked[i, j] = checked[j, i] = True
    assert_allclose(sparse[~checked], dense[~checked], rtol=EXACT_RTOL, atol=1e-12)
    assert_allclose(sparse, sparse.T, rtol=0, atol=0)


@pytest.mark.parametrize("model", SAR_FAST)
def test_symmetric_weights_make_every_trace_exact(model):
    """W symmetric: G_A, G_B and H are symmetric, so no probe is needed and all agree to 1e-8."""
    y, x, weights = knn_problem(2100, k=6, symmetric=True)
    problem = problem_at(model, y, x, weights)
    dense = InformationMatrix(path="dense")(problem)
    result = InformationMatrix(path="sparse", traces="exact").evaluate(problem)
    assert result.accuracy.probes == 0 and result.accuracy.relative_error == 0.0
    assert result.accuracy.replicates is None
    assert "all traces exact" in result.label
    assert_allclose(result.matrix, dense, rtol=EXACT_RTOL, atol=1e-10)


@pytest.mark.parametrize("model", SAR_FAST)
def test_monte_carlo_traces_within_stated_error(model):
    """Monte Carlo traces of W^k as well (n above the exact-trace limit): within 4 s.e."""
    y, x, weights = knn_problem(2500, seed=11)
    problem = problem_at(model, y, x, weights)
    dense = InformationMatrix(path="dense")(problem)
    result = sparse_information(problem, traces="monte_carlo", probes=50, seed=3)
    accuracy = result.accuracy
    assert accuracy.trace_method == "monte_carlo"
    k = problem.k
    for (i, j), traces in stochastic_entries(model).items():
        se = np.sqrt(sum(accuracy.std_errors[t] ** 2 for t in traces))
        # the sigma^2 column holds tr(G)/sigma^2, so its error is divided by sigma^2 too
        divisor = problem.estimate.sigma2 if traces in (["tr(G_A)"], ["tr(G_B)"]) else 1.0
        difference = abs(result.matrix[i + k, j + k] - dense[i + k, j + k])
        assert difference <= STANDARD_ERRORS * se / divisor
    # The jackknife error of the standard errors is small next to the standard errors themselves.
    free = np.ones(problem.size, dtype=bool)
    ses = np.sqrt(np.diag(covariance_from_information(result.matrix, free)))
    assert np.all(accuracy.std_error_accuracy(free) < 0.05 * ses)


def test_probes_are_seeded(medium):
    problem = problem_at("SAR", *medium)

    def information(seed: int) -> np.ndarray:
        return InformationMatrix(path="sparse", traces="monte_carlo", seed=seed)(problem)

    first = information(5)
    assert_allclose(information(5), first, rtol=0, atol=0)
    assert not np.array_equal(information(6), first)


def test_fit_records_the_path_and_switches_without_refitting(medium):
    # the default is the sparse path above AUTO_DENSE_INFORMATION_LIMIT units; dense on request
    res = SAR.from_arrays(medium[0], medium[1][:, 1:], medium[2]).fit(
        cov=InformationMatrix(path="dense")
    )
    assert res.cov_type == "inverse of the analytic information matrix (dense)"
    assert res.ml.information_accuracy is None
    sparse = res.with_cov(InformationMatrix(path="sparse", traces="monte_carlo"))
    assert sparse.cov_type.startswith("inverse of the analytic information matrix (sparse:")
    assert "tr(H'H) relative s.e." in sparse.cov_type
    assert sparse.params.equals(res.params)
    # within 4 jackknife standard errors of the Monte Carlo error of each standard error
    accuracy = sparse.ml.information_accuracy.std_error_accuracy(res.ml.free)
    difference = np.abs(sparse.std_errors.to_numpy() - res.std_errors.to_numpy())
    assert np.all(difference <= STANDARD_ERRORS * accuracy[: len(res.params)] + 1e-12)


def test_bad_path_and_divergent_series(medium):
    problem = problem_at("SAR", *medium)
    with pytest.raises(ValueError, match="path='cheap' is not one of"):
        InformationMatrix(path="cheap")(problem)  # type: ignore[arg-type]
    lik = problem.lik
    far = MLProblem(lik, fit_fixed(lik, -1.5, 0.0, None), True, False, problem.weights)
    if abs(far.estimate.rho) * problem.weights.eigenvalue_bounds()[1] >= 1:
        with pytest.raises(ValueError, match="diverge"):
            InformationMatrix(path="sparse")(far)


@pytest.fixture
def no_dense_matrices(monkeypatch):
    """Every route to a dense n x n matrix raises: inverses, densified sparse arrays, square
    dense solves and all eigenvalues."""

    def refuse(*args, **kwargs):
        raise AssertionError("a dense n x n matrix was formed")

    for cls in (sp.csr_array, sp.csc_array, sp.coo_array, sp.csr_matrix, sp.csc_matrix):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
    monkeypatch.setattr(np.linalg, "inv", refuse)
    monkeypatch.setattr(scipy.linalg, "inv", refuse)
    monkeypatch.setattr(np.linalg, "eigvals", refuse)
    solve = np.linalg.solve

    def small_solve(a, b):
        if np.shape(a)[0] > 100:
            refuse()
        return solve(a, b)

    monkeypatch.setattr(np.linalg, "solve", small_solve)


@pytest.mark.parametrize("model", [SAR, pytest.param(SEM, marks=pytest.mark.slow)])
def test_large_fit_and_trace_impacts_without_dense_matrices(model, no_dense_matrices):
    """Above DENSE_MATRIX_LIMIT the default covariance is the sparse one, and simulated trace
    impacts use it without forming any n x n matrix."""
    n = DENSE_MATRIX_LIMIT + 500
    y, x, weights = knn_problem(n, k=6, seed=3)
    res = model.from_arrays(y, x[:, 1:], weights).fit(logdet="lu")
    assert "(sparse:" in res.cov_type
    accuracy = res.ml.information_accuracy
    assert accuracy.relative_error < 0.05
    assert np.all(np.isfinite(res.std_errors)) and np.all(res.std_errors > 0)
    impacts = res.impacts("trace", inference="simulation", draws=200, seed=1)
    assert np.all(np.isfinite(impacts.std_errors.to_numpy()))
    assert np.all(impacts.std_errors[["direct", "total"]].to_numpy() > 0)
