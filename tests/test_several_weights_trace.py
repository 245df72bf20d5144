"""Combined weights at large n: the Newton search on exact expansions, and the trace series.

References written here: dense log-determinants and traces of products (``numpy``), the SLSQP
search of the same likelihood (the Newton search must find the same score root), and exact ML
(the trace method's estimates must lie within the error it states).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from naeringsmiljo import SAR, SEM
from naeringsmiljo.estimators import ml_channels
from naeringsmiljo.exceptions import ConvergenceWarning, ParameterSpaceError, SpecificationError
from naeringsmiljo.likelihood.channels import CombinedLogDet
from naeringsmiljo.weights.logdet.taylor import TraceLogDet

# The exact low orders are sums of products: rounding only.
EXACT_RTOL = 1e-10
# The Newton search and SLSQP with its polish find the root of the same score (the same
# central-difference gradient); each stops within about 1e-11 of it.
SAME_ROOT_ATOL = 1e-9


@pytest.fixture(scope="module")
def world():
    from test_several_weights import make_world

    return make_world()


def _w(world):
    return {"geo": world["geo"], "collab": world["collab"]}


def _matrices(world):
    return [world["geo"].sparse, world["collab"].sparse]


def test_exact_orders_are_the_traces_of_every_product(world):
    mats = _matrices(world)
    dense = [m.toarray() for m in mats]
    series = TraceLogDet(mats, order=4, exact_order=4)
    for k in range(1, 5):
        expected = np.zeros(len(series._monos[k]))
        for word in itertools.product(range(2), repeat=k):
            product = np.linalg.multi_dot([np.eye(dense[0].shape[0])] + [dense[m] for m in word])
            alpha = tuple(word.count(m) for m in range(2))
            expected[series._index[k][alpha]] += np.trace(product)
        np.testing.assert_allclose(series._mean[k], expected, rtol=EXACT_RTOL, atol=1e-12)


@pytest.mark.parametrize("delta", [(0.3, 0.2), (0.1, 0.45), (-0.2, 0.3)])
def test_trace_series_is_within_its_stated_error_of_the_exact_log_determinant(world, delta):
    mats = _matrices(world)
    delta = np.array(delta)
    series = TraceLogDet(mats, probes=32, seed=3)
    value, grad, hess = series.value_gradient_hessian(delta)
    exact = CombinedLogDet(mats)
    e_value, e_grad, e_hess = exact.value_gradient_hessian(delta)
    dense = np.eye(mats[0].shape[0]) - sum(d * m.toarray() for d, m in zip(delta, mats))
    np.testing.assert_allclose(e_value, np.linalg.slogdet(dense)[1], rtol=1e-12)
    bound_value, bound_grad = series.error_bound(delta)
    assert abs(value - e_value) <= bound_value
    assert np.all(np.abs(grad - e_grad) <= bound_grad)
    # the bound is not vacuous: it is of the size of the actual error
    assert bound_value < 0.1 * abs(e_value)
    np.testing.assert_allclose(hess, e_hess, rtol=0.2)


def test_trace_series_without_estimated_orders_is_exact_up_to_its_truncation(world):
    mats = _matrices(world)
    delta = np.array([0.05, 0.05])  # s = 0.1: the truncation after order 4 is 2e-4 n^0 scale
    series = TraceLogDet(mats, order=4, exact_order=4)
    value = series.value(delta)
    exact = CombinedLogDet(mats).value(delta)
    bound, _ = series.error_bound(delta)
    s, n = 0.1, mats[0].shape[0]
    np.testing.assert_allclose(bound, n * s**5 / (5 * (1 - s)), rtol=1e-12)
    assert abs(value - exact) <= bound


def test_the_one_matrix_series_reuses_the_combined_coefficients(world):
    mats = _matrices(world)
    combined = TraceLogDet(mats, order=8, exact_order=4, probes=4)
    for m in range(2):
        alone = combined.vertex(m)
        fresh = TraceLogDet([mats[m]], order=4, exact_order=4)
        for k in range(1, 5):
            np.testing.assert_allclose(alone._mean[k], fresh._mean[k], rtol=EXACT_RTOL)
        delta = np.zeros(2)
        delta[m] = 0.4
        np.testing.assert_allclose(
            alone.value(np.array([0.4])), combined.value(delta), rtol=EXACT_RTOL
        )
        np.testing.assert_allclose(
            alone.error_bound(np.array([0.4]))[0], combined.error_bound(delta)[0], rtol=1e-12
        )


def test_neumann_solve_equals_the_factorisation(world):
    mats = _matrices(world)
    delta = np.array([0.3, 0.25])
    rhs = np.random.default_rng(1).normal(size=(mats[0].shape[0], 2))
    series = TraceLogDet(mats, order=2, exact_order=2)
    exact = CombinedLogDet(mats)
    for transpose in (False, True):
        np.testing.assert_allclose(
            series.solve(delta, rhs, transpose=transpose),
            exact.solve(delta, rhs, transpose=transpose),
            rtol=1e-10,
            atol=1e-10,
        )


@pytest.mark.parametrize("model", [SAR, SEM])
def test_trace_estimates_lie_within_their_stated_error_of_exact_ml(world, model):
    exact = model.from_formula("y ~ x1 + x2", world["data"], _w(world)).fit()
    approx = model.from_formula("y ~ x1 + x2", world["data"], _w(world)).fit(logdet="monte_carlo")
    stated = approx.record.parameter_error
    assert set(stated) == {exact.params.index[-3], "gamma_geo", "gamma_collab"}
    for name, bound in stated.items():
        assert abs(approx.params[name] - exact.params[name]) <= bound
        assert bound < 0.05  # 150 units, 16 probes: informative, not vacuous
    assert approx.record.logdet.startswith("monte_carlo")
    assert "stated error" in approx.record.message
    assert approx.ml.lik.lag_logdet is None or approx.ml.lik.lag_logdet.factorisations == 0
    assert exact.record.parameter_error == {}


def test_newton_search_finds_the_root_slsqp_finds(world, monkeypatch):
    fast = SAR.from_formula("y ~ x1 + x2", world["data"], _w(world)).fit()
    n_fast = fast.ml.lik.lag_logdet.factorisations
    monkeypatch.setattr(ml_channels, "_newton_search", lambda cp, starts: None)
    slow = SAR.from_formula("y ~ x1 + x2", world["data"], _w(world)).fit()
    n_slow = slow.ml.lik.lag_logdet.factorisations
    np.testing.assert_allclose(fast.params, slow.params, rtol=0, atol=SAME_ROOT_ATOL)
    np.testing.assert_allclose(fast.loglik, slow.loglik, rtol=1e-13)
    assert fast.record.converged and "Newton" in fast.record.optimizer
    assert n_fast < n_slow / 2  # 24 against 103 here


def test_trace_series_bad_input(world):
    mats = _matrices(world)
    with pytest.raises(SpecificationError, match="exact_order"):
        TraceLogDet(mats, exact_order=5)
    with pytest.raises(SpecificationError, match="probes"):
        TraceLogDet(mats, order=6, exact_order=2, probes=1)
    series = TraceLogDet(mats, order=3, exact_order=3)
    with pytest.raises(ParameterSpaceError, match="sum"):
        series.value(np.array([0.7, 0.4]))
    model = SAR.from_formula("y ~ x1 + x2", world["data"], _w(world))
    with pytest.raises(ValueError, match="monte_carlo"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(logdet="spline")


def test_sparse_information_with_the_trace_series_agrees_with_the_dense_one(world):
    """Within a term tr(K_b K_c) comes from the series' Hessian, the rest from probes."""
    from naeringsmiljo.inference.channels import channel_information

    res = SAR.from_formula("y ~ x1 + x2", world["data"], _w(world)).fit()
    inference = res.ml
    dense, _ = channel_information(
        inference.lik, inference.beta, inference.theta, inference.sigma2, path="dense"
    )
    lik = inference.lik
    lik.lag_logdet = TraceLogDet(lik.lag, probes=64, seed=2)
    sparse, label = channel_information(
        lik, inference.beta, inference.theta, inference.sigma2, path="sparse", probes=400, seed=5
    )
    assert "from its Hessian" in label
    se_dense = np.sqrt(np.diag(np.linalg.inv(dense)))
    se_sparse = np.sqrt(np.diag(np.linalg.inv(sparse)))
    # 5%: the Monte Carlo error of the probes of tr(K'K) and of the series' estimated orders
    np.testing.assert_allclose(se_sparse, se_dense, rtol=0.05)
