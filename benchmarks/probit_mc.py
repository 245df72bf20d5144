"""Coverage of the SAR probit's posterior intervals in a seeded Monte Carlo study.

Design: n units at seeded uniform points with the row-standardised 6-nearest-neighbour W (one
W for every replication); per replication, x1, x2 ~ N(0, 1) and
``z = (I - rho W)^{-1} (0 + 1 x1 - 1 x2 + e)``, ``e ~ N(0, I)``, ``rho = 0.5``, ``y = 1(z > 0)``,
all from ``SeedSequence(seed, spawn_key=(replication,))``. Each replication is fitted by
``SARProbit.fit(method="bayes")`` (flat beta, the default Beta(1.01, 1.01) prior of rho,
``draws`` iterations with ``burn`` discarded, seed = the replication); the 95% equal-tailed
posterior interval of each parameter covers the truth or not. If the sampler draws from the
posterior, and the posterior is calibrated for the data-generating process (flat priors, n large
enough for the posterior to be near its normal limit), coverage lies in the binomial band
``0.95 +- 1.96 sqrt(0.95 * 0.05 / R)``.

Run: ``python benchmarks/probit_mc.py --replications 100 --n 1000`` (writes
``benchmarks/results/probit_mc.csv`` and ``.md``).
"""

from __future__ import annotations

import argparse
import time
from functools import lru_cache
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from threadpoolctl import threadpool_limits

from naeringsmiljo import SARProbit, SpatialWeights
from naeringsmiljo.weights.builders import knn

RESULTS = Path(__file__).resolve().parent / "results"
TRUTH = {"Intercept": 0.0, "x1": 1.0, "x2": -1.0, "rho": 0.5}


@lru_cache(maxsize=1)
def weights(n: int, seed: int) -> SpatialWeights:
    """The one W of the study (cached per process with its eigenvalues and log-det grid)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(10**6,)))
    points = pd.DataFrame(rng.random((n, 2)), columns=["x", "y"])
    return knn(points, 6).row_standardize()


def replication(w: SpatialWeights, seed: int, rep: int, draws: int, burn: int) -> dict:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(rep,)))
    n = w.n
    data = pd.DataFrame(
        {"x1": rng.standard_normal(n), "x2": rng.standard_normal(n)}, index=w.ids
    )
    signal = TRUTH["x1"] * data["x1"] + TRUTH["x2"] * data["x2"] + TRUTH["Intercept"]
    system = sp.identity(n, format="csc") - TRUTH["rho"] * sp.csc_matrix(w.sparse)
    z = splu(system).solve(signal.to_numpy() + rng.standard_normal(n))
    data["y"] = (z > 0).astype(float)
    res = SARProbit.from_formula("y ~ x1 + x2", data, w).fit(draws=draws, burn=burn, seed=rep)
    ci = res.conf_int(0.05)
    row: dict = {
        "replication": rep,
        "n": n,
        "seed": seed,
        "draws": draws,
        "burn": burn,
        "share_ones": float(data["y"].mean()),
    }
    for name, truth in TRUTH.items():
        row[f"{name}_mean"] = float(res.params[name])
        row[f"{name}_covered"] = bool(ci.loc[name, "lower"] <= truth <= ci.loc[name, "upper"])
    return row


def _task(args: tuple[int, int, int, int, int]) -> dict:
    n, seed, rep, draws, burn = args
    with threadpool_limits(1):
        return replication(weights(n, seed), seed, rep, draws, burn)


def run(
    n: int,
    seed: int,
    replications: int,
    draws: int,
    burn: int,
    *,
    workers: int = 1,
    done: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rows of the replications in order; each depends only on (seed, replication), so the
    number of worker processes does not change them. Rows of ``done`` run with the same
    settings are reused instead of recomputed."""
    reuse: dict[int, dict] = {}
    if done is not None:
        same = done[
            (done["n"] == n) & (done["seed"] == seed) & (done["draws"] == draws)
            & (done["burn"] == burn)
        ]
        reuse = {int(r["replication"]): r.to_dict() for _, r in same.iterrows()}
    tasks = [(n, seed, r, draws, burn) for r in range(replications) if r not in reuse]
    if workers == 1:
        new = [_task(t) for t in tasks]
    else:
        with ProcessPoolExecutor(workers) as pool:
            new = list(pool.map(_task, tasks))
    rows = {**reuse, **{int(row["replication"]): row for row in new}}
    return pd.DataFrame([rows[r] for r in range(replications)])


def band(replications: int) -> tuple[float, float]:
    half = 1.96 * np.sqrt(0.95 * 0.05 / replications)
    return 0.95 - half, 0.95 + half


def coverage(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per parameter: truth, mean of the posterior means, bias, coverage, its MC s.e."""
    r = len(rows)
    table = []
    for name, truth in TRUTH.items():
        means = rows[f"{name}_mean"]
        cover = float(rows[f"{name}_covered"].mean())
        table.append(
            {
                "parameter": name,
                "truth": truth,
                "mean": float(means.mean()),
                "bias": float(means.mean() - truth),
                "bias_mc_se": float(means.std(ddof=1) / np.sqrt(r)),
                "coverage": cover,
                "coverage_mc_se": float(np.sqrt(cover * (1 - cover) / r)),
                "replications": r,
            }
        )
    return pd.DataFrame(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--draws", type=int, default=3000)
    parser.add_argument("--burn", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--resume", action="store_true", help="reuse the rows of probit_mc_replications.csv"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    stored = RESULTS / "probit_mc_replications.csv"
    done = pd.read_csv(stored) if args.resume and stored.exists() else None
    rows = run(
        args.n, args.seed, args.replications, args.draws, args.burn, workers=args.workers,
        done=done,
    )
    rows.to_csv(RESULTS / "probit_mc_replications.csv", index=False, float_format="%.6g")
    seconds = time.perf_counter() - start
    table = coverage(rows)
    RESULTS.mkdir(exist_ok=True)
    table.to_csv(RESULTS / "probit_mc.csv", index=False, float_format="%.6g")
    low, high = band(args.replications)
    lines = [
        "# SAR probit: coverage of 95% posterior intervals",
        "",
        f"`python benchmarks/probit_mc.py --n {args.n} --seed {args.seed} --replications "
        f"{args.replications} --draws {args.draws} --burn {args.burn} --workers "
        f"{args.workers}{' --resume' if args.resume else ''}` ({seconds:.0f} s for the "
        "replications not already stored, on a "
        "loaded two-core machine). Design: the script's docstring (rho = 0.5, beta = (0, 1, -1), "
        "6-nearest-neighbour W). Binomial band for a correct 95% interval: "
        f"[{low:.3f}, {high:.3f}].",
        "",
        table.to_markdown(index=False, floatfmt=".4f"),
        "",
    ]
    (RESULTS / "probit_mc.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
