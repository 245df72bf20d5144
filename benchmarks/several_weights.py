"""Wall time of ML fits whose lag of y combines two weights matrices, as n grows.

The problem: n random points in the unit square (fixed seed); ``W_geo`` the 10 nearest
neighbours, row-standardised; ``W_collab`` a collaboration network in which every unit has
five partners drawn among its 60 nearest units beyond the 10 nearest (ties that reach past
the neighbourhood but stay regional), row-standardised. Three standard-normal regressors and an
intercept, ``y = (I - 0.5 (0.6 W_geo + 0.4 W_collab))^{-1}(X beta + e)``. SAR with the convex
combination is fitted with its default options (exact sparse LU log-determinants, the analytic
information matrix: dense up to 5,000 units, Hutchinson traces above, and the LR tests of each
matrix alone).

``--random`` draws the five partners uniformly over all units instead: a network with
long-range ties, whose LU factors fill in (an expander graph has no good elimination order), so
that exact ML is out of reach beyond a few thousand units; the timings show where.

Usage::

    python benchmarks/several_weights.py --sizes 1000 10000 100000
    python benchmarks/several_weights.py --sizes 1000 3000 --random

Results go to ``benchmarks/results/several_weights.md`` (appended with the options used).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from naeringsmiljo import SAR, SpatialWeights


def problem(n: int, *, random_ties: bool, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """The data and the two weights matrices of size ``n``."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(size=(n, 2))
    _, near = cKDTree(points).query(points, k=min(n, 71))
    rows = np.repeat(np.arange(n), 10)
    geo = sp.csr_array((np.full(n * 10, 0.1), (rows, near[:, 1:11].ravel())), shape=(n, n))
    if random_ties:
        partners = rng.integers(0, n - 1, size=(n, 5))
        partners += partners >= np.arange(n)[:, None]  # never oneself
    else:
        pool = near[:, 11:71]
        partners = np.take_along_axis(pool, rng.integers(0, pool.shape[1], size=(n, 5)), axis=1)
    links = sp.csr_array(
        (np.ones(n * 5), (np.repeat(np.arange(n), 5), partners.ravel())), shape=(n, n)
    )
    links.sum_duplicates()
    links.data[:] = 1.0
    collab = sp.csr_array(sp.diags_array(1.0 / np.asarray(links.sum(axis=1)).ravel()) @ links)
    x = rng.normal(size=(n, 3))
    w_c = sp.csc_array(sp.identity(n) - 0.5 * (0.6 * geo + 0.4 * collab))
    y = splu(w_c).solve(1.0 + x @ np.array([1.0, -1.0, 0.5]) + rng.normal(size=n))
    data = pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]})
    weights = {"geo": SpatialWeights.from_sparse(geo), "collab": SpatialWeights.from_sparse(collab)}
    return data, weights


def run(n: int, *, random_ties: bool) -> dict:
    data, weights = problem(n, random_ties=random_ties)
    start = time.perf_counter()
    res = SAR.from_formula("y ~ x1 + x2 + x3", data, weights).fit()
    elapsed = time.perf_counter() - start
    lik = res.ml.lik  # type: ignore[union-attr]
    return {
        "n": n,
        "network": "random" if random_ties else "regional",
        "seconds": round(elapsed, 2),
        "factorisations": lik.lag_logdet.factorisations,
        "rho": round(float(res.params["rho"]), 5),
        "se_rho": round(float(res.std_errors["rho"]), 5),
        "gamma_geo": round(float(res.params["gamma_geo"]), 5),
        "se_gamma_geo": round(float(res.std_errors["gamma_geo"]), 5),
        "converged": res.record.converged,
    }


def markdown_table(table: pd.DataFrame) -> str:
    """A Markdown table (floats to 4 decimals), without an optional dependency."""
    cells = [
        [f"{v:.4f}" if isinstance(v, float) else str(v) for v in row]
        for row in table.itertuples(index=False)
    ]
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * table.shape[1]]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--random", action="store_true", help="long-range random ties")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        row = run(n, random_ties=args.random)
        print(row, flush=True)
        rows.append(row)
    table = markdown_table(pd.DataFrame(rows))
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "several_weights.md", "a", encoding="utf-8") as handle:
        handle.write(
            f"\n## {'random' if args.random else 'regional'} collaboration ties "
            f"({platform.processor() or platform.machine()}, {time.strftime('%Y-%m-%d')})\n\n"
            f"{table}\n"
        )


if __name__ == "__main__":
    main()
