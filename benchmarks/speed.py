"""Fit time against one sparse factorisation and against spreg, at small and middle n.

The standard problem of ``benchmarks/scale.py``: n random points in the unit square (fixed
seed), k = 10 nearest neighbours, row-standardised, three standard-normal regressors and an
intercept, ``y = (I - 0.5 W)^{-1}(X beta + e)``. For every n and model (SAR, SEM), one child
process measures, on the same data:

* ``lu``: one SuperLU factorisation of ``I - 0.5 W`` (scipy ``splu`` with its default COLAMD
  ordering, the best of three), and ``pardiso``: one MKL PARDISO factorisation after its
  analysis (best of three) where MKL loads;
* ``first``: naeringsmiljo's fit with standard errors (``from_arrays(...).fit()``, defaults)
  on freshly built weights, so that every set-up (interval, ordering, traces) is paid;
* ``repeat``: the same fit again on the same weights object (the Monte Carlo and sweep case);
* ``|delta|``: the estimate against the exact score root (the bracketing search polished into
  the root of the analytic score with SuperLU's complex-step derivative), not timed;

and another child runs spreg ``ML_Lag`` / ``ML_Error`` with ``method="LU"`` (its dense
covariance limits it to ``--spreg-limit`` units; a fit that exceeds ``--timeout`` is reported as
such). The targets are ratios, so the table reports them: ``first / lu``,
``repeat / lu`` and ``spreg / first``; on a loaded machine (other processes on the cores) the
ratios within one row are what carries over, not the seconds.

Usage::

    python benchmarks/speed.py                          # n = 1e3, 3e3, 1e4, 3e4
    python benchmarks/speed.py --sizes 1000 3000 --no-spreg
    python benchmarks/speed.py --sizes 100000 --no-pardiso --no-spreg   # SuperLU only

Results go to ``benchmarks/results/speed.csv`` and ``benchmarks/results/speed.md`` (or
``--out``), with the machine's load average at the start and end of the run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scale import _row_standardised, high_water_mb, make_problem

SIZES = (1000, 3000, 10_000, 30_000)
MODELS = ("SAR", "SEM")
#: The score-root reference needs 13 to 40 real and complex SuperLU factorisations (minutes
#: at n = 1e5 on a loaded machine); above this size |delta| is left out.
REFERENCE_LIMIT = 30_000
#: spreg's ML covariance inverts a dense n x n matrix (87 s and 5.2 GB at n = 10,000).
SPREG_LIMIT = 10_000


@dataclass
class Row:
    n: int
    model: str
    lu: float | None = None
    pardiso: float | None = None
    first: float | None = None
    repeat: float | None = None
    spreg: float | None = None
    spreg_status: str = "not run"
    estimate: float | None = None
    std_error: float | None = None
    delta: float | None = None
    spreg_delta: float | None = None
    logdet: str = ""
    factorisations: str = ""
    peak_mb: float | None = None


def _best(seconds: list[float]) -> float:
    return float(min(seconds))


def _factorisation_times(w, pardiso: bool) -> tuple[float, float | None]:
    """Best of three: one SuperLU factorisation of ``I - 0.5 W`` and, when asked and MKL
    loads, one PARDISO factorisation after its analysis."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    from naeringsmiljo.weights.logdet import PardisoLogDet, pardiso_available

    a = sp.csc_array(sp.identity(w.shape[0], format="csc") - 0.5 * w)
    lu = []
    for _ in range(3):
        start = time.perf_counter()
        splu(a)
        lu.append(time.perf_counter() - start)
    if not (pardiso and pardiso_available()):
        return _best(lu), None
    solver = PardisoLogDet(w)
    times = []
    for rho in (0.49, 0.5, 0.51):
        start = time.perf_counter()
        solver.value(rho)
        times.append(time.perf_counter() - start)
    solver.release_factor()
    return _best(lu), _best(times)


def _score_root(data: dict[str, np.ndarray], w, model: str) -> float:
    """The exact score root: SuperLU values and complex-step derivatives, bracketing search and
    Brent root of the analytic score (what every exact fit did before the values-only search)."""
    from naeringsmiljo.estimators import ml_search
    from naeringsmiljo.likelihood.gaussian import ConcentratedLikelihood
    from naeringsmiljo.weights.logdet import SparseLULogDet

    class ScoreRoot(SparseLULogDet):
        values_search = False

    n = data["y"].shape[0]
    x = np.column_stack([np.ones(n), data["x"]])
    lik = ConcentratedLikelihood(data["y"], x, w.sparse, ScoreRoot(w.sparse))
    which = "rho" if model == "SAR" else "lambda"
    est = ml_search.fit_one_parameter(lik, which, w.parameter_interval("lanczos"))
    return float(est.rho if which == "rho" else est.lam)


def ours(
    data: dict[str, np.ndarray], model: str, pardiso: bool, reference_limit: int | None = None
) -> dict:
    from naeringsmiljo import SAR, SEM, SpatialWeights
    from naeringsmiljo.weights import logdet

    matrix = _row_standardised(data["neighbours"])
    lu, pardiso_seconds = _factorisation_times(matrix, pardiso)
    if not pardiso:
        logdet.pardiso_available = lambda: False  # type: ignore[assignment]
    cls = {"SAR": SAR, "SEM": SEM}[model]
    param = "rho" if model == "SAR" else "lambda"
    w = SpatialWeights.from_sparse(matrix, transform="r")
    start = time.perf_counter()
    res = cls.from_arrays(data["y"], data["x"], w).fit()
    first = time.perf_counter() - start
    repeats = []
    for _ in range(2):
        start = time.perf_counter()
        again = cls.from_arrays(data["y"], data["x"], w).fit()
        repeats.append(time.perf_counter() - start)
    peak = high_water_mb()
    reference = (
        _score_root(data, SpatialWeights.from_sparse(matrix, transform="r"), model)
        if reference_limit is None or data["y"].shape[0] <= reference_limit
        else float("nan")
    )
    return {
        "lu": lu,
        "pardiso": pardiso_seconds,
        "first": first,
        "repeat": _best(repeats),
        "estimate": float(res.params[param]),
        "std_error": float(res.std_errors[param]),
        "delta": abs(float(res.params[param]) - reference),
        "repeat_same": float(again.params[param]) == float(res.params[param]),
        "reference": reference,
        "logdet": res.record.logdet or "",
        "factorisations": res.record.optimizer.split("(")[-1].rstrip(")"),
        "peak_mb": peak,
    }


def spreg_fit(data: dict[str, np.ndarray], model: str) -> dict:
    from scale import _spreg

    return _spreg(data, model, "LU")


def worker(args: argparse.Namespace) -> None:
    with np.load(args.data) as npz:
        data = {key: npz[key] for key in npz.files}
    if args.software == "ours":
        out = ours(data, args.model, not args.no_pardiso, args.reference_limit)
    else:
        out = spreg_fit(data, args.model)
    print(json.dumps(out))


def _child(command: list[str], timeout: float) -> tuple[dict | None, str]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, f"over {timeout:.0f} s"
    if done.returncode != 0:
        return None, "failed: " + done.stderr.strip().splitlines()[-1][:200]
    return json.loads(done.stdout.strip().splitlines()[-1]), "ok"


def run(args: argparse.Namespace) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            data_path = Path(tmp) / f"data_{n}.npz"
            np.savez(data_path, **make_problem(n))
            for model in MODELS:
                row = Row(n=n, model=model)
                base = [sys.executable, str(Path(__file__)), "--worker", "--data", str(data_path)]
                base += ["--model", model, "--reference-limit", str(args.reference_limit)]
                result, status = _child(
                    base + ["--software", "ours"] + (["--no-pardiso"] if args.no_pardiso else []),
                    args.timeout,
                )
                if result is not None:
                    for key in ("lu", "pardiso", "first", "repeat", "estimate", "std_error"):
                        setattr(row, key, result[key])
                    row.delta = None if np.isnan(result["delta"]) else result["delta"]
                    row.logdet = result["logdet"]
                    row.factorisations = result["factorisations"]
                    row.peak_mb = result["peak_mb"]
                else:
                    row.logdet = status
                if not args.no_spreg and n <= args.spreg_limit:
                    spreg, row.spreg_status = _child(base + ["--software", "spreg"], args.timeout)
                    if spreg is not None:
                        row.spreg = spreg["seconds"]
                        if result is not None and not np.isnan(result["reference"]):
                            row.spreg_delta = abs(spreg["estimate"] - result["reference"])
                elif not args.no_spreg:
                    row.spreg_status = f"skipped above {args.spreg_limit} units"
                print(_line(row), flush=True)
                rows.append(row)
    return rows


def _ratio(a: float | None, b: float | None) -> str:
    return "" if a is None or b is None or b == 0 else f"{a / b:.1f}"


def _number(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _line(row: Row) -> str:
    return (
        f"n={row.n} {row.model}: lu {_number(row.lu, '.4f')} pardiso {_number(row.pardiso, '.4f')} "
        f"first {_number(row.first, '.3f')} repeat {_number(row.repeat, '.3f')} spreg "
        f"{_number(row.spreg, '.2f')} ({row.spreg_status}) |delta| {_number(row.delta, '.1e')}"
    )


def markdown(rows: list[Row], load: tuple[str, str]) -> str:
    head = (
        "| n | model | one LU (s) | one PARDISO (s) | first fit (s) | repeat fit (s) | "
        "spreg LU (s) | first / LU | repeat / LU | spreg / first | spreg / repeat | "
        "log-det | search | \\|Δ\\| vs score root | spreg \\|Δ\\| |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        spreg = _number(r.spreg, ".2f") if r.spreg is not None else r.spreg_status
        lines.append(
            f"| {r.n:,} | {r.model} | {_number(r.lu, '.4f')} | {_number(r.pardiso, '.4f')} | "
            f"{_number(r.first, '.3f')} | {_number(r.repeat, '.3f')} | {spreg} | "
            f"{_ratio(r.first, r.lu)} | {_ratio(r.repeat, r.lu)} | {_ratio(r.spreg, r.first)} | "
            f"{_ratio(r.spreg, r.repeat)} | {r.logdet} | {r.factorisations} | "
            f"{_number(r.delta, '.1e')} | {_number(r.spreg_delta, '.1e')} |"
        )
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    return (
        "# Fit time against one factorisation and against spreg\n\n"
        f"`python benchmarks/speed.py` ({machine}); load average (1 min) {load[0]} at the start "
        f"and {load[1]} at the end of the run. Standard problem: kNN-10 row-standardised, three "
        "regressors, rho (lambda) = 0.5; fits with standard errors. One LU is scipy's splu of "
        "I - 0.5W (COLAMD); first fit on freshly built weights, repeat fit on the same weights "
        "object; |Δ| against the exact score root.\n\n" + head + "\n".join(lines) + "\n"
    )


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "n/a"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--no-spreg", action="store_true")
    parser.add_argument("--no-pardiso", action="store_true", help="fit as if MKL were absent")
    parser.add_argument("--spreg-limit", type=int, default=SPREG_LIMIT)
    parser.add_argument(
        "--reference-limit",
        type=int,
        default=REFERENCE_LIMIT,
        help="largest n at which |delta| against the score root is computed",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per child")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--stem", default="speed")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--software", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        worker(args)
        return 0
    start_load = _load()
    rows = run(args)
    load = (start_load, _load())
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / f"{args.stem}.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(Row)])
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
    (args.out / f"{args.stem}.md").write_text(markdown(rows, load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
