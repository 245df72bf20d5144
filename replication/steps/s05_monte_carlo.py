"""Step 5. A seeded Monte Carlo study of the estimators of the spatial lag (SAR) and spatial
error (SEM) models and of the size of the LM tests, run as :class:`naeringsmiljo.studies.Study`.

Design: n points uniform on the unit square (n = 100 and 400 in full mode, 100 in fast mode),
W the 5 nearest neighbours row-standardised, ``X = [1, x1, x2]`` with standard normal
regressors drawn once per size and held fixed, beta = (1, 1, -1), eps ~ N(0, I).

* SAR: ``y = (I - rho W)^{-1} (X beta + eps)``, rho = 0.5
  (:class:`naeringsmiljo.studies.SARProcess`), fitted by ML with the exact log-determinant
  (eigenvalues), by ML with the Chebyshev approximation of the log-determinant (whose error the
  fit reports in ``record.logdet_error``) and by spatial 2SLS (instruments ``[X, WX, W^2X]``,
  homoskedastic covariance); impacts with delta-method standard errors. The total impact of x1
  is ``beta_1 / (1 - rho) = 2`` (the mean row sum of ``(I - rho W)^{-1}`` is ``1/(1 - rho)`` for
  a row-standardised W).
* SEM: ``y = X beta + (I - lambda W)^{-1} eps``, lambda = 0.5
  (:class:`naeringsmiljo.studies.SEMProcess`), fitted by ML and by the heteroskedasticity-robust
  GM error estimator (Arraiz et al. 2010).
* Size of the LM-lag and LM-error tests at 5%: ``y = X beta + eps`` (rho = lambda = 0), OLS and
  its spatial diagnostics, in this process (about 5 ms a replication).

Reported: bias, RMSE and the coverage of the 95% Wald interval of rho, of the total impact of
x1 and of lambda, and the rejection rates of the LM tests, each with its Monte Carlo standard
error, over 50 replications (fast) or 1,000 (full) per size. Replication ``r`` at size ``i``
draws its innovations from the child ``(i, r)`` of a ``SeedSequence`` (one seed for each of the
three processes, derived from the project seed), so that the numbers do not depend on how many
workers run the studies: the fast mode runs in this process, the full mode on a pool of
processes, one per core.

The numbers are own results (``replication/expected/s05.json``). Fast mode: reproduced exactly
from the project seed (tolerance 1e-8). Full mode: within three Monte Carlo standard errors of
the recorded values, as the recording run estimated them (bias: sd / sqrt(R); RMSE: that of
Morris et al. 2019, large for the 2SLS total impact at n = 100, whose draws have heavy tails;
rates: sqrt(p(1 - p) / R)), so that the check tolerates a change of the random stream but not
of an estimator. In full mode the coverages are also held against the nominal 95% and the LM
rejection rates against the nominal 5%, within three binomial standard errors at 1,000
replications (0.021); the entries outside, all at n = 100, are known gaps with their reasons in
the JSON file.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

import naeringsmiljo as nm
from naeringsmiljo.studies import SARProcess, SEMProcess, Study, knn_design, task_seed
from replication.context import Context
from replication.latex import num, tabular

K_NEIGHBOURS = 5
RHO = 0.5
LAMBDA = 0.5
BETA = (1.0, 1.0, -1.0)
FORMULA = "y ~ x1 + x2"
#: The estimators of each process by name: their fit options, in the order of the table.
SAR_ESTIMATORS = {
    "ml": {"method": "ml", "logdet": "eigen"},
    "ml_chebyshev": {"method": "ml", "logdet": "chebyshev"},
    "s2sls": {"method": "gmm"},
}
SEM_ESTIMATORS = {
    "ml": {"method": "ml", "logdet": "eigen"},
    "gm": {"method": "gmm", "variant": "het"},
}
TRUE = {"rho": RHO, "total_x1": BETA[1] / (1.0 - RHO), "lambda": LAMBDA}
#: The parameters each process's estimators are judged on.
PARAMETERS = {"sar": ("rho", "total_x1"), "sem": ("lambda",)}
LM_TESTS = {"lm_lag": "LM-lag", "lm_error": "LM-error"}
LM_LEVEL = 0.05
STATISTICS = ("bias", "rmse", "coverage")


def sizes(fast: bool) -> tuple[int, ...]:
    return (100,) if fast else (100, 400)


def designs(ctx: Context) -> dict[int, nm.studies.KnnDesign]:
    """One fixed design per size, each from its own stream of the project seed."""
    return {
        n: knn_design(n, k=K_NEIGHBOURS, design_seed=ctx.rng(
            "s05_monte_carlo.design" if n == 100 else f"s05_monte_carlo.design.{n}"))
        for n in sizes(ctx.fast)
    }  # fmt: skip


def study(process: dict[int, SARProcess | SEMProcess], estimators: dict, model: type,
          seed: int, replications: int) -> Study:  # fmt: skip
    """A study of ``process[n]`` over the sizes, every estimator fitted to every draw."""
    models = {name: (model, FORMULA, options) for name, options in estimators.items()}
    impacts = {"inference": "delta"} if model is nm.SAR else None
    return Study(lambda n: process[n], models, replications, seed,
                 design={"n": sorted(process)}, impacts=impacts)  # fmt: skip


def summarise(summary: pd.DataFrame, process: str) -> dict[tuple, float]:
    """Bias, RMSE, coverage and their Monte Carlo standard errors (``<statistic>_mcse``)."""
    out = {}
    for _, row in summary.iterrows():
        if row["parameter"] not in PARAMETERS[process]:
            continue
        if row["failures"]:
            raise RuntimeError(f"{row['failures']} {row['model']} fits failed at n = {row['n']}")
        key = (process, row["model"], row["parameter"], int(row["n"]))
        for stat in STATISTICS:
            out[(*key, stat)] = float(row[stat])
            out[(*key, f"{stat}_mcse")] = float(row[f"{stat}_mcse"])
    return out


def lm_sizes(design: nm.studies.KnnDesign, seed: int, point: int, replications: int) -> dict:
    """Rejection rates at 5% of the LM tests of OLS on data drawn with rho = lambda = 0."""
    process = SARProcess(w=design.w, x=design.x, beta=BETA, rho=0.0)
    pvalues = {test: [] for test in LM_TESTS}
    for r in range(replications):
        data, w = process(task_seed(seed, point, r))
        diagnostics = nm.OLS.from_formula(FORMULA, data, w).fit().spatial_diagnostics()
        for test in LM_TESTS:
            pvalues[test].append(diagnostics[test].pvalue)
    out = {}
    for test, values in pvalues.items():
        rate = float(np.mean(np.asarray(values) < LM_LEVEL))
        out[test, "rejection"] = rate
        out[test, "rejection_mcse"] = float(np.sqrt(rate * (1.0 - rate) / replications))
    return out


LABELS = {
    ("sar", "ml"): "ML, exact",
    ("sar", "ml_chebyshev"): "ML, Chebyshev",
    ("sar", "s2sls"): "S2SLS",
    ("sem", "ml"): "ML, exact",
    ("sem", "gm"): "GM error",
}
PARAM_LABELS = {"rho": r"$\rho$", "total_x1": r"total impact of $x_1$", "lambda": r"$\lambda$"}


def latex(stats: dict, lm: dict, ns: tuple[int, ...], replications: int) -> str:
    body: list[list[str] | str] = []
    panels = (("sar", SAR_ESTIMATORS), ("sem", SEM_ESTIMATORS))
    for process, estimators in panels:
        for param in PARAMETERS[process]:
            for i, est in enumerate(estimators):
                label = f"{PARAM_LABELS[param]} (${TRUE[param]:g}$)" if i == 0 else ""
                first, second = [label, LABELS[process, est]], ["", ""]
                for n in ns:
                    for stat in STATISTICS:
                        first.append(num(stats[process, est, param, n, stat], 3))
                        second.append(f"({num(stats[process, est, param, n, f'{stat}_mcse'], 3)})")
                body += [first, second]
            body.append(r"\addlinespace")
    body.append(rf"\multicolumn{{{2 + 3 * len(ns)}}}{{l}}{{Rejection rate at 5\%, "
                r"$\rho = \lambda = 0$ (OLS)} \\")  # fmt: skip
    for test, label in LM_TESTS.items():
        first, second = [label, ""], ["", ""]
        for n in ns:
            first += ["", "", num(lm[n][test, "rejection"], 3)]
            second += ["", "", f"({num(lm[n][test, 'rejection_mcse'], 3)})"]
        body += [first, second]
    sizes_text = " and ".join(f"$n = {n}$" for n in ns)
    note = (
        rf"{replications:,} replications at each of {sizes_text}; $W$: {K_NEIGHBOURS} nearest "
        r"neighbours of uniform points, row-standardised; $X$ fixed, $\beta = (1, 1, -1)$, "
        r"$\varepsilon \sim N(0, I)$; SAR with $\rho = 0.5$, SEM with $\lambda = 0.5$. Coverage of "
        r"the 95\% Wald interval (ML: information matrix, exact or Chebyshev log-determinant; "
        r"S2SLS: instruments $[X, WX, W^2X]$, homoskedastic; GM error: heteroskedasticity-robust; "
        r"impacts: delta method); rejection rates of the LM tests of OLS at "
        r"$\rho = \lambda = 0$. Monte Carlo standard errors in parentheses."
    ).replace(",000", "{,}000")
    header = [
        ["", "", *(rf"\multicolumn{{3}}{{c}}{{$n = {n}$}}" for n in ns)],
        [
            "".join(rf"\cmidrule(lr){{{3 + 3 * i}-{5 + 3 * i}}}" for i in range(len(ns)))
            + "Parameter",
            "Estimator",
            *(["Bias", "RMSE", "Coverage"] * len(ns)),
        ],
    ]
    return tabular("ll" + "rrr" * len(ns), header, body, note=note)


def run(ctx: Context) -> dict[str, float]:
    replications = 50 if ctx.fast else 1_000
    workers = 1 if ctx.fast else os.cpu_count() or 1
    fixed = designs(ctx)
    sar = {n: SARProcess(w=d.w, x=d.x, beta=BETA, rho=RHO) for n, d in fixed.items()}
    sem = {n: SEMProcess(w=d.w, x=d.x, beta=BETA, lam=LAMBDA) for n, d in fixed.items()}
    stats: dict[tuple, float] = {}
    for process, dgp, estimators, model in (("sar", sar, SAR_ESTIMATORS, nm.SAR),
                                            ("sem", sem, SEM_ESTIMATORS, nm.SEM)):  # fmt: skip
        stream = "s05_monte_carlo.errors" if process == "sar" else "s05_monte_carlo.sem_errors"
        seed = int(ctx.rng(stream).integers(2**63))
        results = study(dgp, estimators, model, seed, replications).run(
            workers=workers, progress=False
        )
        stats |= summarise(results.summary(truth=TRUE), process)
    lm_seed = int(ctx.rng("s05_monte_carlo.lm_errors").integers(2**63))
    lm = {n: lm_sizes(d, lm_seed, i, replications) for i, (n, d) in enumerate(fixed.items())}
    ns = tuple(fixed)
    ctx.write_table("monte_carlo", latex(stats, lm, ns, replications))

    numbers = {
        f"s05.{ctx.mode}.{p}.{e}.{q}.n{n}.{s}": v
        for (p, e, q, n, s), v in stats.items()
        if s in STATISTICS
    }
    numbers |= {
        f"s05.{ctx.mode}.lm.{t}.n{n}.rejection": lm[n][t, "rejection"] for n in ns for t in LM_TESTS
    }
    if not ctx.fast:
        numbers |= {f"s05.nominal.{p}.{e}.{q}.n{n}.coverage": v
                    for (p, e, q, n, s), v in stats.items() if s == "coverage"}  # fmt: skip
        numbers |= {
            f"s05.nominal.lm.{t}.n{n}.rejection": lm[n][t, "rejection"]
            for n in ns
            for t in LM_TESTS
        }
    return numbers
