"""Moment estimators of spatial panels as functions on arrays: the Kapoor, Kelejian & Prucha (2007)
GM estimator of the panel error model (fixed or random effects) and panel spatial 2SLS.

Panel vectors have length ``N T`` and are stacked by period (time slow, entity fast), so that the
spatial lag is ``(I_T ⊗ W) v`` with ``W`` the sparse ``N x N`` matrix over the entities; nothing
of size ``NT x NT`` is formed. Estimators registered on a panel design call these functions.

References
----------
Kapoor, M., Kelejian, H. H. and Prucha, I. R. (2007). Panel data models with spatially correlated
error components. *Journal of Econometrics* 140, 97-130.
Mutl, J. and Pfaffermayr, M. (2011). The Hausman test in a Cliff and Ord panel model.
*Econometrics Journal* 14, 48-76 (the within version of the moments and panel 2SLS).
Millo, G. and Piras, G. (2012). splm: Spatial panel data models in R. *Journal of Statistical
Software* 47(1) (``spgm``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from naeringsmiljo._options import check_choice
from naeringsmiljo.design.panel import period_product, within
from naeringsmiljo.estimators._moments import minimise_quartic, two_stage_least_squares
from naeringsmiljo.estimators.base import FitProblem, refuse_combined_weights
from naeringsmiljo.exceptions import SingularDesignError, SpecificationError
from naeringsmiljo.linalg import DesignFactor

PanelGMEffects = Literal["entity", "random"]
"""Effects of the KKP panel error model: fixed entity effects (within) or random effects."""

PanelGMWeighting = Literal["initial", "full"]
"""KKP's initial (unweighted, three within moments) or fully weighted (six moments) step."""

#: Bounds of the GM search for lambda, as in splm's ``spgm``.
LAMBDA_BOUNDS = (-0.999, 0.999)


def check_panel_problem(
    problem: FitProblem,
    *,
    term: Literal["lag", "error"],
    estimator: str,
    model: str,
    effects: tuple[str, str],
) -> None:
    """Refuse a problem a panel moment estimator cannot fit.

    It needs one weights matrix, exactly the spatial term ``term`` (no other term, no
    endogenous regressor) and a panel whose effects are one of ``effects``; ``estimator`` and
    ``model`` name the estimator and the model it fits in the error messages.
    """
    refuse_combined_weights(problem)
    spec = problem.spec
    terms = spec.terms
    other = "error" if term == "lag" else "lag"
    if (
        getattr(terms, term) is None
        or getattr(terms, other) is not None
        or spec.endog
        or terms.durbin is not None
    ):
        raise SpecificationError(
            f"{estimator} fits the {model}; {problem.name} has other spatial terms."
        )
    found = getattr(spec, "effects", None)
    if found not in effects:
        raise SpecificationError(
            f"{estimator} needs a panel with effects={effects[0]!r} or effects={effects[1]!r}; "
            f"this design has effects={found!r}."
        )


def _between(v: np.ndarray, n_units: int, n_periods: int) -> np.ndarray:
    """``(J_T / T ⊗ I_N) v``: each entity's mean over time, repeated."""
    shaped = v.reshape((n_periods, n_units) + v.shape[1:])
    return np.broadcast_to(shaped.mean(axis=0, keepdims=True), shaped.shape).reshape(v.shape)


def _moment_block(u: np.ndarray, ub: np.ndarray, ubb: np.ndarray, project, scale: float,
                  tr_wtw_n: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """KKP's three moments under one projection (Q0 or Q1), linear in (lambda, lambda^2, s^2)."""
    pu, pub, pubb = project(u), project(ub), project(ubb)
    big = np.array(
        [
            [2 * u @ pub, -(ub @ pub), 0.0],
            [2 * ubb @ pub, -(ubb @ pubb), 0.0],
            [u @ pubb + ub @ pub, -(ub @ pubb), 0.0],
        ]
    ) / scale
    big[:, 2] = [1.0, tr_wtw_n, 0.0]
    small = np.array([u @ pu, ub @ pub, u @ pub]) / scale
    return big, small


def _weight_traces(w: sp.csr_array) -> np.ndarray:
    """KKP's ``T_W`` (2007, eq. 26): the 3 x 3 matrix of traces of the moment variance, / N."""
    n = w.shape[0]
    wtw = sp.csr_array(w.T @ w)
    tr1 = float(wtw.diagonal().sum()) / n
    tr2 = float(wtw.multiply(wtw.T).sum()) / n
    tr3 = float(wtw.multiply(w.T).sum() + wtw.multiply(w).sum()) / n
    tr4 = float(w.multiply(w.T).sum()) / n + tr1
    return np.array([[2.0, 2.0 * tr1, 0.0], [2.0 * tr1, 2.0 * tr2, tr3], [0.0, tr3, tr4]])


def _minimise(big: np.ndarray, small: np.ndarray, weight: np.ndarray) -> tuple[float, np.ndarray]:
    """Exact GMM in ``(lambda, lambda^2, s)``: the linear ``s`` concentrated out, then the quartic."""
    if np.linalg.matrix_rank(big[:, :2]) < 2:
        raise SingularDesignError(
            "The moment conditions do not identify lambda: the residuals have no spatial "
            "variation to work with."
        )
    s_cols = big[:, 2:]
    inner = s_cols.T @ weight @ s_cols
    projector = np.eye(len(small)) - s_cols @ np.linalg.solve(inner, s_cols.T @ weight)
    lam = minimise_quartic(projector @ small, projector @ big[:, :2], weight, LAMBDA_BOUNDS)
    rest = small - big[:, :2] @ np.array([lam, lam * lam])
    return lam, np.linalg.solve(inner, s_cols.T @ weight @ rest)


@dataclass(frozen=True)
class PanelGMError:
    """A KKP GM fit of the panel error model.

    Attributes
    ----------
    beta : numpy.ndarray
        Coefficients of the columns of ``x`` (by feasible GLS after the spatial Cochrane-Orcutt
        transformation).
    cov : numpy.ndarray
        Their covariance.
    lam : float
        The spatial error coefficient lambda.
    sigma2_v : float
        Variance of the idiosyncratic error.
    sigma2_1 : float or None
        ``sigma^2_v + T sigma^2_mu`` (random effects only).
    theta : float or None
        ``1 - sigma_v / sigma_1``, the quasi-demeaning weight (random effects only).
    residuals : numpy.ndarray
        The least-squares residuals the moments were computed from.
    """

    beta: np.ndarray
    cov: np.ndarray
    lam: float
    sigma2_v: float
    sigma2_1: float | None
    theta: float | None
    residuals: np.ndarray


def kkp_gm_error(
    y: np.ndarray,
    x: np.ndarray,
    w: sp.csr_array,
    n_units: int,
    n_periods: int,
    *,
    effects: PanelGMEffects = "random",
    weighting: PanelGMWeighting = "full",
) -> PanelGMError:
    r"""Kapoor, Kelejian & Prucha (2007) GM estimator of ``y = X beta + u``,
    ``u = lambda (I_T ⊗ W) u + e``, ``e = (iota_T ⊗ I_N) mu + v``.

    The moments of ``e = u - lambda u_bar`` under ``Q_0 = (I_T - J_T/T) ⊗ I_N`` and
    ``Q_1 = J_T/T ⊗ I_N`` (KKP 2007, eq. 9) are linear in ``(lambda, lambda^2, sigma^2_v,
    sigma^2_1)``. ``effects="random"``: residuals of pooled OLS (``x`` with the constant); the
    three ``Q_0`` moments give ``lambda`` and ``sigma^2_v``, the first ``Q_1`` moment
    ``sigma^2_1``; with ``weighting="full"`` all six are then weighted by the inverse of
    ``diag(sigma^4_v / (T - 1), sigma^4_1) ⊗ T_W`` (their eq. 26-27) and re-solved. ``beta`` is the
    feasible GLS estimate on ``y* = y - lambda W y`` quasi-demeaned with
    ``theta = 1 - sigma_v / sigma_1``, with covariance ``sigma^2_v (X*'X*)^{-1}``.
    ``effects="entity"``: residuals of the within regression (``x`` without a constant), the three
    ``Q_0`` moments only (Mutl & Pfaffermayr 2011), ``beta`` by least squares on the demeaned
    transformed data with covariance ``s^2 (X*'X*)^{-1}``, ``s^2 = SSR / (NT - k)`` (R splm's
    ``spgm`` conventions).

    Each GMM problem is solved exactly: the variance parameters enter linearly and are
    concentrated out, leaving a quartic in lambda minimised over ``(-0.999, 0.999)``.
    """
    check_choice("effects", effects, PanelGMEffects)
    check_choice("weighting", weighting, PanelGMWeighting)
    if n_periods < 2:
        raise SpecificationError("The KKP estimator needs T >= 2 periods.")
    n, t = n_units, n_periods
    if y.shape[0] != n * t or x.shape[0] != n * t:
        raise SpecificationError(
            f"y has {y.shape[0]} and X {x.shape[0]} rows; N T = {n * t} for a balanced panel."
        )

    def demeaned(v: np.ndarray) -> np.ndarray:
        return within(v, n, "entity")

    def between(v: np.ndarray) -> np.ndarray:
        return _between(v, n, t)

    first = DesignFactor.of(demeaned(x) if effects == "entity" else x)
    first.require_full_rank([f"x{j}" for j in range(x.shape[1])], what="The panel design")
    u = first.residuals(demeaned(y) if effects == "entity" else y)
    ub = period_product(w, u, n)
    ubb = period_product(w, ub, n)
    tr_wtw_n = float(w.multiply(w).sum()) / n
    big0, small0 = _moment_block(u, ub, ubb, demeaned, n * (t - 1), tr_wtw_n)
    lam, (sigma2_v,) = _minimise(big0, small0, np.eye(3))
    sigma2_1: float | None = None
    if effects == "random":
        big1, small1 = _moment_block(u, ub, ubb, between, n, tr_wtw_n)
        e = u - lam * ub
        sigma2_1 = float(e @ between(e)) / n
        if weighting == "full":
            big = np.zeros((6, 4))
            big[:3, :2], big[:3, 2] = big0[:, :2], big0[:, 2]
            big[3:, :2], big[3:, 3] = big1[:, :2], big1[:, 2]
            small = np.concatenate([small0, small1])
            gamma = np.kron(
                np.diag([sigma2_v**2 / (t - 1), sigma2_1**2]), _weight_traces(w)
            )
            lam, (sigma2_v, sigma2_1) = _minimise(big, small, np.linalg.inv(gamma))
    ys = y - lam * period_product(w, y, n)
    xs = x - lam * period_product(w, x, n)
    theta: float | None = None
    if effects == "random":
        assert sigma2_1 is not None
        if sigma2_v <= 0 or sigma2_1 <= 0:
            raise SingularDesignError(
                f"The GM variance estimates are not positive (sigma^2_v = {sigma2_v:.3g}, "
                f"sigma^2_1 = {sigma2_1:.3g}); random effects are not supported by these data."
            )
        theta = 1.0 - float(np.sqrt(sigma2_v / sigma2_1))
        ys, xs = ys - theta * between(ys), xs - theta * between(xs)
    else:
        ys, xs = demeaned(ys), demeaned(xs)
    factor = DesignFactor.of(xs)
    beta = factor.coefficients(ys)
    if effects == "random":
        cov = sigma2_v * factor.inverse_gram()
    else:
        resid = factor.residuals(ys)
        cov = float(resid @ resid) / (n * t - x.shape[1]) * factor.inverse_gram()
    return PanelGMError(beta, cov, float(lam), float(sigma2_v), sigma2_1, theta, u)


@dataclass(frozen=True)
class PanelS2SLS:
    """A panel spatial 2SLS fit of ``y = rho (I_T ⊗ W) y + X beta (+ effects) + e``.

    Attributes
    ----------
    params : numpy.ndarray
        ``(rho, beta)``.
    cov : numpy.ndarray
        ``s^2 (Z'P_H Z)^{-1}`` with ``s^2 = SSR / (n_eff - k - 1)``.
    sigma2 : float
        ``s^2``.
    residuals : numpy.ndarray
        ``Q y - Z delta`` on the (demeaned) data.
    """

    params: np.ndarray
    cov: np.ndarray
    sigma2: float
    residuals: np.ndarray


def panel_s2sls(
    y: np.ndarray,
    x: np.ndarray,
    w: sp.csr_array,
    n_units: int,
    n_periods: int,
    *,
    effects: Literal["none", "entity"] = "entity",
) -> PanelS2SLS:
    """Spatial two-stage least squares on a panel (Kelejian & Prucha 1998 applied to the within
    or pooled data; Mutl & Pfaffermayr 2011, s. 3).

    With ``effects="entity"`` the data are demeaned over time (``x`` without a constant) and the
    instruments are ``[QX, (I_T ⊗ W) QX, (I_T ⊗ W^2) QX]``; ``s^2`` divides the sum of squared
    residuals by ``N (T - 1) - k - 1`` (R splm's ``spgm(lag = TRUE, model = "within")``). With
    ``"none"`` the pooled data are used, ``x`` with its constant, whose lags are left out of the
    instruments (they repeat it when W is row-standardised), and ``s^2`` divides by
    ``N T - k - 1``.
    """
    check_choice("effects", effects, ("none", "entity"))
    n, t = n_units, n_periods
    if effects == "entity":
        yq, xq = within(y, n, "entity"), within(x, n, "entity")
        n_eff = n * (t - 1)
    else:
        yq, xq = y, x
        n_eff = n * t
    varying = np.flatnonzero(np.ptp(xq, axis=0) > 0)
    wx = period_product(w, xq[:, varying], n)
    wwx = period_product(w, wx, n)
    z = np.column_stack([period_product(w, yq, n), xq])
    h = np.column_stack([xq, wx, wwx])
    fit = two_stage_least_squares(yq, z, h)
    k = z.shape[1]
    sigma2 = float(fit.resid @ fit.resid) / (n_eff - k)
    return PanelS2SLS(fit.delta, sigma2 * fit.varb, sigma2, fit.resid)
