"""Dynamic spatial panels: stationarity, the Yu-de Jong-Lee bias correction, long-run impacts.

The model is the time-space dynamic panel of Yu, de Jong & Lee (2008), in Elhorst's (2014,
ch. 4) notation

.. math::

    y_t = \\tau y_{t-1} + \\eta W y_{t-1} + \\rho W y_t + X_t \\beta + W X_t \\theta
          + \\mu + \\xi_t + \\varepsilon_t ,

estimated by ML conditional on the first period: the lags of the outcome are regressors of the
panel design (:func:`naeringsmiljo.design.panel.from_formula` with ``dynamic=``). Every quantity
here is a function of the eigenvalues ``omega`` of ``W``: the process is stable when every
eigenvalue of ``A = (I - rho W)^{-1}(tau I + eta W)``, ``(tau + eta omega)/(1 - rho omega)``,
has modulus below one, and the bias of the estimates is a set of traces of rational functions of
``W``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from naeringsmiljo.exceptions import ParameterSpaceError, SpecificationError
from naeringsmiljo.inference.covariance import CovarianceEstimator, MLInference
from naeringsmiljo.weights.spatial_weights import DENSE_EIGEN_LIMIT, SpatialWeights

__all__ = [
    "JACOBIAN_STEP",
    "CorrectionMap",
    "DynamicCoefficients",
    "ResponseBlocks",
    "bias_correction",
    "innovation_moments",
    "long_run",
    "response_diagonals",
    "spectrum",
    "stability_modulus",
]


@dataclass(frozen=True)
class DynamicCoefficients:
    """``tau``, ``eta`` and ``rho`` of one parameter vector or of rows of draws (zero where the
    model lacks the term)."""

    tau: np.ndarray
    eta: np.ndarray
    rho: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, names: list[str]) -> DynamicCoefficients:
        values = np.atleast_2d(values)
        zero = np.zeros(values.shape[0])

        def column(name: str) -> np.ndarray:
            return values[:, names.index(name)] if name in names else zero

        return cls(column("tau"), column("eta"), column("rho"))


def stability_modulus(
    tau: np.ndarray, eta: np.ndarray, rho: np.ndarray, weights: SpatialWeights
) -> np.ndarray:
    """Largest modulus of the eigenvalues of ``A = (I - rho W)^{-1}(tau I + eta W)``.

    The dynamic panel is stable (stationary) when it is below one (Yu, de Jong & Lee 2008,
    assumption 4; Elhorst 2014, s. 4.2; Debarsy, Ertur & LeSage 2012). For real eigenvalues of
    ``W`` in ``[omega_min, omega_max]`` the eigenvalue of ``A`` is a monotone function of
    ``omega`` on that interval, so the two ends of the spectrum decide; they are the ends of
    :meth:`SpatialWeights.parameter_interval` (``1/omega_min``, ``1/omega_max``; exact up to
    ``DENSE_EIGEN_LIMIT`` units, a safe bound above). With row-standardised ``W`` the condition
    at ``omega = 1`` is ``tau + eta + rho < 1``.
    """
    low, high = weights.parameter_interval()
    moduli = []
    for omega in (1.0 / low, 1.0 / high):
        with np.errstate(divide="ignore", invalid="ignore"):
            moduli.append(np.abs((tau + eta * omega) / (1.0 - rho * omega)))
    return np.maximum(*moduli)


def spectrum(weights: SpatialWeights, deflated: bool) -> np.ndarray:
    """The eigenvalues of ``W`` (less the eigenvalue one removed by period effects), which the
    bias corrections of a dynamic panel sum over."""
    if weights.n > DENSE_EIGEN_LIMIT:
        raise SpecificationError(
            f"The bias correction of a dynamic panel takes the eigenvalues of W, available up to "
            f"{DENSE_EIGEN_LIMIT} entities; this panel has {weights.n}."
        )
    omega = np.asarray(weights.eigenvalues())
    if deflated:
        omega = np.delete(omega, int(np.argmin(np.abs(omega - 1.0))))
    return omega


def bias_correction(
    params: pd.Series,
    cov_full: np.ndarray,
    weights: SpatialWeights,
    deflated: bool,
    *,
    direct_sigma2: float | None = None,
) -> np.ndarray:
    """The correction ``I^{-1} b`` to add to the ML estimates of a dynamic fixed-effects panel.

    Implements the analytic correction of Yu, de Jong & Lee (2008, s. 4, eq. 20-22; with period
    effects Lee & Yu 2010, Econometric Theory 26, s. 3): conditional on the first period, the
    score of the within-transformed likelihood at the true parameters has a mean of order
    ``N`` (the Nickell bias of ``y_{t-1}`` correlated with the demeaned error), so the
    estimates are biased by ``-I^{-1} b`` with ``I`` the information matrix (of order ``NT``):
    a bias of order ``1/T``. With ``R = (1 - tau) I - (rho + eta) W``, whose inverse is
    ``sum_h A^h (I - rho W)^{-1}``, and ``G = W (I - rho W)^{-1}``,

    .. math::

        b_\\tau = \\operatorname{tr} R^{-1},\\quad
        b_\\eta = \\operatorname{tr} W R^{-1},\\quad
        b_\\rho = \\tau \\operatorname{tr} G R^{-1} + \\eta \\operatorname{tr} G W R^{-1},

    and zero for ``beta``, ``theta`` and ``sigma^2``. The likelihood is that of the Lee-Yu
    transformation approach (``N(T - 1)`` observations, ``(T - 1) ln|I - rho W|``), which has
    no ``O(1/T)`` bias of its own in ``sigma^2`` and ``rho``: the terms ``tr G`` and
    ``1/(2 sigma^2)`` of the direct approach's bias vanish. With period effects the traces run
    over the eigenvalues other than the one of the constant (``deflated``), the dimensions that
    the time demeaning ``J_N`` leaves. All traces are sums over the eigenvalues of ``W``.

    With ``direct_sigma2`` (the ML estimate of sigma^2) the estimates are those of the direct
    approach (``N T`` observations, ``T ln|I - rho W|``: ``fit()`` with entity effects), and
    the bias has the two terms of the effects as well, ``tr G`` for ``rho`` and
    ``N / (2 sigma^2)`` for ``sigma^2`` (Yu, de Jong & Lee 2008, eq. 20; the correction of R
    SDPDmod's ``SDPDm(..., dynamic = TRUE)`` with entity effects).

    The correction as a function of the whole parameter vector, with ``I`` evaluated there as
    well, is :class:`CorrectionMap`, whose Jacobian gives the corrected estimate's covariance.

    Parameters
    ----------
    params : pandas.Series
        The ML estimates, ``beta`` (with ``tau``, ``eta``) and ``rho``.
    cov_full : numpy.ndarray
        Inverse information matrix of ``params`` followed by ``sigma^2``.
    weights : SpatialWeights
        ``W`` over the entities.
    deflated : bool
        Period effects removed by the transformation approach.
    direct_sigma2 : float, optional
        The direct approach's sigma^2, to correct its estimates instead.

    Returns
    -------
    numpy.ndarray
        The correction of ``params`` followed by that of ``sigma^2``.
    """
    omega = spectrum(weights, deflated)
    score = _bias_score(params.to_numpy(), list(params.index), omega, direct_sigma2)
    return np.asarray(cov_full @ score)


def _bias_score(
    values: np.ndarray, names: list[str], omega: np.ndarray, direct_sigma2: float | None
) -> np.ndarray:
    """The mean ``b`` of the score at ``values`` (named ``names``) followed by that of
    ``sigma^2``: the traces of :func:`bias_correction`, sums over the eigenvalues ``omega``."""
    c = DynamicCoefficients.of(values, names)
    tau, eta, rho = float(c.tau[0]), float(c.eta[0]), float(c.rho[0])
    r_inv = 1.0 / ((1.0 - tau) - (rho + eta) * omega)
    g = omega / (1.0 - rho * omega)
    traces = {
        "tau": np.sum(r_inv),
        "eta": np.sum(omega * r_inv),
        "rho": tau * np.sum(g * r_inv) + eta * np.sum(g * omega * r_inv),
    }
    score = np.zeros(len(names) + 1)
    if direct_sigma2 is not None:
        traces["rho"] = traces["rho"] + np.sum(g)
        score[-1] = len(omega) / (2.0 * direct_sigma2)
    for name, value in traces.items():
        if name in names:
            score[names.index(name)] = float(np.real(value))
    return score


@dataclass(frozen=True)
class ResponseBlocks:
    """How the regressors of ``tau``, ``eta`` and ``rho`` respond to the innovations, per
    eigenvalue of ``W``: the exact fixed-T moments of the within-transformed score.

    Conditional on the first period ``y_0``, the fixed effects and X, the process gives
    ``y_t = d_t + sum_{r <= t} A^{t-r} B^{-1} e_r`` with ``B = I - rho W``,
    ``A = B^{-1}(tau I + eta W)`` and ``d_t`` non-random. So each regressor of a spatial
    parameter is non-random plus ``L_j e``, ``e`` the innovations of periods 1 to T stacked:
    ``L_tau`` has the ``N x N`` block ``A^{t-1-r} B^{-1}`` in row period ``t`` and column period
    ``r < t`` (``y_{t-1}``), ``L_eta = (I_T ⊗ W) L_tau`` (``W y_{t-1}``) and ``L_rho`` the
    blocks ``W A^{t-r} B^{-1}``, ``r <= t`` (``W y_t``). Every block is a rational function of
    ``W``, so with ``Q = Q_T ⊗ I_N`` the within transformation (``Q_T ⊗ (I - J_N)`` with period
    effects) the traces that the score's moments need reduce to sums over the eigenvalues
    ``omega`` of ``W`` (less the eigenvalue one with period effects, as ``(I - J_N) f(W)
    (I - J_N) g(W)`` has the trace ``sum_{omega != 1} f g`` when ``W 1 = 1``) of ``T x T``
    matrices: ``blocks[j][m]`` is ``L_j`` at ``omega[m]``.

    The mean of the score ``z_j' Q e / sigma^2`` of parameter ``j`` is :meth:`mean`,
    ``tr(Q L_j)`` (Yu, de Jong & Lee 2008 give its large-T limit; Yang 2018, its
    fixed-T form). Under normal innovations the scores of ``j`` and ``k`` (a linear plus a
    quadratic form in ``e``) have the covariance ``d_j' Q d_k / sigma^2 + tr(Q L_j Q L_k) +
    tr(L_j' Q L_k)``, and ``z_j' z_k / sigma^2 - tr(L_j' Q L_k)`` estimates its first,
    non-random term without bias. So the covariance is estimated by ``z_j' z_k / sigma^2``
    plus :meth:`product`, ``tr(Q L_j Q L_k)``: free of the initial condition and the fixed
    effects, which enter only through ``d``.
    """

    blocks: dict[str, np.ndarray]
    periods: int

    @classmethod
    def at(
        cls, tau: float, eta: float, rho: float, omega: np.ndarray, periods: int
    ) -> ResponseBlocks:
        """The blocks at the parameters, for the eigenvalues ``omega`` and ``periods`` periods."""
        omega = np.asarray(omega)
        b = 1.0 / (1.0 - rho * omega)
        a = (tau + eta * omega) * b
        t = np.arange(periods)
        gap = t[:, None] - t[None, :]  # row period minus column period
        powers = a[:, None] ** t[None, :]  # a^h, h = 0 .. T - 1
        current = np.where(gap >= 0, powers[:, np.clip(gap, 0, None)], 0.0) * b[:, None, None]
        previous = np.where(gap >= 1, powers[:, np.clip(gap - 1, 0, None)], 0.0) * b[:, None, None]
        w = omega[:, None, None]
        return cls({"tau": previous, "eta": w * previous, "rho": w * current}, periods)

    def _within(self, name: str) -> np.ndarray:
        """``Q_T L_j`` at each eigenvalue: each column less its mean over the periods."""
        block = self.blocks[name]
        return block - block.mean(axis=1, keepdims=True)

    def mean(self, name: str) -> float:
        """``tr(Q L_j)``: the mean of the score of ``j`` (the ``rho`` one includes the
        ``(T - 1) tr G`` that the Jacobian term of the likelihood cancels)."""
        return float(np.real(np.einsum("mtt->", self._within(name))))

    def product(self, first: str, second: str) -> float:
        """``tr(Q L_j Q L_k)``, the part of the scores' covariance beyond ``z_j' z_k``."""
        return float(np.real(np.einsum("mtr,mrt->", self._within(first), self._within(second))))


def response_diagonals(
    tau: float, eta: float, rho: float, w: np.ndarray, periods: int, deflated: bool
) -> dict[str, np.ndarray]:
    """The diagonals of ``L_j' Q`` (:class:`ResponseBlocks`), stacked by period with the
    entities inner, for the third- and fourth-moment terms of the score's covariance.

    Entry ``(t, i)`` is ``sum_s Q_T[s, t] (P f_{s,t}(W))_{ii}`` with ``f_{s,t}`` the block of
    ``L_j`` in row period ``s`` and column period ``t`` and ``P`` the entities' part of the
    within transformation (``I``, or ``I - J_N`` with period effects). These need the diagonal
    entries of the blocks, not their traces, so they are computed from the dense ``N x N``
    matrices ``A^h B^{-1}`` (``h < T``; ``w`` dense, up to ``DENSE_EIGEN_LIMIT`` entities),
    once per fit.
    """
    n = w.shape[0]
    b_inv = np.linalg.inv(np.eye(n) - rho * w)
    a = b_inv @ (tau * np.eye(n) + eta * w)
    powers = [b_inv]  # A^h B^{-1}
    for _ in range(1, periods):
        powers.append(a @ powers[-1])

    def diagonal(f: np.ndarray) -> np.ndarray:
        d = np.diag(f).copy()
        return d - f.sum(axis=0) / n if deflated else d  # (I - J) f: less the column means

    own = np.array([diagonal(f) for f in powers])  # h -> diag(P A^h B^{-1})
    lagged = np.array([diagonal(w @ f) for f in powers])  # h -> diag(P W A^h B^{-1})
    q = np.eye(periods) - 1.0 / periods
    out = {name: np.zeros((periods, n)) for name in ("tau", "eta", "rho")}
    for s in range(periods):
        for t in range(periods):
            if s - 1 - t >= 0:  # y_{s-1} responds to e_t through A^{s-1-t} B^{-1}
                out["tau"][t] += q[s, t] * own[s - 1 - t]
                out["eta"][t] += q[s, t] * lagged[s - 1 - t]
            if s - t >= 0:  # W y_s responds to e_t through W A^{s-t} B^{-1}
                out["rho"][t] += q[s, t] * lagged[s - t]
    return {name: value.reshape(-1) for name, value in out.items()}


def innovation_moments(
    residuals: np.ndarray, sigma2: float, n_units: int, periods: int, deflated: bool
) -> tuple[float, float]:
    """The third and fourth moments of the innovations from within-transformed residuals.

    Each residual is ``sum_q c_q e_q`` with the coefficients ``c`` of a row of the within
    transformation (``delta - 1/T`` over periods, times ``delta - 1/N`` over entities with
    period effects), so ``E r^2 = sigma^2 sum c^2``, ``E r^3 = mu_3 sum c^3`` and
    ``E r^4 = mu_4 sum c^4 + 3 sigma^4 ((sum c^2)^2 - sum c^4)``. The standardised moments
    ``m_3 / m_2^1.5`` and ``m_4 / m_2^2`` of the residuals are solved for ``mu_3 / sigma^3``
    and ``mu_4 / sigma^4``, which are returned times ``sigma2``'s powers: the residuals at the
    estimate are smaller than the transformed innovations by the fitted coefficients' share,
    and standardising by their own second moment cancels that to first order (with ``m_4``
    set against ``sigma2`` instead, normal innovations would show an excess kurtosis of order
    ``-k / n``, times a factor that grows as T falls: -0.18 at N = 50, T = 5 and four
    coefficients, which took 4% off the standard error of sigma^2). With two periods
    ``sum c^3`` is zero (the residuals of an entity are symmetric), and ``mu_3`` is taken as
    zero.
    """

    def power_sum(m: int, p: int) -> float:
        return (1.0 - 1.0 / m) ** p + (m - 1) * (-1.0 / m) ** p

    def sums(p: int) -> float:
        return power_sum(periods, p) * (power_sum(n_units, p) if deflated else 1.0)

    m2 = float(np.mean(residuals**2))
    skew = float(np.mean(residuals**3)) / m2**1.5
    kurt = float(np.mean(residuals**4)) / m2**2
    c2, c3, c4 = sums(2), sums(3), sums(4)
    mu3 = skew * c2**1.5 / c3 * sigma2**1.5 if abs(c3) > 1e-12 else 0.0
    mu4 = (kurt * c2**2 - 3.0 * (c2**2 - c4)) / c4 * sigma2**2
    return mu3, mu4


#: Relative step of the central differences of :meth:`CorrectionMap.jacobian`. The map is a
#: rational function of ``tau``, ``eta`` and ``rho`` with poles where the process stops being
#: stable (``tau + eta + rho = 1`` for row-standardised W) and a polynomial in ``beta`` and
#: ``1/sigma^2``; its higher derivatives grow like inverse powers of the distance ``d`` to the
#: pole (0.1 or more where the correction is meant to be used). A step ``h`` of 1e-4 of the
#: parameter's scale keeps the truncation error of a central difference, ``h^2 f''' / 6``, near
#: ``1e-8 / d^2`` relatively, and the rounding error (the shift is an inverse information
#: matrix times traces, good to ~1e-13 relatively, divided by ``2 h``) near 1e-9: both far
#: below the 1e-3 to which a standard error is read. The differences of the observed Hessian
#: (``cov="hessian"``, itself a difference of the score at a relative step of 1e-5) add an
#: error of order 1e-10 / 1e-4 = 1e-6.
JACOBIAN_STEP = 1e-4


@dataclass(frozen=True)
class CorrectionMap:
    """The Yu-de Jong-Lee correction as a function of the parameter vector,
    ``g(theta) = theta + I(theta)^{-1} b(theta)``.

    ``theta`` is ``(beta, rho, lambda, sigma^2)`` in the order of the ML fit (the entries it
    has; ``tau`` and ``eta`` among ``beta``); ``I(theta)^{-1}`` is the covariance of the fit's
    estimator (:class:`~naeringsmiljo.inference.covariance.MLInference`) evaluated at
    ``theta`` on the fit's data (the regressors, lags of the outcome among them, are fixed
    constants), and ``b(theta)`` the mean of the score of :func:`bias_correction`. At the ML
    estimate, ``g(theta_hat)`` is the corrected estimate of ``fit(bias_correction=True)``
    (Yu, de Jong & Lee 2008, eq. 20-22: ``theta_c = theta_hat - B_hat / T``, with the
    ``sigma^2`` entry and the deflated traces of period effects). Its Jacobian
    ``J = I + d(I^{-1} b)/dtheta'`` (:meth:`jacobian`) gives the delta-method covariance of
    the corrected estimate, ``J V J'`` with ``V`` the ML covariance (Yu, de Jong & Lee report
    ``V`` itself, right to first order, as ``B/T`` and its derivative are ``O(1/T)``). At small
    T the corrected estimate varies more than the ML one: ``b_tau = tr R^{-1}`` grows with
    ``tau``, so ``J`` inflates the variance of ``tau`` and of what correlates with it.

    Parameters
    ----------
    inference : MLInference
        The ML fit's likelihood, estimate and free parameters.
    estimator : CovarianceEstimator
        The covariance estimator of the fit, evaluated at each ``theta``.
    names : tuple of str
        Names of ``theta`` without ``sigma^2`` (``tau``, ``eta`` and ``rho`` found by name).
    weights : SpatialWeights
        ``W`` over the entities.
    deflated : bool
        Period effects removed by the transformation approach.
    """

    inference: MLInference
    estimator: CovarianceEstimator
    names: tuple[str, ...]
    weights: SpatialWeights
    deflated: bool

    def covariance(self, theta: np.ndarray) -> np.ndarray:
        """``I(theta)^{-1}``: the fit's covariance estimator at ``theta`` (zero rows and
        columns for parameters held fixed)."""
        problem = self.inference.problem
        k = problem.k
        theta = np.asarray(theta, dtype=float)
        position = k
        rho = lam = 0.0
        if problem.has_rho:
            rho, position = float(theta[position]), position + 1
        if problem.has_lambda:
            lam = float(theta[position])
        estimate = replace(
            problem.estimate, beta=theta[:k].copy(), rho=rho, lam=lam, sigma2=float(theta[-1])
        )
        at = replace(problem, estimate=estimate)
        return MLInference.evaluate(at, self.inference.free, self.estimator).ml_covariance()

    def shift(self, theta: np.ndarray) -> np.ndarray:
        """The correction ``I(theta)^{-1} b(theta)``."""
        theta = np.asarray(theta, dtype=float)
        omega = spectrum(self.weights, self.deflated)
        score = _bias_score(theta[:-1], list(self.names), omega, None)
        return np.asarray(self.covariance(theta) @ score)

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        """The corrected estimate ``g(theta)``."""
        return np.asarray(theta, dtype=float) + self.shift(theta)

    def jacobian(
        self, theta: np.ndarray, scale: np.ndarray, step: float = JACOBIAN_STEP
    ) -> np.ndarray:
        """``J = dg/dtheta'`` at ``theta`` by central differences.

        Column ``j`` differences ``g`` over ``theta_j +- h_j``, ``h_j = step * max(|theta_j|,
        scale_j)`` (see :data:`JACOBIAN_STEP`). ``scale`` is the parameters' standard errors:
        the step then follows a rescaled regressor's coefficient, and a coefficient near zero
        still moves by a fraction of its sampling spread. A parameter held fixed keeps the
        identity column (its value does not vary).
        """
        theta = np.asarray(theta, dtype=float)
        jac = np.eye(theta.size)
        for j in np.flatnonzero(self.inference.free):
            h = step * max(abs(theta[j]), float(scale[j]))
            up, down = theta.copy(), theta.copy()
            up[j] += h
            down[j] -= h
            jac[:, j] = (self(up) - self(down)) / (2.0 * h)
        return jac


def long_run(
    params: pd.Series, sample: np.ndarray | None, weights: SpatialWeights
) -> tuple[pd.Series, np.ndarray | None, int]:
    """The parameters of the long-run multiplier, at the estimate and at each draw.

    The long-run (steady-state) impacts of a regressor are the averages of
    ``((1 - tau) I - (rho + eta) W)^{-1} (beta I + theta W)`` (Debarsy, Ertur & LeSage 2012,
    eq. 12; Elhorst 2014, eq. 4.10), the short-run ones those of
    ``(I - rho W)^{-1}(beta I + theta W)``. The long-run matrix is the short-run one at
    ``rho* = (rho + eta)/(1 - tau)``, ``beta* = beta/(1 - tau)``, ``theta* = theta/(1 - tau)``,
    so the short-run machinery computes both. A draw of an unstable process
    (:func:`stability_modulus` at least one) has no long run: its ``rho*`` is set to NaN, which
    the impacts discard like a ``rho`` outside its interval.

    Returns
    -------
    params, sample, unstable
        The transformed estimate (with ``rho``; the other entries untouched) and draws, and the
        number of unstable draws.

    Raises
    ------
    ParameterSpaceError
        If the estimate itself is not stable.
    """
    names = list(params.index)
    point = DynamicCoefficients.of(params.to_numpy(), names)
    modulus = float(stability_modulus(point.tau, point.eta, point.rho, weights)[0])
    if not modulus < 1.0:
        raise ParameterSpaceError(
            f"The estimates (tau = {point.tau[0]:.6g}, eta = {point.eta[0]:.6g}, rho = "
            f"{point.rho[0]:.6g}) make the process unstable (largest eigenvalue modulus of "
            f"(I - rho W)^-1 (tau I + eta W) is {modulus:.6g} >= 1): it has no long run."
        )
    values = params.to_numpy()[None, :]
    if "rho" not in names:
        names = [*names, "rho"]
    transformed = _long_run_values(values, list(params.index), names)
    unstable = 0
    out_sample = None
    if sample is not None:
        draws = DynamicCoefficients.of(sample, list(params.index))
        stable = stability_modulus(draws.tau, draws.eta, draws.rho, weights) < 1.0
        unstable = int((~stable).sum())
        out_sample = _long_run_values(sample, list(params.index), names)
        out_sample[~stable, names.index("rho")] = np.nan
    return pd.Series(transformed[0], index=names, name=params.name), out_sample, unstable


def _long_run_values(values: np.ndarray, given: list[str], names: list[str]) -> np.ndarray:
    """``rho*``, and every coefficient of X divided by ``1 - tau``, for rows of ``values``."""
    c = DynamicCoefficients.of(values, given)
    scale = 1.0 - c.tau
    out = np.column_stack([values, np.zeros((values.shape[0], len(names) - len(given)))])
    skip = {"tau", "eta", "rho", "sigma2"}
    columns = [j for j, name in enumerate(given) if name not in skip]
    out[:, columns] = values[:, columns] / scale[:, None]
    out[:, names.index("rho")] = (c.rho + c.eta) / scale
    return out
