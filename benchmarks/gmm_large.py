"""The moment estimators at n = 100,000 and 1,000,000, against one sparse product and spreg.

The standard problem of ``benchmarks/scale.py`` (n random points, 10 nearest neighbours,
row-standardised, three regressors, ``y = (I - 0.5 W)^{-1}(X beta + e)``). For each n, one
process builds the data and then times, on the same data:

* ``Wx``: one sparse product ``W @ x`` (best of five), the unit of the table;
* naeringsmiljo's first fit on freshly built weights (every set-up paid): spatial 2SLS
  (``SAR``, ``method="s2sls"``, ``w_lags=1`` as spreg), the GM error models (``SEM``,
  ``method="gm_error"``, variants ``het``, ``hom``, ``kp99``) and GS2SLS (``SAC``,
  ``method="gs2sls"``, ``w_lags=1``);
* the time of ``w.prepare(logdet=None, interval=False, gmm=True)`` on fresh weights (the
  moment estimators' interval, W renumbered and transposed for the passes over ``W'W``, the
  homoskedastic constants) and the same fit on those prepared weights (the Monte Carlo and
  sweep case: set-ups of the weights computed once), then once more on a new problem with
  the same weights (``again``: the next replication of a Monte Carlo);
* spreg's ``GM_Lag``, ``GM_Error_Het``, ``GM_Error_Hom``, ``GM_Error`` and ``GM_Combo_Het``
  with the same instruments, unless ``--no-spreg``; the largest difference of the estimates
  is reported beside.

Building the design (formula-free ``from_arrays``, the weights object) is not timed, nor is a
throwaway spatial 2SLS fit before the first row (a process's first large arrays fault their
pages in, about 0.4 s once at n = 1e6). With numba installed, the first set-up that uses the
compiled sums over ``W'W`` (the prepare of the first row) includes numba's start-up (import,
loops loaded from the disk cache).

Usage::

    python benchmarks/gmm_large.py                       # n = 1e5 and 1e6
    flock /tmp/naer-bigmem.lock python benchmarks/gmm_large.py --sizes 1000000 --stem gmm_large_1e6
    python benchmarks/gmm_large.py --sizes 1000000 --spreg-only S2SLS "GM error KP99"

At n = 1e6 spreg took 7 minutes for ``GM_Error_Het`` and 12 in all; ``--spreg-only`` runs the
quick peers only.

Results go to ``benchmarks/results/gmm_large.csv`` and ``.md`` (``--stem`` to rename); the
machine's load average is recorded at the start and the end.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
# scale.py loaded from its file, without putting benchmarks/ on the path of the process: a
# module there named like an installed package would shadow it for numba and spreg
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
_spec = importlib.util.spec_from_file_location("scale", HERE / "scale.py")
assert _spec is not None and _spec.loader is not None
scale = importlib.util.module_from_spec(_spec)
sys.modules["scale"] = scale
_spec.loader.exec_module(scale)
_row_standardised, make_problem = scale._row_standardised, scale.make_problem

#: (label, model, fit options, spreg class, spreg keyword arguments)
ESTIMATORS = (
    ("S2SLS", "SAR", {"method": "s2sls", "w_lags": 1}, "GM_Lag", {"w_lags": 1}),
    ("GM error het", "SEM", {"method": "gm_error", "variant": "het"}, "GM_Error_Het", {}),
    ("GM error hom", "SEM", {"method": "gm_error", "variant": "hom"}, "GM_Error_Hom", {}),
    ("GM error KP99", "SEM", {"method": "gm_error", "variant": "kp99"}, "GM_Error", {}),
    ("GS2SLS het", "SAC", {"method": "gs2sls", "w_lags": 1}, "GM_Combo_Het", {"w_lags": 1}),
)


def _product_time(w, x: np.ndarray) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        w @ x
        times.append(time.perf_counter() - start)
    return float(min(times))


def _spreg_fit(name: str, kwargs: dict, data: dict, w_pysal) -> tuple[float, np.ndarray]:
    import spreg

    cls = getattr(spreg, name)
    start = time.perf_counter()
    res = cls(data["y"][:, None], data["x"], w=w_pysal, **kwargs)
    seconds = time.perf_counter() - start
    return seconds, np.ravel(res.betas)


def run(
    n: int,
    spreg_on: bool,
    spreg_only: tuple[str, ...] | None = None,
    on_row: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Time every estimator at ``n``; spreg beside (only the estimators in ``spreg_only``
    when given); ``on_row`` sees each row as it is measured."""
    import naeringsmiljo as nm

    data = make_problem(n)
    matrix = _row_standardised(data["neighbours"])
    unit = _product_time(matrix, data["y"])
    w_pysal = None
    if spreg_on:
        from libpysal.weights import WSP

        w_pysal = WSP(matrix.tocsr()).to_W(silence_warnings=True)
        w_pysal.transform = "r"
    # a throwaway fit first: a process's first large arrays fault their pages in (about 0.4 s
    # at n = 1e6, once), which the first row would otherwise carry
    warm = nm.SpatialWeights.from_sparse(_row_standardised(data["neighbours"]), transform="r")
    nm.SAR.from_arrays(data["y"], data["x"], warm).fit(method="s2sls", w_lags=1)
    del warm
    rows = []
    for label, model, options, peer, peer_kwargs in ESTIMATORS:
        w = nm.SpatialWeights.from_sparse(_row_standardised(data["neighbours"]), transform="r")
        cls = getattr(nm, model)
        problem = cls.from_arrays(data["y"], data["x"], w)
        start = time.perf_counter()
        res = problem.fit(**options)
        seconds = time.perf_counter() - start
        # the same fit on weights prepared ahead (``prepare(gmm=True)``: the interval, W
        # renumbered and transposed for the passes over W'W, the homoskedastic constants)
        prepared = nm.SpatialWeights.from_sparse(_row_standardised(data["neighbours"]), transform="r")
        start = time.perf_counter()
        prepared.prepare(logdet=None, interval=False, gmm=True)
        setup = time.perf_counter() - start
        again = cls.from_arrays(data["y"], data["x"], prepared)
        start = time.perf_counter()
        again.fit(**options)
        seconds_prepared = time.perf_counter() - start
        # and once more, on a new problem (a Monte Carlo's next replication)
        repeat = cls.from_arrays(data["y"], data["x"], prepared)
        start = time.perf_counter()
        repeat.fit(**options)
        seconds_repeat = time.perf_counter() - start
        row = {
            "n": n,
            "estimator": label,
            "wx": unit,
            "ours": seconds,
            "prepare": setup,
            "ours_prepared": seconds_prepared,
            "ours_repeat": seconds_repeat,
            "spreg": None,
            "diff": None,
        }
        if w_pysal is not None and (spreg_only is None or label in spreg_only):
            peer_seconds, betas = _spreg_fit(peer, peer_kwargs, data, w_pysal)
            ours = res.params.to_numpy()
            row["spreg"] = peer_seconds
            row["diff"] = float(np.max(np.abs(ours - betas[: ours.size])))
        rows.append(row)
        print(row, flush=True)
        if on_row is not None:
            on_row(row)
    return rows


def _fmt(value: float | None, digits: str = ".3f") -> str:
    return "" if value is None else format(value, digits)


def write(rows: list[dict], stem: str, loads: tuple[float, float], note: str = "") -> None:
    out = HERE / "results"
    with open(out / f"{stem}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# Moment estimators at large n against one sparse product and spreg",
        "",
        f"`python benchmarks/gmm_large.py` ({platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}); load average (1 min) {loads[0]:.1f} at the start "
        f"and {loads[1]:.1f} at the end. Standard problem: kNN-10 row-standardised, three "
        "regressors, rho = 0.5. First fit on freshly built weights, building the design not "
        "timed; then the same fit on weights prepared ahead (`w.prepare(logdet=None, "
        "interval=False, gmm=True)`: the moment estimators' interval, W renumbered and "
        "transposed for the passes over W'W, the homoskedastic constants; its time in "
        "`prepare`), and once more on a new problem with those weights (`again`: a Monte "
        "Carlo's next replication). Wx is one sparse product "
        "W @ x; |Δ| is the largest difference from spreg's estimates (same instruments, "
        "w_lags = 1).",
        "",
        (
            "| n | estimator | Wx (s) | fit (s) | prepare (s) | fit, prepared (s) | again (s) "
            "| spreg (s) | fit / Wx | prepared / Wx | again / Wx | spreg / fit "
            "| \\|Δ\\| vs spreg |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = "" if r["spreg"] is None else f"{r['spreg'] / r['ours']:.1f}"
        lines.append(
            f"| {r['n']:,} | {r['estimator']} | {r['wx']:.4f} | {r['ours']:.2f} | "
            f"{r['prepare']:.2f} | {r['ours_prepared']:.2f} | {r['ours_repeat']:.2f} | "
            f"{_fmt(r['spreg'], '.2f') or 'not run'} | {r['ours'] / r['wx']:.0f} | "
            f"{r['ours_prepared'] / r['wx']:.0f} | {r['ours_repeat'] / r['wx']:.0f} | {ratio} | "
            f"{_fmt(r['diff'], '.1e')} |"
        )
    if note:
        lines += ["", note]
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--no-spreg", action="store_true")
    parser.add_argument(
        "--spreg-only",
        nargs="+",
        metavar="LABEL",
        help="run spreg beside these estimators only (labels as in the table)",
    )
    parser.add_argument("--stem", default="gmm_large")
    parser.add_argument("--note", default="", help="a paragraph written under the table")
    args = parser.parse_args()
    start_load = os.getloadavg()[0]
    rows: list[dict] = []

    def keep(row: dict) -> None:  # written as measured, so that a long peer loses nothing
        rows.append(row)
        write(rows, args.stem, (start_load, os.getloadavg()[0]), args.note)

    only = None if args.spreg_only is None else tuple(args.spreg_only)
    for n in args.sizes:
        run(n, not args.no_spreg, only, keep)


if __name__ == "__main__":
    main()
