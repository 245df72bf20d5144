"""Step 6. Computing time, memory and accuracy of ML against the number of units.

Runs the project's benchmark, ``benchmarks/scale.py`` (its docstring states the design: n random
points, the 10 nearest neighbours row-standardised, ``y = (I - 0.5 W)^{-1}(X beta + e)``, SAR and
SEM fitted by us with each log-determinant method, by spreg ``ML_Lag``/``ML_Error`` with
``method="LU"`` up to n = 10,000, and by R spatialreg where ``Rscript`` is on the path; every fit
in its own process, timed around the fit alone). Fast mode: n = 500, 1,000, 2,000; full mode:
n = 1,000 to 100,000 with every method, and n = 1,000,000 with MKL PARDISO (the exact method
for large n) against R's Monte Carlo approximation.

Timings and memory are reported, not checked: they depend on the machine and its load. Checked
is the accuracy, ``|delta rho|`` (``|delta lambda|`` for SEM) against the exact estimate, the
score root of the concentrated likelihood (the benchmark's method ``reference``: sparse LU values
with complex-step derivatives, which solve the score equation to rounding; PARDISO values above
the SuperLU limit): our dense eigenvalue fit within 1e-10, our PARDISO fit (a handful of exact
values, stopping at 1e-8) within 5e-8, spreg within its search tolerance
(``replication/expected/s06.json``). The sparse LU fit takes the same values-only search as
PARDISO above 500 units and is reported, not checked.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

from replication.context import Context
from replication.latex import escape, num, sci, tabular

FAST_SIZES = (500, 1_000, 2_000)
FULL_SIZES = (1_000, 10_000, 100_000)
LARGE_SIZES = (1_000_000,)
# Exact methods in both modes; the approximate ones (with their stated errors) in full mode. The
# spline is left out: building its grid costs more than an exact fit unless W is reused.
FAST_METHODS = ("eigen", "lu", "pardiso")
FULL_METHODS = ("eigen", "lu", "pardiso", "chebyshev", "monte_carlo")
LARGE_METHODS = ("pardiso",)
#: Seconds after which one fit is stopped and reported as timed out (its number then fails).
FAST_TIMEOUT = 300.0
FULL_TIMEOUT = 1800.0
CHECKED = {("naeringsmiljo", "eigen"), ("naeringsmiljo", "pardiso"), ("spreg", "LU")}


def load_benchmark(root: Path):
    path = root / "benchmarks" / "scale.py"
    spec = importlib.util.spec_from_file_location("benchmarks_scale", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def measure(
    root: Path,
    sizes: tuple[int, ...],
    methods: tuple[str, ...],
    timeout: float,
    out: Path | None = None,
    stem: str = "scale",
) -> list:
    """Run the benchmark; its own tables (ratios, memory, notes) go to ``out/<stem>.md|csv``."""
    scale = load_benchmark(root)
    with tempfile.TemporaryDirectory() as tmp:
        sizes_arg = ",".join(map(str, sizes))
        args = scale.parse(
            [
                "--sizes",
                sizes_arg,
                "--methods",
                ",".join(methods),
                "--out",
                str(out or tmp),
                "--stem",
                stem,
                "--timeout",
                str(timeout),
            ]
        )
        return scale.run(args)


def latex(rows: list) -> str:
    """SAR and SEM side by side, one line per size and method (the estimates themselves are
    in the benchmark's CSV; the line ``reference`` is the exact fit the distances refer to)."""
    keys: list = []
    by_key: dict = {}
    for r in rows:
        key = (r.n, r.software, r.method)
        if key not in by_key:
            keys.append(key)
            by_key[key] = {}
        by_key[key][r.model] = r
    keys.sort(key=lambda k: k[0])  # stable: the methods keep their order within a size
    body: list = []
    for n, software, method in keys:
        line = [f"{n:,}".replace(",", "{,}"), f"{software} {escape(method)}"]
        for model in ("SAR", "SEM"):
            r = by_key[(n, software, method)].get(model)
            if r is None:
                line += ["", "", ""]
            elif r.status != "ok":
                # the limit itself ("... above 10,000 units") is in the caption
                reason = (r.note or r.status).split("|")[-1].split(" above ")[0].strip()
                reason = reason if len(reason) <= 30 else reason[:27] + "..."
                line.append(rf"\multicolumn{{3}}{{l}}{{{escape(reason)}}}")
            else:
                line += [
                    num(r.seconds, 2),
                    f"{r.peak_mb:,.0f}".replace(",", "{,}"),
                    "" if r.abs_error is None else sci(r.abs_error),
                ]
        body.append(line)
    columns = ["Seconds", "Peak MB", r"$|\Delta|$"]
    header = [
        ["", "", r"\multicolumn{3}{c}{SAR ($\rho$)}", r"\multicolumn{3}{c}{SEM ($\lambda$)}"],
        [r"\cmidrule(lr){3-5}\cmidrule(lr){6-8} $n$", "Software, log-determinant"]
        + columns
        + columns,
    ]
    note = (
        r"One fit each, in its own process (\texttt{benchmarks/scale.py}): wall-clock seconds "
        r"of the fit alone, peak resident memory of the process. $W$: 10 nearest neighbours, "
        r"row-standardised; data from the SAR with $\rho = 0.5$, to which the SEM is also "
        r"fitted. $|\Delta|$: distance of the estimate "
        r"from the exact fit (line \texttt{reference}: the root of the score equation, sparse LU "
        r"log-determinants, at $n = 10^6$ PARDISO). Hardware in "
        r"\texttt{replication/output/manifest.json}."
    )
    return tabular("rlrrrrrr", header, body, note=note)


def figure(rows: list):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.2), sharey=True)
    keys = sorted({(r.software, r.method) for r in rows if r.status == "ok"})
    colours = {key: plt.get_cmap("tab10")(i % 10) for i, key in enumerate(keys)}
    markers = {"naeringsmiljo": "o", "spreg": "s", "spatialreg": "^"}
    for ax, model in zip(axes, ("SAR", "SEM"), strict=True):
        series: dict[tuple[str, str], list] = {}
        for r in rows:
            if r.model == model and r.status == "ok":
                series.setdefault((r.software, r.method), []).append((r.n, r.seconds))
        for key, points in sorted(series.items()):
            ns, secs = zip(*sorted(points), strict=True)
            style = "-" if key[0] == "naeringsmiljo" else "--"
            marker = markers.get(key[0], "x")
            ax.loglog(ns, secs, style, color=colours[key], marker=marker, label=" ".join(key))
        ax.set_title(model)
        ax.set_xlabel("number of units $n$")
    axes[0].set_ylabel("seconds (one fit)")
    axes[1].legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def run(ctx: Context) -> dict[str, float]:
    if ctx.fast:
        rows = measure(ctx.root, FAST_SIZES, FAST_METHODS, FAST_TIMEOUT)
    else:
        # the benchmark's own tables, with time ratios and memory, next to the paper's
        out = ctx.tables
        rows = measure(ctx.root, FULL_SIZES, FULL_METHODS, FULL_TIMEOUT, out, "benchmark_full")
        rows += measure(ctx.root, LARGE_SIZES, LARGE_METHODS, FULL_TIMEOUT, out, "benchmark_1e6")
    ctx.write_table("performance", latex(rows))
    ctx.save_figure("scaling", figure(rows))
    return {
        f"s06.{r.model}.n{r.n}.{r.software}.{r.method}.abs_error": float(r.abs_error)
        for r in rows
        if (r.software, r.method) in CHECKED and r.abs_error is not None
    }
