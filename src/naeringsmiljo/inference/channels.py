"""Inference for models whose spatial terms combine several weights matrices.

* :func:`channel_information`: the expected information matrix of
  ``(beta, theta, sigma^2)`` for the likelihood of
  :mod:`naeringsmiljo.likelihood.channels`, for any parametrisation of the terms.
* :func:`observed_information`: minus the Hessian (central differences of the analytic score).
* :class:`ChannelInference`: what a fit keeps to switch covariances, and the covariance of the
  *reported* parameters (every ``gamma``, with the implied one's variance by the delta method,
  exact here because the reported parameters are linear in the free ones).
* :func:`chi_bar_square_weights` / :func:`chi_bar_square_pvalue`: the null distribution of the
  likelihood-ratio test of "one matrix only", a point on the boundary of the simplex
  (Kudô 1963; Shapiro 1985; Silvapulle & Sen 2005, s. 3.6).
* :func:`channel_impacts`: direct, indirect and total impacts with the indirect impact split by
  the matrix through which a spillover's first step runs.

**The information matrix.** Write ``e = B(Ay - Z beta)`` with ``A = I - sum_m delta^A_m W^A_m``
and ``B = I - sum_l delta^B_l W^B_l``, ``delta = delta(theta)``. For a Gaussian vector
``y ~ N(mu, Sigma)`` the information is ``mu_j' Sigma^{-1} mu_k + tr(Sigma^{-1} Sigma_j
Sigma^{-1} Sigma_k)/2``; with ``C = BA``, ``Sigma = sigma^2 (C'C)^{-1}`` and
``K_j = B_j B^{-1} + B A_j A^{-1} B^{-1}`` this is

.. math::

    I_{\\theta_j\\theta_k} = c_j'c_k/\\sigma^2 + \\mathrm{tr}(K_jK_k) + \\mathrm{tr}(K_j'K_k),
    \\quad I_{\\beta\\theta_j} = (BZ)'c_j/\\sigma^2,
    \\quad I_{\\theta_j\\sigma^2} = -\\mathrm{tr}(K_j)/\\sigma^2,

    I_{\\beta\\beta} = (BZ)'BZ/\\sigma^2, \\quad I_{\\sigma^2\\sigma^2} = n/(2\\sigma^4),

with ``c_j = B(Z_j beta - A_j A^{-1} Z beta)``. ``K_j`` is linear in the basis matrices
``-B W^A_m A^{-1} B^{-1}`` and ``-W^B_l B^{-1}`` (coefficients ``d delta / d theta_j``), so
the traces are formed once per pair of matrices and mapped to ``theta``. With one matrix per
term these are the blocks of Anselin (1988, eq. 6.5) and Lee & Liu (2010); the terms of the
second derivatives of ``A`` (``rho`` times ``gamma`` is bilinear) vanish in expectation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
from scipy import stats

from naeringsmiljo._options import DENSE_MATRIX_LIMIT
from naeringsmiljo.exceptions import ParameterSpaceError, SpecificationError
from naeringsmiljo.likelihood.channels import ChannelLikelihood, CombinedLogDet
from naeringsmiljo.weights.logdet.taylor import TraceLogDet

ChannelCovariance = Literal["information", "hessian"]

#: Rademacher probes of the Hutchinson traces above ``DENSE_MATRIX_LIMIT`` units.
DEFAULT_PROBES = 50


# ---------------------------------------------------------------------------- information
def channel_information(
    lik: ChannelLikelihood,
    beta: np.ndarray,
    theta: np.ndarray,
    sigma2: float,
    *,
    path: Literal["auto", "dense", "sparse"] = "auto",
    probes: int = DEFAULT_PROBES,
    seed: int = 0,
) -> tuple[np.ndarray, str]:
    """The expected information matrix of ``(beta, theta, sigma^2)`` and its description.

    ``path="dense"`` forms ``n x n`` inverses (up to ``DENSE_MATRIX_LIMIT`` units, the
    default there); ``"sparse"`` estimates ``tr(K_b K_c)`` and ``tr(K_b' K_c)`` with
    ``probes`` Rademacher probes (Hutchinson 1989) from sparse LU solves, and takes
    ``tr(K_b)`` from the log-determinant's gradient (relative error about 1e-10).
    """
    n = lik.n
    sparse = path == "sparse" or (path == "auto" and n > DENSE_MATRIX_LIMIT)
    if not sparse and n > DENSE_MATRIX_LIMIT:
        raise SpecificationError(
            f"The dense information matrix forms {n}x{n} matrices; use path='sparse'."
        )
    d_a, d_b = lik.coefficients(theta)
    j_a, j_b = lik.jacobians(theta)
    jac = np.vstack([j_a, j_b])  # (basis, n_free)
    z = lik.design(theta)
    bz = lik.filter_error(theta, z)
    zb = z @ beta
    if sparse:
        traces, c_basis, label = _sparse_traces(lik, d_a, d_b, zb, probes, seed)
    else:
        traces, c_basis, label = _dense_traces(lik, d_a, d_b, zb)
    t1, t2, t = traces
    c = c_basis @ jac + lik.filter_error(theta, lik.design_derivatives(theta, beta))
    k, d = bz.shape[1], lik.n_free
    info = np.zeros((k + d + 1, k + d + 1))
    info[:k, :k] = bz.T @ bz / sigma2
    info[:k, k : k + d] = bz.T @ c / sigma2
    info[k : k + d, k : k + d] = c.T @ c / sigma2 + jac.T @ (t1 + t2) @ jac
    info[k : k + d, -1] = -(jac.T @ t) / sigma2
    info[-1, -1] = n / (2.0 * sigma2**2)
    info = np.triu(info) + np.triu(info, 1).T
    return info, label


def _basis_count(lik: ChannelLikelihood) -> int:
    return len(lik.lag) + len(lik.error)


def _dense_traces(
    lik: ChannelLikelihood, d_a: np.ndarray, d_b: np.ndarray, zb: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, str]:
    """The traces from dense inverses of ``A`` and ``B`` (sparse products with the ``W_m``)."""
    n = lik.n
    eye = np.eye(n)
    a = sp.identity(n, format="csr") - sum(
        (d * w for d, w in zip(d_a, lik.lag, strict=True)), sp.csr_array((n, n))
    )
    b = sp.identity(n, format="csr") - sum(
        (d * w for d, w in zip(d_b, lik.error, strict=True)), sp.csr_array((n, n))
    )
    a_inv = scipy.linalg.lu_solve(scipy.linalg.lu_factor(a.toarray()), eye)
    b_inv = scipy.linalg.lu_solve(scipy.linalg.lu_factor(b.toarray()), eye) if lik.error else None
    mu = a_inv @ zb
    basis: list[np.ndarray] = []
    c_basis = np.zeros((n, _basis_count(lik)))
    for m, w in enumerate(lik.lag):
        g = sp.csr_array(w) @ a_inv  # W_m A^{-1}
        basis.append(-(sp.csr_array(b) @ g) @ b_inv if b_inv is not None else -g)
        c_basis[:, m] = b @ (w @ mu)
    for w in lik.error:
        basis.append(-(sp.csr_array(w) @ b_inv))
    p = len(basis)
    t1, t2 = np.zeros((p, p)), np.zeros((p, p))
    for i in range(p):
        for j in range(i, p):
            t1[i, j] = t1[j, i] = float(np.sum(basis[i] * basis[j].T))
            t2[i, j] = t2[j, i] = float(np.sum(basis[i] * basis[j]))
    t = np.array([np.trace(k) for k in basis])
    return (t1, t2, t), c_basis, "inverse of the analytic information matrix (dense)"


def _sparse_traces(
    lik: ChannelLikelihood,
    d_a: np.ndarray,
    d_b: np.ndarray,
    zb: np.ndarray,
    probes: int,
    seed: int,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, str]:
    if probes < 2:
        raise SpecificationError(f"The Hutchinson estimates need at least 2 probes, got {probes}.")
    n = lik.n
    eye = sp.identity(n, format="csc")
    b = sp.csc_array(eye - sum((d * w for d, w in zip(d_b, lik.error, strict=True)), 0 * eye))

    def a_solve(v: np.ndarray) -> np.ndarray:  # the likelihood's own factorisation of A
        return lik.lag_logdet.solve(d_a, v) if lik.lag_logdet is not None else v

    def b_solve(v: np.ndarray) -> np.ndarray:
        return lik.error_logdet.solve(d_b, v) if lik.error_logdet is not None else v

    def apply_all(v: np.ndarray) -> list[np.ndarray]:
        """``K_b v`` for every basis matrix, with one solve per term shared by its matrices."""
        out = []
        if lik.lag:
            inner = a_solve(b_solve(v))
            out += [-(b @ (w @ inner)) for w in lik.lag]
        if lik.error:
            inner = b_solve(v)
            out += [-(w @ inner) for w in lik.error]
        return out

    p = _basis_count(lik)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    zs = rng.integers(0, 2, size=(n, probes)).astype(np.float64) * 2 - 1
    kz = apply_all(zs)
    t1, t2 = np.zeros((p, p)), np.zeros((p, p))
    # Within a term tr(K_b K_c) = tr(W_b A^{-1} W_c A^{-1}) (B cancels by similarity) is minus
    # the Hessian of ln|A|: the trace series has it as a polynomial, with no solve; the exact
    # log-determinant has it from the search's last expansion (second differences of exact
    # values, relative error about 1e-6) when the estimate is that expansion's.
    known = np.zeros((p, p), dtype=bool)
    blocks = ((lik.lag_logdet, d_a, 0), (lik.error_logdet, d_b, len(lik.lag)))
    for logdet, delta, start in blocks:
        hessian = None
        if isinstance(logdet, TraceLogDet):
            hessian = logdet.value_gradient_hessian(delta)[2]
        elif isinstance(logdet, CombinedLogDet):
            hessian = logdet.known_hessian(delta)
        if hessian is not None:
            where = slice(start, start + delta.size)
            t1[where, where] = -hessian
            known[where, where] = True
    for j in range(p):
        if not known[:, j].all():
            kkz = apply_all(kz[j])
            for i in range(p):
                if not known[i, j]:
                    t1[i, j] = float(np.mean(np.einsum("ij,ij->j", zs, kkz[i])))
    for i in range(p):
        for j in range(i, p):
            t2[i, j] = t2[j, i] = float(np.mean(np.einsum("ij,ij->j", kz[i], kz[j])))
    t1 = 0.5 * (t1 + t1.T)  # tr(K_b K_c) = tr(K_c K_b)
    t = np.zeros(p)  # tr(K) is the log-determinant's gradient
    if lik.lag_logdet is not None:
        t[: len(lik.lag)] = lik.lag_logdet.value_and_gradient(d_a)[1]
    if lik.error_logdet is not None:
        t[len(lik.lag) :] = lik.error_logdet.value_and_gradient(d_b)[1]
    mu = a_solve(zb)
    c_basis = np.zeros((n, p))
    for m, w in enumerate(lik.lag):
        c_basis[:, m] = b @ (w @ mu)
    label = (
        "inverse of the analytic information matrix (sparse: Hutchinson traces with "
        f"{probes} probes, seed {seed}; traces of K from the log-determinant's gradient"
        + (", tr(K_b K_c) within a term from its Hessian" if known.any() else "")
        + ")"
    )
    return (t1, t2, t), c_basis, label


def observed_information(
    lik: ChannelLikelihood,
    beta: np.ndarray,
    theta: np.ndarray,
    sigma2: float,
    *,
    step: float = 1e-5,
) -> np.ndarray:
    """Minus the Hessian of the log-likelihood: central differences of the analytic score."""
    point = np.concatenate([beta, theta, [sigma2]])
    k, d = beta.size, theta.size
    hessian = np.empty((point.size, point.size))
    for j in range(point.size):
        h = step * max(1.0, abs(point[j]))
        up, down = point.copy(), point.copy()
        up[j] += h
        down[j] -= h
        s_up = lik.full_score(up[:k], up[k : k + d], float(up[-1]))
        s_down = lik.full_score(down[:k], down[k : k + d], float(down[-1]))
        hessian[:, j] = (s_up - s_down) / (2 * h)
    return -0.5 * (hessian + hessian.T)


def constrained_covariance(information: np.ndarray, constraints: np.ndarray) -> np.ndarray:
    """Covariance under linear equality constraints ``R p = r`` on the parameters.

    ``N (N' I N)^{-1} N'`` with ``N`` a basis of the null space of ``R``: parameters held
    fixed, or a fixed implied ``gamma_M`` (a constraint on a sum), get the right (zero)
    variance. An information matrix that is not positive definite on that space is an error,
    not a pseudo-inverse.
    """
    null, inner = _free_space(information, constraints)
    return null @ inner @ null.T


def _free_space(information: np.ndarray, constraints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``N``, a basis of the null space of the constraints, and ``(N' I N)^{-1}``.

    Computed in parameters scaled to unit information (Jacobi scaling), so that the basis of
    the null space, which mixes parameters, does not mix their units: a regressor in kroner and
    rho then carry the same weight, and the covariance scales with the units of each column.
    """
    size = information.shape[0]
    diag = np.diag(information)
    d = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 1.0)
    scaled = information * np.outer(d, d)
    null = scipy.linalg.null_space(constraints * d[None, :]) if constraints.size else np.eye(size)
    reduced = null.T @ scaled @ null
    try:
        factor = scipy.linalg.cho_factor(reduced)
    except np.linalg.LinAlgError as err:
        raise ParameterSpaceError(
            "The information matrix is singular: the mix of the matrices is not identified at "
            "this estimate (rho = 0 leaves gamma free, and identical lags leave it unidentified)."
        ) from err
    return d[:, None] * null, scipy.linalg.cho_solve(factor, np.eye(reduced.shape[0]))


@dataclass(frozen=True)
class ChannelInference:
    """What an ML fit with combined weights keeps to compute and switch its covariance.

    Attributes
    ----------
    lik : ChannelLikelihood
        The likelihood.
    beta, theta, sigma2 :
        The estimate (``theta`` the free spatial parameters).
    constraints : numpy.ndarray
        Rows ``R`` of the linear equality constraints of fixed parameters, over
        ``(beta, theta, sigma^2)``.
    reported : numpy.ndarray
        ``d reported / d (beta, theta, sigma^2)``: the covariance of the reported parameters
        (every gamma) is ``L V L'``.
    kind : {"information", "hessian"}
    information : numpy.ndarray
    label : str
    """

    lik: ChannelLikelihood
    beta: np.ndarray
    theta: np.ndarray
    sigma2: float
    constraints: np.ndarray
    reported: np.ndarray
    kind: ChannelCovariance
    information: np.ndarray = field(repr=False)
    label: str = ""

    @classmethod
    def evaluate(
        cls,
        lik: ChannelLikelihood,
        beta: np.ndarray,
        theta: np.ndarray,
        sigma2: float,
        constraints: np.ndarray,
        reported: np.ndarray,
        kind: str,
    ) -> ChannelInference:
        if kind == "information":
            info, label = channel_information(lik, beta, theta, sigma2)
        elif kind == "hessian":
            info = observed_information(lik, beta, theta, sigma2)
            label = "inverse of the numerical Hessian of the log-likelihood"
        else:
            raise SpecificationError(
                f"Unknown covariance {kind!r} for a model with combined weights; use "
                "'information' or 'hessian' (the QML sandwich is not available for them)."
            )
        return cls(lik, beta, theta, sigma2, constraints, reported, kind, info, label)  # type: ignore[arg-type]

    def with_estimator(self, kind: str) -> ChannelInference:
        return ChannelInference.evaluate(
            self.lik, self.beta, self.theta, self.sigma2, self.constraints, self.reported, kind
        )

    @property
    def information_accuracy(self) -> None:
        return None

    def covariance(self) -> np.ndarray:
        """Covariance of the reported ``(beta, spatial parameters, sigma^2)``."""
        cov = constrained_covariance(self.information, self.constraints)
        return self.reported @ cov @ self.reported.T

    def draws(self, mean: np.ndarray, size: int, stream: np.random.SeedSequence) -> np.ndarray:
        """Draws of the reported ``(beta, spatial parameters)`` around ``mean``.

        Drawn in the free parameters (whose covariance is non-singular on the space the fixed
        values leave) and mapped to the reported ones, so that the mix always sums to one.
        """
        null, inner = _free_space(self.information, self.constraints)
        factor = np.linalg.cholesky(inner)
        rng = np.random.default_rng(stream)
        shocks = rng.standard_normal((size, inner.shape[0])) @ factor.T @ null.T
        return mean[None, :] + (shocks @ self.reported.T)[:, :-1]


# ---------------------------------------------------------------------------- chi-bar-square
def _orthant(cov: np.ndarray) -> float:
    """``P(Z >= 0)`` for ``Z ~ N(0, cov)``, closed forms up to three dimensions."""
    p = cov.shape[0]
    if p == 0:
        return 1.0
    if p == 1:
        return 0.5
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    if p == 2:
        return 0.25 + float(np.arcsin(np.clip(r[0, 1], -1, 1))) / (2 * np.pi)
    if p == 3:
        s = sum(float(np.arcsin(np.clip(r[i, j], -1, 1))) for i, j in ((0, 1), (0, 2), (1, 2)))
        return 0.125 + s / (4 * np.pi)
    raise SpecificationError("Orthant probabilities in closed form up to three dimensions.")


def chi_bar_square_weights(cov: np.ndarray) -> np.ndarray:
    """Weights ``w_0..w_p`` of the chi-bar-square distribution of the LR test of
    ``H0: g = 0`` against ``g >= 0``, with ``cov`` the covariance of the estimate of ``g``.

    ``w_i = sum_{|S| = i} P(N(0, V_{S.F}) >= 0) P(N(0, V_FF^{-1}) >= 0)``, ``F`` the complement
    of ``S`` and ``V_{S.F}`` the conditional covariance (Kudô 1963; Silvapulle & Sen 2005,
    Prop. 3.6.1), with closed-form orthant probabilities (``p <= 3``: four matrices).
    """
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    p = cov.shape[0]
    weights = np.zeros(p + 1)
    for size in range(p + 1):
        for s in combinations(range(p), size):
            f = [j for j in range(p) if j not in s]
            s_list = list(s)
            if f:
                v_ff = cov[np.ix_(f, f)]
                cond = cov[np.ix_(s_list, s_list)] - cov[np.ix_(s_list, f)] @ np.linalg.solve(
                    v_ff, cov[np.ix_(f, s_list)]
                )
                weights[size] += _orthant(cond) * _orthant(np.linalg.inv(v_ff))
            else:
                weights[size] += _orthant(cov)
    return weights


def chi_bar_square_pvalue(statistic: float, cov: np.ndarray) -> float:
    """``P(chi-bar-square >= statistic)``: ``sum_i w_i P(chi^2_i >= statistic)``."""
    weights = chi_bar_square_weights(cov)
    if statistic <= 0:
        return 1.0
    tail = [0.0] + [float(stats.chi2.sf(statistic, i)) for i in range(1, weights.size)]
    return float(np.dot(weights, tail))


# ---------------------------------------------------------------------------- impacts
@dataclass(frozen=True)
class ChannelImpacts:
    """Impacts of a model with combined weights, and the indirect impact by channel.

    Attributes
    ----------
    estimates : pandas.DataFrame
        One row per regressor: ``direct``, ``indirect``, ``total``.
    channels : pandas.DataFrame
        One row per regressor, one column per matrix: the indirect impact whose first step runs
        through that matrix; the columns sum to ``indirect``.
    std_errors, channel_std_errors : pandas.DataFrame or None
        Their standard errors (simulation).
    draws, draws_discarded : int
        Parameter draws, and those outside the parameter space (discarded).
    seed : int or tuple or None
    model : str
    notes : tuple of str
    """

    estimates: pd.DataFrame
    channels: pd.DataFrame
    model: str
    std_errors: pd.DataFrame | None = None
    channel_std_errors: pd.DataFrame | None = None
    draws: int = 0
    draws_discarded: int = 0
    seed: int | tuple[int, ...] | None = None
    notes: tuple[str, ...] = ()
    method: str = "exact"
    inference: str | None = None

    def summary(self) -> str:
        lines = [f"Impacts of {self.model} (combined weights)", self.estimates.to_string()]
        if self.std_errors is not None:
            lines += ["Standard errors", self.std_errors.to_string()]
        lines += ["Indirect impact by channel (first step)", self.channels.to_string()]
        if self.channel_std_errors is not None:
            lines += ["Standard errors", self.channel_std_errors.to_string()]
        return "\n".join(lines + list(self.notes))

    def __repr__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class ChannelEffects:
    """The pieces of the impacts that depend only on ``delta`` (the matrices' coefficients).

    ``S_r = A^{-1}(beta_r I + sum_m theta_{m r} W_m) = beta_r I + sum_m c_{m r} A^{-1} W_m``
    with ``c_{m r} = delta_m beta_r + theta_{m r}``; with row-standardised ``W_m`` every
    ``A^{-1} W_m`` has row sums ``1/(1 - sum delta)`` and mean diagonal
    ``tr(A^{-1} W_m)/n``, minus the log-determinant's gradient over ``n``: exact, from one
    pair of real factorisations per matrix (central differences), at any n.
    """

    diagonal: np.ndarray  # tr(A^{-1} W_m)/n
    row_sum: float  # 1/(1 - sum delta), 1 without a lag of y


#: Up to this many units the impacts' traces come from a dense inverse (a few milliseconds per
#: draw at n = 356, against tens for the factorisations of the sparse path, whose cost
#: grows far more slowly with n).
DENSE_IMPACTS_LIMIT = 400


def effects_of(lik: ChannelLikelihood | None, delta: np.ndarray) -> ChannelEffects:
    """The traces ``tr(A^{-1} W_m)/n`` and row sum of ``A^{-1} W_m`` at ``delta``."""
    if lik is None or lik.lag_logdet is None:
        return ChannelEffects(np.zeros(delta.size), 1.0)
    row_sum = 1.0 / (1.0 - float(np.sum(delta)))
    if lik.n <= DENSE_IMPACTS_LIMIT:
        a = np.eye(lik.n) - sum(d * w.toarray() for d, w in zip(delta, lik.lag, strict=True))
        a_inv_t = scipy.linalg.inv(a).T
        traces = np.array([float(np.sum(a_inv_t * w.toarray())) for w in lik.lag])
        return ChannelEffects(traces / lik.n, row_sum)
    grad = lik.lag_logdet.value_and_gradient(delta)[1]
    return ChannelEffects(-grad / lik.n, row_sum)


def impacts_at(
    beta: np.ndarray, theta_x: np.ndarray, delta: np.ndarray, effects: ChannelEffects
) -> tuple[np.ndarray, np.ndarray]:
    """Direct/indirect/total ``(r, 3)`` and indirect by channel ``(r, M)``.

    ``beta``: the regressors' coefficients ``(r,)``; ``theta_x``: the lags' coefficients per
    matrix ``(M, r)``; ``delta``: the lag of y's coefficient per matrix (zeros without one).
    """
    c = delta[:, None] * beta[None, :] + theta_x  # (M, r)
    direct = beta + effects.diagonal @ c
    by_channel = (c * (effects.row_sum - effects.diagonal)[:, None]).T
    total = beta + effects.row_sum * c.sum(axis=0)
    table = np.column_stack([direct, total - direct, total])
    return table, by_channel


def draws_in_space(delta: np.ndarray) -> bool:
    """Whether ``sum |delta_m| < 1``: the region where ``I - sum delta_m W_m`` is invertible
    for row-standardised matrices."""
    return float(np.sum(np.abs(delta))) < 1.0


def channel_impacts(
    coefficient: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    params: pd.Series,
    draws: np.ndarray | None,
    lik: ChannelLikelihood | None,
    regressors: list[str],
    channels: list[str],
    model: str,
    seed: int | tuple[int, ...] | None,
) -> ChannelImpacts:
    """Impacts at ``params`` and, given parameter draws, their simulated standard errors.

    ``coefficient(values) -> (beta, theta_x, delta)`` reads a parameter vector (in the order of
    ``params``); ``lik`` is the likelihood of a model with a lag of y (None without one: the
    impacts are then linear in the coefficients).
    """
    beta, theta_x, delta = coefficient(params.to_numpy())
    table, by_channel = impacts_at(beta, theta_x, delta, effects_of(lik, delta))
    estimates = pd.DataFrame(table, index=regressors, columns=["direct", "indirect", "total"])
    split = pd.DataFrame(by_channel, index=regressors, columns=channels)
    if draws is None:
        return ChannelImpacts(estimates, split, model)
    tables, splits, discarded = [], [], 0
    for row in draws:
        b, t, d = coefficient(row)
        if not draws_in_space(d):
            discarded += 1
            continue
        tab, ch = impacts_at(b, t, d, effects_of(lik, d))
        tables.append(tab)
        splits.append(ch)
    if len(tables) < 2:
        raise ParameterSpaceError("Fewer than two parameter draws fall in the parameter space.")
    se = pd.DataFrame(np.std(tables, axis=0, ddof=1), index=regressors, columns=estimates.columns)
    split_se = pd.DataFrame(np.std(splits, axis=0, ddof=1), index=regressors, columns=channels)
    notes = (
        (
            "Indirect by channel: the part of the indirect impact whose first step runs "
            "through that matrix, c_m (1/(1 - sum delta) - tr((I - sum delta W)^{-1} W_m)/n) "
            "with c_m = delta_m beta + theta_m."
        ),
    )
    return replace(
        ChannelImpacts(estimates, split, model),
        std_errors=se,
        channel_std_errors=split_se,
        draws=int(draws.shape[0]),
        draws_discarded=discarded,
        seed=seed,
        notes=notes,
        inference="simulation",
    )
