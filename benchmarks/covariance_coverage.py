"""Coverage of the 95% Wald intervals of every covariance option, by simulation.

Design (fixed across replications, drawn from ``--seed``): ``n`` points uniform on the unit
square, ``W`` their 6 nearest neighbours, row-standardised; ``X = [1, x1, x2]`` with standard
normal regressors; ``beta = (1, 1, -1)``. Outcomes from SAR, ``y = (I - 0.4 W)^{-1}(X beta +
eps)``, and from SEM, ``y = X beta + (I - 0.4 W)^{-1} eps``, with three kinds of innovations,
each of variance one on average:

* ``normal``: ``eps ~ N(0, I)``;
* ``chi2``: ``(chi2_3 - 3)/sqrt(6)``, skewed, excess kurtosis 4;
* ``het``: ``eps_i = sigma_i z_i``, ``z_i ~ N(0, 1)``, ``sigma_i^2`` proportional to
  ``0.2 + x1_i^2``. The variances follow a regressor drawn independently of the locations, so
  they are unrelated to the diagonal of ``G = W (I - rho W)^{-1}`` and Gaussian ML stays
  consistent (Lin & Lee 2010); their correlation with ``x1^2`` makes the information matrix
  wrong for ``beta_1`` (White 1980) and for ``rho`` through ``B G X beta``.

Estimators and covariances: ML with the information matrix, the observed Hessian, and the
sandwich under heteroskedastic and under iid innovations; spatial 2SLS (SAR; instruments
``[X, WX, W^2X]``) with the homoskedastic, White and spatial HAC covariances (triangular kernel,
adaptive bandwidth: the distance to the 20th nearest neighbour); the GM error estimator with
heteroskedastic moments (SEM; Arraiz et al. 2010). Reported: coverage of ``rho`` (or ``lambda``)
and of ``beta_1``, with the Monte Carlo standard error ``sqrt(p(1 - p)/R)``; the binomial band
``0.95 +- 1.96 sqrt(0.95 * 0.05 / R)`` is printed beneath each table.

Usage::

    python benchmarks/covariance_coverage.py --seed 20250118 --replications 400 --n 400

Writes ``benchmarks/results/coverage.csv`` and ``coverage.md`` (and, with ``--latex``, the
paper's table ``paper/tables/coverage_covariances.tex``).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from scipy.stats import norm
from threadpoolctl import threadpool_limits

import naeringsmiljo as nm
from naeringsmiljo.inference.covariance import Sandwich, hac_kernel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
K_NEIGHBOURS = 6
HAC_NEIGHBOURS = 20
SPATIAL = 0.4
BETA = np.array([1.0, 1.0, -1.0])
Z = float(norm.ppf(0.975))
INNOVATIONS = ("normal", "chi2", "het")
MODELS = ("SAR", "SEM")
#: (estimator, covariance) pairs of each model, in the order of the tables
OPTIONS = {
    "SAR": [
        ("ML", "information"),
        ("ML", "hessian"),
        ("ML", "sandwich (het)"),
        ("ML", "sandwich (iid)"),
        ("S2SLS", "hom"),
        ("S2SLS", "het"),
        ("S2SLS", "hac"),
    ],
    "SEM": [
        ("ML", "information"),
        ("ML", "hessian"),
        ("ML", "sandwich (het)"),
        ("ML", "sandwich (iid)"),
        ("GM", "het"),
    ],
}
SANDWICHES = {
    "sandwich (het)": Sandwich(innovations="heteroskedastic"),
    "sandwich (iid)": Sandwich(innovations="iid"),
}


@dataclass(frozen=True)
class Design:
    """The fixed part of the simulation: weights, regressors, HAC kernel, variance profile."""

    w: nm.SpatialWeights
    x: pd.DataFrame
    kernel: sp.csr_array
    het_sd: np.ndarray


def make_design(n: int, seed: int) -> Design:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    ids = pd.RangeIndex(n, name="id")
    points = pd.DataFrame(rng.uniform(size=(n, 2)), columns=["east", "north"], index=ids)
    w = nm.weights.knn(points, K_NEIGHBOURS).row_standardize()
    x = pd.DataFrame(rng.standard_normal((n, 2)), columns=["x1", "x2"], index=w.ids)
    from scipy.spatial import cKDTree

    coords = points.loc[list(w.ids)].to_numpy()
    distances, _ = cKDTree(coords).query(coords, HAC_NEIGHBOURS + 1)
    kernel = hac_kernel(coords, distances[:, -1] * (1 + 1e-9))
    variance = 0.2 + x["x1"].to_numpy() ** 2
    return Design(w, x, kernel, np.sqrt(variance / variance.mean()))


def innovations(kind: str, design: Design, rng: np.random.Generator) -> np.ndarray:
    n = design.het_sd.size
    if kind == "normal":
        return rng.standard_normal(n)
    if kind == "chi2":
        return (rng.chisquare(3, n) - 3.0) / np.sqrt(6.0)
    if kind == "het":
        return design.het_sd * rng.standard_normal(n)
    raise ValueError(kind)


def simulate(model: str, kind: str, design: Design, replications: int, seed: int) -> pd.DataFrame:
    """One row per replication and option: estimates and standard errors of the two parameters."""
    n = design.het_sd.size
    spatial = "rho" if model == "SAR" else "lambda"
    lu = splu(sp.csc_matrix(sp.identity(n) - SPATIAL * sp.csc_matrix(design.w.sparse)))
    signal = BETA[0] + design.x.to_numpy() @ BETA[1:]
    streams = np.random.SeedSequence([seed, MODELS.index(model) + 1, INNOVATIONS.index(kind)])
    rows = []
    for r, stream in enumerate(streams.spawn(replications)):
        eps = innovations(kind, design, np.random.default_rng(stream))
        y = lu.solve(signal + eps) if model == "SAR" else signal + lu.solve(eps)
        spec = getattr(nm, model).from_arrays(
            pd.Series(y, index=design.x.index), design.x, design.w
        )
        fits = {}
        ml = spec.fit(method="ml")
        fits["ML", "information"] = ml
        fits["ML", "hessian"] = ml.with_cov("hessian")
        for label, estimator in SANDWICHES.items():
            fits["ML", label] = ml.with_cov(estimator)
        if model == "SAR":
            iv = spec.fit(method="s2sls")
            fits["S2SLS", "hom"] = iv
            fits["S2SLS", "het"] = iv.with_cov("het")
            fits["S2SLS", "hac"] = iv.with_cov("hac", kernel=design.kernel)
        else:
            fits["GM", "het"] = spec.fit(method="gm_error", variant="het")
        for (estimator, cov), res in fits.items():
            rows.append(
                {
                    "model": model,
                    "innovations": kind,
                    "replication": r,
                    "estimator": estimator,
                    "covariance": cov,
                    "spatial": float(res.params[spatial]),
                    "spatial_se": float(res.std_errors[spatial]),
                    "beta1": float(res.params["x1"]),
                    "beta1_se": float(res.std_errors["x1"]),
                }
            )
    return pd.DataFrame(rows)


def coverage(draws: pd.DataFrame) -> pd.DataFrame:
    """Coverage and its Monte Carlo standard error by model, innovations and option."""
    out = []
    keys = ["model", "innovations", "estimator", "covariance"]
    for key, group in draws.groupby(keys, sort=False):
        row = dict(zip(keys, key, strict=True))
        r = len(group)
        row["replications"] = r
        for param, truth in (("spatial", SPATIAL), ("beta1", BETA[1])):
            hit = (group[param] - truth).abs() <= Z * group[f"{param}_se"]
            p = float(hit.mean())
            row[f"{param}_coverage"] = p
            row[f"{param}_mc_se"] = float(np.sqrt(p * (1 - p) / r))
            row[f"{param}_bias"] = float(group[param].mean() - truth)
        out.append(row)
    return pd.DataFrame(out)


def band(replications: int) -> tuple[float, float]:
    half = 1.96 * np.sqrt(0.95 * 0.05 / replications)
    return 0.95 - half, 0.95 + half


def markdown(table: pd.DataFrame, args: argparse.Namespace, seconds: float) -> str:
    low, high = band(args.replications)
    lines = [
        "# Coverage of 95% intervals by covariance option",
        "",
        f"`python benchmarks/covariance_coverage.py --seed {args.seed} --replications {args.replications}"
        f" --n {args.n}` ({seconds:.0f} s). Design: see the script's docstring. Cells: coverage"
        " (Monte Carlo standard error). Binomial band for a correct 95% interval: "
        f"[{low:.3f}, {high:.3f}].",
        "",
    ]
    for model in MODELS:
        spatial = "rho" if model == "SAR" else "lambda"
        sub = table[table["model"] == model]
        header = "| estimator | covariance | " + " | ".join(
            f"{kind}: {spatial} | {kind}: beta_1" for kind in INNOVATIONS
        )
        lines += [f"## {model}", "", header + " |", "|---|---|" + "---|" * 2 * len(INNOVATIONS)]
        for estimator, cov in OPTIONS[model]:
            cells = []
            for kind in INNOVATIONS:
                row = _cell(sub, kind, estimator, cov)
                for param in ("spatial", "beta1"):
                    p, se = row[f"{param}_coverage"], row[f"{param}_mc_se"]
                    mark = "" if low <= p <= high else " *"
                    cells.append(f"{p:.3f} ({se:.3f}){mark}")
            lines.append(f"| {estimator} | {cov} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("`*`: outside the binomial band.")
    return "\n".join(lines) + "\n"


def _cell(sub: pd.DataFrame, kind: str, estimator: str, cov: str) -> pd.Series:
    """The row of one innovation kind, estimator and covariance option."""
    chosen = (sub["innovations"] == kind) & (sub["estimator"] == estimator)
    return sub[chosen & (sub["covariance"] == cov)].iloc[0]


def latex(table: pd.DataFrame, args: argparse.Namespace) -> str:
    low, high = band(args.replications)
    se = np.sqrt(0.95 * 0.05 / args.replications)
    lines = [
        f"% Written by benchmarks/covariance_coverage.py --seed {args.seed} --replications "
        f"{args.replications} --n {args.n} --latex.",
        f"% {args.replications} replications; $n = {args.n}$, $W$: {K_NEIGHBOURS} nearest"
        " neighbours, row-standardised; rho = lambda = 0.4.",
        "\\begin{tabular}{lllcccccc}",
        "\\toprule",
        " & & & \\multicolumn{2}{c}{normal} & \\multicolumn{2}{c}{$\\chi^2_3$}"
        " & \\multicolumn{2}{c}{heteroskedastic} \\\\",
        "Model & Estimator & Covariance & spatial & $\\beta_1$ & spatial & $\\beta_1$"
        " & spatial & $\\beta_1$ \\\\",
        "\\midrule",
    ]
    for model in MODELS:
        sub = table[table["model"] == model]
        for estimator, cov in OPTIONS[model]:
            cells = []
            for kind in INNOVATIONS:
                row = _cell(sub, kind, estimator, cov)
                for param in ("spatial", "beta1"):
                    p = row[f"{param}_coverage"]
                    text = f"{p:.3f}"
                    cells.append(text if low <= p <= high else f"\\textbf{{{text}}}")
            lines.append(f"{model} & {estimator} & {cov} & " + " & ".join(cells) + " \\\\")
        lines.append("\\midrule" if model != MODELS[-1] else "\\bottomrule")
    lines.append("\\end{tabular}")
    lines.insert(
        2,
        f"% Monte Carlo s.e. of a coverage near 0.95: {se:.3f}; bold: outside "
        f"[{low:.3f}, {high:.3f}].",
    )
    return "\n".join(lines) + "\n"


def run(n: int, seed: int, replications: int) -> pd.DataFrame:
    """Every model and kind of innovations; one BLAS thread, because the replications are many
    small dense solves, which threads competing on a shared machine slow down (15x on 2 cores)."""
    with threadpool_limits(limits=1):
        design = make_design(n, seed)
        draws = [
            simulate(model, kind, design, replications, seed)
            for model in MODELS
            for kind in INNOVATIONS
        ]
    return pd.concat(draws, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True, help="seed of design and draws")
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--latex", action="store_true", help="also write the paper's table")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    draws = run(args.n, args.seed, args.replications)
    seconds = time.perf_counter() - start
    table = coverage(draws)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "coverage.csv", index=False, float_format="%.6g")
    (args.out / "coverage.md").write_text(markdown(table, args, seconds))
    if args.latex:
        (ROOT / "paper" / "tables" / "coverage_covariances.tex").write_text(latex(table, args))
    print((args.out / "coverage.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
