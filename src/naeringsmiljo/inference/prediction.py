"""Predictions, policy scenarios and unit-level impacts of spatial models.

Predictors (Goulard, Laurent & Thomas-Agnan 2017, "About predictions in spatial autoregressive
models: optimal and almost optimal strategies", *Spatial Economic Analysis* 12(2-3): 304-325),
with the definitions of R spatialreg's ``predict.Sarlm`` (1.2-6, its defaults):

- ``"trend"``: ``X beta`` (with the lagged regressors ``W X theta`` of Durbin models);
- ``"TC"``, trend-corrected: the reduced form ``(I - rho W)^{-1} X beta``;
- ``"TS"``, trend and signal, in sample: the fitted values ``rho W y + X beta`` (lag models),
  ``X beta + lambda W (y - X beta)`` (error models);
- ``"BP"``, the best predictor of Kelejian & Prucha (2007, "The relative efficiencies of
  various predictors in spatial econometric models containing spatial lags", *Regional Science
  and Urban Economics* 37(3)) and Goulard et al. (2017, s. 3): in
  sample ``TC - D^{-1}(Q - D)(y - TC)`` with ``Q = (I - rho W')(I - rho W)`` the precision of
  y (up to ``1/sigma^2``) and ``D`` its diagonal (each unit predicted from all the others);
  out of sample ``TC_o - Q_oo^{-1} Q_os (y_s - TC_s)``, conditioning the new units on the
  observed ones.

Scenarios and unit impacts read the reduced form ``(I - rho W)^{-1}(X beta + W X theta)``
(LeSage & Pace 2009, s. 2.7). Everything is computed by sparse LU solves of ``I - rho W``;
no dense ``n x n`` matrix is formed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo._options import PredictionKind
from naeringsmiljo.exceptions import SpecificationError

#: Columns solved at once when extracting diagonals of the multiplier (memory ``n x 256``).
_CHUNK = 256


@dataclass(frozen=True)
class ModelShape:
    """Which parametric terms a model has, for the predictors that are defined for it.

    Attributes
    ----------
    model : str
        Model name, for messages.
    lag : bool
        The model has a lag of y (``rho``).
    error : bool
        The model has a spatially autoregressive error (``lambda``).
    """

    model: str
    lag: bool
    error: bool

    def kinds(self, in_sample: bool) -> tuple[PredictionKind, ...]:
        """The predictors R spatialreg defines for this model, in or out of sample.

        spatialreg refuses ``"TC"`` and ``"BP"`` for the error models (their reduced form has
        no multiplier on ``X beta``, and the best predictor of an error model is not
        implemented there) and ``"TS"`` for models with both terms. ``"TS"`` uses the observed
        y of the predicted unit, so it is an in-sample predictor only.
        """
        if self.error and not self.lag:
            return ("trend", "TS") if in_sample else ("trend",)
        if self.error and self.lag:
            return ("trend", "TC", "BP")
        return ("trend", "TC", "TS", "BP") if in_sample else ("trend", "TC", "BP")

    def check(self, kind: PredictionKind, in_sample: bool) -> None:
        """Raise :class:`SpecificationError` naming the defined kinds when ``kind`` is not one."""
        allowed = self.kinds(in_sample)
        if kind not in allowed:
            where = "in sample" if in_sample else "for new units"
            why = {
                "TS": "it needs the observed y of the predicted unit"
                if not in_sample
                else "R spatialreg does not define it for a model with both rho and lambda",
                "TC": "an error model has no multiplier on X beta (TC would equal trend)",
                "BP": "R spatialreg defines the best predictor for models with a lag of y",
            }[kind]
            raise SpecificationError(
                f"kind={kind!r} is not available for {self.model} {where} ({why}); the kinds "
                f"defined are {list(allowed)}."
            )


def _solver(w: sp.sparray, rho: float) -> Callable[[np.ndarray], np.ndarray]:
    """``v -> (I - rho W)^{-1} v`` by one sparse LU factorisation (identity when rho is 0)."""
    if rho == 0.0:
        return lambda v: np.array(v, dtype=np.float64, copy=True)
    a = (sp.identity(w.shape[0], format="csc") - rho * sp.csc_array(w)).tocsc()
    lu = splu(a)
    return lambda v: lu.solve(np.asarray(v, dtype=np.float64))


def _best_in_sample(w: sp.sparray, rho: float, y: np.ndarray, tc: np.ndarray) -> np.ndarray:
    """``TC - D^{-1}(Q - D)(y - TC)``, ``Q = (I - rho W')(I - rho W)``, ``D = diag(Q)``.

    ``1/sigma^2`` cancels; ``diag(Q)_i = 1 - 2 rho W_ii + rho^2 sum_k W_ki^2``.
    """
    ws = sp.csr_array(w)
    r = y - tc
    ar = r - rho * (ws @ r)
    qr = ar - rho * (ws.T @ ar)
    d = 1.0 - 2.0 * rho * ws.diagonal() + rho**2 * np.asarray(ws.multiply(ws).sum(axis=0)).ravel()
    return tc - (qr - d * r) / d


def predict_in_sample(
    kind: PredictionKind,
    shape: ModelShape,
    y: np.ndarray,
    x: np.ndarray,
    beta: np.ndarray,
    rho: float,
    lam: float,
    w_lag: sp.sparray,
    w_error: sp.sparray,
    ids: pd.Index,
) -> pd.Series:
    """In-sample predictor ``kind`` (R spatialreg's ``predict(fit, pred.type=kind)``).

    Parameters
    ----------
    kind : {"trend", "TC", "TS", "BP"}
        See the module docstring (Goulard, Laurent & Thomas-Agnan 2017).
    shape : ModelShape
        The model's terms; a kind not defined for them raises.
    y, x, beta : numpy.ndarray
        Outcome, design (with the lagged regressors) and its coefficients.
    rho, lam : float
        Spatial parameters (0 for a term the model does not have).
    w_lag, w_error : scipy sparse array
        Weights of the lag of y and of the error.
    ids : pandas.Index
        Unit ids of the rows.

    Returns
    -------
    pandas.Series
        The prediction by id, named ``kind``.
    """
    shape.check(kind, in_sample=True)
    trend = x @ beta
    if kind == "trend":
        values = trend
    elif kind == "TS":
        if shape.error:
            values = trend + lam * (w_error @ (y - trend))
        else:
            values = trend + rho * (w_lag @ y)
    else:
        tc = _solver(w_lag, rho)(trend)
        values = tc if kind == "TC" else _best_in_sample(w_lag, rho, y, tc)
    return pd.Series(values, index=ids, name=kind)


def predict_out_of_sample(
    kind: PredictionKind,
    shape: ModelShape,
    y_sample: np.ndarray,
    x_all: np.ndarray,
    beta: np.ndarray,
    rho: float,
    w_all: sp.sparray | None,
    ids_new: pd.Index,
) -> pd.Series:
    """Predictor ``kind`` of new units (R spatialreg's ``predict(fit, newdata, listw)``).

    The rows of ``x_all`` and of ``w_all`` are the ``n_s = len(y_sample)`` fitted units followed
    by the new ones; ``x_all`` has the lagged regressors computed with ``w_all``. ``"TC"`` is the
    new units' rows of ``(I - rho W)^{-1} X beta`` over all units (spatialreg computes the same
    rows by the partitioned inverse), ``"BP"`` is
    ``TC_o - Q_oo^{-1} Q_os (y_s - TC_s)`` with ``Q = (I - rho W')(I - rho W)`` (Goulard,
    Laurent & Thomas-Agnan 2017, s. 3; Kelejian & Prucha 2007).

    Returns
    -------
    pandas.Series
        The prediction of each new unit, named ``kind``.
    """
    shape.check(kind, in_sample=False)
    n_s = len(y_sample)
    trend = x_all @ beta
    if kind == "trend":
        values = trend[n_s:]
    else:
        if w_all is None:
            raise SpecificationError(f"kind={kind!r} for new units needs their weights.")
        tc = _solver(w_all, rho)(trend)
        values = tc[n_s:]
        if kind == "BP" and rho != 0.0:
            ws = sp.csr_array(w_all)
            a = sp.identity(ws.shape[0], format="csr") - rho * ws
            q = sp.csr_array(a.T @ a)
            q_oo = sp.csc_array(q[n_s:][:, n_s:])
            q_os = q[n_s:][:, :n_s]
            values = values - splu(q_oo).solve(q_os @ (y_sample - tc[:n_s]))
    return pd.Series(values, index=ids_new, name=kind)


@dataclass(frozen=True)
class Coefficients:
    """Where the coefficients of a scenario sit in the parameter vector.

    Attributes
    ----------
    beta : numpy.ndarray of int
        Positions of the coefficients of the changed regressors.
    theta : numpy.ndarray of int
        Positions of their lags ``W_<name>``, -1 when a regressor is not lagged.
    rho : int
        Position of ``rho``, -1 without a lag of y.
    """

    beta: np.ndarray
    theta: np.ndarray
    rho: int

    def of(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """``beta``, ``theta`` (0 where not lagged) and ``rho`` (0 without) from ``values``."""
        theta = np.where(self.theta >= 0, values[np.maximum(self.theta, 0)], 0.0)
        rho = float(values[self.rho]) if self.rho >= 0 else 0.0
        return values[self.beta], theta, rho


@dataclass(frozen=True)
class Scenario:
    """The effect of a change of regressors on every unit's expected outcome.

    Attributes
    ----------
    frame : pandas.DataFrame
        By unit id: ``effect`` (at the estimates), ``std_error`` (of the draws), ``lower`` and
        ``upper`` (percentiles of the draws at ``alpha/2`` and ``1 - alpha/2``).
    draws : int
        Parameter draws used (after discarding).
    discarded : int
        Draws discarded because their rho left the parameter interval.
    seed : int or tuple of int
        Entropy of the draws.
    """

    frame: pd.DataFrame
    draws: int
    discarded: int
    seed: int | tuple[int, ...]


def scenario_effect(
    delta_x: np.ndarray,
    beta: np.ndarray,
    theta: np.ndarray,
    rho: float,
    w_lag: sp.sparray,
    w_durbin: sp.sparray,
) -> np.ndarray:
    """``(I - rho W)^{-1}(dX beta + W_3 dX theta)``: the change of ``E[y]`` of every unit.

    The reduced form of the general nesting model (LeSage & Pace 2009, s. 2.7): a change
    ``dX`` of the regressors (units by changed regressors) moves the expected outcome through
    the spatial multiplier; the error term does not enter the mean, so for SEM and SDEM
    (``rho = 0``) the effect is ``dX beta + W dX theta``.
    """
    direct = delta_x @ beta + w_durbin @ (delta_x @ theta)
    return _solver(w_lag, rho)(direct)


def simulate_scenario(
    delta_x: np.ndarray,
    params: np.ndarray,
    sample: np.ndarray,
    where: Coefficients,
    w_lag: sp.sparray,
    w_durbin: sp.sparray,
    interval: tuple[float, float],
    ids: pd.Index,
    alpha: float,
    seed: int | tuple[int, ...],
) -> Scenario:
    """A scenario's effect with its distribution over parameter draws.

    Each row of ``sample`` is a draw of the parameter vector (normal with the estimated
    covariance, as for simulated impacts, LeSage & Pace 2009, s. 2.7); draws whose rho lies
    outside ``interval`` are discarded. ``std_error`` is the standard deviation of the effect
    over the draws and ``lower``/``upper`` its percentiles.
    """
    effect = scenario_effect(delta_x, *where.of(params), w_lag, w_durbin)
    kept = sample
    if where.rho >= 0:
        rho = sample[:, where.rho]
        kept = sample[(rho > interval[0]) & (rho < interval[1])]
    simulated = np.array([scenario_effect(delta_x, *where.of(v), w_lag, w_durbin) for v in kept])
    lower, upper = np.quantile(simulated, [alpha / 2, 1 - alpha / 2], axis=0)
    frame = pd.DataFrame(
        {
            "effect": effect,
            "std_error": simulated.std(axis=0, ddof=1),
            "lower": lower,
            "upper": upper,
        },
        index=ids,
    )
    return Scenario(frame, len(kept), len(sample) - len(kept), seed)


def _diagonals(
    w_lag: sp.sparray, w_durbin: sp.sparray, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """``diag((I - rho W)^{-1})`` and ``diag((I - rho W)^{-1} W_3)`` by chunked sparse solves."""
    n = w_lag.shape[0]
    solve = _solver(w_lag, rho)
    wd = sp.csc_array(w_durbin)
    d_m, d_mw = np.empty(n), np.empty(n)
    for start in range(0, n, _CHUNK):
        cols = np.arange(start, min(start + _CHUNK, n))
        unit = np.zeros((n, len(cols)))
        unit[cols, np.arange(len(cols))] = 1.0
        d_m[cols] = solve(unit)[cols, np.arange(len(cols))]
        d_mw[cols] = solve(wd[:, cols].toarray())[cols, np.arange(len(cols))]
    return d_m, d_mw


def unit_impacts(
    names: list[str],
    beta: np.ndarray,
    theta: np.ndarray,
    rho: float,
    w_lag: sp.sparray,
    w_durbin: sp.sparray,
    ids: pd.Index,
) -> pd.DataFrame:
    """Direct, indirect and total impact of each regressor on each unit.

    For ``S_r = (I - rho W)^{-1}(beta_r I + theta_r W_3)`` (LeSage & Pace 2009, s. 2.7): the
    direct impact on unit ``i`` is ``[S_r]_ii`` (the effect of a change of ``x_r`` in ``i`` on
    ``i`` itself), the total impact is the row sum ``sum_j [S_r]_ij`` (the effect on ``i`` of
    the same change of ``x_r`` in every unit), and the indirect impact is their difference.
    Averaged over units they are the summary impacts of :meth:`SpatialResults.impacts`.

    Returns
    -------
    pandas.DataFrame
        Indexed by id, with columns ``(regressor, "direct" | "indirect" | "total")``.
    """
    n = w_lag.shape[0]
    d_m, d_mw = _diagonals(w_lag, w_durbin, rho)
    solve = _solver(w_lag, rho)
    row_m = solve(np.ones(n))
    row_mw = solve(np.asarray(sp.csr_array(w_durbin).sum(axis=1)).ravel())
    blocks = {}
    for name, b, t in zip(names, beta, theta, strict=True):
        direct = b * d_m + t * d_mw
        total = b * row_m + t * row_mw
        blocks[name] = pd.DataFrame(
            {"direct": direct, "indirect": total - direct, "total": total}, index=ids
        )
    return pd.concat(blocks, axis=1)
