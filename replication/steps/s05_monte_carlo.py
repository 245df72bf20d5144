"""Step 5. A seeded Monte Carlo study of the spatial lag (SAR) estimators.

Design: n = 100 points uniform on the unit square, W the 5 nearest neighbours row-standardised;
``y = (I - rho W)^{-1} (X beta + eps)``, rho = 0.5, ``X = [1, x1, x2]`` with standard normal
regressors drawn once and held fixed, beta = (1, 1, -1), eps ~ N(0, I). The total impact of x1
is then ``beta_1 / (1 - rho) = 2`` (the mean row sum of ``(I - rho W)^{-1}`` is ``1/(1 - rho)``
for a row-standardised W).

Estimators: ML (analytic information matrix) and spatial 2SLS (instruments ``[X, WX, W^2X]``,
homoskedastic covariance); impacts with delta-method standard errors. Reported: bias, RMSE and
the coverage of the 95% Wald interval, over 50 replications (fast) or 1,000 (full).

The numbers are own results (``replication/expected/s05.json``). Fast mode: reproduced exactly
from the project seed (tolerance 1e-8). Full mode: within three Monte Carlo standard errors of
the recorded values (bias: 3 sd / sqrt(R); RMSE: 3 RMSE / sqrt(2R); coverage:
3 sqrt(p(1 - p) / R)), so that the check tolerates a change of the random stream but not of an
estimator. In full mode the coverages are also held against the nominal 95% within
3 sqrt(0.95 * 0.05 / 1000) = 0.021; the ML intervals under-cover at n = 100 (0.925 for rho,
0.876 for the total impact), recorded there as known gaps with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from scipy.stats import norm

import naeringsmiljo as nm
from replication.context import Context
from replication.latex import num, tabular

N = 100
K_NEIGHBOURS = 5
RHO = 0.5
BETA = np.array([1.0, 1.0, -1.0])
TRUE = {"rho": RHO, "total_x1": BETA[1] / (1.0 - RHO)}
ESTIMATORS = {"ml": {"method": "ml"}, "gmm": {"method": "gmm"}}
Z = float(norm.ppf(0.975))


def design(rng: np.random.Generator) -> tuple[nm.SpatialWeights, pd.DataFrame]:
    ids = pd.RangeIndex(N, name="id")
    points = pd.DataFrame(rng.uniform(size=(N, 2)), columns=["east", "north"], index=ids)
    w = nm.weights.knn(points, K_NEIGHBOURS).row_standardize()
    x = pd.DataFrame(rng.standard_normal((N, 2)), columns=["x1", "x2"], index=w.ids)
    return w, x


def replicate(
    w: nm.SpatialWeights, x: pd.DataFrame, rng: np.random.Generator, replications: int
) -> pd.DataFrame:
    """One row per replication and estimator: estimates and standard errors."""
    lu = splu(sp.csc_matrix(sp.identity(N) - RHO * sp.csc_matrix(w.sparse)))
    signal = BETA[0] + x.to_numpy() @ BETA[1:]
    rows = []
    for r in range(replications):
        y = pd.Series(lu.solve(signal + rng.standard_normal(N)), index=x.index, name="y")
        model = nm.SAR.from_arrays(y, x, w)
        for name, options in ESTIMATORS.items():
            res = model.fit(**options)
            imp = res.impacts(inference="delta")
            rows.append(
                {
                    "replication": r,
                    "estimator": name,
                    "rho": res.params["rho"],
                    "rho_se": res.std_errors["rho"],
                    "total_x1": imp.estimates.loc["x1", "total"],
                    "total_x1_se": imp.std_errors.loc["x1", "total"],
                }
            )
    return pd.DataFrame(rows)


def summarise(draws: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    out = {}
    for name, group in draws.groupby("estimator", sort=False):
        for param, truth in TRUE.items():
            err = group[param].to_numpy() - truth
            covered = np.abs(err) <= Z * group[f"{param}_se"].to_numpy()
            out[name, param, "bias"] = float(err.mean())
            out[name, param, "rmse"] = float(np.sqrt(np.mean(err**2)))
            out[name, param, "coverage"] = float(covered.mean())
    return out


def latex(stats: dict, replications: int) -> str:
    labels = {"ml": "ML", "gmm": "S2SLS"}
    params = {"rho": r"$\rho$", "total_x1": r"total impact of $x_1$"}
    body = []
    for param, label in params.items():
        for est in ESTIMATORS:
            body.append(
                [
                    f"{label} ({num(TRUE[param], 1)})",
                    labels[est],
                    num(stats[est, param, "bias"], 4),
                    num(stats[est, param, "rmse"], 4),
                    num(stats[est, param, "coverage"], 3),
                ]
            )
    note = (
        rf"{replications:,} replications; $n = {N}$, $W$: {K_NEIGHBOURS} nearest neighbours, "
        r"row-standardised; $\rho = 0.5$, $\beta = (1, 1, -1)$, $\varepsilon \sim N(0, I)$. "
        r"Coverage of the 95\% Wald interval (ML: information matrix; S2SLS: instruments "
        r"$[X, WX, W^2X]$; impacts: delta method). Monte Carlo standard error of a coverage "
        rf"near 0.95: {np.sqrt(0.95 * 0.05 / replications):.3f}."
    ).replace("1,000", "1{,}000")
    header = [["Parameter (true value)", "Estimator", "Bias", "RMSE", "Coverage"]]
    return tabular("llrrr", header, body, note=note)


def run(ctx: Context) -> dict[str, float]:
    replications = 50 if ctx.fast else 1_000
    w, x = design(ctx.rng("s05_monte_carlo.design"))
    draws = replicate(w, x, ctx.rng("s05_monte_carlo.errors"), replications)
    stats = summarise(draws)
    ctx.write_table("monte_carlo", latex(stats, replications))
    numbers = {f"s05.{ctx.mode}.{e}.{p}.{s}": v for (e, p, s), v in stats.items()}
    if not ctx.fast:
        numbers |= {f"s05.nominal.{e}.{p}.coverage": stats[e, p, "coverage"]
                    for e in ESTIMATORS for p in TRUE}  # fmt: skip
    return numbers
