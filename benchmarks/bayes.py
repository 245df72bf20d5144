"""Wall time of the Bayesian SAR sampler at large n, against R spatialreg's ``spBreg_lag``.

The standard problem of ``benchmarks/scale.py`` (n random points, k = 10 nearest neighbours,
row-standardised, ``y = (I - 0.5 W)^{-1}(X beta + e)``, three regressors and an intercept) is
fitted by ``SAR.fit(method="bayes", draws=10000, burn=1000)`` (10,000 iterations, the first
1,000 discarded) with each log-determinant grid asked for, and by R ``spBreg_lag`` with
XX
Carlo log-determinant, the one R method that is practical at this n: its default SE_classic
factorises ``I - rho W`` at 200 values of rho). Times are split into the log-determinant set-up
and the sampling; the posterior mean and s.d. of rho are reported with the stated error of the
log-determinant where the draws fell.

Usage::

    python benchmarks/bayes.py                       # n = 100,000, all grids, R when present
    python benchmarks/bayes.py --n 10000 --no-r
    python benchmarks/bayes.py --logdet monte_carlo  # one grid

Results: ``benchmarks/results/bayes.csv`` and ``benchmarks/results/bayes.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from scale import R_KNN_LISTW, _row_standardised, make_problem  # noqa: E402

RESULTS = Path(__file__).parent / "results"
DRAWS, BURN = 10_000, 1_000
LOGDETS = ("monte_carlo", "chebyshev", "auto")

R_SCRIPT = R_KNN_LISTW + r"""set.seed(1)
t0 <- proc.time()[["elapsed"]]
fit <- spBreg_lag(y ~ x1 + x2 + x3, data = d, listw = lw,
                  control = list(ndraw = as.integer(args[3]), nomit = as.integer(args[4]),
                                 ldet_method = "SE_classic", SE_method = "MC"))
t1 <- proc.time()[["elapsed"]]
tm <- attr(fit, "timings")[, "elapsed"]
m <- as.matrix(fit)
cat(sprintf('{"seconds": %.6f, "setup": %.6f, "sampling": %.6f, "rho_mean": %.17g, "rho_sd": %.17g}\n',
            t1 - t0, sum(tm[names(tm) != "sampling"]), tm[["sampling"]],
            mean(m[, "rho"]), sd(m[, "rho"])))
"""


def ours(data: dict[str, np.ndarray], logdet: str, draws: int, burn: int) -> dict[str, object]:
    import naeringsmiljo as nm
    from naeringsmiljo.weights.logdet.grid import logdet_grid

    w = nm.SpatialWeights.from_sparse(_row_standardised(data["neighbours"]), transform="r")
    start = time.perf_counter()
    logdet_grid(w, logdet)
    setup = time.perf_counter() - start
    model = nm.SAR.from_arrays(data["y"], data["x"], w)
    start = time.perf_counter()
    res = model.fit(method="bayes", draws=draws, burn=burn, seed=1, logdet=logdet)
    sampling = time.perf_counter() - start
    return {
        "software": "naeringsmiljo",
        "logdet": res.record.logdet,
        "setup_s": setup,
        "sampling_s": sampling,
        "total_s": setup + sampling,
        "rho_mean": float(res.params["rho"]),
        "rho_sd": float(res.std_errors["rho"]),
        "logdet_error": res.record.logdet_error,
    }


def r_spbreg(data: dict[str, np.ndarray], draws: int, burn: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        x = data["x"]
        table = np.column_stack([data["y"], x])
        np.savetxt(folder / "data.csv", table, delimiter=",", header="y,x1,x2,x3", comments="")
        np.savetxt(
            folder / "neighbours.csv",
            data["neighbours"],
            delimiter=",",
            fmt="%d",
            header=",".join(f"n{j}" for j in range(data["neighbours"].shape[1])),
            comments="",
        )
        (folder / "fit.R").write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(folder / "fit.R"), str(folder / "data.csv"),
             str(folder / "neighbours.csv"), str(draws), str(burn)],
            capture_output=True, text=True,
        )
        if out.returncode != 0:
            raise RuntimeError(f"R spBreg_lag failed: {out.stderr.strip()[-2000:]}")
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    got = json.loads(line)
    return {
        "software": "R spatialreg spBreg_lag",
        "logdet": "SE_classic with MC (Barry & Pace)",
        "setup_s": got["setup"],
        "sampling_s": got["sampling"],
        "total_s": got["seconds"],
        "rho_mean": got["rho_mean"],
        "rho_sd": got["rho_sd"],
        "logdet_error": float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=DRAWS)
    parser.add_argument("--burn", type=int, default=BURN)
    parser.add_argument("--logdet", nargs="*", default=list(LOGDETS))
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    import arviz  # noqa: F401  (imported once, outside the timings: about 2-5 s with matplotlib)

    data = make_problem(args.n)
    rows = []
    for logdet in args.logdet:
        row = ours(data, logdet, args.draws, args.burn)
        rows.append({"n": args.n, **row})
        print(rows[-1], flush=True)
    if not args.no_r and shutil.which("Rscript"):
        rows.append({"n": args.n, **r_spbreg(data, args.draws, args.burn)})
        print(rows[-1], flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        row["peak_mb"] = peak_mb
    with open(args.out / "bayes.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_markdown(rows, args.out / "bayes.md", args.draws, args.burn)


def write_markdown(rows: list[dict[str, object]], path: Path, draws: int, burn: int) -> None:
    """The table of ``rows`` (as written to the CSV) with the ratio of R to the fastest grid."""
    ours = [r for r in rows if r["software"] == "naeringsmiljo"]
    fastest = min(float(r["total_s"]) for r in ours)
    n = int(rows[0]["n"])
    peak = float(rows[0].get("peak_mb", float("nan")))
    lines = [
        "# Bayesian SAR: naeringsmiljo against R spatialreg spBreg_lag",
        "",
        f"n = {n:,} (k = 10 nearest neighbours, row-standardised, rho = 0.5), "
        f"{draws:,} iterations of which {burn:,} burn-in, in one run; "
        f"{platform.machine()}, {os.cpu_count()} cores, shared with other work (timings are "
        f"noisy; read the ratios); peak memory of the Python process {peak:,.0f} MB. "
        "`python benchmarks/bayes.py` regenerates this file.",
        "",
        "| software | log-determinant | set-up (s) | sampling (s) | total (s) | ratio to fastest ours "
        "| rho mean | rho s.d. | stated log-det error where the draws fell |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        error = float(r["logdet_error"])
        lines.append(
            f"| {r['software']} | {r['logdet']} | {float(r['setup_s']):.1f} | "
            f"{float(r['sampling_s']):.1f} | {float(r['total_s']):.1f} | "
            f"{float(r['total_s']) / fastest:.2f} | {float(r['rho_mean']):.4f} | "
            f"{float(r['rho_sd']):.4f} | {'not stated' if error != error else f'{error:.2g}'} |"
        )
    lines += [
        "",
        "The sampling itself does not grow with n (an iteration works on the triangular factor of "
        "`[X, y, W y]`); the set-up is the log-determinant grid, computed once per weights "
        "matrix and cached with it, so a second fit on the same weights costs only the "
        "sampling. The Monte Carlo grid is Barry & Pace's (1999) estimator, as R's; the "
        "Chebyshev bound is loose; the spline of exact PARDISO values is exact to its stated "
        "error and costs 79 sparse factorisations at this n.",
    ]
    path.write_text("\n".join(lines) + "\n")


def render(csv_path: Path) -> None:
    """Rewrite the Markdown from a CSV written by :func:`main`."""
    with open(csv_path, newline="") as handle:
        rows: list[dict[str, object]] = list(csv.DictReader(handle))
    write_markdown(rows, csv_path.with_suffix(".md"), DRAWS, BURN)


if __name__ == "__main__":
    main()
