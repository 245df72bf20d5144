"""The fast default path at small and middle n, against the slower exact references.

* The values-only search (SuperLU and Cholesky-type factorisations) finds the exact score root
  of the concentrated likelihood to 1e-8 with a handful of factorisations.
* The default information matrix above ``AUTO_DENSE_INFORMATION_LIMIT`` units (sparse, with a
  stated Monte Carlo error) gives standard errors within that stated error of the dense one.
* Parameter intervals from Lanczos bounds are refined when the estimate reaches their end.
* Set-ups kept on the weights (``prepare``/``release``) are reused across fits and pickled.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo import SAR, SEM, SpatialWeights
from naeringsmiljo.estimators import ml_search
from naeringsmiljo.inference.covariance import AUTO_DENSE_INFORMATION_LIMIT, InformationMatrix
from naeringsmiljo.likelihood.gaussian import ConcentratedLikelihood
from naeringsmiljo.weights import logdet as logdet_module
from naeringsmiljo.weights import spatial_weights as sw
from naeringsmiljo.weights.logdet import CholeskyLogDet, SparseLULogDet, make_logdet
from test_large_n import STANDARD_ERRORS, knn_problem

# The values-only search stops when its step plus its model's error is below 1e-8
# (INTERPOLATION_XTOL); the target is |delta| < 1e-8 against the exact score root.
SEARCH_ATOL = 1e-8
# Factorisations the values-only search may take on these problems (5-8 measured at 1e3-1e6).
MAX_FACTORISATIONS = 8


def _score_root(lik: ConcentratedLikelihood, which: str, interval: tuple[float, float]) -> float:
    """The exact maximiser the package found before the values-only search: bracketing Brent
    search polished into the root of the analytic score (complex-step derivative)."""
    est = ml_search.fit_one_parameter(lik, which, interval)
    assert est.record.converged, est.record.message
    return est.rho if which == "rho" else est.lam


def _outcome(weights: SpatialWeights, x: np.ndarray, rho: float, *, error: bool, seed: int):
    rng = np.random.default_rng(seed)
    a = splu(sp.csc_array(sp.identity(weights.n, format="csc") - rho * weights.sparse))
    e = rng.standard_normal(weights.n)
    signal = x @ np.array([1.0, 1.0, -1.0, 0.5])
    return signal + a.solve(e) if error else a.solve(signal + e)


class _ScoreRootLU(SparseLULogDet):
    values_search = False


class _ScoreRootCholesky(CholeskyLogDet):
    values_search = False


@pytest.mark.parametrize("model", ["SAR", "SEM"])
@pytest.mark.parametrize("rho", [-0.6, 0.2, 0.85])
@pytest.mark.parametrize("symmetric", [False, True])
def test_values_search_finds_the_score_root(model, rho, symmetric):
    _, x, weights = knn_problem(1500, symmetric=symmetric, seed=11)
    which = "rho" if model == "SAR" else "lambda"
    y = _outcome(weights, x, rho, error=model == "SEM", seed=3)
    interval = weights.parameter_interval()
    fast = make_logdet(weights, "lu")
    assert fast.values_search
    slow = _ScoreRootLU(weights.sparse)
    if symmetric:
        fast = make_logdet(weights, "cholesky")
        slow = _ScoreRootCholesky(weights.sparse, logdet_module.symmetrizing_scale(weights.sparse))
    found = ml_search.fit_one_parameter(
        ConcentratedLikelihood(y, x, weights.sparse, fast), which, interval
    )
    exact = _score_root(ConcentratedLikelihood(y, x, weights.sparse, slow), which, interval)
    value = found.rho if which == "rho" else found.lam
    assert found.record.optimizer.startswith(ml_search.VALUES_SEARCH)
    assert found.record.converged
    assert found.record.evaluations <= MAX_FACTORISATIONS
    assert abs(value - exact) < SEARCH_ATOL


def test_default_fit_uses_the_values_search_and_no_dense_matrices(monkeypatch):
    y, x, weights = knn_problem(1200, seed=5)

    def refuse(*args, **kwargs):
        raise AssertionError("a dense n x n routine was called")

    monkeypatch.setattr(np.linalg, "eigvals", refuse)
    monkeypatch.setattr(np.linalg, "solve", _small_only(np.linalg.solve))
    res = SAR.from_arrays(y, x[:, 1:], weights).fit()
    assert res.record.optimizer.startswith(ml_search.VALUES_SEARCH)
    assert res.cov_type.startswith("inverse of the analytic information matrix (sparse:")
    assert res.record.interval[1] == 1.0  # row-standardised: the upper end is exact


def _small_only(solve):
    def guarded(a, b):
        if np.shape(a)[0] > AUTO_DENSE_INFORMATION_LIMIT:
            raise AssertionError(f"dense solve of order {np.shape(a)[0]}")
        return solve(a, b)

    return guarded


def _standard_errors_within_stated_error(n: int, model: str) -> None:
    y, x, weights = knn_problem(n, seed=13)
    cls = {"SAR": SAR, "SEM": SEM}[model]
    if model == "SEM":
        y = _outcome(weights, x, 0.5, error=True, seed=13)
    res = cls.from_arrays(y, x[:, 1:], weights).fit()
    assert res.ml.information_accuracy is not None  # the default path is the sparse one
    dense = res.with_cov(InformationMatrix(path="dense"))
    accuracy = res.ml.information_accuracy.std_error_accuracy(res.ml.free)[: len(res.params)]
    difference = np.abs(res.std_errors.to_numpy() - dense.std_errors.to_numpy())
    # STANDARD_ERRORS (4) jackknife errors: a false failure is a ~1e-4 event per entry
    assert np.all(difference <= STANDARD_ERRORS * accuracy + 1e-12)
    assert np.all(accuracy <= 0.05 * dense.std_errors.to_numpy())  # the stated error is small


@pytest.mark.parametrize("model", ["SAR", "SEM"])
def test_default_standard_errors_within_stated_error_of_dense(model):
    _standard_errors_within_stated_error(1000, model)


@pytest.mark.slow
@pytest.mark.parametrize("n", [3000, 5000])
@pytest.mark.parametrize("model", ["SAR", "SEM"])
def test_default_standard_errors_within_stated_error_of_dense_up_to_5000(n, model):
    _standard_errors_within_stated_error(n, model)


def test_interval_refined_when_the_estimate_reaches_a_lanczos_end():
    _, x, weights = knn_problem(sw.DENSE_EIGEN_LIMIT + 50, seed=17)
    exact_low = weights.parameter_interval("dense")[0]
    safe_low = weights.parameter_interval()[0]
    assert exact_low < safe_low  # the Lanczos interval is a few per cent narrower
    rho = 0.5 * (exact_low + safe_low) - 0.02  # between the two ends, nearer the exact one
    y = _outcome(weights, x, rho, error=False, seed=1)
    res = SAR.from_arrays(y, x[:, 1:], weights).fit()
    assert res.record.interval[0] == exact_low
    assert res.record.converged and not res.record.boundary
    assert res.params["rho"] < safe_low


def test_prepare_reuses_pickles_and_releases():
    y, x, weights = knn_problem(800, seed=19)
    fresh = SpatialWeights.from_sparse(weights.sparse, weights.ids, weights.transform)
    assert fresh.prepare() is fresh
    assert "logdet:lu" in fresh.prepared() and "bounds:lanczos" in fresh.prepared()
    shipped = pickle.loads(pickle.dumps(fresh))  # what a study's worker receives
    assert set(shipped.prepared()) == set(fresh.prepared())
    before = set(shipped.prepared())
    first = SAR.from_arrays(y, x[:, 1:], shipped).fit()
    assert {k for k in set(shipped.prepared()) - before if k.startswith("logdet")} == set()
    again = SAR.from_arrays(y, x[:, 1:], shipped).fit()
    plain = SAR.from_arrays(y, x[:, 1:], weights).fit()
    assert again.params.equals(first.params) and plain.params.equals(first.params)
    shipped.release("logdet")
    assert not any(k.startswith("logdet") for k in shipped.prepared())
    shipped.release()
    assert shipped.prepared() == ()


def test_process_local_set_ups_are_not_pickled(monkeypatch):
    weights = knn_problem(400, seed=23)[2]

    class Local:
        process_local = True

    weights._cache["logdet:pardiso"] = Local()
    assert "logdet:pardiso" not in pickle.loads(pickle.dumps(weights)).prepared()


def test_small_n_keeps_the_dense_paths():
    y, x, weights = knn_problem(sw.DENSE_EIGEN_LIMIT, seed=29)
    res = SAR.from_arrays(y, x[:, 1:], weights).fit()
    assert res.record.logdet == "eigen"
    assert res.cov_type == "inverse of the analytic information matrix (dense)"


def test_probes_in_blocks_are_the_same_draws(monkeypatch):
    """Above _PROBE_BLOCK_ENTRIES the probe pass works through blocks of probes: the same
    per-probe traces (the same Rademacher draws and powers), and a covariance within the stated
    Monte Carlo error of the one-block pass."""
    from naeringsmiljo.inference import covariance

    y, x, weights = knn_problem(1500, seed=31)
    whole = SAR.from_arrays(y, x[:, 1:], weights).fit()
    fresh = SpatialWeights.from_sparse(weights.sparse, weights.ids, weights.transform)
    monkeypatch.setattr(covariance, "_PROBE_BLOCK_ENTRIES", 1500 * 20)  # blocks of 20 and 30
    blocked = SAR.from_arrays(y, x[:, 1:], fresh).fit()
    one = whole.ml.information_accuracy
    two = blocked.ml.information_accuracy
    assert two.probes == one.probes == 50
    order = min(one.series_order, two.series_order)
    key = next(iter(weights._cache["traces:powers"]))
    a = weights._cache["traces:powers"][key].probe_traces[:, : order + 2]
    b = fresh._cache["traces:powers"][key].probe_traces[:, : order + 2]
    # the same probes in the same order, the products summed alike: equal to rounding
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    accuracy = one.std_error_accuracy(whole.ml.free)[: len(whole.params)]
    difference = np.abs(blocked.std_errors.to_numpy() - whole.std_errors.to_numpy())
    assert np.all(difference <= STANDARD_ERRORS * accuracy + 1e-12)
