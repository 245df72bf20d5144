"""Gaussian likelihoods of spatial panels with random entity effects.

Both models have ``N`` entities observed in ``T`` periods, stacked by period, an entity effect
``mu_i ~ N(0, sigma2_mu)`` and the variance ratio ``phi = sigma2_mu / sigma2_e``.

**Lag (SAR) with random effects** (Anselin 1988, s. 10.1; Elhorst 2003, 2014 ch. 3; spreg
``Panel_RE_Lag``): ``y = rho (I_T ⊗ W) y + X beta + (i_T ⊗ mu) + e``. With
``theta = (1 + T phi)^{-1/2}`` and the partial demeaning ``v* = v - (1 - theta) vbar_i``
(Baltagi 2021, s. 2.3), the innovations are ``e = y* - rho W y* - X* beta`` and

.. math::

    \\ell = -\\tfrac{NT}{2}\\ln(2\\pi\\sigma^2) + N\\ln\\theta + T\\ln|I - \\rho W|
        - \\tfrac{1}{2\\sigma^2} e'e .

**Error (SEM) with random effects**, spatial autocorrelation in the remainder only
(Anselin 1988, s. 10.1; Baltagi, Song & Koh 2003; Millo & Piras 2012, model ``"b"`` of
``spml(model="random", spatial.error="b")``; the structure of spreg ``Panel_RE_Error``):
``y = X beta + u``, ``u = (i_T ⊗ mu) + (I_T ⊗ B^{-1}) nu``, ``B = I - lambda W``. With
``C = B'B`` the covariance is ``sigma^2 [Q_T ⊗ C^{-1} + Jbar_T ⊗ (T phi I + C^{-1})]``, so

.. math::

    \\ell = -\\tfrac{NT}{2}\\ln(2\\pi\\sigma^2) + T\\ln|B| - \\tfrac12\\ln|I + T\\phi C|
        - \\tfrac{1}{2\\sigma^2}\\left(\\|(I_T ⊗ B)(u - \\bar u)\\|^2
        + T\\,\\bar u'(I + T\\phi C)^{-1}C\\,\\bar u\\right),

``ubar`` the entity means of ``u``. The last two terms need ``N x N`` dense matrices, so the
error model is limited to ``DENSE_MATRIX_LIMIT`` entities; the exact determinant (not spreg's
eigenvalues of a possibly asymmetric ``W`` used as if ``B'B`` had them) is what makes this
likelihood higher than spreg's on row-standardised weights.

Both are concentrated in ``beta`` (generalised least squares by the transformed regression,
solved by :class:`naeringsmiljo.linalg.DesignFactor`) and ``sigma^2``; this module computes, the
search lives with the estimator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg

from naeringsmiljo.design.panel import period_product
from naeringsmiljo.linalg import DesignFactor
from naeringsmiljo.weights.logdet import LogDeterminant

_LOG_2PI = float(np.log(2.0 * np.pi))


def entity_means(v: np.ndarray, n_units: int) -> np.ndarray:
    """The means over the periods of each entity (``N`` rows) of a stacked vector or matrix."""
    periods = v.shape[0] // n_units
    return v.reshape(periods, n_units, -1).mean(axis=0).reshape((n_units,) + v.shape[1:])


def repeat_periods(v: np.ndarray, periods: int) -> np.ndarray:
    """An entity-level vector (or matrix) repeated in every period, stacked by period."""
    return np.tile(v, (periods,) + (1,) * (v.ndim - 1))


@dataclass(frozen=True)
class RandomEffectsFit:
    """The concentrated quantities at one value of ``(spatial parameter, phi)``."""

    beta: np.ndarray
    sigma2: float
    loglik: float
    innovations: np.ndarray
    factor: DesignFactor


@dataclass
class RandomEffectsLikelihood:
    """The likelihood of a SAR or SEM panel with random entity effects.

    Parameters
    ----------
    y, x : numpy.ndarray
        Raw outcome and regressors (with the constant), stacked by period.
    w : scipy sparse array
        ``N x N`` weights over the entities.
    logdet : LogDeterminant
        ``ln|I - v W|``.
    kind : {"y", "error"}
        The spatial term: the lag of y (SAR) or of the error (SEM).
    """

    y: np.ndarray
    x: np.ndarray
    w: Any
    logdet: LogDeterminant
    kind: str
    dense_w: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.n_units = int(self.w.shape[0])
        self.periods = self.y.shape[0] // self.n_units
        self.n = int(self.y.shape[0])
        self.wy = period_product(self.w, self.y, self.n_units)
        if self.kind == "error":
            self.wx = period_product(self.w, self.x, self.n_units)
            self.dense_w = self.w.toarray()
        self.y_bar = entity_means(self.y, self.n_units)
        self.x_bar = entity_means(self.x, self.n_units)
        self.wy_bar = entity_means(self.wy, self.n_units)

    def theta(self, phi: float) -> float:
        return float(1.0 / np.sqrt(1.0 + self.periods * phi))

    def _partial(self, v: np.ndarray, v_bar: np.ndarray, theta: float) -> np.ndarray:
        return v - (1.0 - theta) * repeat_periods(v_bar, self.periods)

    def transformed(self, spatial: float, phi: float) -> tuple[np.ndarray, np.ndarray, float]:
        """The regression ``(z, Z)`` whose least squares give GLS ``beta``, and the part of
        the log-likelihood that does not depend on ``beta`` or ``sigma^2`` (log-determinants)."""
        t = self.periods
        if self.kind == "y":
            theta = self.theta(phi)
            z = self._partial(self.y - spatial * self.wy, self.y_bar - spatial * self.wy_bar, theta)
            big_z = self._partial(self.x, self.x_bar, theta)
            logdets = self.n_units * np.log(theta) + t * self.logdet_value(spatial)
            return z, big_z, float(logdets)
        # error: (I_T ⊗ B)(v - vbar) stacked over T N rows, then sqrt(T) L' vbar over N rows
        b = np.eye(self.n_units) - spatial * self.dense_w  # type: ignore[operator]
        c = b.T @ b
        inner = np.eye(self.n_units) + t * phi * c
        k = np.linalg.solve(inner, c)
        k = 0.5 * (k + k.T)
        root = scipy.linalg.cholesky(k, lower=True)  # K = L L'
        logdet_inner = np.linalg.slogdet(inner)[1]  # I + T phi B'B is positive definite

        def transform(v: np.ndarray, wv: np.ndarray, v_bar: np.ndarray) -> np.ndarray:
            within_part = (v - spatial * wv) - repeat_periods(b @ v_bar, t)
            between = np.sqrt(t) * (root.T @ v_bar)
            return np.concatenate([within_part, between], axis=0)

        z = transform(self.y, self.wy, self.y_bar)
        big_z = transform(self.x, self.wx, self.x_bar)
        logdets = t * self.logdet_value(spatial) - 0.5 * logdet_inner
        return z, big_z, float(logdets)

    def logdet_value(self, value: float) -> float:
        return 0.0 if value == 0.0 else float(self.logdet.value(value))

    def profile(self, spatial: float, phi: float) -> RandomEffectsFit:
        """``beta``, ``sigma^2 = q / NT`` and the log-likelihood concentrated in them."""
        z, big_z, logdets = self.transformed(spatial, phi)
        factor = DesignFactor.of(big_z)
        beta = factor.coefficients(z)
        e = factor.residuals(z)
        sigma2 = float(e @ e) / self.n
        loglik = -0.5 * self.n * (_LOG_2PI + 1.0 + np.log(sigma2)) + logdets
        return RandomEffectsFit(beta, sigma2, float(loglik), e, factor)

    def full(self, beta: np.ndarray, spatial: float, phi: float, sigma2: float) -> float:
        """The log-likelihood at any ``(beta, spatial, phi, sigma^2)`` (for the Hessian)."""
        z, big_z, logdets = self.transformed(spatial, phi)
        e = z - big_z @ beta
        return float(-0.5 * self.n * (_LOG_2PI + np.log(sigma2)) + logdets - (e @ e) / (2 * sigma2))


def lag_information(
    lik: RandomEffectsLikelihood, beta: np.ndarray, rho: float, phi: float, sigma2: float
) -> np.ndarray:
    """Expected information of the random-effects SAR panel in ``(beta, rho, phi, sigma^2)``.

    With ``G = W (I - rho W)^{-1}``, ``Z`` and ``m = (I_T ⊗ G) Z beta`` the partially demeaned
    regressors and their multiplier, and ``theta = (1 + T phi)^{-1/2}``:

    .. math::

        I_{\\beta\\beta} = Z'Z/\\sigma^2,\\quad I_{\\beta\\rho} = Z'm/\\sigma^2,\\quad
        I_{\\rho\\rho} = T\\,\\mathrm{tr}(G^2) + T\\,\\mathrm{tr}(G'G) + m'm/\\sigma^2,

        I_{\\rho\\sigma^2} = T\\,\\mathrm{tr}(G)/\\sigma^2,\\quad
        I_{\\sigma^2\\sigma^2} = NT/(2\\sigma^4),\\quad
        I_{\\theta\\theta} = 2N/\\theta^2,\\quad I_{\\theta\\rho} = -2\\,\\mathrm{tr}(G)/\\theta,\\quad
        I_{\\theta\\sigma^2} = -N/(\\theta\\sigma^2),

    the ``theta`` entries from ``e = (Q + theta P)(A y - X beta)``, ``de/dtheta = P e / theta``
    and ``E[e'Pe] = N sigma^2`` (``P`` the entity means), then carried to ``phi`` by
    ``dtheta/dphi = -T theta^3 / 2``. (spreg's ``Panel_RE_Lag`` has ``N(1 + 1/theta^2)`` and
    ``-tr(G)/sigma^2`` in the first two places, and a matrix that is not symmetric in the
    third, ``-N/sigma^2`` and ``-N/sigma^4``; its standard errors differ from these by up to a
    few per cent, and equal them with its entries put in, ``tests/test_panel_models.py``.) Dense
    ``N x N`` matrices: up to ``DENSE_MATRIX_LIMIT`` entities.
    """
    n_units, t = lik.n_units, lik.periods
    theta = lik.theta(phi)
    w = lik.w.toarray()
    g = np.linalg.solve((np.eye(n_units) - rho * w).T, w.T).T
    z = lik._partial(lik.x, lik.x_bar, theta)
    m = period_product(g, z @ beta, n_units)
    k = beta.size
    info = np.zeros((k + 3, k + 3))
    trace = float(np.trace(g))
    info[:k, :k] = z.T @ z / sigma2
    info[:k, k] = info[k, :k] = z.T @ m / sigma2
    info[k, k] = t * (np.sum(g * g.T) + np.sum(g * g)) + m @ m / sigma2
    info[k, k + 2] = info[k + 2, k] = t * trace / sigma2
    info[k + 2, k + 2] = lik.n / (2 * sigma2**2)
    d_theta = -t * theta**3 / 2  # dtheta/dphi
    info[k + 1, k + 1] = 2 * n_units / theta**2 * d_theta**2
    info[k, k + 1] = info[k + 1, k] = -2 * trace / theta * d_theta
    info[k + 1, k + 2] = info[k + 2, k + 1] = -n_units / (theta * sigma2) * d_theta
    return info
