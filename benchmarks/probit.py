"""Timing of the SAR probit sampler: ``SARProbit.fit(method="bayes")`` against R spatialprobit.

Design: n units at seeded uniform points, the row-standardised 6-nearest-neighbour W,
``z = (I - 0.5 W)^{-1}(x1 - x2 + e)``, ``y = 1(z > 0)``. The package's sampler runs ``draws``
iterations (``burn`` of them burn-in) with one sweep over the latent vector per iteration;
R's ``sarprobit`` (spatialprobit, LeSage's ``sarp_g`` ported) runs ``--r-draws`` iterations on
the same data in the same run, with its default ``m = 10`` sweeps and with ``m = 1``, when
Rscript and spatialprobit are installed, and its time per iteration is scaled to ``draws``.
The log-determinant grid and the set-up are timed apart from the chain. Times depend on the
machine's load: the ratio to R in the same run is the comparable number.

Run: ``python benchmarks/probit.py --n 10000 --draws 5000`` (writes
``benchmarks/results/probit.csv`` and ``.md``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo import SARProbit
from naeringsmiljo.weights.builders import knn
from naeringsmiljo.weights.logdet.grid import logdet_grid

RESULTS = Path(__file__).resolve().parent / "results"

R_SCRIPT = r"""
suppressPackageStartupMessages({library(spatialprobit); library(Matrix); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
d <- fromJSON(args[1])
n <- d$n
W <- sparseMatrix(i = d$source + 1, j = d$target + 1, x = d$weight, dims = c(n, n))
data <- data.frame(y = d$y, x1 = d$x1, x2 = d$x2)
out <- list()
for (m in c(10, 1)) {
  start <- Sys.time()
  fit <- sarprobit(y ~ x1 + x2, W, data = data, ndraw = d$draws, burn.in = 0, thinning = 1,
                   m = m, computeMarginalEffects = FALSE, showProgress = FALSE)
  out[[paste0("m", m)]] <- as.numeric(difftime(Sys.time(), start, units = "secs"))
  out[[paste0("rho", m)]] <- mean(fit$pdraw)
}
write_json(out, args[2], auto_unbox = TRUE, digits = 10)
"""


def data(n: int, seed: int) -> tuple[pd.DataFrame, object]:
    rng = np.random.default_rng(seed)
    w = knn(pd.DataFrame(rng.random((n, 2)), columns=["x", "y"]), 6).row_standardize()
    frame = pd.DataFrame({"x1": rng.standard_normal(n), "x2": rng.standard_normal(n)}, index=w.ids)
    system = (sp.identity(n, format="csc") - 0.5 * sp.csc_matrix(w.sparse)).tocsc()
    z = splu(system).solve((frame["x1"] - frame["x2"]).to_numpy() + rng.standard_normal(n))
    frame["y"] = (z > 0).astype(float)
    return frame, w


def r_time(frame: pd.DataFrame, w, draws: int) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    probe = subprocess.run(
        ["Rscript", "-e", "library(spatialprobit)"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return None
    coo = sp.coo_array(w.sparse)
    payload = {
        "n": int(w.n),
        "source": coo.row.tolist(),
        "target": coo.col.tolist(),
        "weight": coo.data.tolist(),
        "y": frame["y"].tolist(),
        "x1": frame["x1"].tolist(),
        "x2": frame["x2"].tolist(),
        "draws": draws,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "in.json").write_text(json.dumps(payload))
        (folder / "run.R").write_text(R_SCRIPT)
        subprocess.run(
            ["Rscript", str(folder / "run.R"), str(folder / "in.json"), str(folder / "out.json")],
            check=True,
            capture_output=True,
        )
        return json.loads((folder / "out.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--burn", type=int, default=1000)
    parser.add_argument("--r-draws", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    frame, w = data(args.n, args.seed)
    model = SARProbit.from_formula("y ~ x1 + x2", frame, w)
    start = time.perf_counter()
    grid = logdet_grid(w)
    setup_seconds = time.perf_counter() - start
    start = time.perf_counter()
    res = model.fit(draws=args.draws, burn=args.burn, seed=args.seed)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    res.impacts(draws=1000)
    impact_seconds = time.perf_counter() - start
    r = r_time(frame, w, args.r_draws)
    rows = [
        {
            "software": "naeringsmiljo",
            "what": f"grid of ln det(I - rho W) ({grid.method}, {grid.rho.size} points)",
            "iterations": 0,
            "seconds": setup_seconds,
        },
        {
            "software": "naeringsmiljo",
            "what": "SARProbit.fit(method='bayes'), 1 sweep per iteration",
            "iterations": args.draws,
            "seconds": fit_seconds,
        },
        {
            "software": "naeringsmiljo",
            "what": "impacts from 1,000 posterior draws",
            "iterations": 1000,
            "seconds": impact_seconds,
        },
    ]
    if r is not None:
        for m in (10, 1):
            rows.append(
                {
                    "software": "R spatialprobit",
                    "what": f"sarprobit, m = {m}, no impacts ({args.r_draws} iterations timed, "
                    f"scaled to {args.draws})",
                    "iterations": args.draws,
                    "seconds": r[f"m{m}"] * args.draws / args.r_draws,
                }
            )
    table = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    table.to_csv(RESULTS / "probit.csv", index=False, float_format="%.4g")
    lines = [
        "# SAR probit sampler: time at n = {:,}".format(args.n),
        "",
        f"`python benchmarks/probit.py --n {args.n} --draws {args.draws} --burn {args.burn} "
        f"--r-draws {args.r_draws}` on a two-core machine shared with other work (loaded: "
        "compare ratios in the same run, not seconds across runs). Posterior mean of rho "
        f"{res.params['rho']:.4f} (truth 0.5), max R-hat {res.diagnostics['rhat'].max():.3f}.",
        "",
        table.to_markdown(index=False, floatfmt=".1f"),
        "",
    ]
    if r is not None:
        ratio = r["m10"] * args.draws / args.r_draws / fit_seconds
        ratio1 = r["m1"] * args.draws / args.r_draws / fit_seconds
        lines += [
            f"R's time per iteration over ours: {ratio:.1f} (m = 10), {ratio1:.1f} (m = 1).",
            "",
        ]
    else:
        lines += ["R spatialprobit was not available in this run.", ""]
    (RESULTS / "probit.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
