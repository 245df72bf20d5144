"""The fixed effects of a spatial panel, recovered after estimation, with standard errors.

The within transformation removes the effects; they are recovered from the raw data and the
estimates (Elhorst 2014, s. 3.2, eqs. 3.10-3.12; Baltagi 2021, s. 3.2). With
``r_it = y_it - rho (W y_t)_i - x_it' beta`` (the lags of X among ``x``; without ``rho`` for
the error models, whose effects sit outside the spatial filter of the error):

- entity effects: ``mu_i = rbar_i`` (the mean over the periods);
- time effects: ``xi_t = rbar_t`` (the mean over the entities);
- both: a constant ``c = rbar``, ``mu_i = rbar_i - c`` and ``xi_t = rbar_t - c``, each set
  summing to zero.

Standard errors add the sampling variance of the mean of the disturbances to that of the
estimates: ``var(mu_i) = s_i^2 + g_i' V g_i`` with ``g_i = -(xbar_i, (Wy)bar_i)`` the
derivative of ``mu_i`` in ``(beta, rho)`` and ``V`` their covariance. ``s_i^2`` is
``sigma^2 / T`` for the lag models (``sigma^2 / N`` for a period's effect), and
``sigma^2 / T [(B'B)^{-1}]_ii`` (``sigma^2 / N^2 1'(B'B)^{-1}1``) for the error models
(``B = I - lambda W``), times ``(1 - 1/N)`` (``(1 - 1/T)``) for the centred effects of a
two-way model. Covariances between the effects of different entities are not reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.stats

from naeringsmiljo._options import DENSE_MATRIX_LIMIT
from naeringsmiljo.design.panel import FIXED_EFFECTS, period_product
from naeringsmiljo.exceptions import SpecificationError


def recover_fixed_effects(
    spec: Any, params: pd.Series, cov: pd.DataFrame, sigma2: float
) -> pd.DataFrame:
    """The fixed effects of a panel fit: estimate, standard error, z statistic and p-value.

    Returns a frame indexed by ``(effect, id)``: ``effect`` is ``"entity"``, ``"time"`` or,
    for two-way effects, also ``"constant"``.
    """
    effects = getattr(spec, "effects", None)
    if effects not in FIXED_EFFECTS:
        raise SpecificationError(
            f"fixed_effects() needs a panel with fixed effects; this model has effects={effects!r}."
        )
    n, t = spec.n_units, spec.n_periods
    k = len(spec.exog_names)
    beta = params.iloc[:k].to_numpy()
    names = list(spec.exog_names)
    has_rho = "rho" in params.index
    rho = float(params["rho"]) if has_rho else 0.0
    wy = period_product(spec.weights.sparse, spec.raw_y, n)
    r = spec.raw_y - rho * wy - spec.raw_x @ beta
    grad_rows = np.column_stack([spec.raw_x, wy]) if has_rho else spec.raw_x
    used = names + (["rho"] if has_rho else [])
    v = cov.loc[used, used].to_numpy()

    lam = float(params["lambda"]) if "lambda" in params.index else None
    if lam is not None:
        if n > DENSE_MATRIX_LIMIT:
            raise SpecificationError(
                "The standard errors of the fixed effects of an error model need the diagonal "
                f"of (B'B)^{{-1}}, formed densely up to {DENSE_MATRIX_LIMIT} entities."
            )
        b = np.eye(n) - lam * spec.weights.sparse.toarray()
        inverse = np.linalg.inv(b.T @ b)
        entity_noise = sigma2 / t * np.diag(inverse)
        time_noise = sigma2 / n**2 * float(inverse.sum())
    else:
        entity_noise = np.full(n, sigma2 / t)
        time_noise = sigma2 / n

    blocks = r.reshape(t, n)
    grads = grad_rows.reshape(t, n, -1)
    frames = []
    two = effects == "twoways"
    centre = blocks.mean() if two else 0.0
    centre_grad = grads.mean(axis=(0, 1)) if two else 0.0
    if effects in ("entity", "twoways"):
        estimate = blocks.mean(axis=0) - centre
        g = -(grads.mean(axis=0) - centre_grad)
        noise = entity_noise * ((1 - 1 / n) if two else 1.0)
        frames.append(_frame("entity", spec.entities, estimate, noise + _quadratic(g, v)))
    if effects in ("time", "twoways"):
        estimate = blocks.mean(axis=1) - centre
        g = -(grads.mean(axis=1) - centre_grad)
        noise = np.full(t, time_noise * ((1 - 1 / t) if two else 1.0))
        frames.append(_frame("time", spec.times, estimate, noise + _quadratic(g, v)))
    if two:
        g0 = -np.asarray(centre_grad)[None, :]
        variance = sigma2 / (n * t) + _quadratic(g0, v)
        frames.append(_frame("constant", pd.Index(["constant"]), np.array([centre]), variance))
    return pd.concat(frames)


def _quadratic(g: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("ij,jk,ik->i", g, v, g)


def _frame(kind: str, ids: pd.Index, estimate: np.ndarray, variance: np.ndarray) -> pd.DataFrame:
    se = np.sqrt(variance)
    z = estimate / se
    index = pd.MultiIndex.from_arrays([[kind] * len(ids), list(ids)], names=["effect", "id"])
    return pd.DataFrame(
        {
            "estimate": estimate,
            "std_error": se,
            "zstat": z,
            "pvalue": 2 * scipy.stats.norm.sf(np.abs(z)),
        },
        index=index,
    )
