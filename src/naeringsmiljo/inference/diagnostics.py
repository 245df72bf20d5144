"""Specification tests for spatial regression models.

Every test returns a :class:`TestResult` value object: statistic, degrees of freedom, p-value,
null hypothesis and reference distribution, or the reason why the test does not apply (then the
statistic and p-value are NaN), so that a summary can always be printed.

Tests at the OLS estimate of ``y = X beta + e`` (pure functions of ``y``, ``X`` and ``W``):

* :func:`moran_test`: Moran's I of the OLS residuals with its exact mean and variance under
  normal errors (Cliff & Ord 1981, pp. 200-203; Anselin 1988, ch. 8);
* :func:`lm_error`, :func:`lm_lag`, :func:`rlm_error`, :func:`rlm_lag`, :func:`lm_sarma`: the
  Rao score (Lagrange multiplier) tests of Anselin (1988) and their versions robust to local
  misspecification (Anselin, Bera, Florax & Yoon 1996);
* :func:`lm_wx`, :func:`rlm_wx`, :func:`rlm_lag_wx`, :func:`lm_sdm_joint`: the tests for the
  spatial Durbin model of Koley & Bera (2024).

Tests between fitted models: :func:`likelihood_ratio` (nested ML fits), the common-factor
hypothesis of the SDM against the SEM (:func:`common_factor_lr`, :func:`common_factor_wald`).
After two-stage least squares: :func:`anselin_kelejian`.

:func:`spatial_diagnostics` (also ``SpatialResults.spatial_diagnostics()``) collects the OLS-based
tests of a fitted model in a :class:`SpatialDiagnostics` mapping.

References
----------
Anselin, L. (1988). *Spatial Econometrics: Methods and Models*. Kluwer.
Anselin, L., Bera, A. K., Florax, R. & Yoon, M. J. (1996). Simple diagnostic tests for spatial
dependence. *Regional Science and Urban Economics* 26, 77-104.
Anselin, L. & Kelejian, H. H. (1997). Testing for spatial error autocorrelation in the presence of
endogenous regressors. *International Regional Science Review* 20, 153-182.
Burridge, P. (1980). On the Cliff-Ord test for spatial correlation. *Journal of the Royal
Statistical Society B* 42, 107-108.
Burridge, P. (1981). Testing for a common factor in a spatial autoregression model.
*Environment and Planning A* 13, 795-800.
Bera, A. K. & Yoon, M. J. (1993). Specification testing with locally misspecified alternatives.
*Econometric Theory* 9, 649-658.
Cliff, A. D. & Ord, J. K. (1981). *Spatial Processes: Models and Applications*. Pion.
Koley, M. & Bera, A. K. (2024). To use, or not to use the spatial Durbin model? - that is the
question. *Spatial Economic Analysis* 19(1), 30-56.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from naeringsmiljo._options import Alternative, check_choice
from naeringsmiljo.design.cross_section import INTERCEPT, LAG_PREFIX, check_rank
from naeringsmiljo.exceptions import SingularDesignError, SpecificationError
from naeringsmiljo.inference.covariance import (
    InformationMatrix,
    MLInference,
    MLProblem,
    _full_score,
    covariance_from_information,
)
from naeringsmiljo.linalg import DesignFactor
from naeringsmiljo.weights.spatial_weights import SpatialWeights

if TYPE_CHECKING:
    from naeringsmiljo.results.spatial import SpatialResults


#: Keys of :class:`SpatialDiagnostics`, in display order.
DIAGNOSTIC_KEYS = (
    "moran",
    "lm_error",
    "lm_lag",
    "rlm_error",
    "rlm_lag",
    "sarma",
    "lm_wx",
    "rlm_wx",
)

# A log-likelihood of the restricted model above the unrestricted one by more than this (relative
# to |loglik|) cannot be rounding: the unrestricted fit missed its maximum.
_LOGLIK_ORDER_RTOL = 1e-8
# ||M W X b||^2 / sigma^2 below this fraction of tr(W'W + W^2): the lag and error alternatives
# coincide locally and the robust LM tests divide by zero.
_DEGENERATE_RTOL = 1e-10


# ---------------------------------------------------------------------------------- value objects
@dataclass(frozen=True)
class TestResult:
    """Outcome of one hypothesis test.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"LM-lag"``.
    statistic : float
        Test statistic (NaN when the test does not apply).
    df : int or None
        Degrees of freedom of the chi-squared reference distribution; None for a normal one.
    pvalue : float
        p-value (NaN when the test does not apply).
    null : str
        The null hypothesis in words and symbols.
    distribution : str
        Reference distribution of ``statistic`` under the null: ``"chi2"`` or ``"normal"``.
    reason : str or None
        Why the test does not apply; None when it does.
    """

    __test__ = False  # not a pytest test class

    name: str
    statistic: float
    df: int | None
    pvalue: float
    null: str
    distribution: str
    reason: str | None = None

    @property
    def applies(self) -> bool:
        """Whether the test could be computed."""
        return self.reason is None

    @classmethod
    def not_applicable(
        cls, name: str, null: str, distribution: str, reason: str, df: int | None = None
    ) -> TestResult:
        """A result that carries the reason why the test does not apply."""
        return cls(name, math.nan, df, math.nan, null, distribution, reason)

    @property
    def distribution_label(self) -> str:
        """``"chi2(1)"``, ``"N(0, 1)"``."""
        if self.distribution == "chi2":
            return f"chi2({self.df})"
        if self.distribution == "normal":
            return "N(0, 1)"
        return self.distribution

    def __str__(self) -> str:
        if not self.applies:
            return f"{self.name}: not applicable ({self.reason})\n  H0: {self.null}"
        return (
            f"{self.name}: statistic {self.statistic:.6g} ~ {self.distribution_label}, "
            f"p-value {self.pvalue:.4g}\n  H0: {self.null}"
        )


@dataclass(frozen=True, kw_only=True)
class MoranResult(TestResult):
    """Moran's I z test, with the statistic's moments under the null.

    ``statistic`` is the standard deviate ``(I - E[I]) / sqrt(Var[I])``.

    Attributes
    ----------
    moran_i : float
        Moran's I of the residuals.
    expectation : float
        ``E[I]`` under the null.
    variance : float
        ``Var[I]`` under the null.
    alternative : {"two-sided", "greater", "less"}
        Alternative hypothesis behind ``pvalue``.
    """

    moran_i: float
    expectation: float
    variance: float
    alternative: Alternative

    def __str__(self) -> str:
        if not self.applies:
            return super().__str__()
        return (
            f"{self.name}: I = {self.moran_i:.6g}, E[I] = {self.expectation:.6g}, "
            f"Var[I] = {self.variance:.6g}; z = {self.statistic:.6g}, "
            f"p-value ({self.alternative}) {self.pvalue:.4g}\n  H0: {self.null}"
        )


@dataclass(frozen=True, eq=False)
class SpatialDiagnostics(Mapping[str, TestResult]):
    """Read-only mapping of the OLS-based spatial diagnostics of one specification.

    Keys: ``moran``, ``lm_error``, ``lm_lag``, ``rlm_error``, ``rlm_lag``, ``sarma``, ``lm_wx``,
    ``rlm_wx`` (see :func:`spatial_diagnostics`).

    Attributes
    ----------
    tests : mapping of str to TestResult
        The results.
    model : str
        Model whose specification was tested.
    weights : str
        Description of the weights used.
    note : str
        What the tests are computed from.
    """

    tests: Mapping[str, TestResult]
    model: str = ""
    weights: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tests", MappingProxyType(dict(self.tests)))

    def __getitem__(self, key: str) -> TestResult:
        return self.tests[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tests)

    def __len__(self) -> int:
        return len(self.tests)

    @property
    def at_ols_estimate(self) -> tuple[str, ...]:
        """Keys of the tests computed at the OLS estimate of the specification, not from the
        fitted model's own residuals (all but ``anselin_kelejian``): they describe the fitted
        model only when it has no spatial parameter."""
        return tuple(key for key in self.tests if key in DIAGNOSTIC_KEYS)

    def to_frame(self) -> pd.DataFrame:
        """One row per test: statistic, df, p-value, distribution, null hypothesis, reason."""
        rows = {
            key: {
                "test": t.name,
                "statistic": t.statistic,
                "df": t.df,
                "pvalue": t.pvalue,
                "distribution": t.distribution_label,
                "null": t.null,
                "reason": t.reason,
            }
            for key, t in self.tests.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def summary(self) -> str:
        """Text table of the tests; inapplicable tests show their reason."""
        width = 78
        lines = [
            "Spatial diagnostics" + (f" for {self.model}" if self.model else ""),
            "=" * width,
        ]
        if self.weights:
            lines.append(f"Weights: {self.weights}")
        if self.note:
            lines.append(f"Computed from: {self.note}")
        lines += [
            "-" * width,
            f"{'test':<22}{'statistic':>12}{'df':>5}{'p-value':>11}  null hypothesis",
            "-" * width,
        ]
        for t in self.tests.values():
            if not t.applies:
                lines.append(f"{t.name:<22}{'n/a':>12}{'':>5}{'':>11}  {t.reason}")
                continue
            df = "" if t.df is None else str(t.df)
            lines.append(f"{t.name:<22}{t.statistic:>12.4f}{df:>5}{t.pvalue:>11.4f}  {t.null}")
        moran = self.tests.get("moran")
        if isinstance(moran, MoranResult) and moran.applies:
            lines += [
                "-" * width,
                (
                    f"Moran's I = {moran.moran_i:.6f}, E[I] = {moran.expectation:.6f}, "
                    f"Var[I] = {moran.variance:.6f} (z test, {moran.alternative})"
                ),
            ]
        lines.append("=" * width)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<SpatialDiagnostics {self.model}: {', '.join(self.tests)}>"


# ---------------------------------------------------------------------------------- array helpers
def _as_sparse(w: Any, n: int) -> sp.csr_array:
    if isinstance(w, SpatialWeights):
        w = w.sparse
    matrix = sp.csr_array(w, dtype=np.float64)
    if matrix.shape != (n, n):
        raise SpecificationError(
            f"W has shape {matrix.shape}; expected ({n}, {n}) for {n} observations."
        )
    return matrix


def _as_design(y: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
    y_arr = np.asarray(y, dtype=np.float64).reshape(-1)
    x_arr = np.asarray(x, dtype=np.float64)
    if x_arr.ndim == 1:
        x_arr = x_arr[:, None]
    if x_arr.ndim != 2 or x_arr.shape[0] != y_arr.shape[0]:
        raise SpecificationError(f"y has {y_arr.shape[0]} rows but X has shape {x_arr.shape}.")
    if not (np.all(np.isfinite(y_arr)) and np.all(np.isfinite(x_arr))):
        raise SpecificationError("y and X must be finite.")
    if x_arr.shape[0] <= x_arr.shape[1]:
        raise SingularDesignError(
            f"{x_arr.shape[0]} observations cannot identify {x_arr.shape[1]} coefficients."
        )
    check_rank(x_arr, [f"x{j}" for j in range(x_arr.shape[1])])
    return y_arr, x_arr


def _trace_products(w: sp.csr_array) -> tuple[float, float]:
    """``tr(W W)`` and ``tr(W W')`` from the entries of W (no matrix product)."""
    tr_ww = float(w.multiply(w.T).sum())
    tr_wwt = float(w.multiply(w).sum())
    return tr_ww, tr_wwt


def _default_lags(x: np.ndarray, w: sp.csr_array) -> np.ndarray:
    """``W`` times every non-constant column of ``X`` (the package's SDM never lags the constant)."""
    varying = np.flatnonzero(np.ptp(x, axis=0) > 0)
    return np.asarray(w @ x[:, varying]).reshape(x.shape[0], -1)


@dataclass(frozen=True)
class OLSScores:
    """The quantities shared by the LM tests at the OLS estimate of ``y = X beta + e``.

    With ``M = I - X(X'X)^{-1}X'``, ``e = My``, ``sigma^2 = e'e/n`` and
    ``T = tr(W'W + W^2)`` (Anselin 1988, ch. 6; Anselin et al. 1996):

    Attributes
    ----------
    resid : numpy.ndarray
        OLS residuals ``e``.
    sigma2 : float
        ``e'e / n`` (the ML estimate under the null).
    d_lambda : float
        ``e'We / sigma^2``, the score of lambda at ``lambda = 0``.
    d_rho : float
        ``e'Wy / sigma^2``, the score of rho at ``rho = 0`` (with ``tr(W) = 0``).
    trace_t : float
        ``T = tr(W'W + W^2)``.
    trace_w : float
        ``tr(W)``; the LM tests assume it is zero (no unit is its own neighbour).
    nj : float
        ``(||M W X b||^2 + T sigma^2) / sigma^2``, the partialled information of rho times
        sigma^2 (``n J`` in Anselin et al. 1996).
    mwxb : numpy.ndarray
        ``M W X b``.
    q : numpy.ndarray
        Orthonormal basis of the columns of ``X`` (``M v = v - q q'v``).
    """

    resid: np.ndarray
    sigma2: float
    d_lambda: float
    d_rho: float
    trace_t: float
    trace_w: float
    nj: float
    mwxb: np.ndarray
    q: np.ndarray

    @classmethod
    def compute(cls, y: Any, x: Any, w: Any) -> OLSScores:
        y_arr, x_arr = _as_design(y, x)
        n = y_arr.shape[0]
        wmat = _as_sparse(w, n)
        q, _ = np.linalg.qr(x_arr)
        fitted = q @ (q.T @ y_arr)
        e = y_arr - fitted
        sigma2 = float(e @ e) / n
        tr_ww, tr_wwt = _trace_products(wmat)
        trace_t = tr_ww + tr_wwt
        wxb = wmat @ fitted
        mwxb = wxb - q @ (q.T @ wxb)
        return cls(
            resid=e,
            sigma2=sigma2,
            d_lambda=float(e @ (wmat @ e)) / sigma2,
            d_rho=float(e @ (wmat @ y_arr)) / sigma2,
            trace_t=trace_t,
            trace_w=float(wmat.diagonal().sum()),
            nj=(float(mwxb @ mwxb) + trace_t * sigma2) / sigma2,
            mwxb=mwxb,
            q=q,
        )

    def annihilate(self, v: np.ndarray) -> np.ndarray:
        """``M v``."""
        return v - self.q @ (self.q.T @ v)

    @property
    def degenerate(self) -> bool:
        """Whether ``M W X b = 0``: then the lag and error alternatives coincide locally."""
        return self.nj - self.trace_t <= _DEGENERATE_RTOL * self.trace_t


# ------------------------------------------------------------------------------ Moran's I
_MORAN_NAME = "Moran's I (error)"
_MORAN_NULL = "no spatial autocorrelation of the errors (iid normal)"


def _moran_not_applicable(
    reason: str,
    alternative: Alternative,
    name: str = _MORAN_NAME,
    null: str = _MORAN_NULL,
) -> MoranResult:
    return MoranResult(
        name=name,
        statistic=math.nan,
        df=None,
        pvalue=math.nan,
        null=null,
        distribution="normal",
        reason=reason,
        moran_i=math.nan,
        expectation=math.nan,
        variance=math.nan,
        alternative=alternative,
    )


def moran_test(y: Any, x: Any, w: Any, *, alternative: Alternative = "two-sided") -> MoranResult:
    """Moran's I of the OLS residuals, with its exact moments under normal errors.

    .. math::

        I = \\frac{n}{S_0}\\frac{e'We}{e'e}, \\qquad
        E[I] = \\frac{n}{S_0}\\frac{\\mathrm{tr}(MW)}{n-k}, \\qquad
        E[I^2] = \\left(\\frac{n}{S_0}\\right)^2
            \\frac{\\mathrm{tr}(MWMW') + \\mathrm{tr}(MWMW) + \\mathrm{tr}(MW)^2}{(n-k)(n-k+2)},

    ``Var[I] = E[I^2] - E[I]^2``, with ``S_0`` the sum of the weights and
    ``M = I - X(X'X)^{-1}X'`` (Cliff & Ord 1981, pp. 200-203; Anselin 1988, ch. 8). The traces
    are evaluated through a QR basis of ``X`` and the entries of ``W``, never forming an
    ``n x n`` dense matrix; unlike the textbook form they do not assume ``tr(W) = 0``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Dependent variable.
    x : array_like, shape (n, k)
        Regressors, including the constant.
    w : scipy sparse matrix, array or SpatialWeights
        Spatial weights in the order of the observations.
    alternative : {"two-sided", "greater", "less"}
        Alternative behind the p-value; "greater" (positive autocorrelation) is spdep's default.

    Returns
    -------
    MoranResult
        ``statistic`` is the standard deviate ``z``; ``moran_i``, ``expectation`` and
        ``variance`` are the moments.
    """
    check_choice("alternative", alternative, Alternative)
    y_arr, x_arr = _as_design(y, x)
    n, k = x_arr.shape
    wmat = _as_sparse(w, n)
    s0 = float(wmat.sum())
    if s0 == 0.0:
        return _moran_not_applicable("the weights are all zero", alternative)
    q, _ = np.linalg.qr(x_arr)
    e = y_arr - q @ (q.T @ y_arr)
    scale = n / s0
    moran_i = scale * float(e @ (wmat @ e)) / float(e @ e)
    # Only the symmetric part U = (W + W')/2 enters e'We and its moments.
    wq = np.asarray(wmat @ q)
    wtq = np.asarray(wmat.T @ q)
    uq = 0.5 * (wq + wtq)
    quq = q.T @ uq
    tr_w = float(wmat.diagonal().sum())
    tr_mw = tr_w - float(np.trace(q.T @ wq))
    tr_ww, tr_wwt = _trace_products(wmat)
    tr_u2 = 0.5 * (tr_ww + tr_wwt)
    # tr(MWMW') + tr(MWMW) = 2 tr(MUMU) = 2 [tr(U^2) - 2 tr(Q'U^2 Q) + tr((Q'UQ)^2)]
    two_tr_mumu = 2.0 * (tr_u2 - 2.0 * float(np.sum(uq * uq)) + float(np.sum(quq * quq)))
    dof = n - k
    expectation = scale * tr_mw / dof
    second = scale**2 * (two_tr_mumu + tr_mw**2) / (dof * (dof + 2))
    variance = second - expectation**2
    return _moran_result(_MORAN_NAME, _MORAN_NULL, moran_i, expectation, variance, alternative)


def _moran_result(
    name: str,
    null: str,
    moran_i: float,
    expectation: float,
    variance: float,
    alternative: Alternative,
) -> MoranResult:
    """Moran's I standardised by its moments, with the normal p-value of ``alternative``."""
    z = (moran_i - expectation) / math.sqrt(variance)
    if alternative == "two-sided":
        pvalue = 2.0 * float(stats.norm.sf(abs(z)))
    elif alternative == "greater":
        pvalue = float(stats.norm.sf(z))
    else:
        pvalue = float(stats.norm.cdf(z))
    return MoranResult(
        name=name,
        statistic=z,
        df=None,
        pvalue=pvalue,
        null=null,
        distribution="normal",
        moran_i=moran_i,
        expectation=expectation,
        variance=variance,
        alternative=alternative,
    )


_RESIDUAL_MORAN_NAME = "Moran's I (residuals)"
_RESIDUAL_MORAN_NULL = "the model's residuals are not spatially autocorrelated (randomisation)"


def moran_randomization(
    values: Any, w: Any, *, alternative: Alternative = "two-sided"
) -> MoranResult:
    """Moran's I of ``values`` with its moments under randomisation.

    .. math::

        I = \\frac{n}{S_0}\\frac{z'Wz}{z'z}, \\qquad E[I] = -\\frac{1}{n-1}, \\qquad
        E[I^2] = \\frac{n\\left[(n^2-3n+3)S_1 - nS_2 + 3S_0^2\\right]
            - b_2\\left[(n^2-n)S_1 - 2nS_2 + 6S_0^2\\right]}{(n-1)(n-2)(n-3)S_0^2},

    with ``z`` the centred values, ``S_0`` the sum of the weights,
    ``S_1 = \\sum_{ij}(w_{ij}+w_{ji})^2/2``, ``S_2 = \\sum_i (w_{i.}+w_{.i})^2`` and
    ``b_2 = n \\sum z^4 / (\\sum z^2)^2`` (Cliff & Ord 1981, pp. 21 and 46): the moments over
    every permutation of the values among the units. Applied to a fitted model's residuals
    (:func:`residual_moran`) the permutation null ignores that residuals are estimated, so the
    test is descriptive there (as the permutation tests of GeoDa and esda on residuals).

    Parameters
    ----------
    values : array_like, shape (n,)
        One value per unit, in the order of the weights.
    w : scipy sparse matrix, array or SpatialWeights
        Spatial weights.
    alternative : {"two-sided", "greater", "less"}
        Alternative behind the p-value.
    """
    check_choice("alternative", alternative, Alternative)
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.shape[0]
    wmat = _as_sparse(w, n)
    s0 = float(wmat.sum())
    z = x - x.mean()
    zz = float(z @ z)
    if s0 == 0.0 or zz == 0.0 or n < 4:
        reason = "the weights are all zero" if s0 == 0.0 else "the values are constant"
        if n < 4:
            reason = "fewer than 4 units"
        return _moran_not_applicable(
            reason, alternative, _RESIDUAL_MORAN_NAME, _RESIDUAL_MORAN_NULL
        )
    moran_i = n / s0 * float(z @ (wmat @ z)) / zz
    symmetric = wmat + wmat.T
    s1 = 0.5 * float(symmetric.multiply(symmetric).sum())
    s2 = float(
        np.sum((np.asarray(wmat.sum(axis=1)).ravel() + np.asarray(wmat.sum(axis=0)).ravel()) ** 2)
    )
    b2 = n * float(np.sum(z**4)) / zz**2
    expectation = -1.0 / (n - 1)
    second = (
        n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0**2)
        - b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0**2)
    ) / ((n - 1) * (n - 2) * (n - 3) * s0**2)
    variance = second - expectation**2
    return _moran_result(
        _RESIDUAL_MORAN_NAME, _RESIDUAL_MORAN_NULL, moran_i, expectation, variance, alternative
    )


def residual_moran(
    results: SpatialResults,
    w: SpatialWeights | None = None,
    *,
    alternative: Alternative = "two-sided",
) -> MoranResult:
    """Moran's I of a fitted model's own residuals (its innovations ``e``), under randomisation.

    Unlike ``spatial_diagnostics()["moran"]``, which tests the OLS residuals of the
    specification whatever model was fitted, this describes the residual dependence the fitted
    model leaves (for SAR ``e = y - rho W y - X beta``; for SEM the filtered
    ``e = (I - lambda W)(y - X beta)``). The moments are those of
    :func:`moran_randomization`; the test is descriptive for estimated residuals.

    Parameters
    ----------
    results : SpatialResults
        The fitted model.
    w : SpatialWeights, optional
        Weights of the test (aligned by id); by default the model's own.
    alternative : {"two-sided", "greater", "less"}
        Alternative behind the p-value.
    """
    weights = _aligned_weights(results, w)
    return moran_randomization(results.innovations, weights.sparse, alternative=alternative)


def residual_dependence_lm(results: SpatialResults) -> TestResult:
    """LM (score) test of the spatial dependence a lag or an error model leaves.

    The fitted model is nested in the general model ``y = rho W y + X beta + u``,
    ``u = lambda W u + e`` at ``lambda = 0`` (SAR, SDM) or ``rho = 0`` (SEM, SDEM). The test is
    the Rao score statistic of that restriction at the fitted ML estimate,

    .. math::

        LM = s(\\hat\\theta)' \\, \\mathcal{I}(\\hat\\theta)^{-1} s(\\hat\\theta),

    with ``s`` the score and ``I`` the analytic information matrix of the general model
    (:class:`~naeringsmiljo.inference.covariance.InformationMatrix`, dense or from traces by
    size), chi-squared with one degree of freedom under the null (Anselin 1988, ch. 13; the
    score of ``theta`` is zero at the estimate except in the restricted parameter). For a lag
    model it is the "LM test for residual autocorrelation" R spatialreg's ``lagsarlm`` reports,
    ``(e'We / sigma^2)^2 / (tr(WW + W'W) - tr((WW + W'W) A^{-1})^2 var(rho))``; for an error
    model it tests for a lag of y left in the residuals. ML fits with one weights matrix.
    """
    terms = results.spec.terms
    lag, error = getattr(terms, "lag", None), getattr(terms, "error", None)
    tested = "lambda" if error is None else "rho"
    name = "LM-error (residuals)" if tested == "lambda" else "LM-lag (residuals)"
    null = f"{tested} = 0 in the fitted model's residuals"
    if (lag is None) == (error is None) or (lag or error).channels:  # type: ignore[union-attr]
        reason = "defined for a lag model (SAR, SDM) or an error model (SEM, SDEM), one matrix"
        return TestResult.not_applicable(name, null, "chi2", reason, 1)
    ml = getattr(results, "ml", None)
    if results.record.method != "ml" or not isinstance(ml, MLInference):
        return TestResult.not_applicable(name, null, "chi2", "defined at the ML estimate", 1)
    fitted = ml.problem
    general = MLProblem(fitted.lik, fitted.estimate, True, True, fitted.weights, fitted.weights)
    est = general.estimate
    theta = np.concatenate([est.beta, [est.rho, est.lam, est.sigma2]])
    score = _full_score(general, theta)
    information = InformationMatrix()(general)
    k = est.beta.size
    position = k if tested == "rho" else k + 1
    # the score is zero at the estimate in every parameter but the tested one: s_r^2 [I^-1]_rr
    inverse = covariance_from_information(
        information, np.ones(theta.size, dtype=bool), general.gram(), 1.0 / est.sigma2
    )
    statistic = float(score[position] ** 2 * inverse[position, position])
    return TestResult(name, statistic, 1, float(stats.chi2.sf(statistic, 1)), null, "chi2")


# ------------------------------------------------------------------------------ LM tests
_NULLS = {
    "lm_error": "lambda = 0 (given rho = 0)",
    "lm_lag": "rho = 0 (given lambda = 0)",
    "rlm_error": "lambda = 0, robust to local rho",
    "rlm_lag": "rho = 0, robust to local lambda",
    "sarma": "rho = 0 and lambda = 0",
    "lm_wx": "theta = 0: no WX (given rho = 0)",
    "rlm_wx": "theta = 0: no WX, robust to local rho",
    "rlm_lag_wx": "rho = 0, robust to local theta (WX)",
    "lm_sdm_joint": "rho = 0 and theta = 0 (OLS against SDM)",
}
_NAMES = {
    "lm_error": "LM-error",
    "lm_lag": "LM-lag",
    "rlm_error": "Robust LM-error",
    "rlm_lag": "Robust LM-lag",
    "sarma": "LM-SARMA",
    "lm_wx": "LM-WX",
    "rlm_wx": "Robust LM-WX",
    "rlm_lag_wx": "Robust LM-lag (SDM)",
    "lm_sdm_joint": "LM-SDM (joint)",
}
_DEGENERATE_REASON = (
    "M W X b = 0 at the OLS estimate (e.g. only a constant with row-standardised W): the lag and "
    "error alternatives coincide locally and the robust tests are undefined"
)


def _chi2(key: str, statistic: float, df: int) -> TestResult:
    return TestResult(
        _NAMES[key], statistic, df, float(stats.chi2.sf(statistic, df)), _NULLS[key], "chi2"
    )


def _not_applicable(key: str, reason: str, df: int | None) -> TestResult:
    return TestResult.not_applicable(_NAMES[key], _NULLS[key], "chi2", reason, df)


def _reason(s: OLSScores, *, robust: bool) -> str | None:
    """Why the LM tests (or, with ``robust``, the robust ones) do not apply to these data."""
    if s.trace_t <= 0.0:
        return "the weights are all zero"
    if s.trace_w != 0.0:
        return (
            f"W has non-zero diagonal entries (tr W = {s.trace_w:.3g}); the LM tests assume "
            "w_ii = 0"
        )
    if robust and s.degenerate:
        return _DEGENERATE_REASON
    return None


def _lm_error(s: OLSScores) -> TestResult:
    if reason := _reason(s, robust=False):
        return _not_applicable("lm_error", reason, 1)
    return _chi2("lm_error", s.d_lambda**2 / s.trace_t, 1)


def _lm_lag(s: OLSScores) -> TestResult:
    if reason := _reason(s, robust=False):
        return _not_applicable("lm_lag", reason, 1)
    return _chi2("lm_lag", s.d_rho**2 / s.nj, 1)


def _rlm_error(s: OLSScores) -> TestResult:
    if reason := _reason(s, robust=True):
        return _not_applicable("rlm_error", reason, 1)
    ratio = s.trace_t / s.nj
    stat = (s.d_lambda - ratio * s.d_rho) ** 2 / (s.trace_t * (1.0 - ratio))
    return _chi2("rlm_error", stat, 1)


def _rlm_lag(s: OLSScores) -> TestResult:
    if reason := _reason(s, robust=True):
        return _not_applicable("rlm_lag", reason, 1)
    return _chi2("rlm_lag", (s.d_rho - s.d_lambda) ** 2 / (s.nj - s.trace_t), 1)


def _sarma(s: OLSScores) -> TestResult:
    if reason := _reason(s, robust=True):
        return _not_applicable("sarma", reason, 2)
    stat = (s.d_rho - s.d_lambda) ** 2 / (s.nj - s.trace_t) + s.d_lambda**2 / s.trace_t
    return _chi2("sarma", stat, 2)


def lm_error(y: Any, x: Any, w: Any) -> TestResult:
    """Rao score (LM) test of ``lambda = 0`` in ``y = X beta + u, u = lambda W u + e``.

    .. math:: LM_\\lambda = \\frac{(e'We / \\hat\\sigma^2)^2}{T}, \\qquad T = \\mathrm{tr}(W'W + W^2),

    chi-squared with 1 df (Burridge 1980; Anselin 1988, ch. 8; Anselin et al. 1996, eq. 9).
    Parameters as in :func:`moran_test`.
    """
    return _lm_error(OLSScores.compute(y, x, w))


def lm_lag(y: Any, x: Any, w: Any) -> TestResult:
    """Rao score (LM) test of ``rho = 0`` in ``y = rho W y + X beta + e``.

    .. math:: LM_\\rho = \\frac{(e'Wy / \\hat\\sigma^2)^2}{nJ}, \\qquad
        nJ = \\frac{(WXb)'M(WXb) + T\\hat\\sigma^2}{\\hat\\sigma^2},

    chi-squared with 1 df (Anselin 1988, ch. 6; Anselin et al. 1996, eq. 13).
    Parameters as in :func:`moran_test`.
    """
    return _lm_lag(OLSScores.compute(y, x, w))


def rlm_error(y: Any, x: Any, w: Any) -> TestResult:
    """LM test of ``lambda = 0`` robust to a locally present spatial lag (Bera-Yoon adjustment).

    .. math:: LM^*_\\lambda = \\frac{\\left(d_\\lambda - T (nJ)^{-1} d_\\rho\\right)^2}
        {T\\left(1 - T (nJ)^{-1}\\right)},

    with ``d_lambda = e'We/sigma^2`` and ``d_rho = e'Wy/sigma^2`` (Anselin et al. 1996, eq. 8,
    with the inverse inside the bracket of the denominator). Not applicable when ``M W X b = 0``.
    """
    return _rlm_error(OLSScores.compute(y, x, w))


def rlm_lag(y: Any, x: Any, w: Any) -> TestResult:
    """LM test of ``rho = 0`` robust to locally present spatial error autocorrelation.

    .. math:: LM^*_\\rho = \\frac{(d_\\rho - d_\\lambda)^2}{nJ - T}

    (Anselin et al. 1996, eq. 12). Not applicable when ``M W X b = 0``.
    """
    return _rlm_lag(OLSScores.compute(y, x, w))


def lm_sarma(y: Any, x: Any, w: Any) -> TestResult:
    """Joint LM test of ``rho = lambda = 0`` (SARMA alternative), chi-squared with 2 df.

    .. math:: LM_{\\rho\\lambda} = \\frac{(d_\\rho - d_\\lambda)^2}{nJ - T} + \\frac{d_\\lambda^2}{T}
        = LM^*_\\rho + LM_\\lambda

    (Anselin et al. 1996, eq. 15). Not applicable when ``M W X b = 0``.
    """
    return _sarma(OLSScores.compute(y, x, w))


# ------------------------------------------------------------------------ Koley & Bera (2024)
@dataclass(frozen=True)
class _DurbinBlocks:
    """Scores and partialled information (times sigma^2) of ``(rho, theta)`` at the OLS estimate.

    ``a_rr = ||M W X b||^2 + T sigma^2``, ``a_tr = (WX)'M W X b``, ``a_tt = (WX)'M (WX)``; the
    information matrix partialled for ``beta`` is ``A / sigma^2`` (``sigma^2`` is orthogonal).
    """

    d_rho: float
    d_theta: np.ndarray
    a_rr: float
    a_tr: np.ndarray
    a_tt: np.ndarray
    sigma2: float

    @property
    def q(self) -> int:
        return int(self.d_theta.shape[0])


def _durbin_blocks(s: OLSScores, wx: np.ndarray) -> _DurbinBlocks | str:
    """The blocks, or the reason why the WX tests do not apply."""
    if reason := _reason(s, robust=False):
        return reason
    if wx.shape[1] == 0:
        return "no regressor to lag: X has only constant columns"
    mwx = s.annihilate(wx)
    a_tt = mwx.T @ mwx
    # [X, WX] must have full column rank for theta to be identified.
    scale = np.sqrt(np.maximum(np.sum(wx * wx, axis=0), np.finfo(float).tiny))
    eig = np.linalg.eigvalsh(a_tt / np.outer(scale, scale))
    if eig[0] <= wx.shape[0] * np.finfo(float).eps * 100:
        return (
            "[X, WX] is rank deficient: a lagged regressor is a linear combination of X and the "
            "other lags (e.g. W x constant for row-standardised W)"
        )
    return _DurbinBlocks(
        d_rho=s.d_rho,
        d_theta=(wx.T @ s.resid) / s.sigma2,
        a_rr=s.nj * s.sigma2,
        a_tr=mwx.T @ s.mwxb,
        a_tt=a_tt,
        sigma2=s.sigma2,
    )


def _lm_wx(b: _DurbinBlocks) -> TestResult:
    stat = b.sigma2 * float(b.d_theta @ np.linalg.solve(b.a_tt, b.d_theta))
    return _chi2("lm_wx", stat, b.q)


def _rlm_wx(b: _DurbinBlocks) -> TestResult:
    adjusted = b.d_theta - b.a_tr * (b.d_rho / b.a_rr)
    schur = b.a_tt - np.outer(b.a_tr, b.a_tr) / b.a_rr
    stat = b.sigma2 * float(adjusted @ np.linalg.solve(schur, adjusted))
    return _chi2("rlm_wx", stat, b.q)


def _rlm_lag_wx(b: _DurbinBlocks) -> TestResult:
    solved = np.linalg.solve(b.a_tt, b.a_tr)
    adjusted = b.d_rho - float(solved @ b.d_theta)
    schur = b.a_rr - float(b.a_tr @ solved)
    return _chi2("rlm_lag_wx", b.sigma2 * adjusted**2 / schur, 1)


def _lm_sdm_joint(b: _DurbinBlocks) -> TestResult:
    score = np.concatenate([[b.d_rho], b.d_theta])
    info = np.block([[np.array([[b.a_rr]]), b.a_tr[None, :]], [b.a_tr[:, None], b.a_tt]])
    stat = b.sigma2 * float(score @ np.linalg.solve(info, score))
    return _chi2("lm_sdm_joint", stat, b.q + 1)


def _wx_test(key: str, y: Any, x: Any, w: Any, wx: Any | None, fn: Any) -> TestResult:
    s = OLSScores.compute(y, x, w)
    x_arr = np.asarray(x, dtype=np.float64).reshape(s.resid.shape[0], -1)
    lags = (
        _default_lags(x_arr, _as_sparse(w, x_arr.shape[0]))
        if wx is None
        else np.asarray(wx, dtype=np.float64).reshape(x_arr.shape[0], -1)
    )
    blocks = _durbin_blocks(s, lags)
    if isinstance(blocks, str):
        q = lags.shape[1]
        return _not_applicable(key, blocks, (q + (key == "lm_sdm_joint")) if q else None)
    return fn(blocks)


def lm_wx(y: Any, x: Any, w: Any, *, wx: Any | None = None) -> TestResult:
    """Rao score test of ``theta = 0`` in the SLX model ``y = X beta + WX theta + e``.

    Koley & Bera (2024) test the spatial Durbin model's lagged regressors at the OLS
    estimate. With ``d_theta = (WX)'e / sigma^2`` and the information partialled for ``beta``,

    .. math:: RS_\\theta = \\frac{e'WX\\,[(WX)'M(WX)]^{-1}(WX)'e}{\\hat\\sigma^2}
        = n\\,\\frac{e'e - \\tilde e'\\tilde e}{e'e},

    chi-squared with ``q`` (number of lagged regressors) df; ``tilde e`` are the residuals of
    the SLX regression, so this is the classical LM test for adding regressors. The derivation
    is the standard one (score of the SLX likelihood at the OLS estimate, expected information),
    checked against the SSE identity above (R ``lm``/``lmSLX``) and spreg's ``lm_wx``.

    Parameters
    ----------
    y, x, w
        As in :func:`moran_test`.
    wx : array_like, shape (n, q), optional
        The lagged regressors to test; by default ``W`` times every non-constant column of ``X``
        (the constant is never lagged, as in this package's SDM).
    """
    return _wx_test("lm_wx", y, x, w, wx, _lm_wx)


def rlm_wx(y: Any, x: Any, w: Any, *, wx: Any | None = None) -> TestResult:
    """Rao score test of ``theta = 0`` robust to a locally present spatial lag ``rho W y``.

    The Bera & Yoon (1993) adjustment of :func:`lm_wx` for the SDM ``y = rho W y + X beta + WX
    theta + e`` at ``rho = theta = 0`` (Koley & Bera 2024, the adjusted test for theta).
    With the information (times ``sigma^2``) partialled for ``beta``,
    ``A_rr = ||M W X b||^2 + T sigma^2``, ``A_tr = (WX)'M W X b``, ``A_tt = (WX)'M WX``:

    .. math:: RS^*_\\theta = \\hat\\sigma^2\\,
        (d_\\theta - A_{\\theta\\rho} A_{\\rho\\rho}^{-1} d_\\rho)'
        \\left[A_{\\theta\\theta} - A_{\\theta\\rho}A_{\\rho\\rho}^{-1}A_{\\rho\\theta}\\right]^{-1}
        (d_\\theta - A_{\\theta\\rho} A_{\\rho\\rho}^{-1} d_\\rho),

    chi-squared with ``q`` df. It equals :func:`lm_sdm_joint` minus :func:`lm_lag` exactly
    (the decomposition of the joint score statistic), which is how spreg computes it; both
    routes, and the full information matrix of the SDM, are checked in the tests.
    """
    return _wx_test("rlm_wx", y, x, w, wx, _rlm_wx)


def rlm_lag_wx(y: Any, x: Any, w: Any, *, wx: Any | None = None) -> TestResult:
    """Rao score test of ``rho = 0`` robust to locally present ``WX theta`` (Koley & Bera 2024).

    .. math:: RS^*_\\rho = \\hat\\sigma^2\\,\\frac{(d_\\rho - A_{\\rho\\theta}A_{\\theta\\theta}^{-1}
        d_\\theta)^2}{A_{\\rho\\rho} - A_{\\rho\\theta}A_{\\theta\\theta}^{-1}A_{\\theta\\rho}},

    chi-squared with 1 df; equals :func:`lm_sdm_joint` minus :func:`lm_wx`.
    """
    return _wx_test("rlm_lag_wx", y, x, w, wx, _rlm_lag_wx)


def lm_sdm_joint(y: Any, x: Any, w: Any, *, wx: Any | None = None) -> TestResult:
    """Joint Rao score test of ``rho = 0`` and ``theta = 0`` (OLS against the SDM).

    ``RS_{rho theta} = sigma^2 d' A^{-1} d`` with ``d = (d_rho, d_theta)`` and the partialled
    information ``A`` of :func:`rlm_wx`; chi-squared with ``q + 1`` df (Koley & Bera 2024).
    """
    return _wx_test("lm_sdm_joint", y, x, w, wx, _lm_sdm_joint)


def ols_diagnostics(
    y: Any,
    x: Any,
    w: Any,
    *,
    wx: Any | None = None,
    wx_reason: str | None = None,
    alternative: Alternative = "two-sided",
) -> dict[str, TestResult]:
    """All OLS-based tests at once (shared computations), keyed as :data:`DIAGNOSTIC_KEYS`.

    ``wx_reason``, when given, marks the WX tests as not applicable with that reason.
    """
    s = OLSScores.compute(y, x, w)
    x_arr = np.asarray(x, dtype=np.float64).reshape(s.resid.shape[0], -1)
    wmat = _as_sparse(w, x_arr.shape[0])
    results: dict[str, TestResult] = {
        "moran": moran_test(y, x_arr, wmat, alternative=alternative),
        "lm_error": _lm_error(s),
        "lm_lag": _lm_lag(s),
        "rlm_error": _rlm_error(s),
        "rlm_lag": _rlm_lag(s),
        "sarma": _sarma(s),
    }
    if wx_reason is not None:
        blocks: _DurbinBlocks | str = wx_reason
        q = None
    else:
        lags = (
            _default_lags(x_arr, wmat)
            if wx is None
            else np.asarray(wx, dtype=np.float64).reshape(x_arr.shape[0], -1)
        )
        blocks = _durbin_blocks(s, lags)
        q = lags.shape[1] or None
    if isinstance(blocks, str):
        results["lm_wx"] = _not_applicable("lm_wx", blocks, q)
        results["rlm_wx"] = _not_applicable("rlm_wx", blocks, q)
    else:
        results["lm_wx"] = _lm_wx(blocks)
        results["rlm_wx"] = _rlm_wx(blocks)
    return results


# ------------------------------------------------------------------------------ model wrappers
def _aligned_weights(results: SpatialResults, w: SpatialWeights | None) -> SpatialWeights:
    spec = results.spec
    if w is None:
        return spec.weights
    if len(w.ids.difference(spec.ids)) == 0 and len(spec.ids.difference(w.ids)) == 0:
        return w.reorder(spec.ids)
    return w.subset(spec.ids)


def spatial_diagnostics(
    results: SpatialResults, w: SpatialWeights | None = None
) -> SpatialDiagnostics:
    """The spatial diagnostics of a fitted model's specification.

    Every test under the keys of :data:`DIAGNOSTIC_KEYS` is a Rao score (LM) test or Moran's I
    at the **OLS estimate** of the model's own design ``y = X beta + e``, where ``X`` holds the
    regressors of the specification, including any lagged ones ``W_x`` (for a Durbin
    specification the tests are then against adding ``rho W y`` or ``lambda W u`` to the SLX
    model). That is how the tests are defined (they need only the estimate under the null), so
    for a spatial model (SAR, SEM, ...) they describe the specification *before* its spatial
    parameters, not the fitted model's residuals: they are the evidence for choosing the model,
    and the same for every model of one design.

    Keys and tests: ``moran`` (:func:`moran_test`, two-sided), ``lm_error``, ``lm_lag``,
    ``rlm_error``, ``rlm_lag``, ``sarma`` (Anselin et al. 1996), ``lm_wx`` and ``rlm_wx``
    (Koley & Bera 2024) for the regressors not yet lagged in the specification. A test that does
    not apply (every regressor already lagged; ``M W X b = 0``; a rank-deficient ``[X, WX]``;
    endogenous regressors, which make OLS inconsistent) carries its reason.

    For a spatial lag model fitted by spatial 2SLS (``fit(method="gmm")`` of SAR/SDM) the
    mapping also holds ``anselin_kelejian``: :func:`anselin_kelejian` on that fit's residuals,
    regressors and instruments, the test of remaining spatial error autocorrelation.

    Parameters
    ----------
    results : SpatialResults
        A fitted model.
    w : SpatialWeights, optional
        Weights for the tests; by default the model's own. Aligned to the model's units by id
        (a larger set of units is subset to the model's, re-applying its transform).

    Returns
    -------
    SpatialDiagnostics

    Examples
    --------
    >>> from naeringsmiljo import OLS, datasets
    >>> data, w = datasets.columbus(), datasets.columbus_weights("anselin").row_standardize()
    >>> tests = OLS.from_formula("CRIME ~ INC + HOVAL", data, w).fit().spatial_diagnostics()
    >>> round(tests["lm_lag"].statistic, 4), round(tests["rlm_lag"].pvalue, 4)
    (9.3637, 0.0538)
    """
    spec = results.spec
    weights = _aligned_weights(results, w)
    wmat = weights.sparse
    note = (
        f"OLS of {spec.y_name} on {', '.join(spec.exog_names)} (n = {spec.nobs}); "
        "the LM tests are defined at the OLS estimate"
    )
    if spec.endog:
        reason = (
            f"endogenous regressors {list(spec.endog)}: OLS is inconsistent, so are the "
            "OLS-based tests"
        )
        tests: dict[str, TestResult] = {
            key: _moran_not_applicable(reason, "two-sided")
            if key == "moran"
            else _not_applicable(key, reason, 2 if key == "sarma" else None)
            for key in DIAGNOSTIC_KEYS
        }
    else:
        candidates = [
            j
            for j, name in enumerate(spec.exog_names)
            if name != INTERCEPT and not name.startswith(LAG_PREFIX) and name not in spec.lagged
        ]
        wx_reason = None
        if not candidates:
            wx_reason = (
                "every regressor already enters lagged (W_x) in this specification"
                if spec.lagged
                else "the specification has no regressor besides the constant"
            )
        wx = np.asarray(wmat @ spec.x[:, candidates]) if candidates else None
        tests = ols_diagnostics(spec.y, spec.x, wmat, wx=wx, wx_reason=wx_reason)
    iv = results.iv.problem if results.iv is not None else None
    if (
        results.record.method == "gmm"
        and iv is not None
        and "rho" in results.params.index
        and "lambda" not in results.params.index
    ):
        k = spec.x.shape[1]
        tests["anselin_kelejian"] = anselin_kelejian(
            spec.y, iv.z[:, :k], iv.z[:, k:], iv.h, wmat, resid=iv.resid
        )
        note += f"; Anselin-Kelejian from the {results.model} 2SLS residuals"
    return SpatialDiagnostics(
        tests=tests, model=results.model, weights=weights.describe(), note=note
    )


# ------------------------------------------------------------------------------ LR tests
def _uses_weights(res: SpatialResults) -> bool:
    spatial = [p for p in ("rho", "lambda") if p in res.params.index]
    active = [p for p in spatial if p not in res.fixed or res.params[p] != 0.0]
    return bool(active or res.spec.lagged)


def _check_same_data(a: SpatialResults, b: SpatialResults) -> None:
    if a.spec.nobs != b.spec.nobs or not a.spec.ids.equals(b.spec.ids):
        raise SpecificationError("The two models were fitted on different units.")
    if not np.array_equal(a.spec.y, b.spec.y):
        raise SpecificationError("The two models have different dependent variables.")
    shared = [n for n in a.spec.exog_names if n in b.spec.exog_names]
    for name in shared:
        xa = a.spec.x[:, a.spec.exog_names.index(name)]
        xb = b.spec.x[:, b.spec.exog_names.index(name)]
        if not np.array_equal(xa, xb):
            raise SpecificationError(f"The regressor {name!r} differs between the two models.")
    if _uses_weights(a) and _uses_weights(b) and not a.spec.weights.equals(b.spec.weights):
        raise SpecificationError("The two models use different spatial weights.")


def _ml_reason(res: SpatialResults) -> str | None:
    if res.record.method not in ("ml", "ols") or not np.isfinite(res.loglik):
        return (
            f"the LR test needs maximum-likelihood fits; {res.model} was estimated by "
            f"{res.record.method}"
        )
    return None


def _lr_from_logliks(
    name: str, null: str, ll_restricted: float, ll_unrestricted: float, df: int
) -> TestResult:
    gap = ll_restricted - ll_unrestricted
    if gap > _LOGLIK_ORDER_RTOL * max(1.0, abs(ll_unrestricted)):
        return TestResult.not_applicable(
            name,
            null,
            "chi2",
            f"the restricted log-likelihood exceeds the unrestricted one by {gap:.3g}: the "
            "unrestricted fit did not reach its maximum",
            df,
        )
    statistic = max(2.0 * (ll_unrestricted - ll_restricted), 0.0)
    return TestResult(name, statistic, df, float(stats.chi2.sf(statistic, df)), null, "chi2")


def likelihood_ratio(restricted: SpatialResults, unrestricted: SpatialResults) -> TestResult:
    """Likelihood-ratio test between nested maximum-likelihood fits.

    .. math:: LR = 2(\\ell_u - \\ell_r) \\sim \\chi^2_{p_u - p_r},

    with ``p`` the number of estimated parameters (counting ``sigma^2``; parameters held fixed
    are not estimated). Nesting is checked: same units, dependent variable and shared regressors,
    the same weights whenever both models use them, the restricted model's parameter names a
    subset of the unrestricted one's (a parameter the unrestricted model holds fixed must be
    fixed at the same value, or be absent and zero, in the restricted one). OLS fits count as ML
    fits (their log-likelihood is the Gaussian one at ``e'e/n``).

    Raises
    ------
    ValueError
        When the models are not nested. A test that does not apply (a fit that is not ML, or a
        restricted log-likelihood above the unrestricted one beyond rounding) returns a
        :class:`TestResult` with its reason instead.
    """
    _check_same_data(restricted, unrestricted)
    r_names, u_names = set(restricted.params.index), set(unrestricted.params.index)
    if not r_names <= u_names:
        hint = (
            " The SEM is nested in the SDM through theta = -rho beta: use common_factor_lr."
            if "lambda" in r_names and "rho" in u_names and unrestricted.spec.lagged
            else ""
        )
        raise SpecificationError(
            f"{restricted.model} is not nested in {unrestricted.model}: parameters "
            f"{sorted(r_names - u_names)} are not in the unrestricted model.{hint}"
        )
    for p in unrestricted.fixed:
        value = float(unrestricted.params[p])
        if p in restricted.fixed:
            if float(restricted.params[p]) != value:
                raise SpecificationError(f"{p} is fixed at different values in the two models.")
        elif p in r_names or value != 0.0:
            raise SpecificationError(
                f"{unrestricted.model} holds {p} fixed at {value}; the restricted model does not."
            )
    df = unrestricted.n_params - restricted.n_params
    if df < 1:
        raise SpecificationError(
            f"{unrestricted.model} has no more free parameters than {restricted.model} "
            f"({unrestricted.n_params} vs {restricted.n_params})."
        )
    name = f"LR {restricted.model} vs {unrestricted.model}"
    null = f"the restrictions of {restricted.model} within {unrestricted.model} hold"
    for res in (restricted, unrestricted):
        reason = _ml_reason(res)
        if reason:
            return TestResult.not_applicable(name, null, "chi2", reason, df)
    return _lr_from_logliks(name, null, restricted.loglik, unrestricted.loglik, df)


# ------------------------------------------------------------------------------ common factor
_COMFAC_NULL = "theta = -rho beta (common factor: the SDM reduces to the SEM)"


def _common_factor_reason(sdm: SpatialResults) -> str | None:
    spec = sdm.spec
    if "rho" not in sdm.params.index or "lambda" in sdm.params.index or "rho" in sdm.fixed:
        return "the model is not an SDM with estimated rho"
    if not spec.lagged:
        return "the model has no lagged regressors (W_x)"
    missing = [n for n in spec.regressor_names if n not in spec.lagged]
    if missing:
        return f"the common factor restriction needs every regressor lagged; not lagged: {missing}"
    if spec.has_intercept:
        sums = np.asarray(spec.weights.sparse.sum(axis=1)).ravel()
        if np.ptp(sums) > 1e-12 * max(1.0, float(np.max(np.abs(sums)))):
            return (
                "W 1 is not constant (weights not row-standardised), so the SEM implies a "
                "lagged constant that the SDM lacks"
            )
    return None


def common_factor_wald(sdm: SpatialResults) -> TestResult:
    """Wald test of the common-factor restriction in an SDM, by the delta method.

    For ``y = rho W y + X beta + W X theta + e`` the SEM ``y = X beta + u, u = rho W u + e`` is
    the SDM with ``theta = -rho beta`` (Anselin 1988, pp. 226-229; Burridge 1981). With
    ``g = theta + rho beta`` over the lagged regressors and its Jacobian ``G`` in
    ``(beta, theta, rho)``,

    .. math:: W = g'(G V G')^{-1} g \\sim \\chi^2_q,

    ``V`` the covariance of the SDM estimates (by default the inverse information matrix).
    Only the SDM is needed; :func:`common_factor_lr` is the likelihood-ratio version, which also
    needs the SEM fit and is invariant to the parametrisation of the restriction (the Wald test
    is not).
    """
    name = "Common factor (Wald)"
    reason = _common_factor_reason(sdm)
    if reason:
        return TestResult.not_applicable(name, _COMFAC_NULL, "chi2", reason)
    spec = sdm.spec
    names = list(sdm.params.index)
    rho = float(sdm.params["rho"])
    lagged = spec.lagged
    g = np.array([sdm.params[LAG_PREFIX + x] + rho * sdm.params[x] for x in lagged])
    jac = np.zeros((len(lagged), len(names)))
    for i, x in enumerate(lagged):
        jac[i, names.index(x)] = rho
        jac[i, names.index(LAG_PREFIX + x)] = 1.0
        jac[i, names.index("rho")] = float(sdm.params[x])
    cov = sdm.cov.loc[names, names].to_numpy()
    middle = jac @ cov @ jac.T
    statistic = float(g @ np.linalg.solve(middle, g))
    df = len(lagged)
    return TestResult(
        name, statistic, df, float(stats.chi2.sf(statistic, df)), _COMFAC_NULL, "chi2"
    )


def common_factor_lr(sdm: SpatialResults, sem: SpatialResults) -> TestResult:
    """Likelihood-ratio test of the common-factor restriction: SEM (restricted) against SDM.

    ``LR = 2 (l_SDM - l_SEM)``, chi-squared with ``q`` df, ``q`` the number of lagged
    regressors (Anselin 1988, pp. 226-229; Burridge 1981). Both models must be fitted
    by ML on the same data and weights; the SEM without lagged regressors, the SDM with every
    regressor lagged.

    Raises
    ------
    ValueError
        When ``sem`` is not the SEM nested in ``sdm`` (different data, weights or regressors).
    """
    name = "Common factor (LR)"
    reason = _common_factor_reason(sdm)
    if reason:
        return TestResult.not_applicable(name, _COMFAC_NULL, "chi2", reason)
    if "lambda" not in sem.params.index or "rho" in sem.params.index or "lambda" in sem.fixed:
        raise SpecificationError(f"{sem.model} is not an SEM with estimated lambda.")
    if sem.spec.lagged:
        raise SpecificationError("The SEM of the common-factor test has no lagged regressors.")
    base = [n for n in sdm.spec.exog_names if not n.startswith(LAG_PREFIX)]
    if list(sem.spec.exog_names) != base:
        raise SpecificationError(
            f"The SEM's regressors {sem.spec.exog_names} differ from the SDM's {base}."
        )
    _check_same_data(sem, sdm)
    if not sem.spec.weights.equals(sdm.spec.weights):
        raise SpecificationError("The two models use different spatial weights.")
    df = len(sdm.spec.lagged)
    for res in (sem, sdm):
        ml = _ml_reason(res)
        if ml:
            return TestResult.not_applicable(name, _COMFAC_NULL, "chi2", ml, df)
    return _lr_from_logliks(name, _COMFAC_NULL, sem.loglik, sdm.loglik, df)


# ------------------------------------------------------------------------------ Anselin-Kelejian
def anselin_kelejian(
    y: Any,
    exog: Any,
    endog: Any,
    instruments: Any,
    w: Any,
    *,
    resid: Any | None = None,
) -> TestResult:
    """Anselin & Kelejian (1997) test for spatial error autocorrelation after 2SLS.

    Model ``y = Z delta + u`` with ``Z = [X, Y_end]`` (e.g. ``Y_end = Wy`` for the spatial lag
    model) estimated by 2SLS with instruments ``H = [X, H_excl]``; ``Z_hat = P_H Z``,
    ``e = y - Z delta_hat``, ``sigma^2 = e'e/n``:

    .. math:: AK = \\frac{(e'We/\\hat\\sigma^2)^2}
        {T + 4\\hat\\sigma^{-2}\\,(e'WZ)(\\hat Z'\\hat Z)^{-1}(Z'W'e)} \\sim \\chi^2_1,

    ``T = tr(W'W + W^2)``: Moran's I of the IV residuals with the variance corrected for the
    estimation of ``delta``. This is the form computed by spreg (``AKtest``, ``case="gen"``),
    which we follow for comparability; for symmetric ``W`` it is the delta-method variance, and
    for an asymmetric ``W`` a delta-method derivation gives ``(W + W')/2`` in place of ``W`` in
    the correction term.

    Parameters
    ----------
    y : array_like, shape (n,)
        Dependent variable.
    exog : array_like, shape (n, k)
        Exogenous regressors ``X`` (with the constant).
    endog : array_like, shape (n,) or (n, m)
        Endogenous regressors (``Wy``).
    instruments : array_like, shape (n, p)
        Excluded instruments (e.g. ``WX`` and ``W^2 X`` without the constant's lags); the
        exogenous regressors are added to them (repeating them is harmless).
    w : scipy sparse matrix, array or SpatialWeights
        Weights of the error process under the alternative.
    resid : array_like, optional
        Residuals ``y - Z delta_hat`` of the 2SLS fit; computed here when omitted.
    """
    name = "Anselin-Kelejian"
    null = "lambda = 0: no spatial autocorrelation of the errors (after 2SLS)"
    y_arr = np.asarray(y, dtype=np.float64).reshape(-1)
    n = y_arr.shape[0]
    x_arr = np.asarray(exog, dtype=np.float64).reshape(n, -1)
    z = np.column_stack([x_arr, np.asarray(endog, dtype=np.float64).reshape(n, -1)])
    h = np.column_stack([x_arr, np.asarray(instruments, dtype=np.float64).reshape(n, -1)])
    if h.shape[1] < z.shape[1]:
        return TestResult.not_applicable(
            name, null, "chi2", f"{h.shape[1]} instruments for {z.shape[1]} regressors", 1
        )
    wmat = _as_sparse(w, n)
    tr_w = float(wmat.diagonal().sum())
    if tr_w != 0.0:
        return TestResult.not_applicable(
            name, null, "chi2", f"W has non-zero diagonal entries (tr W = {tr_w:.3g})", 1
        )
    # a rank-revealing factor, so that instruments repeating columns of X do no harm
    instruments = DesignFactor.of(h)
    z_hat = instruments.q @ (instruments.q.T @ z)
    zhzh = z_hat.T @ z_hat
    if resid is None:
        delta = np.linalg.solve(zhzh, z_hat.T @ y_arr)
        e = y_arr - z @ delta
    else:
        e = np.asarray(resid, dtype=np.float64).reshape(-1)
        if e.shape[0] != n:
            raise SpecificationError(f"{e.shape[0]} residuals for {n} observations.")
    sigma2 = float(e @ e) / n
    tr_ww, tr_wwt = _trace_products(wmat)
    ewz = np.asarray(wmat @ z).T @ e  # (e'WZ)'
    correction = 4.0 / sigma2 * float(ewz @ np.linalg.solve(zhzh, ewz))
    statistic = (float(e @ (wmat @ e)) / sigma2) ** 2 / (tr_ww + tr_wwt + correction)
    return TestResult(name, statistic, 1, float(stats.chi2.sf(statistic, 1)), null, "chi2")
