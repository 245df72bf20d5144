"""Direct, indirect and total impacts of the regressors (LeSage & Pace 2009, s. 2.7).

For a regressor ``x_r`` with coefficient ``beta_r`` and lag coefficient ``theta_r`` (zero when it
is not lagged), the matrix of partial derivatives ``d y / d x_r'`` is

.. math::

    S_r(W) = (I - \\rho W)^{-1} (\\beta_r I + \\theta_r W).

The **direct** impact is the mean of its diagonal, the **total** impact the mean of its row sums,
and the **indirect** impact their difference. One formula covers every model: ``rho = 0`` for
SEM, SDEM, SLX and OLS gives ``S_r = beta_r I + theta_r W``, whose direct impact is
``beta_r + theta_r tr(W)/n`` and total impact ``beta_r + theta_r 1'W1/n`` — exact also for weights
that are not row-standardised (then ``1'W1/n`` is not one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from naeringsmiljo._options import DENSE_MATRIX_LIMIT, ImpactsMethod

COLUMNS = ["direct", "indirect", "total"]


@dataclass(frozen=True)
class MultiplierMoments:
    """Averages of the spatial multiplier ``M = (I - rho W)^{-1}`` needed by the impacts.

    ``trace_m = tr(M)/n``, ``sum_m = 1'M1/n``, ``trace_mw = tr(MW)/n``, ``sum_mw = 1'MW1/n``.
    """

    trace_m: float
    sum_m: float
    trace_mw: float
    sum_mw: float


def multiplier_moments(w: sp.csr_array, rho: float) -> MultiplierMoments:
    """Exact moments of ``(I - rho W)^{-1}`` and ``(I - rho W)^{-1} W``.

    With ``rho = 0`` they come from W directly (no inverse). Otherwise the diagonal needs the dense
    inverse (O(n^3)); the row sums need only one sparse solve.
    """
    n = w.shape[0]
    ones = np.ones(n)
    w1 = w @ ones
    if rho == 0.0:
        return MultiplierMoments(1.0, 1.0, float(w.diagonal().sum()) / n, float(w1.sum()) / n)
    if n > DENSE_MATRIX_LIMIT:
        raise ValueError(
            f"Exact impacts need the diagonal of a dense {n}x{n} inverse (limit "
            f"{DENSE_MATRIX_LIMIT} units)."
        )
    a = np.eye(n) - rho * w.toarray()
    inverse = np.linalg.inv(a)
    trace_mw = float(np.sum(inverse * w.T.toarray())) / n  # tr(M W) = sum_ij M_ij W_ji
    return MultiplierMoments(
        trace_m=float(np.trace(inverse)) / n,
        sum_m=float(inverse.sum()) / n,
        trace_mw=trace_mw,
        sum_mw=float((inverse @ w1).sum()) / n,
    )


@dataclass(frozen=True)
class Impacts:
    """Impacts of a fitted model.

    Attributes
    ----------
    estimates : pandas.DataFrame
        One row per regressor, columns ``direct``, ``indirect``, ``total``.
    model : str
        Name of the model the impacts come from.
    method : str
        How the multiplier was evaluated (``"exact"``: dense inverse, or closed form).
    """

    estimates: pd.DataFrame
    model: str
    method: str

    def summary(self) -> str:
        """Text table of the impacts."""
        header = f"Impacts of the {self.model} model ({self.method})"
        return (
            header
            + "\n"
            + "=" * len(header)
            + "\n"
            + self.estimates.to_string(float_format="{:.6f}".format)
        )

    def __repr__(self) -> str:
        return self.summary()


def compute_impacts(
    params: pd.Series,
    regressors: list[str],
    lag_prefix: str,
    w: sp.csr_array,
    model: str,
    method: ImpactsMethod = "exact",
) -> Impacts:
    """Impacts of ``regressors`` from the parameter vector ``params`` (LeSage & Pace 2009, eq. 2.46).

    ``params`` holds ``beta`` under the regressor names, lag coefficients under
    ``lag_prefix + name`` and ``rho`` when the model has a spatial lag of y.
    """
    if method != "exact":
        raise ValueError(f"Unknown impacts method {method!r}; available: 'exact'.")
    rho = float(params.get("rho", 0.0))
    moments = multiplier_moments(w, rho)
    rows = []
    for name in regressors:
        beta = float(params.get(name, 0.0))
        theta = float(params.get(lag_prefix + name, 0.0))
        direct = beta * moments.trace_m + theta * moments.trace_mw
        total = beta * moments.sum_m + theta * moments.sum_mw
        rows.append((direct, total - direct, total))
    frame = pd.DataFrame(rows, index=pd.Index(regressors, name="variable"), columns=COLUMNS)
    label = "dense inverse" if rho != 0.0 else "closed form"
    return Impacts(estimates=frame, model=model, method=f"{method}, {label}")
