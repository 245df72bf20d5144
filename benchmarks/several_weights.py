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

``--logdet monte_carlo`` fits with the trace series instead (``--probes``, ``--order``), whose
stated error on each estimate is reported.

The machine may be shared: every fit time is also given as a ratio to one numerical
factorisation of the union at the same n, measured in the same run (for the trace method, to
one product of the summed matrices with a vector), and the factorisations are counted. Rerun
on a quiet machine with the same commands to replace the tables::

    python benchmarks/several_weights.py --sizes 1000 10000 100000
    python benchmarks/several_weights.py --sizes 1000000 --logdet monte_carlo --probes 8 --order 24
    flock /tmp/naer-bigmem.lock python benchmarks/several_weights.py --sizes 1000000

(above 4 GB of memory: the trace run at n = 1,000,000 peaked at 5.8 GB with 8 probes, the exact
one at 12.8 GB, with PARDISO's factor of the union, 640 million entries, and one matrix's).
The ratios: ``fit_over_factorisation`` to the median of three factorisations of the union
before and three after the fit (up to ``STANDALONE_UNIT_LIMIT`` units), and
``fit_over_union_in_fit`` to the median of the fit's own factorisations of the union, under the
same load as the rest of the fit (``load_average``: the 1-minute load, the larger of its values
before and after the fit).

Results go to ``benchmarks/results/several_weights.md`` and ``several_weights.csv``
(appended, with the options used).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from naeringsmiljo import SAR, SpatialWeights
from naeringsmiljo.likelihood.channels import CombinedLogDet
from naeringsmiljo.weights.logdet import lu, taylor
from naeringsmiljo.weights.logdet.pardiso import PardisoLogDet


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
    rhs = 1.0 + x @ np.array([1.0, -1.0, 0.5]) + rng.normal(size=n)
    if n <= 100_000:
        w_c = sp.csc_array(sp.identity(n) - 0.5 * (0.6 * geo + 0.4 * collab))
        y = splu(w_c).solve(rhs)
    else:  # the union's LU is too large: the Neumann series, 0.5^k to rounding
        combined = sp.csr_array(0.5 * (0.6 * geo + 0.4 * collab))
        y, term = rhs.copy(), rhs.copy()
        for _ in range(60):
            term = combined @ term
            y += term
    data = pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]})
    weights = {"geo": SpatialWeights.from_sparse(geo), "collab": SpatialWeights.from_sparse(collab)}
    return data, weights


class _Counter:
    """Counts the numerical factorisations of every log-determinant object (instrumentation of
    the benchmark only: SuperLU for the union below ``AUTO_PARDISO_LIMIT``, PARDISO above, and
    SuperLU's one-matrix methods of the one-matrix fits)."""

    def __init__(self) -> None:
        self.count = 0
        #: Seconds of every value of the union's log-determinant in the fit (one factorisation
        #: each): their median is the fit's own unit, under the same load as the fit.
        self.union_seconds: list[float] = []
        self._saved: list[tuple[object, str, object]] = []

    def __enter__(self) -> Self:
        original_value = CombinedLogDet._log_abs_det
        self._saved.append((CombinedLogDet, "_log_abs_det", original_value))

        def timed(obj, delta):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            out = original_value(obj, delta)
            if len(obj.matrices) > 1:
                self.union_seconds.append(time.perf_counter() - start)
            return out

        CombinedLogDet._log_abs_det = timed  # type: ignore[method-assign]
        targets: list[tuple[object, str]] = [
            (PardisoLogDet, "_factor_diagonal"),
            (CombinedLogDet, "_factor"),
            (lu, "factor_diagonal"),
        ]
        for owner, name in targets:
            original = getattr(owner, name)
            self._saved.append((owner, name, original))

            def counted(*args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
                self.count += 1
                return _original(*args, **kwargs)

            setattr(owner, name, counted)
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in self._saved:
            setattr(owner, name, original)


#: Above this many units the standalone factorisations of the unit (six of them, 5 minutes at
#: n = 1e6 on a loaded machine) are skipped: the fit's own twelve are the unit.
STANDALONE_UNIT_LIMIT = 200_000


def factorisation_times(weights: dict, repeats: int = 3) -> list[float]:
    """Seconds of ``repeats`` numerical factorisations of ``I - 0.3 W_geo - 0.2 W_collab`` (the
    union pattern, analysed once): the unit the fit times are reported in. ``run`` takes them
    before and after the fit and reports their median, which follows the load of a shared
    machine better than either alone."""
    logdet = CombinedLogDet([w.sparse for w in weights.values()])
    times = []
    for j in range(repeats):
        start = time.perf_counter()
        logdet.value(np.array([0.3, 0.2 + 1e-6 * j]))
        times.append(time.perf_counter() - start)
    return times


def one_product(weights: dict, repeats: int = 3) -> float:
    """Median seconds of one product ``(W_geo + W_collab) v`` (the unit of the trace method)."""
    total = sum(w.sparse for w in weights.values())
    v = np.ones(total.shape[0])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        total @ v
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run(n: int, *, random_ties: bool, logdet: str = "auto", unit: bool = True) -> dict:
    data, weights = problem(n, random_ties=random_ties)
    exact = unit and logdet != "monte_carlo"
    # above STANDALONE_UNIT_LIMIT units the fit's own factorisations of the union are the unit
    standalone = exact and n <= STANDALONE_UNIT_LIMIT
    before = factorisation_times(weights) if standalone else []
    load = os.getloadavg()[0]
    with _Counter() as counter:
        start = time.perf_counter()
        res = SAR.from_formula("y ~ x1 + x2 + x3", data, weights).fit(logdet=logdet)
        elapsed = time.perf_counter() - start
    row = {
        "n": n,
        "network": "random" if random_ties else "regional",
        "logdet": logdet,
        "seconds": round(elapsed, 2),
        "factorisations": counter.count,
    }
    if standalone:
        one = float(np.median(before + factorisation_times(weights)))
        row.update(
            one_factorisation_s=round(one, 3), fit_over_factorisation=round(elapsed / one, 1)
        )
    if exact:
        row.update(
            union_in_fit_s=round(float(np.median(counter.union_seconds)), 3),
            union_factorisations=len(counter.union_seconds),
            fit_over_union_in_fit=round(elapsed / float(np.median(counter.union_seconds)), 1),
            load_average=round(max(load, os.getloadavg()[0]), 1),
        )
    elif unit:
        one = one_product(weights)
        row.update(one_product_s=round(one, 4), fit_over_product=round(elapsed / one, 0))
    row.update(
        rho=round(float(res.params["rho"]), 6),
        se_rho=round(float(res.std_errors["rho"]), 5),
        gamma_geo=round(float(res.params["gamma_geo"]), 6),
        se_gamma_geo=round(float(res.std_errors["gamma_geo"]), 5),
        converged=bool(res.record.converged),
    )
    if logdet == "monte_carlo":
        row.update(
            order=taylor.DEFAULT_ORDER,
            probes=taylor.DEFAULT_PROBES,
            **{f"error_{k}": float(f"{v:.2g}") for k, v in res.record.parameter_error.items()},
        )
    return row


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
    parser.add_argument(
        "--logdet",
        default="auto",
        choices=["auto", "monte_carlo"],
        help="exact (auto) or the trace series",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--probes", type=int, default=taylor.DEFAULT_PROBES, help="trace probes")
    parser.add_argument("--order", type=int, default=taylor.DEFAULT_ORDER, help="trace order")
    args = parser.parse_args()
    taylor.DEFAULT_PROBES, taylor.DEFAULT_ORDER = args.probes, args.order
    rows = []
    for n in args.sizes:
        row = run(n, random_ties=args.random, logdet=args.logdet)
        print(row, flush=True)
        rows.append(row)
    frame = pd.DataFrame(rows)
    table = markdown_table(frame)
    args.out.mkdir(parents=True, exist_ok=True)
    csv = args.out / "several_weights.csv"
    dated = frame.assign(date=time.strftime("%Y-%m-%d"))
    # the columns grow with the options and the measurements: merged by name, not appended
    if csv.exists():
        dated = pd.concat([pd.read_csv(csv), dated], ignore_index=True)
    dated.to_csv(csv, index=False)
    with open(args.out / "several_weights.md", "a", encoding="utf-8") as handle:
        handle.write(
            f"\n## {'random' if args.random else 'regional'} collaboration ties "
            f"({platform.processor() or platform.machine()}, {time.strftime('%Y-%m-%d')})\n\n"
            f"{table}\n"
        )


if __name__ == "__main__":
    main()
