"""The quasi-ML sandwich, recomputed independently from explicit matrices.

The score of the Gaussian likelihood is a vector of linear-quadratic forms
``a_j'e + e'P_j e - sigma^2 tr(P_j)`` in the innovations (Lee 2004). Here every ``a_j`` and
``P_j`` is written out as an ``n x n`` matrix from the model's equations (``P_j`` not
symmetrised), the covariance of two such forms comes from the moment formula of Kelejian &
Prucha (2001, Lemma A.1; 2010, Lemma 2) checked itself by exact enumeration, and the bread is the
analytic Hessian of the log-likelihood (the package differences the analytic score). The
package's sandwich must agree with this for SAR, SEM, SDM and SAC (two weights matrices) on
Columbus.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import naeringsmiljo as nm
from naeringsmiljo.inference.covariance import Sandwich

FORMULA = "CRIME ~ INC + HOVAL"
# The package's bread is a central difference (relative step 1e-5) of the analytic score, the
# one here the analytic Hessian: truncation ~ step^2 ~ 1e-10 and rounding ~ 1e-16/1e-5 = 1e-11
# relative to the score's scale; observed agreement 2e-9, so 1e-7 is tight with a margin.
RTOL_BREAD_DIFFERENCES = 1e-7
# Two dense analytic routes to the same matrix (rounding only; entries span ~1e-4 to ~1e3).
RTOL_DENSE = 1e-9
# Exact enumeration against a closed formula: rounding of sums of 27 terms.
RTOL_ENUMERATION = 1e-12


# ---------------------------------------------------------------- the covariance of LQ forms
def lq_covariance(
    a: np.ndarray,
    p: np.ndarray,
    b: np.ndarray,
    q: np.ndarray,
    *,
    second: np.ndarray,
    third: np.ndarray,
    fourth_excess: np.ndarray,
    pairs: np.ndarray,
) -> float:
    """Cov(a'e + e'Pe, b'e + e'Qe) for independent, mean-zero e (P, Q need not be symmetric).

    ``second``, ``third``: E e_i^2, E e_i^3; ``fourth_excess``: E e_i^4 - (E e_i^2)^2;
    ``pairs[i, k]``: E e_i^2 E e_k^2 (used for i != k only).
    """
    n = a.size
    total = 0.0
    for i in range(n):
        total += a[i] * b[i] * second[i]
        total += (a[i] * q[i, i] + b[i] * p[i, i]) * third[i]
        total += p[i, i] * q[i, i] * fourth_excess[i]
        for k in range(n):
            if k != i:
                total += (p[i, k] * q[i, k] + p[i, k] * q[k, i]) * pairs[i, k]
    return total


def test_lq_covariance_against_exact_enumeration() -> None:
    """Three independent three-point variables with different, skewed distributions."""
    values = [np.array([-1.0, 0.5, 2.0]), np.array([-2.0, 1.0, 3.0]), np.array([-0.5, 0.2, 1.5])]
    probs = []
    for v in values:  # probabilities with mean zero: p1 v1 + p2 v2 + p3 v3 = 0, p3 = 0.2
        p3 = 0.2
        p1 = (-(1 - p3) * v[1] - p3 * v[2]) / (v[0] - v[1])
        probs.append(np.array([p1, 1 - p3 - p1, p3]))
    assert all(np.all(p > 0) for p in probs)
    rng = np.random.default_rng(20250118)
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    p, q = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    outcomes = []
    for idx in itertools.product(range(3), repeat=3):
        e = np.array([values[i][j] for i, j in enumerate(idx)])
        weight = np.prod([probs[i][j] for i, j in enumerate(idx)])
        outcomes.append((weight, a @ e + e @ p @ e, b @ e + e @ q @ e))
    weights = np.array([o[0] for o in outcomes])
    f, g = np.array([o[1] for o in outcomes]), np.array([o[2] for o in outcomes])
    exact = weights @ (f * g) - (weights @ f) * (weights @ g)
    moment = [np.array([pr @ v**r for pr, v in zip(probs, values, strict=True)]) for r in (2, 3, 4)]
    formula = lq_covariance(
        a,
        p,
        b,
        q,
        second=moment[0],
        third=moment[1],
        fourth_excess=moment[2] - moment[0] ** 2,
        pairs=np.outer(moment[0], moment[0]),
    )
    np.testing.assert_allclose(formula, exact, rtol=RTOL_ENUMERATION, atol=0)


# ---------------------------------------------------------------- the model, written out
@dataclass
class Dense:
    """y, X and the two weights matrices of a Columbus model, dense, in the data's order."""

    y: np.ndarray
    x: np.ndarray
    w1: np.ndarray
    w2: np.ndarray


def dense_problem(columbus: pd.DataFrame, w1: nm.SpatialWeights, w2, durbin: bool) -> Dense:
    m1 = w1.sparse.toarray()
    m2 = m1 if w2 is None else w2.sparse.toarray()
    z = columbus[["INC", "HOVAL"]].to_numpy(dtype=float)
    x = np.column_stack([np.ones(len(columbus)), z] + ([m1 @ z] if durbin else []))
    return Dense(columbus["CRIME"].to_numpy(dtype=float), x, m1, m2)


def split(theta: np.ndarray, k: int, has_rho: bool, has_lambda: bool):
    beta = theta[:k]
    rho = theta[k] if has_rho else 0.0
    lam = theta[k + has_rho] if has_lambda else 0.0
    return beta, rho, lam, theta[-1]


def score_forms(d: Dense, theta, has_rho: bool, has_lambda: bool):
    """The a_j and P_j of every score component, and the innovations, at ``theta``."""
    n, k = d.x.shape
    beta, rho, lam, sigma2 = split(theta, k, has_rho, has_lambda)
    a_mat = np.eye(n) - rho * d.w1
    b_mat = np.eye(n) - lam * d.w2
    e = b_mat @ (a_mat @ d.y - d.x @ beta)
    zero = np.zeros((n, n))
    forms = [(b_mat @ d.x[:, j] / sigma2, zero) for j in range(k)]
    if has_rho:
        # B W_1 y = B W_1 A^{-1} (X beta + B^{-1} e): a linear part and a quadratic part in e
        g_a = d.w1 @ np.linalg.inv(a_mat)
        forms.append(
            (b_mat @ g_a @ d.x @ beta / sigma2, b_mat @ g_a @ np.linalg.inv(b_mat) / sigma2)
        )
    if has_lambda:
        # W_2 u = W_2 B^{-1} e
        forms.append((np.zeros(n), d.w2 @ np.linalg.inv(b_mat) / sigma2))
    forms.append((np.zeros(n), np.eye(n) / (2 * sigma2**2)))
    return forms, e


def analytic_hessian(d: Dense, theta, has_rho: bool, has_lambda: bool) -> np.ndarray:
    """Hessian of -n/2 ln(2 pi s2) + ln|A| + ln|B| - e'e/(2 s2), e = B(Ay - X beta)."""
    n, k = d.x.shape
    beta, rho, lam, sigma2 = split(theta, k, has_rho, has_lambda)
    a_mat = np.eye(n) - rho * d.w1
    b_mat = np.eye(n) - lam * d.w2
    u = a_mat @ d.y - d.x @ beta
    e = b_mat @ u
    jac = [-b_mat @ d.x]  # de/dtheta, columns
    second = {}  # nonzero second derivatives of e, by (index, index)
    idx_rho = k if has_rho else None
    idx_lam = k + has_rho if has_lambda else None
    if has_rho:
        jac.append((-b_mat @ d.w1 @ d.y)[:, None])
    if has_lambda:
        jac.append((-d.w2 @ u)[:, None])
        for j in range(k):
            second[j, idx_lam] = d.w2 @ d.x[:, j]
        if has_rho:
            second[idx_rho, idx_lam] = d.w2 @ d.w1 @ d.y
    jac = np.hstack(jac)
    p = jac.shape[1]
    hess = np.zeros((p + 1, p + 1))
    hess[:p, :p] = -(jac.T @ jac) / sigma2
    for (j, m), vec in second.items():
        hess[j, m] -= e @ vec / sigma2
        hess[m, j] = hess[j, m]
    if has_rho:
        g_a = d.w1 @ np.linalg.inv(a_mat)
        hess[idx_rho, idx_rho] -= np.trace(g_a @ g_a)
    if has_lambda:
        g_b = d.w2 @ np.linalg.inv(b_mat)
        hess[idx_lam, idx_lam] -= np.trace(g_b @ g_b)
    hess[:p, p] = hess[p, :p] = jac.T @ e / sigma2**2
    hess[p, p] = n / (2 * sigma2**2) - e @ e / sigma2**3
    return hess


def score_covariance(forms, e: np.ndarray, sigma2: float, innovations: str) -> np.ndarray:
    """The estimated covariance of the score: each pair of forms through lq_covariance."""
    n = e.size
    if innovations == "heteroskedastic":
        centred = e**2 - sigma2
        moments = {
            "second": e**2,
            "third": e * centred,
            "fourth_excess": centred**2,
            "pairs": np.outer(e**2, e**2),
        }
    elif innovations == "iid":
        mu3, mu4 = np.mean(e**3), np.mean(e**4)
        moments = {
            "second": np.full(n, sigma2),
            "third": np.full(n, mu3),
            "fourth_excess": np.full(n, mu4 - sigma2**2),
            "pairs": np.full((n, n), sigma2**2),
        }
    else:  # Gaussian: the information matrix
        moments = {
            "second": np.full(n, sigma2),
            "third": np.zeros(n),
            "fourth_excess": np.full(n, 2 * sigma2**2),
            "pairs": np.full((n, n), sigma2**2),
        }
    p = len(forms)
    omega = np.empty((p, p))
    for j, m in itertools.product(range(p), repeat=2):
        omega[j, m] = lq_covariance(*forms[j], *forms[m], **moments)
    return omega


LABELS = {"heteroskedastic": "heteroskedastic innovations", "iid": "iid non-normal innovations"}
CASES = {
    "SAR": (nm.SAR, True, False, False, False),
    "SEM": (nm.SEM, False, True, False, False),
    "SDM": (nm.SDM, True, False, True, False),
    "SAC": (nm.SAC, True, True, False, True),
}


@pytest.fixture(scope="module")
def fitted(columbus, w_anselin, w_queen):
    out = {}
    for name, (model, has_rho, has_lambda, durbin, two) in CASES.items():
        w_error = w_queen if two else None
        res = model.from_formula(FORMULA, columbus, w_anselin, w_error=w_error).fit()
        d = dense_problem(columbus, w_anselin, w_error, durbin)
        theta = np.concatenate([res.params.to_numpy(), [res.sigma2]])
        out[name] = (res, d, theta, has_rho, has_lambda)
    return out


@pytest.mark.parametrize("model", list(CASES))
def test_gaussian_moments_give_the_information_matrix(fitted, model: str) -> None:
    """The explicit forms are the model's: with normal moments their covariance is the
    package's analytic information matrix (itself checked against R spatialreg)."""
    res, d, theta, has_rho, has_lambda = fitted[model]
    forms, e = score_forms(d, theta, has_rho, has_lambda)
    sigma2 = theta[-1]
    np.testing.assert_allclose(e @ e / e.size, sigma2, rtol=RTOL_DENSE, atol=0)
    omega = score_covariance(forms, e, sigma2, "gaussian")
    assert res.ml is not None
    np.testing.assert_allclose(omega, res.ml.information.matrix, rtol=RTOL_DENSE, atol=0)


@pytest.mark.parametrize("innovations", ["heteroskedastic", "iid"])
@pytest.mark.parametrize("model", list(CASES))
def test_sandwich_equals_the_dense_recomputation(fitted, model: str, innovations: str) -> None:
    res, d, theta, has_rho, has_lambda = fitted[model]
    forms, e = score_forms(d, theta, has_rho, has_lambda)
    omega = score_covariance(forms, e, theta[-1], innovations)
    bread = np.linalg.inv(-analytic_hessian(d, theta, has_rho, has_lambda))
    expected = bread @ omega @ bread
    robust = res.with_cov(Sandwich(innovations=innovations))  # type: ignore[arg-type]
    k = theta.size - 1
    np.testing.assert_allclose(
        robust.cov.to_numpy(), expected[:k, :k], rtol=RTOL_BREAD_DIFFERENCES, atol=0
    )
    np.testing.assert_allclose(
        robust.sigma2_se, np.sqrt(expected[k, k]), rtol=RTOL_BREAD_DIFFERENCES, atol=0
    )
    assert robust.cov_type.endswith(LABELS[innovations])


def test_default_sandwich_is_heteroskedasticity_robust(fitted) -> None:
    res = fitted["SAR"][0]
    by_name = res.with_cov("sandwich")
    explicit = res.with_cov(Sandwich(innovations="heteroskedastic"))
    np.testing.assert_array_equal(by_name.cov.to_numpy(), explicit.cov.to_numpy())


def test_sandwich_refuses_an_unknown_assumption(fitted) -> None:
    res = fitted["SAR"][0]
    with pytest.raises(
        ValueError, match="innovations='robust' is not one of 'heteroskedastic', 'iid'"
    ):
        res.with_cov(Sandwich(innovations="robust"))  # type: ignore[arg-type]


def test_sandwich_size_limit_is_inclusive(fitted, monkeypatch) -> None:
    """Dense matrices are formed up to DENSE_MATRIX_LIMIT units inclusive, not beyond."""
    from naeringsmiljo.inference import covariance

    res = fitted["SAR"][0]
    n = int(res.nobs)
    monkeypatch.setattr(covariance, "DENSE_MATRIX_LIMIT", n)
    assert np.all(np.isfinite(res.with_cov("sandwich").cov.to_numpy()))
    monkeypatch.setattr(covariance, "DENSE_MATRIX_LIMIT", n - 1)
    with pytest.raises(ValueError, match="dense"):
        res.with_cov("sandwich")


def test_sandwich_refuses_stacked_periods(fitted) -> None:
    """A likelihood whose log-determinants enter more than once (stacked periods) is refused."""
    import copy

    from naeringsmiljo.inference.covariance import linear_quadratic_score

    res = fitted["SAR"][0]
    assert res.ml is not None
    problem = res.ml.problem
    stacked = copy.copy(problem.lik)
    stacked.multiplicity = 2
    with pytest.raises(ValueError, match="cross-sections"):
        linear_quadratic_score(type(problem)(stacked, problem.estimate, True, False))
