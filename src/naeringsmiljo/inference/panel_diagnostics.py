"""Diagnostics of spatial panels: LM tests for lag and error, the Baltagi-Song-Koh tests for random
effects and spatial error, and the spatial Hausman test of fixed against random effects.

Every function computes on arrays. A panel vector has length ``N T`` and is **stacked by period**
(time slow, entity fast: the ``N`` entities of period 1, then those of period 2, ...), so that the
spatial lag of a panel vector is ``(I_T ⊗ W) v``; ``W`` is the ``N x N`` matrix over the entities,
sparse, never expanded. Memory stays O(NT + nnz(W)) except where a test needs ``(B'B)^{-1}``
(:func:`bsk_conditional_mu`, dense N x N, refused above ``DENSE_MATRIX_LIMIT`` entities).

References
----------
Anselin, L., Le Gallo, J. and Jayet, H. (2008). Spatial panel econometrics. In Matyas & Sevestre
(eds), *The Econometrics of Panel Data*, 3rd ed., ch. 19. Springer.
Baltagi, B. H., Song, S. H. and Koh, W. (2003). Testing panel data regression models with spatial
error correlation. *Journal of Econometrics* 117, 123-150.
Debarsy, N. and Ertur, C. (2010). Testing for spatial autocorrelation in a fixed effects panel
data model. *Regional Science and Urban Economics* 40, 453-470.
Mutl, J. and Pfaffermayr, M. (2011). The Hausman test in a Cliff and Ord panel model.
*Econometrics Journal* 14, 48-76.
Millo, G. and Piras, G. (2012). splm: Spatial panel data models in R. *Journal of Statistical
Software* 47(1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from naeringsmiljo._options import DENSE_MATRIX_LIMIT, check_choice
from naeringsmiljo.design.panel import period_product, within
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.inference.diagnostics import (
    OLSScores,
    TestResult,
    _lm_error,
    _lm_lag,
    _rlm_error,
    _rlm_lag,
)
from naeringsmiljo.linalg import DesignFactor, invert_symmetric
from naeringsmiljo.weights.spatial_weights import SpatialWeights

PanelLMEffects = Literal["none", "entity", "time", "twoways"]
"""Fixed effects swept out before a panel LM test: none (pooled), entity, time or both."""


# ---------------------------------------------------------------------------- panel array helpers
def _weights(w: Any, n_units: int) -> sp.csr_array:
    matrix = sp.csr_array(w.sparse if isinstance(w, SpatialWeights) else w, dtype=np.float64)
    if matrix.shape != (n_units, n_units):
        raise SpecificationError(
            f"W has shape {matrix.shape}; a panel of {n_units} entities needs "
            f"({n_units}, {n_units}) (W is over the entities, not the N T observations)."
        )
    return matrix


def _panel_vector(v: Any, n_units: int, n_periods: int, what: str) -> np.ndarray:
    arr = np.asarray(v, dtype=np.float64)
    if arr.shape[0] != n_units * n_periods:
        raise SpecificationError(
            f"{what} has {arr.shape[0]} rows; a balanced panel of {n_units} entities and "
            f"{n_periods} periods has {n_units * n_periods}."
        )
    if not np.all(np.isfinite(arr)):
        raise SpecificationError(f"{what} must be finite.")
    return arr


def entity_sums(v: np.ndarray, n_units: int, n_periods: int) -> np.ndarray:
    """``sum_t v_it`` for each entity (length N; columns kept for a matrix)."""
    return v.reshape((n_periods, n_units) + v.shape[1:]).sum(axis=0)


def _trace_a(w: sp.csr_array) -> float:
    """``tr(W'W + W W)`` from the entries of W."""
    return float(w.multiply(w).sum() + w.multiply(w.T).sum())


# ------------------------------------------------------------------------------ LM lag and error
@dataclass(frozen=True)
class PanelLMTests:
    """LM tests for a spatial lag and a spatial error on a (possibly demeaned) panel regression.

    Attributes
    ----------
    lm_lag, lm_error, rlm_lag, rlm_error : TestResult
        The marginal and the locally robust tests (chi-squared, 1 df).
    effects : str
        The fixed effects swept out first.
    dof_correction : bool
        Whether sigma^2 and the trace terms count the degrees of freedom the effects absorb.
    """

    lm_lag: TestResult
    lm_error: TestResult
    rlm_lag: TestResult
    rlm_error: TestResult
    effects: str
    dof_correction: bool


def panel_lm_tests(
    y: Any,
    x: Any,
    w: Any,
    n_units: int,
    n_periods: int,
    *,
    effects: PanelLMEffects = "none",
    dof_correction: bool = True,
) -> PanelLMTests:
    r"""LM tests of ``rho = 0`` and ``lambda = 0`` and their robust forms on a panel.

    The regression ``Q y = Q X b + e`` (``Q`` the within transformation of ``effects``; the
    identity for a pooled panel, whose ``x`` then includes the constant) is fitted by least
    squares, and the cross-section LM statistics (Anselin et al. 1996) are formed with the panel
    lag ``I_T ⊗ W`` (Anselin, Le Gallo & Jayet 2008, s. 19.4; Debarsy & Ertur 2010 for fixed
    effects):

    .. math::

        LM_\lambda = \frac{(e'(I_T \otimes W)e / \hat\sigma^2)^2}{T_e\,\mathrm{tr}_Q(W'W + W^2)},
        \qquad
        LM_\rho = \frac{(e'(I_T \otimes W)Qy / \hat\sigma^2)^2}{J},

    with ``J = ||M (I_T ⊗ W) Q X b||^2 / sigma^2 + T_e tr_Q(W'W + W^2)`` and the robust forms as
    in the cross-section.

    The lag is applied to the demeaned data, ``(I_T ⊗ W) Q y`` (splm's convention). With entity
    effects this equals ``Q (I_T ⊗ W) y``; with time effects the two differ unless W is
    row-standardised and symmetric, and the residuals, being in the range of ``Q``, make the
    score of the error term the same either way.

    Parameters
    ----------
    y, x : array_like
        Outcome (``N T``) and regressors (``N T x k``), stacked by period, untransformed.
    w : sparse matrix or SpatialWeights
        ``N x N`` weights over the entities (zero diagonal).
    n_units, n_periods : int
        N and T.
    effects : {"none", "entity", "time", "twoways"}, default "none"
        Fixed effects swept out before the regression.
    dof_correction : bool, default True
        Count what the effects absorb, as the exact moments under the transformation do:
        ``sigma^2 = e'e / ((N - [time]) (T - [entity]))``, ``T_e = T - 1`` with entity effects
        (``tr((Q_T ⊗ I) (I_T ⊗ A)) = (T - 1) tr A``) and ``tr_Q(A) = tr A - 1'A1 / N`` with time
        effects (Debarsy & Ertur 2010). ``False`` uses ``N T``, ``T`` and ``tr A`` throughout,
        as R splm's ``slmtest`` does; the two agree for a pooled panel.

    Returns
    -------
    PanelLMTests

    Raises
    ------
    SpecificationError
        When the shapes disagree with N and T, or a regressor has no variation left after the
        transformation (it is named by its column number).
    """
    check_choice("effects", effects, PanelLMEffects)
    wm = _weights(w, n_units)
    y_arr = _panel_vector(y, n_units, n_periods, "y").reshape(-1)
    x_arr = _panel_vector(x, n_units, n_periods, "X")
    x_arr = x_arr[:, None] if x_arr.ndim == 1 else x_arr
    yq = within(y_arr, n_units, effects)
    xq = within(x_arr, n_units, effects)
    factor = DesignFactor.of(xq)
    if not factor.full_rank:
        dropped = factor.perm[factor.rank :].tolist()
        raise SpecificationError(
            f"Regressor column(s) {dropped} have no variation left after sweeping out the "
            f"{effects} effects (or repeat other columns)."
        )
    e = factor.residuals(yq)
    fitted = yq - e
    entity_fe = effects in ("entity", "twoways")
    time_fe = effects in ("time", "twoways")
    trace_a = _trace_a(wm)
    if dof_correction:
        n_eff = (n_units - time_fe) * (n_periods - entity_fe)
        periods_eff = n_periods - entity_fe
        if time_fe:
            ones = np.ones(n_units)
            w1 = wm @ ones
            trace_a -= float(w1 @ w1 + ones @ (wm @ w1)) / n_units
    else:
        n_eff, periods_eff = n_units * n_periods, n_periods
    sigma2 = float(e @ e) / n_eff
    trace_t = periods_eff * trace_a
    wxb = period_product(wm, fitted, n_units)
    mwxb = factor.residuals(wxb)
    scores = OLSScores(
        resid=e,
        sigma2=sigma2,
        d_lambda=float(e @ period_product(wm, e, n_units)) / sigma2,
        d_rho=float(e @ period_product(wm, yq, n_units)) / sigma2,
        trace_t=trace_t,
        trace_w=n_periods * float(wm.diagonal().sum()),
        nj=(float(mwxb @ mwxb) + trace_t * sigma2) / sigma2,
        mwxb=mwxb,
        q=factor.q,
    )
    return PanelLMTests(
        lm_lag=_lm_lag(scores),
        lm_error=_lm_error(scores),
        rlm_lag=_rlm_lag(scores),
        rlm_error=_rlm_error(scores),
        effects=effects,
        dof_correction=dof_correction,
    )


# ------------------------------------------------------------------------ Baltagi, Song and Koh
@dataclass(frozen=True)
class BSKTests:
    """Baltagi, Song & Koh (2003) LM tests on the pooled OLS residuals.

    Attributes
    ----------
    lm_h : TestResult
        One-sided joint test of ``sigma^2_mu = 0`` and ``lambda = 0``:
        ``max(LM1, 0)^2 + max(LM2, 0)^2``, a mixture of chi-squared(0, 1, 2) with weights
        (1/4, 1/2, 1/4) under the null (Baltagi, Song & Koh 2003, s. 2.2; splm's ``LMH``).
    lm_joint : TestResult
        Two-sided joint test ``LM1^2 + LM2^2``, chi-squared with 2 df (their eq. 2.9).
    lm1 : TestResult
        Marginal test of no random effects (``sigma^2_mu = 0``), standard normal, one-sided.
    lm2 : TestResult
        Marginal test of no spatial error correlation (``lambda = 0``), standard normal,
        one-sided.
    slm1, slm2 : TestResult
        LM1 and LM2 standardised by the exact mean and variance of their quadratic-form ratios
        under normality (Baltagi, Song & Koh 2003, s. 2.3; splm's ``standardize = TRUE``).
    """

    lm_h: TestResult
    lm_joint: TestResult
    lm1: TestResult
    lm2: TestResult
    slm1: TestResult
    slm2: TestResult


def _normal_upper(name: str, statistic: float, null: str) -> TestResult:
    return TestResult(name, statistic, None, float(stats.norm.sf(statistic)), null, "normal")


_NULL_MU = "sigma^2_mu = 0 (no random entity effects)"
_NULL_LAMBDA = "lambda = 0 (no spatial error correlation)"


def _ratio_moments(
    factor: DesignFactor,
    x: np.ndarray,
    apply_d: Any,
    trace_d: float,
    trace_dd: float,
) -> tuple[float, float]:
    """Mean and variance of ``e'De / e'e`` with ``e = M u``, ``u ~ N(0, s I)``, D symmetric.

    ``E = tr(MD) / (n - k)``, ``Var = 2 [(n - k) tr((MD)^2) - tr(MD)^2] / ((n - k)^2 (n - k + 2))``
    with ``tr(MD) = tr D - tr((X'X)^{-1} X'DX)`` and
    ``tr((MD)^2) = tr D^2 - 2 tr((X'X)^{-1} X'D^2X) + tr(((X'X)^{-1} X'DX)^2)``
    (Baltagi, Song & Koh 2003, s. 2.3; Evans & King 1985).
    """
    n, k = x.shape
    dx = apply_d(x)
    ddx = apply_d(dx)
    inv = factor.inverse_gram()
    a = inv @ (x.T @ dx)
    trace_md = trace_d - float(np.trace(a))
    trace_mdmd = trace_dd - 2.0 * float(np.trace(inv @ (x.T @ ddx))) + float(np.trace(a @ a))
    s = n - k
    mean = trace_md / s
    variance = 2.0 * (s * trace_mdmd - trace_md**2) / (s**2 * (s + 2))
    return mean, variance


def bsk_tests(y: Any, x: Any, w: Any, n_units: int, n_periods: int) -> BSKTests:
    r"""Baltagi, Song & Koh (2003) marginal and joint LM tests for random effects and spatial error.

    Under the pooled OLS fit ``y = X b + e`` (``x`` includes the constant), with
    ``G = e'(J_T ⊗ I_N)e / e'e - 1``, ``H = e'(I_T ⊗ (W + W')/2)e / e'e`` and
    ``b = tr(W^2 + W'W)``:

    .. math::

        LM_1 = \sqrt{\frac{NT}{2(T-1)}}\,G, \qquad LM_2 = \sqrt{\frac{N^2 T}{b}}\,H.

    Parameters
    ----------
    y, x : array_like
        Outcome and regressors with a constant, stacked by period.
    w : sparse matrix or SpatialWeights
        ``N x N`` weights over the entities.
    n_units, n_periods : int
        N and T (T >= 2).

    Returns
    -------
    BSKTests
    """
    wm = _weights(w, n_units)
    if n_periods < 2:
        raise SpecificationError("The Baltagi-Song-Koh tests need T >= 2 periods.")
    y_arr = _panel_vector(y, n_units, n_periods, "y").reshape(-1)
    x_arr = _panel_vector(x, n_units, n_periods, "X")
    x_arr = x_arr[:, None] if x_arr.ndim == 1 else x_arr
    factor = DesignFactor.of(x_arr)
    factor.require_full_rank([f"x{j}" for j in range(x_arr.shape[1])])
    e = factor.residuals(y_arr)
    ee = float(e @ e)
    nt = n_units * n_periods
    sums = entity_sums(e, n_units, n_periods)
    g = float(sums @ sums) / ee - 1.0
    lm1 = math.sqrt(nt / (2.0 * (n_periods - 1))) * g
    h = float(e @ period_product(wm, e, n_units)) / ee
    b = _trace_a(wm)
    lm2 = math.sqrt(n_units**2 * n_periods / b) * h

    def apply_j(v: np.ndarray) -> np.ndarray:
        totals = entity_sums(v, n_units, n_periods)
        return np.tile(totals, (n_periods,) + (1,) * (v.ndim - 1))

    def apply_ws(v: np.ndarray) -> np.ndarray:
        wt = sp.csr_array(wm.T)
        return 0.5 * (period_product(wm, v, n_units) + period_product(wt, v, n_units))

    mean1, var1 = _ratio_moments(factor, x_arr, apply_j, float(nt), float(nt * n_periods))
    trace_ws = n_periods * float(wm.diagonal().sum())
    trace_ws2 = n_periods * 0.5 * _trace_a(wm)
    mean2, var2 = _ratio_moments(factor, x_arr, apply_ws, trace_ws, trace_ws2)
    slm1 = (g + 1.0 - mean1) / math.sqrt(var1)
    slm2 = (h - mean2) / math.sqrt(var2)

    lm_h = max(lm1, 0.0) ** 2 + max(lm2, 0.0) ** 2
    if lm_h > 0:
        cdf = 0.25 + 0.5 * stats.chi2.cdf(lm_h, 1) + 0.25 * stats.chi2.cdf(lm_h, 2)
        p_h = float(1.0 - cdf)
    else:
        p_h = 1.0
    joint = lm1**2 + lm2**2
    return BSKTests(
        lm_h=TestResult(
            "LM-H (BSK, one-sided joint)", lm_h, 2, p_h,
            "sigma^2_mu = 0 and lambda = 0", "chi-bar-square(0, 1, 2; 1/4, 1/2, 1/4)",
        ),
        lm_joint=TestResult(
            "LM-J (BSK, joint)", joint, 2, float(stats.chi2.sf(joint, 2)),
            "sigma^2_mu = 0 and lambda = 0", "chi2",
        ),
        lm1=_normal_upper("LM1 (BSK, marginal)", lm1, _NULL_MU),
        lm2=_normal_upper("LM2 (BSK, marginal)", lm2, _NULL_LAMBDA),
        slm1=_normal_upper("SLM1 (BSK, standardised)", slm1, _NULL_MU),
        slm2=_normal_upper("SLM2 (BSK, standardised)", slm2, _NULL_LAMBDA),
    )  # fmt: skip


def bsk_conditional_lambda(
    residuals: Any, w: Any, n_units: int, n_periods: int
) -> TestResult:
    r"""Conditional LM test of ``lambda = 0`` allowing for random effects (BSK 2003, s. 3.1).

    ``residuals`` are those of the ML random-effects fit without spatial correlation, stacked by
    period. With ``sigma_v^2 = u'(E_T ⊗ I)u / (N(T-1))``, ``sigma_1^2 = u'(\bar J_T ⊗ I)u / N``
    and ``b = tr(W^2 + W'W)``:

    .. math::

        D_\lambda = \tfrac12 u'\Big[\frac{\sigma_v^2}{\sigma_1^4}(\bar J_T \otimes (W + W'))
        + \frac{1}{\sigma_v^2}(E_T \otimes (W + W'))\Big]u, \quad
        LM^*_\lambda = \frac{D_\lambda^2}{[(T-1) + \sigma_v^4/\sigma_1^4]\, b},

    chi-squared with 1 df (R splm prints its square root, ``LM*-lambda``).
    """
    wm = _weights(w, n_units)
    u = _panel_vector(residuals, n_units, n_periods, "residuals").reshape(-1)
    means = entity_sums(u, n_units, n_periods) / n_periods
    within = u - np.tile(means, n_periods)
    sigma_v2 = float(u @ within) / (n_units * (n_periods - 1))
    sigma_12 = n_periods * float(means @ means) / n_units
    wsym = sp.csr_array(wm + wm.T)
    lagged = period_product(wsym, u, n_units)
    lag_means = entity_sums(lagged, n_units, n_periods) / n_periods
    between_part = (sigma_v2 / sigma_12**2) * np.tile(lag_means, n_periods)
    within_part = (lagged - np.tile(lag_means, n_periods)) / sigma_v2
    d_lambda = 0.5 * float(u @ (between_part + within_part))
    b = _trace_a(wm)
    lm = d_lambda**2 / (((n_periods - 1) + sigma_v2**2 / sigma_12**2) * b)
    return TestResult(
        "LM*-lambda (BSK, conditional)", lm, 1, float(stats.chi2.sf(lm, 1)),
        "lambda = 0, allowing sigma^2_mu >= 0", "chi2",
    )  # fmt: skip


def bsk_conditional_mu(
    residuals: Any, lam: float, w: Any, n_units: int, n_periods: int
) -> TestResult:
    r"""Conditional LM test of ``sigma^2_mu = 0`` allowing for spatial error (BSK 2003, s. 3.2).

    ``residuals`` and ``lam`` come from the ML pooled spatial error model
    ``u = (I_T ⊗ B^{-1}) v``, ``B = I - lambda W``, stacked by period. With
    ``sigma_v^2 = u'(I_T ⊗ B'B)u / (NT)``,

    .. math::

        D_\mu = -\frac{T}{2\sigma_v^2}\mathrm{tr}(B'B)
        + \frac{1}{2\sigma_v^4} u'(J_T \otimes (B'B)^2)u,

    and ``LM*_mu = D_mu^2 [(2 sigma_v^4 / T)(N c - g^2) sigma_v^4] / DEN`` (BSK 2003, eq. 3.9;
    ``g = tr G``, ``c = tr G^2``, ``G = (W'B + B'W)(B'B)^{-1}``), chi-squared with 1 df. Needs the
    dense ``(B'B)^{-1}``: refused with a reason above ``DENSE_MATRIX_LIMIT`` entities.
    """
    name, null = "LM*-mu (BSK, conditional)", "sigma^2_mu = 0, allowing lambda != 0"
    if n_units > DENSE_MATRIX_LIMIT:
        return TestResult.not_applicable(
            name, null, "chi2",
            f"needs the dense N x N inverse of B'B; N = {n_units} > {DENSE_MATRIX_LIMIT}", 1,
        )  # fmt: skip
    wm = _weights(w, n_units)
    u = _panel_vector(residuals, n_units, n_periods, "residuals").reshape(-1)
    n, t = n_units, n_periods
    bmat = (sp.identity(n, format="csr") - lam * wm).toarray()
    btb = bmat.T @ bmat
    btb2 = btb @ btb
    sigma_v2 = float(u @ period_product(sp.csr_array(btb), u, n)) / (n * t)
    sigma_v4 = sigma_v2**2
    sums = entity_sums(u, n, t)
    d_mu = -(t / (2.0 * sigma_v2)) * float(np.trace(btb)) + float(sums @ (btb2 @ sums)) / (
        2.0 * sigma_v4
    )
    wdense = wm.toarray()
    wb = wdense.T @ bmat + bmat.T @ wdense
    g_mat = np.linalg.solve(btb.T, wb.T).T  # (W'B + B'W)(B'B)^{-1}
    small_e = float(np.trace(btb2))
    small_d = float(np.trace(wb))
    small_h = float(np.trace(btb))
    small_g = float(np.trace(g_mat))
    small_c = float(np.sum(g_mat * g_mat.T))
    numerator = (2.0 * sigma_v4 / t) * (n * sigma_v4 * small_c - sigma_v4 * small_g**2)
    denominator = sigma_v4 * (
        n * t * small_e * small_c
        - n * small_d**2
        - t * small_g**2 * small_e
        + 2.0 * small_g * small_h * small_d
        - small_h**2 * small_c
    )
    lm = d_mu**2 * numerator / denominator
    return TestResult(name, lm, 1, float(stats.chi2.sf(lm, 1)), null, "chi2")


# ----------------------------------------------------------------------------- spatial Hausman
def spatial_hausman(
    params_fixed: pd.Series,
    cov_fixed: pd.DataFrame,
    params_random: pd.Series,
    cov_random: pd.DataFrame,
    *,
    allow_indefinite: bool = False,
) -> TestResult:
    r"""Hausman test of random against fixed effects in a spatial panel (Mutl & Pfaffermayr 2011).

    .. math::

        H = (\hat\beta_{FE} - \hat\beta_{RE})'\,[V_{FE} - V_{RE}]^{-1}\,
        (\hat\beta_{FE} - \hat\beta_{RE}) \sim \chi^2_k

    over the ``k`` coefficients both fits estimate (matched by name: the intercept and the
    variance parameters of the random-effects fit drop out). Under the null of random effects
    both estimators are consistent and the random-effects one is efficient, so
    ``V_FE - V_RE`` is positive definite; in a sample where it is not, the test carries that
    reason instead of a number, unless ``allow_indefinite=True``: then the statistic is the
    absolute value of the quadratic form with the inverse of the indefinite matrix, as R splm's
    ``sphtest`` reports it (its chi-squared reference is then only a convention).

    Parameters
    ----------
    params_fixed, params_random : pandas.Series
        Estimates of the two fits, indexed by parameter name.
    cov_fixed, cov_random : pandas.DataFrame
        Their covariance matrices, indexed and labelled by the same names.
    allow_indefinite : bool, default False
        Report splm's absolute quadratic form when ``V_FE - V_RE`` is not positive definite.
    """
    name, null = "Spatial Hausman (FE vs RE)", "random effects are uncorrelated with X"
    common = [p for p in params_fixed.index if p in params_random.index]
    if not common:
        raise SpecificationError(
            "The fixed- and random-effects fits share no coefficient name: "
            f"{list(params_fixed.index)} vs {list(params_random.index)}."
        )
    for label, cov in (("cov_fixed", cov_fixed), ("cov_random", cov_random)):
        absent = [p for p in common if p not in cov.index or p not in cov.columns]
        if absent:
            raise SpecificationError(f"{label} lacks rows or columns for {absent}.")
    diff = (params_fixed[common] - params_random[common]).to_numpy(dtype=np.float64)
    dcov = (
        cov_fixed.loc[common, common].to_numpy(dtype=np.float64)
        - cov_random.loc[common, common].to_numpy(dtype=np.float64)
    )
    dcov = 0.5 * (dcov + dcov.T)
    inverse = invert_symmetric(dcov)
    if inverse is None and allow_indefinite:
        statistic = abs(float(diff @ np.linalg.solve(dcov, diff)))
        return TestResult(
            name + ", indefinite V difference", statistic, len(common),
            float(stats.chi2.sf(statistic, len(common))), null, "chi2",
        )  # fmt: skip
    if inverse is None:
        return TestResult.not_applicable(
            name, null, "chi2",
            "V_FE - V_RE is not positive definite in this sample", len(common),
        )  # fmt: skip
    statistic = float(diff @ inverse @ diff)
    return TestResult(
        name, statistic, len(common), float(stats.chi2.sf(statistic, len(common))), null, "chi2"
    )
