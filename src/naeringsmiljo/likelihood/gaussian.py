"""The Gaussian likelihood of the general nesting spatial model, concentrated in beta and sigma^2.

The model is

.. math::

    y = \\rho W_1 y + X\\beta + u, \\qquad u = \\lambda W_2 u + \\varepsilon,
    \\qquad \\varepsilon \\sim N(0, \\sigma^2 I),

where ``X`` already holds any lagged regressors and ``W_1``, ``W_2`` are the weights of the lag
term and of the error term (the same matrix unless the model says otherwise). SAR and SDM fix
``lambda = 0``, SEM and SDEM fix ``rho = 0``, SAC and GNS estimate both. With
``A = I - rho W_1`` and ``B = I - lambda W_2``, ``beta`` and ``sigma^2`` are concentrated out
(Anselin 1988, ch. 6, whose general model already has two matrices; LeSage & Pace 2009, s. 3.1;
Elhorst 2014, s. 2.4):

.. math::

    \\ell_c(\\rho, \\lambda) = -\\tfrac{n}{2}\\left(\\ln 2\\pi + 1 + \\ln \\hat\\sigma^2(\\rho,\\lambda)\\right)
        + m \\ln|A| + m \\ln|B|,

with ``beta(rho, lambda)`` the least-squares fit of ``B A y`` on ``B X`` and ``m`` the number of
times each log-determinant enters (1 for a cross-section; the number of periods when the design
stacks periods, as ``I_T ⊗ W``). The score is analytic (by the envelope theorem ``beta`` may be
held fixed). Nothing here assumes that ``W_1`` and ``W_2`` commute.

This module computes; the searches that maximise it live with the ML estimator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from naeringsmiljo.design.base import MatrixLag
from naeringsmiljo.linalg import DesignFactor
from naeringsmiljo.records import FitRecord
from naeringsmiljo.weights.logdet import LogDeterminant

_LOG_2PI = float(np.log(2.0 * np.pi))

#: Applies a weights matrix to a vector or to the columns of a matrix (the design's lag operator).
Lag = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class MLEstimate:
    """Point estimates of one ML fit (arrays in the order of the design)."""

    beta: np.ndarray
    rho: float
    lam: float
    sigma2: float
    loglik: float
    innovations: np.ndarray
    record: FitRecord = field(default_factory=lambda: FitRecord(method="ml"))


@dataclass
class ConcentratedLikelihood:
    """The concentrated log-likelihood ``l_c(rho, lambda)`` and its analytic score.

    Lags of y and X are computed once, through the design's lag operators when given (``lag``
    for the lag term's weights ``w``, ``lag_error`` for the error term's ``w_error``); each
    evaluation is a least-squares fit of an ``n x k`` design plus the log-determinants.

    Parameters
    ----------
    y, x : numpy.ndarray
        Outcome and regressors (including any lagged regressors).
    w : scipy sparse array
        Weights of the lag term (``W_1``); of the error term too unless ``w_error`` is given.
    logdet : LogDeterminant or None
        ``ln|I - v W_1|``; None for a model without spatial parameters.
    w_error, error_logdet : optional
        Weights of the error term (``W_2``) and their log-determinant, when they differ from the
        lag term's.
    multiplicity : int
        How many times each log-determinant enters (periods of a stacked design).
    lag, lag_error : callable, optional
        The design's lag operators; default: multiplication by ``w`` and ``w_error``.
    nobs : int, optional
        The number of observations the likelihood counts (default: the rows of ``y``); fewer
        for the transformation approach to a fixed-effects panel (Lee & Yu 2010), which counts
        the dimensions the within transformation leaves.
    deflated : bool
        Each log-determinant is ``ln|I - v W| - ln(1 - v)``: the constant, the eigenvector of
        a row-standardised ``W`` with eigenvalue one, is removed by the transformation (period
        effects in the Lee-Yu transformation approach).
    project : callable, optional
        The within transformation of a panel design, which the lags of demeaned data are
        followed by (used by the information matrix); None for none.
    """

    y: np.ndarray
    x: np.ndarray
    w: sp.csr_array
    logdet: LogDeterminant | None
    evaluations: int = 0
    w_error: sp.csr_array | None = None
    error_logdet: LogDeterminant | None = None
    multiplicity: int = 1
    lag: Lag | None = None
    lag_error: Lag | None = None
    #: Called once per evaluation of the likelihood or its score (a progress bar's update).
    tick: Callable[[], object] | None = None
    nobs: int | None = None
    deflated: bool = False
    project: Lag | None = None

    def __post_init__(self) -> None:
        if self.w_error is None:
            self.w_error = self.w
        if self.error_logdet is None:
            self.error_logdet = self.logdet
        if self.lag is None:
            self.lag = MatrixLag(self.w)
        if self.lag_error is None:
            w2 = self.w_error
            self.lag_error = MatrixLag(w2) if w2 is not self.w else self.lag
        self.wy = self.lag(self.y)
        self.wwy = self.lag_error(self.wy)  # W_2 W_1 y
        self.w2y = self.wy if self.same_weights else self.lag_error(self.y)
        self.wx = self.lag_error(self.x)  # W_2 X: the error filter of X
        self.n = self.y.shape[0] if self.nobs is None else int(self.nobs)

    @property
    def same_weights(self) -> bool:
        """Whether the lag and the error terms use the same weights."""
        return self.w_error is self.w

    def error_lag(self, v: np.ndarray) -> np.ndarray:
        """``W_2 v``."""
        return self.lag_error(v)  # type: ignore[misc]

    def profile(self, rho: float, lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """``beta``, innovations ``e = B(Ay - X beta)``, errors ``u = Ay - X beta`` and ``sigma^2``.

        ``beta`` is the least-squares fit of ``BAy`` on ``BX`` by a pivoted QR of the
        column-equilibrated ``BX`` (:class:`naeringsmiljo.linalg.DesignFactor`), factored once
        when ``lambda`` is zero. Then the fit is linear in ``rho`` (``beta = b_0 - rho b_1``,
        ``e = e_0 - rho e_1`` from the fits of ``y`` and ``W y``, as Anselin 1988, s. 12.1,
        concentrates the lag model), so that an evaluation costs one pass over the data
        instead of a least-squares solve.
        """
        if lam == 0.0:
            b0, b1, e0, e1 = self._lag_parts()
            e = e0 - rho * e1
            return b0 - rho * b1, e, e, float(e @ e) / self.n
        z = self.y - rho * self.wy
        bz = z - lam * (self.w2y - rho * self.wwy)
        factor = self.design_factor(lam)
        beta = factor.coefficients(bz)
        e = factor.residuals(bz)
        u = z - self.x @ beta
        return beta, e, u, float(e @ e) / self.n

    def _lag_parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Coefficients and residuals of the least-squares fits of ``y`` and ``W_1 y`` on X."""
        if not hasattr(self, "_lag_fits"):
            factor = self.design_factor(0.0)
            self._lag_fits = (
                factor.coefficients(self.y),
                factor.coefficients(self.wy),
                factor.residuals(self.y),
                factor.residuals(self.wy),
            )
        return self._lag_fits

    def design_factor(self, lam: float) -> DesignFactor:
        """The factor of ``BX = X - lambda W_2 X`` (cached for ``lambda = 0``)."""
        if lam != 0.0:
            return DesignFactor.of(self.x - lam * self.wx)
        if not hasattr(self, "_factor"):
            self._factor = DesignFactor.of(self.x)
        return self._factor

    def value_rounding(self) -> float:
        """Rounding error of :meth:`value`, about ``n eps kappa`` with ``kappa`` the condition
        number of the equilibrated design: the residuals of a least-squares fit by QR carry a
        relative error of order ``eps kappa`` (Golub & Van Loan 2013, s. 5.3.8)."""
        return self.n * float(np.finfo(float).eps) * min(self.design_factor(0.0).condition, 1e16)

    def concentrated_score(
        self, rho: float, lam: float, only: str | None = None
    ) -> tuple[float, float]:
        """``d/d(rho, lambda)`` of ``-n/2 ln sigma^2(rho, lambda)``: the score without the
        log-determinants (by the envelope theorem ``beta`` is held at its fitted value).

        ``only="rho"`` (``"lambda"``) computes that derivative alone and returns NaN for the
        other: a search over one parameter does not pay for the lag of the errors.
        """
        _, e, u, sigma2 = self.profile(rho, lam)
        d_rho = float(e @ (self.wy - lam * self.wwy)) / sigma2 if only != "lambda" else np.nan
        d_lam = float(e @ self.error_lag(u)) / sigma2 if only != "rho" else np.nan
        return d_rho, d_lam

    def logdets(self, rho: float, lam: float) -> float:
        """``m ln|I - rho W_1| + m ln|I - lambda W_2|``."""
        total = 0.0
        if rho != 0.0:
            total += self.logdet.value(rho) - self._deflation(rho)  # type: ignore[union-attr]
        if lam != 0.0:
            total += self.error_logdet.value(lam) - self._deflation(lam)  # type: ignore[union-attr]
        return self.multiplicity * total

    def _deflation(self, value: float) -> float:
        """``ln(1 - v)``, the eigenvalue one's share of ``ln|I - v W|``, when it is removed."""
        return float(np.log1p(-value)) if self.deflated else 0.0

    def value(self, rho: float, lam: float) -> float:
        self.evaluations += 1
        if self.tick is not None:
            self.tick()
        sigma2 = self.profile(rho, lam)[3]
        return -0.5 * self.n * (_LOG_2PI + 1.0 + np.log(sigma2)) + self.logdets(rho, lam)

    def score(self, rho: float, lam: float, only: str | None = None) -> tuple[float, float]:
        """``(d l_c / d rho, d l_c / d lambda)`` (one of them with ``only``, the other NaN)."""
        if self.tick is not None:
            self.tick()
        d_rho, d_lam = self.concentrated_score(rho, lam, only)
        if self.logdet is not None:
            if only != "lambda":
                d_rho += self.logdet_derivative(rho)
            if only != "rho":
                d_lam += self.logdet_derivative(lam, error=True)
        return d_rho, d_lam

    def logdet_derivative(self, value: float, *, error: bool = False) -> float:
        """``m d/dv ln|I - v W|`` for the lag term's weights, or the error term's."""
        w = self.w_error if error else self.w
        logdet = self.error_logdet if error else self.logdet
        deflation = 1.0 / (1.0 - value) if self.deflated else 0.0
        if value == 0.0:  # -tr(W), without a factorisation
            return self.multiplicity * (deflation - float(w.diagonal().sum()))  # type: ignore[union-attr]
        return self.multiplicity * (logdet.derivative(value) + deflation)  # type: ignore[union-attr]

    def logdet_error_bound(self, rho: float, lam: float) -> float:
        """Stated error bound of the log-determinants in the likelihood at ``(rho, lambda)``."""
        if self.logdet is None:
            return 0.0
        bound = self.logdet.error_bound(rho) if rho != 0.0 else 0.0
        if lam != 0.0:
            bound += self.error_logdet.error_bound(lam)  # type: ignore[union-attr]
        return float(self.multiplicity * bound)

    def estimate(self, rho: float, lam: float, record: FitRecord) -> MLEstimate:
        beta, e, _, sigma2 = self.profile(rho, lam)
        loglik = -0.5 * self.n * (_LOG_2PI + 1.0 + np.log(sigma2)) + self.logdets(rho, lam)
        return MLEstimate(beta, rho, lam, sigma2, float(loglik), e, record)


def least_squares(y: np.ndarray, x: np.ndarray) -> MLEstimate:
    """Ordinary least squares: the ML estimate without spatial parameters."""
    lik = ConcentratedLikelihood(y, x, sp.csr_array((y.shape[0], y.shape[0])), None)
    return lik.estimate(0.0, 0.0, FitRecord(method="ols"))
