"""Direct, indirect and total impacts of the regressors, with inference (LeSage & Pace 2009, s. 2.7).

For a regressor ``x_r`` with coefficient ``beta_r`` and lag coefficient ``theta_r`` (zero when it
is not lagged), the matrix of partial derivatives ``d y / d x_r'`` is

.. math::

    S_r(W) = (I - \\rho W)^{-1} (\\beta_r I + \\theta_r W).

The **direct** impact is the mean of its diagonal, the **total** impact the mean of its row sums,
and the **indirect** impact their difference. With ``M = (I - rho W)^{-1}`` they need four
averages of the multiplier,

.. math::

    \\mathrm{direct}_r = \\beta_r \\frac{\\mathrm{tr}(M)}{n} + \\theta_r \\frac{\\mathrm{tr}(MW)}{n},
    \\qquad
    \\mathrm{total}_r = \\beta_r \\frac{\\mathbf{1}'M\\mathbf{1}}{n}
        + \\theta_r \\frac{\\mathbf{1}'MW\\mathbf{1}}{n},

which three interchangeable evaluators provide (:class:`DenseMultiplier`,
:class:`EigenMultiplier`, :class:`SeriesMultiplier`). One formula covers every model: ``rho = 0``
for SEM, SDEM, SLX and OLS gives ``S_r = beta_r I + theta_r W``, whose direct impact is
``beta_r + theta_r tr(W)/n`` and total impact ``beta_r + theta_r 1'W1/n`` — exact also for weights
that are not row-standardised (then ``1'W1/n`` is not one). ``lambda`` never enters.

Inference (LeSage & Pace 2009, s. 2.7): by simulation from the estimated asymptotic
distribution of the parameters, or by the delta method. Impacts of models without ``rho`` are
linear in the coefficients and get exact (analytic) standard errors whatever is asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.linalg import SuperLU, splu

from naeringsmiljo._options import (
    DENSE_MATRIX_LIMIT,
    ImpactsInference,
    ImpactsMethod,
    TraceMethod,
    check_alpha,
    check_choice,
)
from naeringsmiljo.exceptions import FormulaError, ParameterSpaceError, SpecificationError
from naeringsmiljo.inference.draws import normal_draws, seed_streams
from naeringsmiljo.weights.spatial_weights import SpatialWeights
from naeringsmiljo.weights.traces import (
    EXACT_TRACE_LIMIT,
    ProbePowers,
    WeightsTraces,
    cached_order,
    cached_traces,
    eigen_traces,
    store_traces,
    trace_key,
    trace_powers,
)

COLUMNS = ["direct", "indirect", "total"]

#: ``method="auto"`` uses the eigenvalues of W up to this many units (O(n^3) once, then O(n) per
#: draw) and the trace series above.
AUTO_EIGEN_LIMIT = 1000

#: Largest condition number of the eigenvector matrix V accepted by the eigen method: the row sums
#: ``1'V diag(.) V^{-1} 1`` lose about ``log10(cond(V))`` digits. Row-standardised symmetric
#: weights are similar to a symmetric matrix and stay far below this.
EIGENVECTOR_CONDITION_LIMIT = 1e6

#: Simulated inference notes when rho lies within this many standard errors of an end of its
#: interval. The density of the draws at the end is then large enough for the unbounded impacts
#: there to dominate the sample variance of indirect and total impacts at ordinary draw counts
#: (on Columbus: SAR 4.8 s.e., stable; SDM 3.7 and SAC 3.2 s.e., visibly seed-dependent).
NEAR_BOUND_MARGIN = 4.0

# Draws evaluated at once by the eigen method: a (chunk x n) complex array, 64 MB at most.
_EIGEN_CHUNK_ENTRIES = 4_000_000


@dataclass(frozen=True)
class MultiplierMoments:
    """Averages of the spatial multiplier ``M = (I - rho W)^{-1}`` needed by the impacts.

    ``trace_m = tr(M)/n``, ``sum_m = 1'M1/n``, ``trace_mw = tr(MW)/n``, ``sum_mw = 1'MW1/n``.
    """

    trace_m: float
    sum_m: float
    trace_mw: float
    sum_mw: float


def multiplier_moments(w: sp.sparray, rho: float) -> MultiplierMoments:
    """Exact moments of ``(I - rho W)^{-1}`` and ``(I - rho W)^{-1} W`` at one ``rho``.

    With ``rho = 0`` they come from W directly (no inverse); otherwise from the dense inverse.
    """
    if rho == 0.0:
        values = _closed_form_moments(w)
    else:
        values = DenseMultiplier(SpatialWeights.from_sparse(w)).moments(np.array([rho]))[0]
    return MultiplierMoments(*(float(v) for v in values))


def _constant_row_sum(w: sp.sparray) -> float | None:
    """The common row sum ``c`` of W when ``W 1 = c 1`` (to rounding), else None."""
    sums = np.asarray(w.sum(axis=1)).ravel()
    if sums.size and np.ptp(sums) <= 1e-12 * max(1.0, abs(float(sums[0]))):
        return float(sums[0])
    return None


def _closed_form_moments(w: sp.sparray) -> np.ndarray:
    """The four averages at ``rho = 0``: ``(1, 1, tr(W)/n, 1'W1/n)``."""
    n = w.shape[0]
    return np.array([1.0, 1.0, float(w.diagonal().sum()) / n, float(w.sum()) / n])


# ---------------------------------------------------------------------------- multipliers
class Multiplier(Protocol):
    """Evaluator of the four multiplier averages for many values of rho.

    ``moments(rho)`` returns an array ``(len(rho), 4)`` with columns ``tr(M)/n``, ``1'M1/n``,
    ``tr(MW)/n``, ``1'MW1/n``; ``derivatives(rho)`` their derivatives in rho at one value (for
    the delta method). Whatever is costly and depends on W alone is computed once, when the
    evaluator is built, and reused for every draw.
    """

    name: ClassVar[str]

    @property
    def weights(self) -> SpatialWeights: ...

    def moments(self, rho: np.ndarray) -> np.ndarray: ...

    def derivatives(self, rho: float) -> np.ndarray: ...

    def describe(self) -> str: ...


@dataclass(frozen=True, eq=False)
class DenseMultiplier:
    """Exact averages from the dense inverse ``M = (I - rho W)^{-1}`` (O(n^3) per rho; small n).

    Derivatives: ``dM/drho = M W M``, so ``d tr(M)/drho = tr(MWM)`` and ``d 1'M1/drho =
    (M'1)' W (M1)``.
    """

    name: ClassVar[str] = "exact"
    weights: SpatialWeights
    dense: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = self.weights.n
        if n > DENSE_MATRIX_LIMIT:
            raise SpecificationError(
                f"Exact impacts need dense {n}x{n} inverses (limit {DENSE_MATRIX_LIMIT} units); "
                "use method='trace'."
            )
        object.__setattr__(self, "dense", self.weights.sparse.toarray())

    def _inverse(self, rho: float) -> np.ndarray:
        n = self.dense.shape[0]
        return np.linalg.inv(np.eye(n) - rho * self.dense)

    def moments(self, rho: np.ndarray) -> np.ndarray:
        w = self.dense
        n = w.shape[0]
        w1 = w.sum(axis=1)
        out = np.empty((len(rho), 4))
        for i, r in enumerate(np.asarray(rho, dtype=float)):
            m = self._inverse(r)
            out[i] = (np.trace(m), m.sum(), np.sum(m * w.T), (m @ w1).sum())
        return out / n

    def derivatives(self, rho: float) -> np.ndarray:
        w = self.dense
        n = w.shape[0]
        m = self._inverse(rho)
        mw = m @ w
        left, right = m.sum(axis=0), m.sum(axis=1)  # 1'M and M1
        return (
            np.array(
                [
                    np.sum(m * (w @ m).T),  # tr(MWM)
                    left @ w @ right,  # 1'MWM1
                    np.sum(mw * mw.T),  # tr(MWMW)
                    left @ w @ (mw.sum(axis=1)),  # 1'MWMW1
                ]
            )
            / n
        )

    def describe(self) -> str:
        return "exact: dense inverse of I - rho W for every value of rho"


@dataclass(frozen=True, eq=False)
class EigenMultiplier:
    """Averages from the eigenvalues ``omega_i`` of W (small n).

    .. math::

        \\frac{\\mathrm{tr}(M)}{n} = \\frac{1}{n}\\sum_i \\frac{1}{1 - \\rho\\omega_i}, \\qquad
        \\frac{\\mathbf{1}'M\\mathbf{1}}{n} = \\sum_i \\frac{c_i}{1 - \\rho\\omega_i}, \\qquad
        c_i = (\\mathbf{1}'V)_i (V^{-1}\\mathbf{1})_i / n,

    with ``W = V diag(omega) V^{-1}``, and the same with a factor ``omega_i`` for ``MW``
    (LeSage & Pace 2009, ch. 4). When every row of W sums to the same ``c`` (row-standardised
    weights), ``1`` is an eigenvector and ``1'M1/n = 1/(1 - rho c)``: no eigenvectors are needed,
    which matters because those of asymmetric weights (k nearest neighbours) are often too
    ill-conditioned to use. The O(n^3) eigenvalues are those cached on the weights (shared with
    the log-determinant); each rho then costs O(n).

    Raises
    ------
    ValueError
        When the row sums vary and V is too ill-conditioned for them to be accurate.
    """

    name: ClassVar[str] = "eigen"
    weights: SpatialWeights
    eigenvalues: np.ndarray = field(init=False, repr=False)
    #: The row sums as ``sum_j sum_weights_j / (1 - rho sum_values_j)``.
    sum_values: np.ndarray = field(init=False, repr=False)
    sum_weights: np.ndarray = field(init=False, repr=False)
    condition: float | None = field(init=False)

    def __post_init__(self) -> None:
        n = self.weights.n
        if n > DENSE_MATRIX_LIMIT:
            raise SpecificationError(
                f"The eigen method decomposes a dense {n}x{n} matrix (limit {DENSE_MATRIX_LIMIT} "
                "units); use method='trace'."
            )
        row_sum = _constant_row_sum(self.weights.sparse)
        if row_sum is not None:
            omega = self.weights.eigenvalues()
            values, weights, condition = np.array([row_sum]), np.array([1.0]), None
        else:
            omega, vectors = np.linalg.eig(self.weights.sparse.toarray())
            condition = float(np.linalg.cond(vectors))
            if not condition <= EIGENVECTOR_CONDITION_LIMIT:
                raise SpecificationError(
                    f"The eigenvectors of W are ill-conditioned (condition number "
                    f"{condition:.3g}) and its row sums differ, so eigen-based row sums would be "
                    "inaccurate; use method='exact' or 'trace'."
                )
            values = omega
            weights = vectors.sum(axis=0) * np.linalg.solve(vectors, np.ones(n)) / n
        object.__setattr__(self, "eigenvalues", omega)
        object.__setattr__(self, "sum_values", values)
        object.__setattr__(self, "sum_weights", weights)
        object.__setattr__(self, "condition", condition)

    def _chunks(self, rho: np.ndarray) -> list[np.ndarray]:
        size = max(1, _EIGEN_CHUNK_ENTRIES // self.eigenvalues.size)
        return [rho[i : i + size] for i in range(0, rho.size, size)]

    def moments(self, rho: np.ndarray) -> np.ndarray:
        omega, values, c = self.eigenvalues, self.sum_values, self.sum_weights
        parts = []
        for chunk in self._chunks(np.asarray(rho, dtype=float)):
            d = 1.0 / (1.0 - np.multiply.outer(chunk, omega))
            ds = 1.0 / (1.0 - np.multiply.outer(chunk, values))
            columns = [d.mean(axis=1), ds @ c, (d * omega).mean(axis=1), (ds * values) @ c]
            parts.append(np.real(np.column_stack(columns)))
        return np.concatenate(parts) if parts else np.empty((0, 4))

    def derivatives(self, rho: float) -> np.ndarray:
        omega, values, c = self.eigenvalues, self.sum_values, self.sum_weights
        d2 = omega / (1.0 - rho * omega) ** 2
        ds2 = values / (1.0 - rho * values) ** 2
        return np.real(np.array([d2.mean(), ds2 @ c, (d2 * omega).mean(), (ds2 * values) @ c]))

    def describe(self) -> str:
        rows = (
            "row sums in closed form (constant row sums)"
            if self.condition is None
            else f"row sums from the eigenvectors (condition number {self.condition:.3g})"
        )
        return f"eigen: eigenvalues of W, computed once; {rows}"


@dataclass(frozen=True, eq=False)
class SeriesMultiplier:
    """Averages as power series in rho of the traces of ``W^k`` (LeSage & Pace 2009, s. 2.7).

    .. math::

        \\frac{\\mathrm{tr}(M)}{n} \\approx \\sum_{k=0}^{K} \\rho^k t_k, \\qquad
        \\frac{\\mathrm{tr}(MW)}{n} \\approx \\sum_{k=0}^{K} \\rho^k t_{k+1},

    truncated at ``K = traces.order``, with the remainder bounded by
    :meth:`~naeringsmiljo.weights.traces.WeightsTraces.tail_factor`. The row sums are not truncated:
    ``M 1`` and ``M W1`` come from one sparse LU factorisation of ``I - rho W`` per rho, or in
    closed form ``1/(1 - rho c)`` when every row of W sums to the same ``c``. No dense ``n x n``
    matrix is formed.
    """

    name: ClassVar[str] = "trace"
    weights: SpatialWeights
    traces: WeightsTraces
    row_sum: float | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "row_sum", _constant_row_sum(self.weights.sparse))

    def _check_convergence(self, rho: np.ndarray) -> None:
        outside = np.abs(rho) * self.traces.spectral_radius >= 1.0
        if np.any(outside):
            raise SpecificationError(
                f"The trace series diverges for |rho| >= 1/r = {1 / self.traces.spectral_radius:.6g}"
                f" ({int(outside.sum())} value(s) of rho, e.g. {rho[outside][0]:.6g}); use "
                "method='eigen' or 'exact'."
            )

    def moments(self, rho: np.ndarray) -> np.ndarray:
        rho = np.asarray(rho, dtype=float)
        self._check_convergence(rho)
        t = self.traces.traces
        k = self.traces.order
        powers = np.power.outer(rho, np.arange(k + 1))
        out = np.empty((rho.size, 4))
        out[:, 0] = powers @ t[: k + 1]
        out[:, 2] = powers @ t[1 : k + 2]
        if self.row_sum is not None:
            c = self.row_sum
            out[:, 1] = 1.0 / (1.0 - rho * c)
            out[:, 3] = c / (1.0 - rho * c)
        else:
            w = self.weights.sparse
            rhs = np.column_stack([np.ones(w.shape[0]), w @ np.ones(w.shape[0])])
            for i, r in enumerate(rho):
                out[i, [1, 3]] = self._factor(r).solve(rhs).sum(axis=0) / w.shape[0]
        return out

    def _factor(self, rho: float) -> SuperLU:
        w = self.weights.sparse
        a = sp.csc_array(sp.identity(w.shape[0], format="csc") - rho * w)
        try:
            return splu(a)
        except RuntimeError as err:  # SuperLU reports an exactly singular factor this way
            raise ParameterSpaceError(f"I - rho W is singular at rho = {rho!r}.") from err

    def derivatives(self, rho: float) -> np.ndarray:
        self._check_convergence(np.array([rho]))
        t = self.traces.traces
        k = np.arange(1, self.traces.order + 1)
        slopes = k * rho ** (k - 1)
        out = np.empty(4)
        out[0] = slopes @ t[1 : self.traces.order + 1]
        out[2] = slopes @ t[2 : self.traces.order + 2]
        if self.row_sum is not None:
            c = self.row_sum
            out[1] = c / (1.0 - rho * c) ** 2
            out[3] = c**2 / (1.0 - rho * c) ** 2
        else:
            w = self.weights.sparse
            n = w.shape[0]
            lu = self._factor(rho)
            ones = np.ones(n)
            right = lu.solve(np.column_stack([ones, w @ ones]))  # M1, MW1
            left = lu.solve(ones, trans="T")  # M'1
            out[1], out[3] = left @ (w @ right)
            out[[1, 3]] /= n
        return out

    def describe(self) -> str:
        tr = self.traces
        kind = (
            f"Monte Carlo traces ({tr.probes} Rademacher probes)"
            if tr.method == "monte_carlo"
            else f"{tr.method} traces"
        )
        rows = (
            "row sums in closed form (constant row sums)"
            if self.row_sum is not None
            else "row sums by sparse LU solves"
        )
        return f"trace: series in rho to order {tr.order} with {kind}; {rows}"


def make_multiplier(
    weights: SpatialWeights,
    method: ImpactsMethod = "auto",
    *,
    order: int = 100,
    traces: TraceMethod = "auto",
    probes: int = 50,
    seed: int | np.random.SeedSequence | None = None,
) -> Multiplier:
    """Build the multiplier evaluator of ``weights`` once, to reuse across draws and fits.

    Parameters
    ----------
    weights : SpatialWeights
        The weights matrix.
    method : {"auto", "exact", "eigen", "trace"}
        :class:`DenseMultiplier`, :class:`EigenMultiplier` or :class:`SeriesMultiplier`;
        ``"auto"`` takes the eigenvalues up to :data:`AUTO_EIGEN_LIMIT` units (the dense inverse
        if the eigenvectors are needed and ill-conditioned) and the trace series above.
    order, traces, probes, seed :
        Truncation order and traces of the trace series (see
        :func:`naeringsmiljo.weights.traces.trace_powers`); unused by the other methods.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> w = datasets.columbus_weights("anselin").row_standardize()
    >>> make_multiplier(w).describe()
    'eigen: eigenvalues of W, computed once; row sums in closed form (constant row sums)'
    """
    check_choice("method", method, ImpactsMethod, context="(impacts method)")
    if method == "auto":
        if weights.n > AUTO_EIGEN_LIMIT:
            method = "trace"
        else:
            try:
                return EigenMultiplier(weights)
            except ValueError:
                return DenseMultiplier(weights)
    if method == "exact":
        return DenseMultiplier(weights)
    if method == "eigen":
        return EigenMultiplier(weights)
    return SeriesMultiplier(
        weights, trace_powers(weights, order, method=traces, probes=probes, seed=seed)
    )


#: Monte Carlo trace series of the impacts stop where the truncation bound over the draws is below
#: this share of the Monte Carlo standard error of a direct impact (a bias of at most a tenth of
#: the stated error; both are reported), or below ``_SERIES_TOLERANCE`` of the coefficients.
TRUNCATION_SHARE = 0.1
_SERIES_TOLERANCE = 1e-13


def _monte_carlo_series(
    weights: SpatialWeights, method: ImpactsMethod, traces: TraceMethod
) -> bool:
    """Whether ``make_multiplier`` would build a trace series on Monte Carlo traces."""
    series = method == "trace" or (method == "auto" and weights.n > AUTO_EIGEN_LIMIT)
    if not series:
        return False
    return traces == "monte_carlo" or (traces == "auto" and weights.n > EXACT_TRACE_LIMIT)


def impact_traces(
    weights: SpatialWeights,
    order: int,
    probes: int,
    seed: int | np.random.SeedSequence | None,
    beta: np.ndarray,
    theta: np.ndarray,
    rho: float,
    rhos: np.ndarray,
) -> WeightsTraces:
    """Monte Carlo traces for the impacts, truncated where the series has converged.

    The series stops at the first order ``K <= order`` where the truncation bound of every
    direct impact at every value in ``rhos`` (the estimate and the kept draws) is at most
    :data:`TRUNCATION_SHARE` times the Monte Carlo standard error of the direct impacts at the
    estimate, or ``1e-13`` of the coefficients. Traces cached on the weights for the same probes
    and seed (by the sparse information matrix of the fit, say) are reused when they reach such
    an order; otherwise one pass of block products computes them, stopping there, and caches
    them.
    """
    key = trace_key("monte_carlo", probes, seed)
    beta, theta = np.atleast_1d(beta), np.atleast_1d(theta)
    rho_max = float(np.max(np.abs(rhos)))
    scale = float(np.max(np.abs(beta) + max(weights.eigenvalue_bounds()[1], 0.0) * np.abs(theta)))

    def converged(tr: WeightsTraces) -> bool:
        bound = float(np.max(scale * tr.tail_factor(rho_max)))
        if not np.isfinite(bound):
            return False
        error = max(
            tr.series_error(_direct_coefficients(b, t, rho, tr))
            for b, t in zip(beta, theta, strict=True)
        )
        return bound <= max(TRUNCATION_SHARE * error, _SERIES_TOLERANCE * scale)

    available = cached_order(weights, key)
    if available >= 2:
        top = min(order, available)
        cached = cached_traces(weights, key, top)
        if cached is not None and (top == order or converged(cached)):
            return cached
    powers = ProbePowers(weights, probes, seed)
    powers.step()
    while True:
        powers.step()
        tr = powers.traces()
        if tr.order >= order or (tr.order >= 2 and converged(tr)):
            break
    return store_traces(weights, key, tr)


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class Impacts:
    """Impacts of a fitted model, with their standard errors.

    Attributes
    ----------
    estimates : pandas.DataFrame
        One row per regressor, columns ``direct``, ``indirect``, ``total``, evaluated at the
        parameter estimates (not the mean of the draws).
    model : str
        Name of the model the impacts come from.
    method : str
        How the multiplier was evaluated: ``"exact"``, ``"eigen"``, ``"trace"``, or
        ``"closed form"`` for models without rho.
    std_errors : pandas.DataFrame or None
        Standard errors shaped like ``estimates``; None without inference.
    inference : str or None
        ``"simulation"``, ``"delta"``, ``"analytic"`` (models without rho: the impacts are linear
        in the coefficients) or None.
    draws : int
        Parameter vectors drawn for the simulation (0 otherwise).
    draws_discarded : int
        Draws discarded because their rho fell outside the parameter interval.
    seed : int, tuple of int, or None
        The seed of the random streams (as passed, or the fresh entropy drawn when None was
        passed), so that any simulation can be rerun; None when nothing was random.
    df_resid : int or None
        Degrees of freedom of t-based inference (classical OLS covariance), else None (normal).
    by_order : pandas.DataFrame or None
        Contribution of each power ``W^k`` of the weights (index ``variable``, ``order``) to
        the direct, indirect and total impacts (LeSage & Pace 2009, s. 2.7.3); the sum over the
        orders is the impact, up to the truncation at the highest order.
    notes : tuple of str
        How the numbers were computed and their numerical accuracy.
    truncation_bound : float or None
        Trace method: bound on the truncation error of any direct impact at the estimates.
    trace_error : float or None
        Trace method with Monte Carlo traces: the largest Monte Carlo standard error of a direct
        impact at the estimates (a common error of every draw, not averaged out by drawing).
    simulated : numpy.ndarray or None
        The simulated impacts, ``(kept draws, regressors, 3)`` in the order of ``estimates``.
    draws_from : str
        What the parameter draws of the simulation come from (for the summary).
    """

    estimates: pd.DataFrame
    model: str
    method: str
    std_errors: pd.DataFrame | None = None
    inference: str | None = None
    draws: int = 0
    draws_discarded: int = 0
    seed: int | tuple[int, ...] | None = None
    df_resid: int | None = None
    by_order: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    truncation_bound: float | None = None
    trace_error: float | None = None
    simulated: np.ndarray | None = field(default=None, repr=False)
    draws_from: str = "the asymptotic normal distribution of the estimates"

    @property
    def zvalues(self) -> pd.DataFrame | None:
        """Estimates divided by their standard errors (NaN where the s.e. is zero)."""
        if self.std_errors is None:
            return None
        est, se = self.estimates.to_numpy(), self.std_errors.to_numpy()
        z = np.divide(est, se, out=np.full_like(est, np.nan), where=se > 0)
        return pd.DataFrame(z, index=self.estimates.index, columns=self.estimates.columns)

    @property
    def pvalues(self) -> pd.DataFrame | None:
        """Two-sided p-values of the z values: normal, or t with ``df_resid`` when set."""
        z = self.zvalues
        if z is None:
            return None
        a = np.abs(z.to_numpy())
        p = 2 * (stats.t.sf(a, self.df_resid) if self.df_resid else stats.norm.sf(a))
        return pd.DataFrame(p, index=z.index, columns=z.columns)

    def conf_int(self, alpha: float = 0.05, *, level: float | None = None) -> pd.DataFrame:
        """Intervals of coverage ``1 - alpha``; columns ``(effect, "lower"/"upper")``.

        Simulated impacts give percentile intervals: the ``alpha/2`` and ``1 - alpha/2``
        quantiles of the draws, which follow the skewness the nonlinearity in rho gives the
        impacts. Otherwise the intervals are ``estimate -/+ q * s.e.`` with ``q`` a normal
        quantile (a t quantile with ``df_resid`` degrees of freedom when set). ``alpha`` as in
        :meth:`naeringsmiljo.results.spatial.SpatialResults.conf_int` (``level=`` is refused).
        """
        tail = check_alpha(alpha, level) / 2
        if self.std_errors is None:
            raise SpecificationError("These impacts carry no inference; ask for inference= first.")
        if self.simulated is not None:
            lower, upper = np.quantile(self.simulated, [tail, 1 - tail], axis=0)
        else:
            q = stats.t.ppf(1 - tail, self.df_resid) if self.df_resid else stats.norm.ppf(1 - tail)
            half = q * self.std_errors.to_numpy()
            lower, upper = self.estimates.to_numpy() - half, self.estimates.to_numpy() + half
        columns = pd.MultiIndex.from_product([COLUMNS, ["lower", "upper"]])
        values = np.stack([lower, upper], axis=2).reshape(len(self.estimates), -1)
        return pd.DataFrame(values, index=self.estimates.index, columns=columns)

    def cumulative(self) -> pd.DataFrame:
        """Cumulative impacts up to each order of neighbours: running sums of :attr:`by_order`."""
        if self.by_order is None:
            raise SpecificationError("These impacts carry no decomposition by order.")
        return self.by_order.groupby(level="variable", sort=False).cumsum()

    def to_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Long table: one row per (effect, regressor) with the estimate and its inference."""
        index = pd.MultiIndex.from_product(
            [COLUMNS, self.estimates.index], names=["effect", "variable"]
        )

        def long(frame: pd.DataFrame) -> np.ndarray:
            return frame[COLUMNS].to_numpy().T.ravel()

        columns = {"estimate": long(self.estimates)}
        if self.std_errors is not None:
            ci = self.conf_int(alpha)
            columns |= {
                "std_error": long(self.std_errors),
                "zvalue": long(self.zvalues),
                "pvalue": long(self.pvalues),
                "lower": long(ci.xs("lower", axis=1, level=1)),
                "upper": long(ci.xs("upper", axis=1, level=1)),
            }
        return pd.DataFrame(columns, index=index)

    def summary(self, alpha: float = 0.05) -> str:
        """Text table of the impacts with their inference and how they were computed."""
        header = f"Impacts of the {self.model} model"
        lines = [header, "=" * 78, f"Method:          {self.method}"]
        if self.inference is None:
            lines.append("Inference:       none")
        elif self.inference == "simulation":
            lines.append(
                f"Inference:       simulation, {self.draws} draws from {self.draws_from}, "
                f"{self.draws_discarded} discarded (rho outside its interval), seed {self.seed}"
            )
            lines.append(f"Intervals:       {1 - alpha:.0%} percentile intervals of the draws")
        else:
            kind = {
                "delta": "delta method (linearised in the parameters)",
                "analytic": "analytic (the impacts are linear in the coefficients)",
            }[self.inference]
            dist = f"t({self.df_resid})" if self.df_resid else "normal"
            lines.append(f"Inference:       {kind}; {1 - alpha:.0%} {dist} intervals")
        lines += [f"Note:            {note}" for note in self.notes]
        lines += ["-" * 78, self.to_frame(alpha).to_string(float_format="{:.6f}".format), "=" * 78]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------- computation
def compute_impacts(
    params: pd.Series,
    regressors: list[str],
    lag_prefix: str,
    w: SpatialWeights | sp.sparray,
    model: str,
    method: ImpactsMethod = "auto",
    *,
    cov: pd.DataFrame | None = None,
    inference: ImpactsInference | None = None,
    draws: int = 1000,
    seed: int | Sequence[int] | None = None,
    order: int = 100,
    traces: TraceMethod = "auto",
    probes: int = 50,
    multiplier: Multiplier | None = None,
    df_resid: int | None = None,
    sample: np.ndarray | None = None,
) -> Impacts:
    """Impacts of ``regressors`` and their inference (LeSage & Pace 2009, s. 2.7, eq. 2.46).

    Simulated inference is computed from draws of the parameters: ``sample`` when given (one row
    per draw, columns in the order of ``params``: posterior draws, or the draws of
    :meth:`SpatialResults.parameter_draws`), else draws from ``N(params, cov)`` with the seed's
    draw stream (:func:`naeringsmiljo.inference.draws.normal_draws`).

    Parameters
    ----------
    params : pandas.Series
        ``beta`` under the regressor names, lag coefficients under ``lag_prefix + name`` and
        ``rho`` when the model has a spatial lag of y (other entries are drawn but unused).
    regressors : list of str
        The regressors whose impacts are reported.
    lag_prefix : str
        Prefix of the names of lagged regressors.
    w : SpatialWeights or scipy sparse array
        The weights of the model.
    model : str
        Model name, for display.
    method : {"auto", "exact", "eigen", "trace"}
        Evaluator of the multiplier (see :func:`make_multiplier`); ignored when ``multiplier`` is
        given or the model has no rho.
    cov : pandas.DataFrame, optional
        Covariance of ``params``; required for inference.
    inference : {"simulation", "delta"} or None
        ``"simulation"``: draw the parameters from ``N(params, cov)`` (LeSage & Pace 2009,
        s. 2.7), discard draws whose rho lies outside the parameter interval, and take the
        standard deviation of the simulated impacts. ``"delta"``: ``g' V g`` with ``g`` the
        analytic gradient of the impacts in ``(beta_r, theta_r, rho)``. Models without rho get
        exact analytic standard errors in either case.
    draws : int
        Number of parameter draws for the simulation.
    seed : int or sequence of int, optional
        Entropy of ``numpy.random.SeedSequence``, which seeds the draws and the Monte Carlo
        traces (independent child streams); None takes fresh entropy, recorded in
        :attr:`Impacts.seed`. A sequence such as ``(study_seed, replication)`` gives independent
        streams for the replications of a Monte Carlo study.
    order : int
        Truncation order of the trace series and highest order of :attr:`Impacts.by_order`.
    traces, probes :
        Exact or Monte Carlo traces for the trace method (see
        :func:`naeringsmiljo.weights.traces.trace_powers`).
    multiplier : DenseMultiplier, EigenMultiplier or SeriesMultiplier, optional
        A prebuilt evaluator for these weights (:func:`make_multiplier`), to reuse its
        decomposition or traces across calls.
    df_resid : int, optional
        Degrees of freedom for t-based p-values and intervals of models without rho.
    sample : numpy.ndarray, optional
        Parameter draws ``(draws, len(params))`` for ``inference="simulation"``.

    Raises
    ------
    ParameterSpaceError
        If rho lies outside the interval ``(1/omega_min, 1/omega_max)`` of W.
    """
    weights = w if isinstance(w, SpatialWeights) else SpatialWeights.from_sparse(w)
    check_choice("method", method, ImpactsMethod, context="(impacts method)")
    check_choice("traces", traces, TraceMethod)
    check_choice("inference", inference, ImpactsInference | None)
    if inference is not None and cov is None:
        raise SpecificationError(
            "Inference on impacts needs the covariance of the parameters (cov=)."
        )
    if sample is not None:
        sample = np.asarray(sample, dtype=np.float64)
        if sample.ndim != 2 or sample.shape[1] != len(params):
            raise SpecificationError(
                f"sample must have one column per parameter ({len(params)}), got shape "
                f"{sample.shape}."
            )
        draws = sample.shape[0]
    if inference == "simulation" and (int(draws) != draws or draws < 2):
        raise SpecificationError(f"draws must be an integer of at least 2, got {draws!r}.")
    if int(order) != order or order < 1:
        raise SpecificationError(f"order must be a positive integer, got {order!r}.")
    names = list(params.index)
    coef = _Coefficients.of(names, regressors, lag_prefix)
    if "rho" not in names:
        return _linear_impacts(params, coef, weights, model, cov, inference, df_resid)
    return _lag_impacts(
        params,
        coef,
        weights,
        model,
        cov=cov,
        method=method,
        inference=inference,
        draws=int(draws),
        seed=seed,
        order=int(order),
        traces=traces,
        probes=probes,
        multiplier=multiplier,
        sample=sample,
    )


@dataclass(frozen=True)
class _Coefficients:
    """Positions of ``beta_r``, ``theta_r`` (-1 when not lagged) and rho in the parameters."""

    regressors: list[str]
    beta: np.ndarray
    theta: np.ndarray
    rho: int

    @classmethod
    def of(cls, names: list[str], regressors: list[str], lag_prefix: str) -> _Coefficients:
        missing = [r for r in regressors if r not in names]
        if missing:
            raise FormulaError(f"No coefficient for the regressor(s) {missing}.")
        beta = np.array([names.index(r) for r in regressors], dtype=int)
        theta = np.array(
            [names.index(lag_prefix + r) if lag_prefix + r in names else -1 for r in regressors],
            dtype=int,
        )
        return cls(regressors, beta, theta, names.index("rho") if "rho" in names else -1)

    def values(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``beta`` and ``theta`` (zeros where not lagged), for one vector or rows of draws."""
        params = np.atleast_2d(params)
        beta = params[:, self.beta]
        theta = np.where(self.theta >= 0, params[:, np.maximum(self.theta, 0)], 0.0)
        return beta, theta

    def frame(self, values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            values, index=pd.Index(self.regressors, name="variable"), columns=COLUMNS
        )


def _effects(beta: np.ndarray, theta: np.ndarray, moments: np.ndarray) -> np.ndarray:
    """``(draws, regressors, 3)`` impacts from coefficients and multiplier averages."""
    m = moments[:, :, None]
    direct = beta * m[:, 0] + theta * m[:, 2]
    total = beta * m[:, 1] + theta * m[:, 3]
    return np.stack([direct, total - direct, total], axis=2)


def _gradients(
    coef: _Coefficients,
    beta: np.ndarray,
    theta: np.ndarray,
    moments: np.ndarray,
    derivatives: np.ndarray | None,
    size: int,
) -> np.ndarray:
    """Gradient of every impact in the full parameter vector: ``(regressors, 3, size)``."""
    grad = np.zeros((len(coef.regressors), 3, size))
    for j in range(len(coef.regressors)):
        for col, (m_beta, m_theta) in ((0, (0, 2)), (2, (1, 3))):
            grad[j, col, coef.beta[j]] = moments[m_beta]
            if coef.theta[j] >= 0:
                grad[j, col, coef.theta[j]] = moments[m_theta]
            if derivatives is not None:
                grad[j, col, coef.rho] = (
                    beta[j] * derivatives[m_beta] + theta[j] * derivatives[m_theta]
                )
        grad[j, 1] = grad[j, 2] - grad[j, 0]
    return grad


def _delta_std_errors(grad: np.ndarray, cov: np.ndarray) -> np.ndarray:
    variance = np.einsum("rep,pq,req->re", grad, cov, grad)
    return np.sqrt(np.maximum(variance, 0.0))


def _linear_impacts(
    params: pd.Series,
    coef: _Coefficients,
    weights: SpatialWeights,
    model: str,
    cov: pd.DataFrame | None,
    inference: ImpactsInference | None,
    df_resid: int | None,
) -> Impacts:
    """Models without rho: ``S_r = beta_r I + theta_r W``, linear in the coefficients."""
    moments = _closed_form_moments(weights.sparse)
    beta, theta = coef.values(params.to_numpy())
    estimates = _effects(beta, theta, moments[None, :])[0]
    order_one = np.array([moments[2], moments[3]])  # t_1, s_1
    by_order = _by_order_frame(
        coef,
        beta[0],
        theta[0],
        rho=0.0,
        traces=np.array([1.0, order_one[0]]),
        sums=np.array([1.0, order_one[1]]),
        top=1,
    )
    std_errors = None
    if inference is not None:
        grad = _gradients(coef, beta[0], theta[0], moments, None, len(params))
        if cov is None:
            raise SpecificationError(
                "Inference on impacts needs the covariance of the parameters (cov=)."
            )
        cov_matrix = cov.loc[params.index, params.index].to_numpy()
        std_errors = coef.frame(_delta_std_errors(grad, cov_matrix))
    return Impacts(
        estimates=coef.frame(estimates),
        model=model,
        method="closed form",
        std_errors=std_errors,
        inference=None if inference is None else "analytic",
        df_resid=df_resid if inference is not None else None,
        by_order=by_order,
        notes=("no rho: direct = beta + theta tr(W)/n, total = beta + theta 1'W1/n",),
    )


def _lag_impacts(
    params: pd.Series,
    coef: _Coefficients,
    weights: SpatialWeights,
    model: str,
    *,
    cov: pd.DataFrame | None,
    method: ImpactsMethod,
    inference: ImpactsInference | None,
    draws: int,
    seed: int | Sequence[int] | None,
    order: int,
    traces: TraceMethod,
    probes: int,
    multiplier: Multiplier | None,
    sample: np.ndarray | None,
) -> Impacts:
    """Models with rho: the multiplier is evaluated at the estimate and at every draw."""
    rho = float(params["rho"])
    interval = weights.parameter_interval()
    if not interval[0] < rho < interval[1]:
        raise ParameterSpaceError(
            f"rho = {rho!r} lies outside the interval ({interval[0]:.6g}, {interval[1]:.6g}) "
            "where I - rho W is invertible; the impacts are not defined there."
        )
    streams = seed_streams(seed)
    trace_stream = streams.traces
    built_here = multiplier is None
    values = params.to_numpy()
    beta, theta = coef.values(values)
    cov_matrix = None
    if inference is not None:
        if cov is None:
            raise SpecificationError(
                "Inference on impacts needs the covariance of the parameters (cov=)."
            )
        cov_matrix = cov.loc[params.index, params.index].to_numpy()
    if inference != "simulation":
        sample = None
    elif sample is None:
        # Drawn first (an independent stream), so that Monte Carlo traces can be truncated
        # where the series has converged for every draw.
        sample = normal_draws(values, cov_matrix, draws, streams.draws)  # type: ignore[arg-type]
    if multiplier is None:
        if _monte_carlo_series(weights, method, traces):
            rhos = np.array([rho])
            if sample is not None:
                inside = sample[:, coef.rho]
                inside = inside[(inside > interval[0]) & (inside < interval[1])]
                rhos = np.concatenate([rhos, inside])
            multiplier = SeriesMultiplier(
                weights,
                impact_traces(weights, order, probes, trace_stream, beta[0], theta[0], rho, rhos),
            )
        else:
            multiplier = make_multiplier(
                weights, method, order=order, traces=traces, probes=probes, seed=trace_stream
            )
    elif not multiplier.weights.equals(weights):
        raise SpecificationError("The multiplier was built for other weights than the model's.")
    moments = multiplier.moments(np.array([rho]))
    powers = _power_traces(multiplier, order, traces, probes, trace_stream)
    # The seed is reported whenever this call drew random numbers: Monte Carlo traces or draws.
    traces_drawn = powers.method == "monte_carlo" and (
        built_here or not isinstance(multiplier, SeriesMultiplier)
    )
    accuracy = _SeriesAccuracy.of(multiplier, beta[0], theta[0], rho)
    notes = [multiplier.describe(), *accuracy.notes]
    std_errors = simulation = None
    if inference == "delta":
        derivatives = multiplier.derivatives(rho)
        grad = _gradients(coef, beta[0], theta[0], moments[0], derivatives, len(values))
        std_errors = _delta_std_errors(grad, cast(np.ndarray, cov_matrix))
    elif inference == "simulation":
        # With simulation inference, the covariance is set and the sample drawn above.
        simulation = _simulate(
            cast(np.ndarray, sample),
            values,
            cast(np.ndarray, cov_matrix),
            coef,
            multiplier,
            interval,
            draws,
        )
        std_errors = simulation.impacts.std(axis=0, ddof=1)
        notes += simulation.notes
    return Impacts(
        estimates=coef.frame(_effects(beta, theta, moments)[0]),
        model=model,
        method=multiplier.name,
        std_errors=None if std_errors is None else coef.frame(std_errors),
        inference=inference,
        draws=draws if simulation is not None else 0,
        draws_discarded=simulation.discarded if simulation is not None else 0,
        seed=streams.seed if simulation is not None or traces_drawn else None,
        by_order=_by_order_frame(
            coef, beta[0], theta[0], rho, powers.traces, powers.sums, top=powers.order
        ),
        notes=tuple(notes),
        truncation_bound=accuracy.truncation_bound,
        trace_error=accuracy.trace_error,
        simulated=simulation.impacts if simulation is not None else None,
    )


@dataclass(frozen=True)
class _SeriesAccuracy:
    """Numerical accuracy of the trace series at the estimates (nothing for other evaluators)."""

    truncation_bound: float | None = None
    trace_error: float | None = None
    notes: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, multiplier: Multiplier, beta: np.ndarray, theta: np.ndarray, rho: float
    ) -> _SeriesAccuracy:
        if not isinstance(multiplier, SeriesMultiplier):
            return cls()
        tr = multiplier.traces
        bound = _truncation_bound(tr, beta[None, :], theta[None, :], np.array([rho]))
        truncated = f"series truncated at order {tr.order}: |error of a direct impact| <= "
        notes = [f"{truncated}{bound:.3g} at the estimates"]
        error = None
        if tr.method == "monte_carlo":
            error = max(
                tr.series_error(_direct_coefficients(b, t, rho, tr))
                for b, t in zip(beta, theta, strict=True)
            )
            notes.append(f"Monte Carlo traces: standard error of a direct impact <= {error:.3g}")
        return cls(bound, error, tuple(notes))


@dataclass(frozen=True)
class _Simulation:
    """Simulated impacts ``(kept draws, regressors, 3)``, the discarded count, and warnings."""

    impacts: np.ndarray
    discarded: int
    notes: tuple[str, ...]


def _simulate(
    sample: np.ndarray,
    mean: np.ndarray,
    cov: np.ndarray,
    coef: _Coefficients,
    multiplier: Multiplier,
    interval: tuple[float, float],
    draws: int,
) -> _Simulation:
    """Impacts at parameters ``sample`` drawn from ``N(mean, cov)`` (LeSage & Pace 2009, s. 2.7).

    Draws whose rho leaves the open interval where ``I - rho W`` is invertible are discarded (as
    R spatialreg does), not redrawn, so the kept draws follow the normal truncated to it.
    """
    low, high = interval
    rhos = sample[:, coef.rho]
    keep = (rhos > low) & (rhos < high)
    if keep.sum() < 2:
        raise ParameterSpaceError(
            f"Only {int(keep.sum())} of {draws} draws of rho fell inside its interval "
            f"({low:.6g}, {high:.6g}); the simulated impacts are undefined."
        )
    sample = sample[keep]
    impacts = _effects(*coef.values(sample), multiplier.moments(sample[:, coef.rho]))
    notes = []
    rho, rho_se = mean[coef.rho], float(np.sqrt(cov[coef.rho, coef.rho]))
    margin = min(high - rho, rho - low) / rho_se if rho_se > 0 else np.inf
    if margin < NEAR_BOUND_MARGIN:
        notes.append(
            f"rho is {margin:.2f} s.e. from the end of its interval: the impacts of draws near "
            "it are unbounded (no finite variance, mostly in the indirect and total impacts), so "
            "their simulated s.e. are unstable and grow with the draws; rely on the percentile "
            "intervals"
        )
    if isinstance(multiplier, SeriesMultiplier):
        worst = _truncation_bound(multiplier.traces, *coef.values(sample), sample[:, coef.rho])
        notes.append(f"largest truncation bound over the kept draws: {worst:.3g}")
    return _Simulation(impacts, int(draws - keep.sum()), tuple(notes))


def _power_traces(
    multiplier: Multiplier,
    order: int,
    traces: TraceMethod,
    probes: int,
    seed: np.random.SeedSequence,
) -> WeightsTraces:
    """Traces for the decomposition by order, from what the evaluator already has."""
    if isinstance(multiplier, SeriesMultiplier):
        return multiplier.traces
    if isinstance(multiplier, EigenMultiplier):
        return eigen_traces(multiplier.weights, multiplier.eigenvalues, order)
    return trace_powers(multiplier.weights, order, method=traces, probes=probes, seed=seed)


def _direct_coefficients(
    beta: float, theta: float, rho: float, traces: WeightsTraces
) -> np.ndarray:
    """Coefficient of ``t_k`` in the truncated direct impact, ``k = 0..order+1``."""
    k = np.arange(traces.order + 2)
    coefficients = np.where(k <= traces.order, beta * rho**k, 0.0)
    coefficients[1:] += theta * rho ** k[:-1]
    return coefficients


def _truncation_bound(
    traces: WeightsTraces, beta: np.ndarray, theta: np.ndarray, rho: np.ndarray
) -> float:
    """Largest bound ``(|beta| + r |theta|) (|rho| r)^(K+1) / (1 - |rho| r)`` over regressors."""
    scale = np.abs(beta) + traces.spectral_radius * np.abs(theta)
    return float(np.max(scale * traces.tail_factor(rho)[:, None]))


def _by_order_frame(
    coef: _Coefficients,
    beta: np.ndarray,
    theta: np.ndarray,
    rho: float,
    traces: np.ndarray,
    sums: np.ndarray,
    top: int,
) -> pd.DataFrame:
    """Contribution of ``W^k``, ``k = 0..top``: coefficient ``a_k = beta rho^k + theta rho^(k-1)``.

    ``S_r = sum_k a_k W^k`` (LeSage & Pace 2009, s. 2.7.3), so ``W^k`` contributes ``a_k t_k``
    to the direct impact and ``a_k s_k`` to the total.
    """
    k = np.arange(top + 1)
    rho_k = rho**k
    a = np.outer(beta, rho_k)
    a[:, 1:] += np.outer(theta, rho_k[:-1])
    direct = (a * traces[: top + 1]).ravel()
    total = (a * sums[: top + 1]).ravel()
    index = pd.MultiIndex.from_arrays(
        [np.repeat(coef.regressors, k.size), np.tile(k, len(coef.regressors))],
        names=["variable", "order"],
    )
    return pd.DataFrame({"direct": direct, "indirect": total - direct, "total": total}, index=index)
