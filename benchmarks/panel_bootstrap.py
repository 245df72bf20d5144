"""Monte Carlo of the iterative bootstrap bias correction of fixed-effects spatial panels.

``fit(bias_correction="bootstrap")`` (Everaert & Pozzi 2007; ``naeringsmiljo.estimators.
ml_bootstrap``) against the analytic corrections, on the samples of the two analytic studies:

* ``static``: the two-way fixed-effects SAR of ``panel_lee_yu.py`` (N = 50, T = 5, rho = 0.4),
  replication ``r`` the same sample as there; estimators: the direct approach, Lee-Yu, and the
  bootstrap correction of Lee-Yu.
* ``dynamic``: the time-space dynamic SAR of ``panel_dynamic.py`` at T = 5 (N = 50, tau = 0.4,
  eta = 0.1, rho = 0.3) with entity and two-way effects, replication ``r`` the same sample as
  there; estimators: ML (direct approach), the Yu-de Jong-Lee correction, and the bootstrap
  correction of the transformation approach's ML.
* ``dynamic_stationary``: the samples of ``dynamic``, with the bootstrap correction both from
  the observed first period (``bootstrap_start="observed"``, the default) and from a stationary
  start (``bootstrap_start="stationary"``), on the same replications and bootstrap seeds: the
  test of whether the initial condition explains the ``tau`` left over by the correction.

The bootstrap takes B = 200 samples per evaluation (the default) and seed ``r`` in replication
``r``. The replications are fixed by the CPU budget of a shared 2-core machine (about 2 s per
bootstrap fit): 300 per dynamic design point and 500 for the static design. Reported per
design, estimator and parameter: the mean bias with its Monte Carlo standard error, the bias in
MC standard errors, and the coverage of the 95% Wald interval with the binomial band
``0.95 +- 1.96 sqrt(0.95 * 0.05 / R)``.

Usage::

    python benchmarks/panel_bootstrap.py --study static [--replications 500]
    python benchmarks/panel_bootstrap.py --study dynamic [--replications 300]
    python benchmarks/panel_bootstrap.py --study dynamic_stationary [--replications 200] [--jobs 2]
    python benchmarks/panel_bootstrap.py --study dynamic_stationary --starts stationary \
        --replications 600 --jobs 2 --stem panel_bootstrap_dynamic_stationary_600
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd
import panel_dynamic
import panel_lee_yu
from panel_mc import fit_rows, lattice, summarise

from naeringsmiljo import SAR

#: Bootstrap samples per evaluation of the mean map (the package's default).
BOOTSTRAP_REPLICATIONS = 200
REPLICATIONS = {"static": 500, "dynamic": 300, "dynamic_stationary": 200}
KEYS = ("effects", "estimator", "parameter")


def _bootstrap(r: int, start: str = "observed") -> dict[str, object]:
    return {
        "bias_correction": "bootstrap",
        "replications": BOOTSTRAP_REPLICATIONS,
        "seed": r,
        "bootstrap_start": start,
    }


def static_rows(r: int) -> list[dict[str, object]]:
    w = lattice(panel_lee_yu.N_ROWS, panel_lee_yu.N_COLS)
    rng = np.random.default_rng(np.random.SeedSequence(20100, spawn_key=(r,)))
    model = SAR.from_formula("y ~ x", panel_lee_yu.simulate(w, rng), w, effects="twoways")
    fits = {
        "direct": {"bias_correction": False},
        "Lee-Yu": {"bias_correction": True},
        "bootstrap": _bootstrap(r),
    }
    return fit_rows(model, panel_lee_yu.TRUE, {"effects": "twoways", "replication": r}, fits)


def dynamic_rows(
    r: int, starts: tuple[str, ...] = (), designs: tuple[str, ...] = ("entity", "twoways")
) -> list[dict[str, object]]:
    """Replication ``r`` of the dynamic designs; with ``starts``, the bootstrap from those
    initial conditions (``"observed"``, ``"stationary"``) rather than the default one."""
    w = lattice(panel_dynamic.N_ROWS, panel_dynamic.N_COLS)
    rows = []
    for effects in designs:
        point = panel_dynamic.DESIGNS.index((effects, 5))
        rng = np.random.default_rng(np.random.SeedSequence(20080, spawn_key=(point, r)))
        data = panel_dynamic.simulate(w, 5, effects, rng)
        model = SAR.from_formula("y ~ x", data, w, effects=effects, dynamic="spacetime")
        fits = {
            "ML": {"bias_correction": False},
            # the covariance of the committed tables (panel_dynamic.md compares both)
            "Yu-de Jong-Lee": {"bias_correction": True, "correction_cov": "ml"},
            "bootstrap": _bootstrap(r),
        }
        if starts:
            fits = {
                **{k: v for k, v in fits.items() if k != "bootstrap"},
                **{f"bootstrap, {start} start": _bootstrap(r, start) for start in starts},
            }
        rows += fit_rows(model, panel_dynamic.TRUE, {"effects": effects, "replication": r}, fits)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--study", choices=("static", "dynamic", "dynamic_stationary"), required=True
    )
    parser.add_argument("--replications", type=int, default=None)
    parser.add_argument("--effects", choices=("entity", "twoways"), nargs="+", default=None)
    parser.add_argument(
        "--starts",
        choices=("observed", "stationary"),
        nargs="+",
        default=None,
        help="dynamic_stationary: the initial conditions of the bootstrap (default both)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--stem", default=None, help="file name (default panel_bootstrap_STUDY)")
    args = parser.parse_args()
    study = args.study
    count = REPLICATIONS[study] if args.replications is None else args.replications
    make: Callable[[int], list[dict[str, object]]]
    if study == "static":
        make, true = static_rows, panel_lee_yu.TRUE
    else:
        designs = tuple(args.effects or ("entity", "twoways"))
        starts = tuple(args.starts or ("observed", "stationary"))
        make = functools.partial(
            dynamic_rows, starts=starts if study == "dynamic_stationary" else (), designs=designs
        )
        true = panel_dynamic.TRUE
    start = time.perf_counter()
    if args.jobs > 1:
        with Pool(args.jobs) as pool:
            chunks = pool.map(make, range(count), chunksize=1)
    else:
        chunks = [make(r) for r in range(count)]
    draws = pd.DataFrame([row for chunk in chunks for row in chunk])
    elapsed = time.perf_counter() - start
    table = summarise(draws, KEYS, true)
    boot = draws[draws["estimator"].str.startswith("bootstrap")]
    failed = {
        str(name): int(group.loc[~group["converged"].astype(bool), "replication"].nunique())
        for name, group in boot.groupby("estimator", sort=False)
    }
    table.insert(0, "study", study)
    args.out.mkdir(parents=True, exist_ok=True)
    name = args.stem or f"panel_bootstrap_{study}"
    table.to_csv(args.out / f"{name}.csv", index=False, float_format="%.6g")
    text = markdown(
        table,
        study,
        count,
        elapsed,
        failed,
        args.jobs,
        paired(draws),
        starts=tuple(args.starts or ("observed", "stationary")),
        command=" ".join(sys.argv[1:]),
    )
    (args.out / f"{name}.md").write_text(text)
    print(text)


def paired(draws: pd.DataFrame) -> list[str]:
    """Per design point and parameter, the mean difference of the stationary-start and the
    observed-start bootstrap estimates over the same replications, with its paired Monte Carlo
    standard error (empty unless both were fitted)."""
    names = ("bootstrap, stationary start", "bootstrap, observed start")
    if not set(names) <= set(draws["estimator"]):
        return []
    lines = []
    for effects, group in draws.groupby("effects", sort=False):
        wide = group[group["estimator"].isin(names)].pivot_table(
            index=["replication", "parameter"], columns="estimator", values="estimate"
        )
        difference = (wide[names[0]] - wide[names[1]]).groupby(level="parameter", sort=False)
        parts = [
            f"{p} {d.mean():+.4f} (s.e. {d.std(ddof=1) / np.sqrt(len(d)):.4f})"
            for p, d in difference
        ]
        lines.append(f"- {effects} effects: {', '.join(parts)}.")
    return lines


def criteria(table: pd.DataFrame, estimator: str) -> list[str]:
    """Per design point, the parameters of ``estimator`` whose bias is within 2 MC s.e. and
    whose 95% coverage is in the binomial band, and those that are not."""
    lines = []
    for effects, group in table[table["estimator"] == estimator].groupby("effects", sort=False):
        unbiased = group["bias_in_mc_se"].abs() < 2
        covered = group["coverage"].between(group["band_low"], group["band_high"])
        ok = group.loc[unbiased & covered, "parameter"].tolist()
        bad = [
            f"{row.parameter} (bias {row.bias_in_mc_se:.1f} MC s.e., coverage {row.coverage:.3f})"
            for row in group[~(unbiased & covered)].itertuples()
        ]
        lines.append(
            f"- {estimator}, {effects} effects: both criteria met for "
            f"{', '.join(ok) if ok else 'no parameter'}"
            + (f"; not met for {', '.join(bad)}." if bad else ".")
        )
    return lines


def markdown(
    table: pd.DataFrame,
    study: str,
    count: int,
    elapsed: float,
    failed: dict[str, int],
    jobs: int = 1,
    differences: list[str] | None = None,
    starts: tuple[str, ...] = ("observed", "stationary"),
    command: str = "",
) -> str:
    """The results page: design, table, and which criteria each correction meets."""
    design = (
        "two-way fixed-effects SAR, N = 50 (5 x 10 rook lattice, row-standardised), T = 5, "
        "rho = 0.4, beta = 1, sigma^2 = 1 (the samples of panel_lee_yu.md)"
        if study == "static"
        else "time-space dynamic SAR, N = 50 (5 x 10 rook lattice, row-standardised), T = 5 "
        "periods used (6 observed, the first conditioned on), tau = 0.4, eta = 0.1, rho = 0.3, "
        "beta = 1, sigma^2 = 1 (the samples of panel_dynamic.md)"
    )
    analytic = "Lee-Yu" if study == "static" else "Yu-de Jong-Lee"
    unconverged = ", ".join(f"{k}: {v}" for k, v in failed.items())
    title = {
        "static": "static",
        "dynamic": "dynamic",
        "dynamic_stationary": f"dynamic, {' and '.join(starts)} start of the samples",
    }[study]
    lines = [
        f"# Iterative bootstrap bias correction of fixed-effects panels: {title} (Monte Carlo)",
        "",
        (
            f"{design}; {count} replications per design point (fixed in advance by the CPU "
            f"budget), bootstrap B = {BOOTSTRAP_REPLICATIONS} with seed r in replication r; "
            f"replications with a bootstrap fit reported not converged (kept in the table): "
            f"{unconverged}; {elapsed:.0f} s with {jobs} worker process(es) on a 2-core "
            f"machine shared with other work. "
            f"`python benchmarks/panel_bootstrap.py {command or '--study ' + study}`."
        ),
        "",
        (
            "| effects | estimator | parameter | bias | MC s.e. | bias / MC s.e. "
            "| coverage of 95% | binomial band |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.effects} | {row.estimator} | {row.parameter} | {row.bias:.4f} | "
            f"{row.mc_se:.4f} | {row.bias_in_mc_se:.1f} | {row.coverage:.3f} | "
            f"[{row.band_low:.3f}, {row.band_high:.3f}] |"
        )
    lines += [
        "",
        "Criteria (bias within 2 MC s.e. of the truth and 95% coverage in the binomial band):",
        "",
        *[line for name in failed for line in criteria(table, name)],
        *criteria(table, analytic),
    ]
    if differences:
        lines += [
            "",
            "Stationary minus observed start, mean over the same replications (paired MC s.e.):",
            "",
            *differences,
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
