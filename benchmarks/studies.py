"""Time a Monte Carlo study on one worker and on a two-worker Dask cluster.

The study: 1,000 replications of the SAR process at n = 400 (kNN weights of random points,
k = 5, row-standardised; rho = 0.5, beta = (1, 1, -1), regressors held fixed), each fitted by ML
(exact log-determinant from the eigenvalues, set up once and shipped to the workers) and by
spatial 2SLS. The same study runs in this process (one worker), on a pool of two processes and
on a Dask ``LocalCluster`` with two single-threaded worker processes; the result frames must
agree to the last bit (the timings aside), and the table records the wall times and the ratio
of one worker's to the cluster's.

Usage::

    python benchmarks/studies.py                    # 1,000 replications, n = 400
    python benchmarks/studies.py --smoke            # 20 replications, n = 100

Results go to ``benchmarks/results/studies.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd

import naeringsmiljo as nm
from naeringsmiljo.studies import Study, knn_process

FORMULA = "y ~ x1 + x2"
MODELS = {
    "ML": (nm.SAR, FORMULA, {"method": "ml"}),
    "S2SLS": (nm.SAR, FORMULA, {"method": "gmm"}),
}


def study(replications: int, n: int, seed: int) -> Study:
    """The benchmarked study."""
    process = knn_process("SAR", n=n, rho=0.5, design_seed=seed)
    return Study(dgp=process, models=MODELS, replications=replications, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--smoke", action="store_true", help="20 replications at n = 100")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    replications, n = (20, 100) if args.smoke else (args.replications, args.n)

    load = os.getloadavg()[0]
    runs = {
        "local, 1 worker (in process)": {"backend": "local", "workers": 1},
        "local, 2 processes": {"backend": "local", "workers": 2},
        "Dask LocalCluster, 2 workers": {"backend": "dask", "workers": 2},
    }
    times, frames, failures = {}, {}, {}
    for label, options in runs.items():
        start = time.perf_counter()
        results = study(replications, n, args.seed).run(progress=True, **options)
        times[label] = time.perf_counter() - start
        frames[label] = results.draws.drop(columns="seconds")
        failures[label] = int((results.draws["error"] != "").sum())
        print(f"{label}: {times[label]:.1f} s")
    reference, *others = frames.values()
    for other in others:
        pd.testing.assert_frame_equal(other, reference)

    one, two = times["local, 1 worker (in process)"], times["Dask LocalCluster, 2 workers"]
    processor = platform.processor() or platform.machine()
    machine = (
        f"Machine: {os.cpu_count()} logical cores, {processor}, Python "
        f"{platform.python_version()}; load average {load:.1f} when the benchmark started (other "
        "jobs on the machine slow both runs). Wall times include starting the workers."
    )
    speedup = (
        f"Speed-up of the two-worker Dask cluster over one worker: {one / two:.2f}. The result "
        "frames are identical bit for bit (timings aside)."
    )
    lines = [
        "# Monte Carlo study on one worker and on a two-worker Dask cluster",
        "",
        f"{replications:,} replications of the SAR process at n = {n} (kNN weights, k = 5, "
        "rho = 0.5), each fitted by ML (eigenvalue log-determinant, set up once) and by "
        f"spatial 2SLS: {2 * replications:,} fits. `python benchmarks/studies.py`"
        + (" --smoke" if args.smoke else "")
        + ".",
        "",
        machine,
        "",
        "| run | wall time (s) | fits per second | failed fits |",
        "|---|---:|---:|---:|",
    ]
    for label, seconds in times.items():
        lines.append(
            f"| {label} | {seconds:.1f} | {2 * replications / seconds:.1f} | {failures[label]} |"
        )
    cores = os.cpu_count() or 1
    if load > 0.5 * cores:
        speedup += (
            f" The machine was busy (load {load:.1f} on {cores} cores): the second worker "
            "competed with other jobs for the cores, so the ratio does not measure the scaling "
            "on an idle machine."
        )
    lines += [
        "",
        speedup,
        "",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    name = "studies_smoke.md" if args.smoke else "studies.md"
    (args.out / name).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
