"""Step 5. A seeded Monte Carlo study of the spatial lag (SAR) estimators, run as a
:class:`naeringsmiljo.studies.Study`.

Design: n = 100 points uniform on the unit square, W the 5 nearest neighbours row-standardised;
``y = (I - rho W)^{-1} (X beta + eps)``, rho = 0.5, ``X = [1, x1, x2]`` with standard normal
regressors drawn once and held fixed, beta = (1, 1, -1), eps ~ N(0, I)
(:class:`naeringsmiljo.studies.SARProcess`). The total impact of x1 is then
``beta_1 / (1 - rho) = 2`` (the mean row sum of ``(I - rho W)^{-1}`` is ``1/(1 - rho)`` for a
row-standardised W).

Estimators: ML (analytic information matrix) and spatial 2SLS (instruments ``[X, WX, W^2X]``,
homoskedastic covariance); impacts with delta-method standard errors. Reported: bias, RMSE and
the coverage of the 95% Wald interval, each with its Monte Carlo standard error, over 50
replications (fast) or 1,000 (full). Replication ``r`` draws its innovations from the child
``r`` of the study's ``SeedSequence`` (derived from the project seed), so that the numbers do
not depend on how many workers run the study: the fast mode runs in this process, the full mode
on a pool of processes, one per core.

The numbers are own results (``replication/expected/s05.json``). Fast mode: reproduced exactly
from the project seed (tolerance 1e-8). Full mode: within three Monte Carlo standard errors of
the recorded values (bias: 3 sd / sqrt(R); RMSE: 3 RMSE / sqrt(2R); coverage:
3 sqrt(p(1 - p) / R)), so that the check tolerates a change of the random stream but not of an
estimator. In full mode the coverages are also held against the nominal 95% within
3 sqrt(0.95 * 0.05 / 1000) = 0.021; the ML interval of the total impact under-covers at
n = 100 (about 0.88 to 0.90), recorded there as a known gap with the reason. The ML interval of
rho, once recorded as under-covering (0.925 on an earlier random stream), covers within the
band on this one (0.936) and on three other seeds (0.935 to 0.950).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

import naeringsmiljo as nm
from naeringsmiljo.studies import SARProcess, Study, StudyResults
from replication.context import Context
from replication.latex import num, tabular

N = 100
K_NEIGHBOURS = 5
RHO = 0.5
BETA = np.array([1.0, 1.0, -1.0])
TRUE = {"rho": RHO, "total_x1": BETA[1] / (1.0 - RHO)}
FORMULA = "y ~ x1 + x2"
ESTIMATORS = {"ml": {"method": "ml"}, "gmm": {"method": "gmm"}}
STATISTICS = ("bias", "rmse", "coverage")


def design(rng: np.random.Generator) -> tuple[nm.SpatialWeights, pd.DataFrame]:
    ids = pd.RangeIndex(N, name="id")
    points = pd.DataFrame(rng.uniform(size=(N, 2)), columns=["east", "north"], index=ids)
    w = nm.weights.knn(points, K_NEIGHBOURS).row_standardize()
    x = pd.DataFrame(rng.standard_normal((N, 2)), columns=["x1", "x2"], index=w.ids)
    return w, x


def study(w: nm.SpatialWeights, x: pd.DataFrame, seed: int, replications: int) -> Study:
    """ML and spatial 2SLS of the SAR process on the fixed design, with delta-method impacts."""
    process = SARProcess(w=w, x=x, beta=tuple(BETA), rho=RHO)
    models = {name: (nm.SAR, FORMULA, options) for name, options in ESTIMATORS.items()}
    return Study(process, models, replications, seed, impacts={"inference": "delta"})


def summarise(results: StudyResults) -> dict[tuple[str, str, str], float]:
    """Bias, RMSE and coverage, and their Monte Carlo standard errors (``<statistic>_mcse``)."""
    summary = results.summary(truth=TRUE).set_index(["model", "parameter"])
    out = {}
    for name in ESTIMATORS:
        for param in TRUE:
            row = summary.loc[(name, param)]
            if row["failures"]:
                raise RuntimeError(f"{row['failures']} {name} fits failed; see results.failures")
            for stat in STATISTICS:
                out[name, param, stat] = float(row[stat])
                out[name, param, f"{stat}_mcse"] = float(row[f"{stat}_mcse"])
    return out


def latex(stats: dict, replications: int) -> str:
    labels = {"ml": "ML", "gmm": "S2SLS"}
    params = {"rho": r"$\rho$", "total_x1": r"total impact of $x_1$"}
    body = []
    for param, label in params.items():
        for est in ESTIMATORS:
            cells = [f"{label} ({num(TRUE[param], 1)})", labels[est]]
            for stat, digits in zip(STATISTICS, (4, 4, 3), strict=True):
                cells.append(num(stats[est, param, stat], digits))
            body.append(cells)
            mcse = [f"({num(stats[est, param, f'{s}_mcse'], d)})" for s, d in
                    zip(STATISTICS, (4, 4, 3), strict=True)]  # fmt: skip
            body.append(["", "", *mcse])
    note = (
        rf"{replications:,} replications; $n = {N}$, $W$: {K_NEIGHBOURS} nearest neighbours, "
        r"row-standardised; $\rho = 0.5$, $\beta = (1, 1, -1)$, $\varepsilon \sim N(0, I)$. "
        r"Coverage of the 95\% Wald interval (ML: information matrix; S2SLS: instruments "
        r"$[X, WX, W^2X]$; impacts: delta method). Monte Carlo standard errors in parentheses."
    ).replace("1,000", "1{,}000")
    header = [["Parameter (true value)", "Estimator", "Bias", "RMSE", "Coverage"]]
    return tabular("llrrr", header, body, note=note)


def run(ctx: Context) -> dict[str, float]:
    replications = 50 if ctx.fast else 1_000
    w, x = design(ctx.rng("s05_monte_carlo.design"))
    seed = int(ctx.rng("s05_monte_carlo.errors").integers(2**63))
    workers = 1 if ctx.fast else os.cpu_count() or 1
    results = study(w, x, seed, replications).run(workers=workers)
    stats = summarise(results)
    ctx.write_table("monte_carlo", latex(stats, replications))
    recorded = {key: value for key, value in stats.items() if key[2] in STATISTICS}
    numbers = {f"s05.{ctx.mode}.{e}.{p}.{s}": v for (e, p, s), v in recorded.items()}
    if not ctx.fast:
        numbers |= {f"s05.nominal.{e}.{p}.coverage": stats[e, p, "coverage"]
                    for e in ESTIMATORS for p in TRUE}  # fmt: skip
    return numbers
