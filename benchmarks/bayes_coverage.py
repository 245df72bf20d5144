"""Frequentist coverage of the Bayesian SAR's 95% credible intervals (a Monte Carlo study).

SAR on a 10 x 10 rook lattice (n = 100, row-standardised), ``y = (I - 0.5 W)^{-1}(1 + x + e)``
with ``x, e ~ N(0, 1)`` drawn afresh in each replication (seed ``(SEED, replication)``), fitted
with ``fit(method="bayes", draws=2000, burn=500)`` under the flat priors (``rho_a = 1``). With
flat priors the posterior intervals are approximately frequentist intervals (Bernstein-von
Mises), so their coverage should lie in the binomial band around 0.95.

Usage::

    python benchmarks/bayes_coverage.py            # 200 replications
    python benchmarks/bayes_coverage.py --replications 20 --out /tmp

Writes ``benchmarks/results/bayes_coverage.csv`` (one row per replication) and
``bayes_coverage.md`` (coverage with its binomial band).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261205
RHO, BETA = 0.5, (1.0, 1.0)
SIDE = 10
RESULTS = Path(__file__).parent / "results"


def replication(r: int, w, dense: np.ndarray) -> dict[str, float]:
    import naeringsmiljo as nm
    from naeringsmiljo.exceptions import MixingWarning

    rng = np.random.default_rng(np.random.SeedSequence((SEED, r)))
    n = dense.shape[0]
    x = rng.standard_normal(n)
    y = np.linalg.solve(np.eye(n) - RHO * dense, BETA[0] + BETA[1] * x + rng.standard_normal(n))
    frame = pd.DataFrame({"y": y, "x": x}, index=w.ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixingWarning)  # counted below instead
        res = nm.SAR.from_formula("y ~ x", frame, w).fit(
            method="bayes", draws=2000, burn=500, seed=(SEED, r), priors=nm.Priors(rho_a=1.0)
        )
    ci = res.conf_int(0.05)
    truth = {"Intercept": BETA[0], "x": BETA[1], "rho": RHO}
    row: dict[str, float] = {"replication": r, "max_rhat": float(res.diagnostics["rhat"].max())}
    for name, value in truth.items():
        row[f"{name}_mean"] = float(res.params[name])
        row[f"{name}_covered"] = float(ci.loc[name, "lower"] <= value <= ci.loc[name, "upper"])
    return row


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Coverage of each parameter with the 3-standard-error binomial band around 0.95."""
    reps = len(rows)
    half = 3 * np.sqrt(0.95 * 0.05 / reps)
    out = []
    for name in ("Intercept", "x", "rho"):
        cover = rows[f"{name}_covered"].mean()
        bias = rows[f"{name}_mean"].mean() - {"Intercept": BETA[0], "x": BETA[1], "rho": RHO}[name]
        out.append({"parameter": name, "coverage": cover, "band_low": 0.95 - half,
                    "band_high": min(0.95 + half, 1.0), "mean_bias": bias})
    return pd.DataFrame(out)


def main() -> None:
    import libpysal

    import naeringsmiljo as nm

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    w = nm.SpatialWeights.from_libpysal(libpysal.weights.lat2W(SIDE, SIDE, rook=True))
    w = w.row_standardize()
    dense = w.sparse.toarray()
    rows = pd.DataFrame([replication(r, w, dense) for r in range(args.replications)])
    args.out.mkdir(parents=True, exist_ok=True)
    rows.to_csv(args.out / "bayes_coverage.csv", index=False)
    table = summarise(rows)
    text = [
        "# Coverage of the Bayesian SAR's 95% credible intervals",
        "",
        f"{len(rows)} replications, n = {SIDE * SIDE} (rook lattice), rho = {RHO}, "
        "2,000 draws of which 500 burn-in, flat priors; band: 0.95 +- 3 binomial s.e.; "
        f"largest R-hat over all fits {rows['max_rhat'].max():.3f}. "
        "`python benchmarks/bayes_coverage.py` regenerates this file.",
        "",
        table.to_markdown(index=False, floatfmt=".4f"),
    ]
    (args.out / "bayes_coverage.md").write_text("\n".join(text) + "\n")


if __name__ == "__main__":
    main()
