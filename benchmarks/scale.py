"""Wall time, peak memory and accuracy of ML fits as n grows, against spreg and R spatialreg.

The standard problem: n random points in the unit square (fixed seed), k = 10 nearest
neighbours, row-standardised; three standard-normal regressors and an intercept,
``y = (I - 0.5 W)^{-1}(X beta + e)`` with ``beta = (1, 1, -1, 0.5)`` and standard-normal
``e``. SAR and SEM are fitted to the same data by

* naeringsmiljo with every log-determinant method ``make_logdet`` accepts (read from the
  ``LogDetMethod`` option type; dense eigenvalues only up to ``DENSE_LOGDET_LIMIT``);
* spreg ``ML_Lag`` / ``ML_Error`` with ``method="LU"``, up to ``SPREG_LIMIT`` units: spreg's
  covariance inverts a dense n x n matrix;
* R spatialreg ``lagsarlm`` / ``errorsarlm`` with ``method="LU"`` and ``method="MC"`` when
  ``Rscript`` is on the path.

Every fit runs in its own child process, so that its peak resident memory (``VmHWM`` of that
process image, read by the child itself; it includes the interpreter and the data) is
separable. The wall time is measured
inside the child around the fit alone (for naeringsmiljo: building the model from arrays and
``fit``; for spreg: the ``ML_Lag``/``ML_Error`` call; for R: the ``lagsarlm``/``errorsarlm``
call), so interpreter start-up and reading the data are excluded. Accuracy is ``|delta rho|``
(``|delta lambda|`` for SEM) against the exact answer, the score root of the concentrated
likelihood to machine precision (method ``reference``: sparse LU values with complex-step
derivatives, or PARDISO values with central differences above the SuperLU limit). The
``lu`` and ``pardiso`` fits themselves take the values-only search, which stops within 1e-8.

Usage::

    python benchmarks/scale.py                    # n = 1e3, 1e4, 1e5
    python benchmarks/scale.py --sizes 1000000 --no-peers
    python benchmarks/scale.py --smoke            # tiny run for CI (LU against eigenvalues)

Results go to ``benchmarks/results/scale.csv`` and ``benchmarks/results/scale.md`` (or the
``--out`` directory).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import typing
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20240605
K_NEIGHBOURS = 10
RHO = 0.5
BETA = np.array([1.0, 1.0, -1.0, 0.5])
#: Dense eigenvalues cost O(n^3) time and 16 n^2 bytes; skipped above this size.
DENSE_LOGDET_LIMIT = 5000
#: spreg's ML covariance forms a dense n x n inverse (87 s and 5.2 GB at n = 10,000).
SPREG_LIMIT = 10_000
#: Above this, SuperLU-based methods ("lu", and "spline" built on exact values) and R's exact
#: LU are skipped: one SuperLU factorisation alone takes 15 to 19 s at n = 1e6 in a
#: nested-dissection order, and the score-root search needs tens of them.
SUPERLU_LIMIT = 200_000
MODELS = ("SAR", "SEM")
#: Methods whose estimate is the exact maximiser (the time ratios are against the fastest).
EXACT_METHODS = ("eigen", "lu", "cholesky", "pardiso", "reference")


@dataclass
class Row:
    n: int
    model: str
    software: str
    method: str
    status: str
    seconds: float | None = None
    peak_mb: float | None = None
    estimate: float | None = None
    abs_error: float | None = None
    ratio_to_ours: float | None = None
    baseline_mb: float | None = None
    impacts_seconds: float | None = None
    note: str = ""


# ----------------------------------------------------------------------------- data
def make_problem(n: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Points, kNN neighbour indices (k = 10), regressors and the SAR outcome."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    points = rng.random((n, 2))
    _, idx = cKDTree(points).query(points, K_NEIGHBOURS + 1)
    neighbours = idx[:, 1:].astype(np.int64)
    w = _row_standardised(neighbours)
    x = rng.standard_normal((n, 3))
    e = rng.standard_normal(n)
    # y = (I - rho W)^{-1} b by the Neumann series sum_k (rho W)^k b: ||rho W||_inf = 0.5, so 60
    # terms leave a relative error below 1e-18, without a factorisation (107 s at n = 1e6).
    b = BETA[0] + x @ BETA[1:] + e
    y = b.copy()
    for _ in range(60):
        y = b + RHO * (w @ y)
    return {"y": y, "x": x, "neighbours": neighbours}


def _row_standardised(neighbours: np.ndarray):
    import scipy.sparse as sp

    n, k = neighbours.shape
    rows = np.repeat(np.arange(n), k)
    return sp.csr_array((np.full(n * k, 1.0 / k), (rows, neighbours.ravel())), shape=(n, n))


def logdet_methods() -> list[str]:
    """The log-determinant methods the package accepts, without ``"auto"``."""
    from naeringsmiljo._options import LogDetMethod

    return [m for m in typing.get_args(LogDetMethod) if m != "auto"]


# ----------------------------------------------------------------------------- children
def _ours(data: dict[str, np.ndarray], model: str, method: str) -> dict[str, float]:
    from naeringsmiljo import SAR, SEM, SpatialWeights

    w = SpatialWeights.from_sparse(_row_standardised(data["neighbours"]), transform="r")
    cls = {"SAR": SAR, "SEM": SEM}[model]
    if method == "reference":
        return _reference(data, w, model)
    baseline = high_water_mb()
    start = time.perf_counter()
    res = cls.from_arrays(data["y"], data["x"], w).fit(logdet=method)
    seconds = time.perf_counter() - start
    param = "rho" if model == "SAR" else "lambda"
    out = {
        "seconds": seconds,
        "estimate": float(res.params[param]),
        "std_error": float(res.std_errors[param]),
        "baseline_mb": baseline,
        "note": f"{res.record.optimizer}; {res.cov_type}",
    }
    if model == "SAR":
        # impacts with simulated standard errors (1,000 draws), the default of impacts()
        start = time.perf_counter()
        res.impacts()
        out["impacts_seconds"] = time.perf_counter() - start
    out["peak_mb"] = high_water_mb()
    return out


def high_water_mb() -> float:
    """Peak resident memory of this process image, in MB.

    ``VmHWM`` of ``/proc/self/status`` starts afresh at ``exec``, whereas ``ru_maxrss`` keeps the
    parent's resident size at ``fork`` (the ~420 MB of a replication run). Elsewhere than Linux,
    ``ru_maxrss``.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reference(data: dict[str, np.ndarray], w, model: str) -> dict[str, float]:
    """The exact maximiser: bracketing Brent search and Brent root of the score. Up to the
    SuperLU limit with sparse LU values and complex-step derivatives (the score to rounding);
    above it with PARDISO values and a derivative by central differences of exact values
    (stated error ~1e-5 against a score of order n). The timed "lu" and "pardiso" fits take
    the values-only search instead. Not timed against the peers: it exists for |delta|."""
    from naeringsmiljo.weights.logdet import PardisoLogDet, SparseLULogDet

    n = data["y"].shape[0]
    if n <= SUPERLU_LIMIT:

        class LUScoreRoot(SparseLULogDet):
            values_search = False

        return _score_root(data, w, model, LUScoreRoot(w.sparse))

    class ScoreRoot:  # the same values, offered to the search as having a cheap derivative
        name = "pardiso (score root)"
        cheap_derivative = True

        def __init__(self) -> None:
            self.inner = PardisoLogDet(w.sparse)

        def __getattr__(self, attr: str):
            return getattr(self.inner, attr)

    return _score_root(data, w, model, ScoreRoot())


def _score_root(data: dict[str, np.ndarray], w, model: str, logdet) -> dict[str, float]:
    from naeringsmiljo.estimators import ml_search as ml

    n = data["y"].shape[0]
    x = np.column_stack([np.ones(n), data["x"]])
    start = time.perf_counter()
    lik = ml.ConcentratedLikelihood(data["y"], x, w.sparse, logdet)
    which = "rho" if model == "SAR" else "lambda"
    est = ml.fit_one_parameter(lik, which, w.parameter_interval())
    return {
        "seconds": time.perf_counter() - start,
        "estimate": float(est.rho if which == "rho" else est.lam),
        "peak_mb": high_water_mb(),
        "note": f"{est.record.message}; {est.record.evaluations} likelihood evaluations",
    }


def _spreg(data: dict[str, np.ndarray], model: str, method: str) -> dict[str, float]:
    import spreg
    from libpysal.weights import WSP

    w = WSP(_row_standardised(data["neighbours"]).tocsr()).to_W(silence_warnings=True)
    w.transform = "r"
    y = data["y"][:, None]
    start = time.perf_counter()
    if model == "SAR":
        res = spreg.ML_Lag(y, data["x"], w, method=method, spat_impacts=None, spat_diag=False)
        value, se = res.rho, res.std_err[-1]
    else:
        res = spreg.ML_Error(y, data["x"], w, method=method, spat_diag=False)
        value, se = res.lam, res.std_err[-1]
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "estimate": float(value),
        "std_error": float(se),
        "peak_mb": high_water_mb(),
        "note": "",
    }


#: The R side of every benchmark on this problem: the data and the k-nearest-neighbour lists
#: written by the parent, row-standardised into a listw.
R_KNN_LISTW = r"""
suppressPackageStartupMessages({library(spdep); library(spatialreg)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
nbm <- as.matrix(read.csv(args[2])) + 1L
nb <- lapply(seq_len(nrow(nbm)), function(i) sort(as.integer(nbm[i, ])))
class(nb) <- "nb"
attr(nb, "region.id") <- as.character(seq_len(nrow(nbm)))
attr(nb, "type") <- "knn"
attr(nb, "sym") <- FALSE
lw <- nb2listw(nb, style = "W")
"""

R_SCRIPT = R_KNN_LISTW + r"""f <- y ~ x1 + x2 + x3
t0 <- proc.time()[["elapsed"]]
if (args[3] == "SAR") {
  fit <- lagsarlm(f, data = d, listw = lw, method = args[4], quiet = TRUE)
  est <- fit$rho; se <- fit$rho.se
} else {
  fit <- errorsarlm(f, data = d, listw = lw, method = args[4], quiet = TRUE)
  est <- fit$lambda; se <- fit$lambda.se
}
t1 <- proc.time()[["elapsed"]]
status <- readLines("/proc/self/status")
hwm <- as.numeric(gsub("[^0-9]", "", status[grepl("^VmHWM:", status)])) / 1024
cat(sprintf('{"seconds": %.6f, "estimate": %.17g, "std_error": %.17g, "peak_mb": %.1f, "note": ""}\n',
            t1 - t0, est, se, hwm))
"""


def _r(data_dir: Path, model: str, method: str) -> list[str]:
    return [
        "Rscript",
        str(data_dir / "fit.R"),
        str(data_dir / "data.csv"),
        str(data_dir / "neighbours.csv"),
        model,
        method,
    ]


def worker(args: argparse.Namespace) -> None:
    """Child process: one fit, its result as one JSON line on stdout."""
    with np.load(args.data) as npz:
        data = {key: npz[key] for key in npz.files}
    fit = {"ours": _ours, "spreg": _spreg}[args.software]
    print(json.dumps(fit(data, args.model, args.method)))


def run_child(command: list[str], timeout: float) -> tuple[dict | None, float, str]:
    """Run one fit; returns its JSON result, the child's peak RSS in MB, and an error text."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                return None, usage.ru_maxrss / 1024, f"timeout after {timeout:.0f} s"
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = usage.ru_maxrss / 1024  # kilobytes on Linux
        out.seek(0)
        err.seek(0)
        text = out.read().decode()
        if proc.returncode != 0:
            tail = err.read().decode().strip().splitlines()[-3:]
            return None, peak, "failed: " + " | ".join(tail)
        lines = [line for line in text.splitlines() if line.startswith("{")]
        if not lines:
            return None, peak, "failed: no result printed"
        return json.loads(lines[-1]), peak, ""


# ----------------------------------------------------------------------------- driver
def run(args: argparse.Namespace) -> list[Row]:
    # the smoke run fits two independent exact methods, so that its accuracy column compares the
    # dense eigenvalue log-determinant with the sparse LU reference, not LU with itself
    methods = args.methods or (["lu", "eigen"] if args.smoke else logdet_methods())
    have_r = shutil.which("Rscript") is not None and not args.no_peers
    rows: list[Row] = []
    for n in args.sizes:
        data = make_problem(n)
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            np.savez(data_dir / "data.npz", **data)
            if have_r:
                _write_r_inputs(data_dir, data)
            for model in args.models:
                _fit_all(args, n, model, methods, data_dir, have_r, rows)
    return rows


def _fit_all(
    args: argparse.Namespace,
    n: int,
    model: str,
    methods: list[str],
    data_dir: Path,
    have_r: bool,
    rows: list[Row],
) -> None:
    """Fit one model with every method and peer, appending to ``rows`` and rewriting the
    result files after each fit, so that a long run keeps what it has finished."""
    python = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    jobs: list[tuple[str, str, list[str] | None, str]] = []
    for method in methods:
        skip = "dense eigenvalues" if method == "eigen" and n > DENSE_LOGDET_LIMIT else ""
        if method in ("lu", "spline") and n > SUPERLU_LIMIT:
            skip = "SuperLU factorisations (15-19 s each at n = 1e6)"
        command = python + ["ours", model, method, str(data_dir / "data.npz")]
        jobs.append(("naeringsmiljo", method, None if skip else command, skip))
    if not args.smoke or "lu" not in methods:
        command = python + ["ours", model, "reference", str(data_dir / "data.npz")]
        jobs.append(("naeringsmiljo", "reference", command, ""))
    if not args.no_peers:
        skip = f"dense n x n covariance above {SPREG_LIMIT:,} units" if n > SPREG_LIMIT else ""
        command = python + ["spreg", model, "LU", str(data_dir / "data.npz")]
        jobs.append(("spreg", "LU", None if skip else command, skip))
    if have_r:
        for method in ("LU", "MC"):
            skip = (
                "exact LU: minutes at n = 1e5"
                if method == "LU" and n > SUPERLU_LIMIT
                else ""
            )
            jobs.append(("spatialreg", method, None if skip else _r(data_dir, model, method), skip))
    first = len(rows)
    for software, method, command, skip in jobs:
        if command is None:
            rows.append(Row(n, model, software, method, "skipped", note=skip))
            _report_progress(rows[-1])
            continue
        result, peak, error = run_child(command, args.timeout)
        if result is None:
            rows.append(Row(n, model, software, method, error, peak_mb=peak))
        else:
            rows.append(
                Row(
                    n,
                    model,
                    software,
                    method,
                    "ok",
                    seconds=result["seconds"],
                    peak_mb=result.get("peak_mb", peak),
                    estimate=result["estimate"],
                    baseline_mb=result.get("baseline_mb"),
                    impacts_seconds=result.get("impacts_seconds"),
                    note=result.get("note", ""),
                )
            )
        _report_progress(rows[-1])
        _compare(rows[first:])
        write_results(rows, args.out, args.stem)


def _compare(rows: list[Row]) -> None:
    """|delta| against our exact estimate (the score root, method "reference"; in the smoke run
    the LU fit); time ratio of each fit to our fastest exact method."""
    ours_exact = {
        r.method: r
        for r in rows
        if r.software == "naeringsmiljo" and r.method in EXACT_METHODS and r.estimate is not None
    }
    reference = ours_exact.get("reference") or ours_exact.get("lu")
    exact = reference.estimate if reference else None
    ours = [
        r.seconds
        for r in rows
        if r.software == "naeringsmiljo"
        and r.method in EXACT_METHODS
        and r.method != "reference"
        and r.seconds is not None
    ]
    fastest = min(ours) if ours else None
    for r in rows:
        if r.estimate is not None and exact is not None:
            r.abs_error = abs(r.estimate - exact)
        if r.seconds is not None and fastest:
            r.ratio_to_ours = r.seconds / fastest


def _write_r_inputs(data_dir: Path, data: dict[str, np.ndarray]) -> None:
    (data_dir / "fit.R").write_text(R_SCRIPT)
    table = np.column_stack([data["y"], data["x"]])
    np.savetxt(
        data_dir / "data.csv", table, delimiter=",", header="y,x1,x2,x3", comments="", fmt="%.17g"
    )
    header = ",".join(f"k{j}" for j in range(data["neighbours"].shape[1]))
    np.savetxt(
        data_dir / "neighbours.csv",
        data["neighbours"],
        delimiter=",",
        header=header,
        comments="",
        fmt="%d",
    )


def _report_progress(row: Row) -> None:
    seconds = f"{row.seconds:.2f} s" if row.seconds is not None else row.status
    print(f"n={row.n:>8} {row.model} {row.software:>13} {row.method:>6}: {seconds}", flush=True)


# ----------------------------------------------------------------------------- output
def write_results(rows: list[Row], out: Path, stem: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / f"{stem}.csv", out / f"{stem}.md"
    fields = list(asdict(rows[0]))
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))
    md_path.write_text(markdown_table(rows))
    return csv_path, md_path


def markdown_table(rows: list[Row]) -> str:
    def number(value: float | None, fmt: str) -> str:
        return "" if value is None else format(value, fmt)

    lines = [
        (
            f"Standard problem: kNN (k = {K_NEIGHBOURS}) on uniform points, row-standardised, "
            f"rho = {RHO}, seed {SEED}. Time: the fit with standard errors, inside its own "
            "process; impacts: SAR impacts with simulated standard errors (1,000 draws) after "
            "the fit. Memory: peak RSS of that process (interpreter and data included); "
            "baseline: RSS before the fit; W: the CSR matrix (8-byte values, 4-byte indices). "
            "Ratio: time over naeringsmiljo's fastest exact method at the same n and model. "
            "|delta|: distance of the spatial parameter to naeringsmiljo's exact estimate "
            "(the score root, method 'reference': SuperLU values with complex-step derivatives, "
            "PARDISO values above the SuperLU limit)."
        ),
        "",
        (
            f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}."
        ),
        "",
        (
            "| n | model | software | method | seconds | impacts s | peak MB | baseline MB |"
            " (peak - baseline) / W | ratio | estimate | abs. delta | status |"
        ),
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        status = r.status if r.status != "skipped" else f"skipped: {r.note}"
        if status.startswith("failed: "):  # the last line of the traceback says why
            status = "failed: " + status.rsplit(" | ", 1)[-1].strip()
        w_mb = (12 * K_NEIGHBOURS * r.n + 4 * (r.n + 1)) / 2**20
        over_w = (
            None
            if r.peak_mb is None or r.baseline_mb is None
            else (r.peak_mb - r.baseline_mb) / w_mb
        )
        lines.append(
            f"| {r.n:,} | {r.model} | {r.software} | {r.method} | {number(r.seconds, '.2f')} | "
            f"{number(r.impacts_seconds, '.2f')} | {number(r.peak_mb, '.0f')} | "
            f"{number(r.baseline_mb, '.0f')} | {number(over_w, '.1f')} | "
            f"{number(r.ratio_to_ours, '.2f')} | {number(r.estimate, '.10f')} | "
            f"{number(r.abs_error, '.1e')} | {status} |"
        )
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(float(v)) for v in s.split(",")],
        default=[1_000, 10_000, 100_000],
        help="comma-separated sample sizes (default 1e3,1e4,1e5; 1e6 is allowed)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="n = 200, LU and eigenvalue log-determinants, no peers (for CI)",
    )
    parser.add_argument("--no-peers", action="store_true", help="naeringsmiljo only")
    parser.add_argument(
        "--methods",
        type=lambda s: s.split(","),
        default=None,
        help="comma-separated log-determinant methods (default: all that make_logdet accepts)",
    )
    parser.add_argument(
        "--models",
        type=lambda s: s.split(","),
        default=list(MODELS),
        help="comma-separated models among SAR, SEM (default both)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per fit")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="output directory")
    parser.add_argument("--stem", default=None, help="file name stem (default: scale)")
    parser.add_argument("--worker", nargs=4, metavar=("SOFTWARE", "MODEL", "METHOD", "DATA"))
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.no_peers = [200], True
    args.stem = args.stem or ("scale_smoke" if args.smoke else "scale")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        args.software, args.model, args.method, args.data = args.worker
        worker(args)
        return 0
    rows = run(args)
    csv_path, md_path = write_results(rows, args.out, args.stem)
    print(f"wrote {csv_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
