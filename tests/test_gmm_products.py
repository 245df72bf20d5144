"""The moment estimators' products with W: ``A_1`` applied to vectors and the traces of the
moment variances from W's entries equal the matrices formed explicitly (the definitions of
Arraiz et al. 2010, eq. 8 and 13, and Drukker, Egger & Prucha 2013, eq. 5 and 13), and the
committed large-n benchmark agrees with spreg."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from naeringsmiljo import SEM, SpatialWeights
from naeringsmiljo.estimators import _moments as gmm

ROOT = Path(__file__).resolve().parents[1]
# The two sides sum the same products in another order: rounding only.
RTOL = 1e-12


def _weights(n: int, seed: int) -> sp.csr_array:
    """Asymmetric weights with a few self-links, so that every diagonal correction matters."""
    rng = np.random.default_rng(seed)
    dense = (rng.random((n, n)) < 0.15) * rng.random((n, n))
    dense[np.arange(0, n, 7), np.arange(0, n, 7)] = 0.3
    return sp.csr_array(dense)


@pytest.mark.parametrize("variant", ["het", "hom"])
def test_a1_operator_is_the_explicit_matrix(variant: str) -> None:
    w = _weights(40, 1)
    wtw = (w.T @ w).toarray()
    n = w.shape[0]
    if variant == "het":
        explicit = wtw - np.diag(np.diag(wtw))
    else:
        t = np.trace(wtw) / n
        explicit = (wtw - t * np.eye(n)) / (1 + t * t)
    a1 = gmm.A1Operator.of(w, variant)
    v = np.random.default_rng(2).standard_normal(n)
    np.testing.assert_allclose(a1 @ v, explicit @ v, rtol=RTOL, atol=1e-13)
    np.testing.assert_allclose(a1.diagonal(), np.diag(explicit), rtol=RTOL, atol=1e-13)
    assert gmm.frobenius_sq(w) == pytest.approx(np.trace(wtw), rel=RTOL)


def test_het_variance_is_the_trace_formula() -> None:
    """``Psi_rs = tr(A_r E A_s E) / (2n)``, ``A_1`` doubled, ``A_2 = W + W'``, E diagonal."""
    w = _weights(40, 3)
    n = w.shape[0]
    wtw = (w.T @ w).toarray()
    a1 = 2 * (wtw - np.diag(np.diag(wtw)))
    a2 = (w + w.T).toarray()
    eps2 = np.random.default_rng(4).random(n)
    e = np.diag(eps2)
    expected = np.array(
        [[np.trace(a @ e @ b @ e) for b in (a1, a2)] for a in (a1, a2)]
    ) / (2 * n)
    matrices = gmm.HetVarianceMatrices.of(w, gmm.a1_het(w))
    np.testing.assert_allclose(gmm.het_moment_variance(matrices, eps2), expected, rtol=RTOL)


def test_hom_traces_are_the_explicit_traces() -> None:
    w = _weights(40, 5)
    n = w.shape[0]
    wtw = (w.T @ w).toarray()
    t = np.trace(wtw) / n
    a1 = (wtw - t * np.eye(n)) / (1 + t * t)
    a2 = (w + w.T).toarray() / 2
    traces = gmm._hom_traces(w, gmm.a1_hom(w))
    np.testing.assert_allclose(
        [traces.tr11, traces.tr12, traces.tr22],
        [np.trace(a1 @ a1), np.trace(a1 @ (2 * a2)), 2 * np.trace(a2 @ a2)],
        rtol=RTOL,
    )


def test_norms_interval_leaves_the_gm_estimate_unchanged() -> None:
    """Above the dense limit, row-standardised weights report the interval from the norms;
    the search within (-1, 1) is the one the Lanczos interval gives."""
    rng = np.random.default_rng(6)
    n = 400
    points = rng.random((n, 2))
    from scipy.spatial import cKDTree

    _, idx = cKDTree(points).query(points, 7)
    rows = np.repeat(np.arange(n), 6)
    matrix = sp.csr_array((np.full(n * 6, 1 / 6), (rows, idx[:, 1:].ravel())), shape=(n, n))
    w = SpatialWeights.from_sparse(matrix, transform="r")
    assert gmm.moment_interval(w) == pytest.approx((-1.0, 1.0), rel=1e-12)
    assert gmm.bounds_of(w.parameter_interval()) == gmm.bounds_of(gmm.moment_interval(w))
    x = rng.standard_normal((n, 2))
    y = x @ [1.0, -1.0] + rng.standard_normal(n)
    res = SEM.from_arrays(y, x, w).fit(method="gm_error")
    assert res.record.interval == pytest.approx((-1.0, 1.0), rel=1e-12)


@pytest.mark.parametrize("stem", ["gmm_large_1e5", "gmm_kernel_1e5", "gmm_renumbered_1e5"])
def test_committed_large_benchmark_agrees_with_spreg(stem: str) -> None:
    """``benchmarks/gmm_large.py``: every estimate within 1e-5 of spreg's where spreg ran
    (both are exact roots of the same moments; spreg's weighting matrix differs in rounding);
    ``gmm_kernel_1e5`` is the run with the compiled sums over W'W, ``gmm_renumbered_1e5`` the
    run with the het, hom and GS2SLS fits in the renumbered order of those sums."""
    rows = list(csv.DictReader((ROOT / f"benchmarks/results/{stem}.csv").open()))
    assert {r["estimator"] for r in rows} == {
        "S2SLS", "GM error het", "GM error hom", "GM error KP99", "GS2SLS het"
    }  # fmt: skip
    assert all(float(r["diff"]) < 1e-5 for r in rows)


def test_moments_from_the_lags_at_hand_are_the_operator_products() -> None:
    """``two_moments`` reuses ``W u`` and ``W W u`` in ``A_1 u`` and ``A_1 W u`` when ``A_1``
    was built on the same ``W``; the result equals the products with the operator itself
    (a generic operator, which takes the other branch)."""
    w = _weights(40, 7)
    u = np.random.default_rng(8).standard_normal(40)
    for variant in ("het", "hom"):
        a1 = gmm.A1Operator.of(w, variant)
        assert a1.built_on(w) and not a1.built_on(_weights(40, 7))

        class Plain:  # the same operator without the shortcut
            def __init__(self, operator: gmm.A1Operator) -> None:
                self.operator = operator

            def __matmul__(self, v: np.ndarray) -> np.ndarray:
                return self.operator @ v

        reused, plain = gmm.two_moments(u, w, a1), gmm.two_moments(u, w, Plain(a1))
        # the same products in the same order: equal to the last bit
        np.testing.assert_array_equal(reused.big_g, plain.big_g)
        np.testing.assert_array_equal(reused.small_g, plain.small_g)


def test_the_design_keeps_the_factor_of_its_rank_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The GM error models' first least squares use the QR factor of X that the design's rank
    check computed (no second factorisation of the n-row design); the factor is that of the
    design's X, and a design whose X is replaced gets its own."""
    import dataclasses

    from naeringsmiljo.linalg import DesignFactor

    rng = np.random.default_rng(51)
    matrix = _weights(60, 52)
    matrix.setdiag(0.0)
    w = SpatialWeights.from_sparse(sp.csr_array(matrix.toarray()), transform="r")
    x = rng.standard_normal((60, 2))
    y = x @ [1.0, 0.5] + rng.standard_normal(60)
    model = SEM.from_arrays(y, x, w)
    spec = model.spec
    factor = spec.x_factor()
    assert factor is spec.x_factor()
    # the same Householder QR of the same equilibrated array (signs of R's rows aside): equal
    # to rounding, far inside 1e-12
    np.testing.assert_allclose(np.abs(factor.r), np.abs(DesignFactor.of(spec.x).r), rtol=1e-12)
    calls: list[tuple[int, ...]] = []
    original = DesignFactor.of.__func__  # type: ignore[attr-defined]

    def counting(cls: type, a: np.ndarray) -> DesignFactor:
        calls.append(a.shape)
        return original(cls, a)

    monkeypatch.setattr(DesignFactor, "of", classmethod(counting))
    model.fit(method="gm_error", variant="kp99")
    assert calls == [spec.x.shape]  # the FGLS design only: OLS used the design's factor
    other = dataclasses.replace(spec, x=spec.x * 2.0)
    assert other.x_factor() is not factor
