"""Size and power of the panel LM tests (naeringsmiljo.inference.panel_diagnostics), by simulation.

Design: the 48 states of Produc with their queen contiguity (``datasets.produc_weights()``,
row-standardised), ``T = 5`` periods, ``X = [x1, x2]`` standard normal (redrawn in every
replication), ``beta = (1, -1)``, ``e ~ N(0, I)``. Data-generating processes (``dgp``):

* ``null``: ``y = X beta + c + e``;
* ``lag``: ``y = (I_T ⊗ (I - 0.3 W))^{-1} (X beta + c + e)``;
* ``error``: ``y = X beta + c + (I_T ⊗ (I - 0.3 W))^{-1} e``;
* ``random`` (pooled only): ``c`` a random entity effect ``mu_i ~ N(0, 0.25)`` independent of X.

``c`` is the constant 1 for the pooled panel (``effects="none"``); with ``"entity"`` effects it
is ``mu_i = mean_t x1_it + N(0, 1)`` (correlated with X, so that only the within estimator is
consistent); with ``"twoways"`` that plus ``tau_t ~ N(0, 1)``. The LM tests sweep out the
effects of their row; the pooled rows also report the Baltagi-Song-Koh tests. Fixed-effects rows
are computed with the degrees-of-freedom correction (``dof="corrected"``, the package default) and
without it (``dof="splm"``, R splm's ``slmtest``).

Replication ``r`` of cell ``c`` draws from ``SeedSequence(seed, spawn_key=(c, r))``. Reported:
rejection rate at 5% with the Monte Carlo standard error ``sqrt(p(1 - p)/R)``; under the null the
99% binomial band ``0.05 +- 2.576 sqrt(0.05 * 0.95 / R)``.

Usage::

    python benchmarks/panel_lm_size_power.py --seed 20261205 --replications 1000

Writes ``benchmarks/results/panel_lm_size_power.csv`` and ``.md``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from naeringsmiljo import datasets
from naeringsmiljo.inference import panel_diagnostics as pdg

HERE = Path(__file__).resolve().parent
N_PERIODS = 5
SPATIAL = 0.3
SIGMA2_MU = 0.25
BETA = np.array([1.0, -1.0])
LEVEL = 0.05
CELLS = [
    ("none", "null"), ("none", "lag"), ("none", "error"), ("none", "random"),
    ("entity", "null"), ("entity", "lag"), ("entity", "error"),
    ("twoways", "null"), ("twoways", "lag"), ("twoways", "error"),
]  # fmt: skip
LM_TESTS = ("lm_lag", "lm_error", "rlm_lag", "rlm_error")
BSK_TESTS = ("lm1", "lm2", "lm_h", "lm_joint")


def _draw(rng: np.random.Generator, effects: str, dgp: str, lu, w, n: int, t: int):
    x = rng.normal(size=(n * t, 2))
    e = rng.normal(size=n * t)
    if effects == "none":
        mu = rng.normal(scale=math.sqrt(SIGMA2_MU), size=n) if dgp == "random" else np.zeros(n)
        c = 1.0 + np.tile(mu, t)
    else:
        mu = x[:, 0].reshape(t, n).mean(axis=0) + rng.normal(size=n)
        c = np.tile(mu, t)
        if effects == "twoways":
            c = c + np.repeat(rng.normal(size=t), n)

    def solve(v: np.ndarray) -> np.ndarray:
        return lu.solve(v.reshape(t, n).T).T.reshape(-1)

    if dgp == "error":
        return solve(e) + x @ BETA + c, x
    signal = x @ BETA + c + e
    return (solve(signal) if dgp == "lag" else signal), x


def run(seed: int, replications: int) -> pd.DataFrame:
    """Rejection counts of every test in every cell."""
    w = datasets.produc_weights().row_standardize()
    wm = sp.csc_array(w.sparse)
    n, t = w.n, N_PERIODS
    lu = splu(sp.csc_matrix(sp.identity(n, format="csc") - SPATIAL * wm))
    rows = []
    for cell, (effects, dgp) in enumerate(CELLS):
        counts: dict[tuple[str, str], int] = {}
        for r in range(replications):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(cell, r)))
            y, x = _draw(rng, effects, dgp, lu, wm, n, t)
            if effects == "none":
                x1 = np.column_stack([np.ones(n * t), x])
                results = {("lm", "-"): pdg.panel_lm_tests(y, x1, w, n, t)}
                bsk = pdg.bsk_tests(y, x1, w, n, t)
                for name in BSK_TESTS:
                    key = (name, "-")
                    counts[key] = counts.get(key, 0) + int(getattr(bsk, name).pvalue < LEVEL)
            else:
                results = {
                    ("lm", dof): pdg.panel_lm_tests(
                        y, x, w, n, t, effects=effects, dof_correction=dof == "corrected"
                    )
                    for dof in ("corrected", "splm")
                }
            for (_, dof), tests in results.items():
                for name in LM_TESTS:
                    key = (name, dof)
                    counts[key] = counts.get(key, 0) + int(getattr(tests, name).pvalue < LEVEL)
        for (name, dof), count in counts.items():
            rate = count / replications
            rows.append(
                {
                    "effects": effects,
                    "dgp": dgp,
                    "test": name,
                    "dof": dof,
                    "rejections": count,
                    "replications": replications,
                    "rate": rate,
                    "mc_se": math.sqrt(rate * (1 - rate) / replications),
                }
            )
    return pd.DataFrame(rows)


def band(replications: int) -> tuple[float, float]:
    """The 99% binomial band of the rejection rate of a 5% test."""
    half = 2.576 * math.sqrt(LEVEL * (1 - LEVEL) / replications)
    return LEVEL - half, LEVEL + half


def markdown(table: pd.DataFrame, seed: int, replications: int) -> str:
    low, high = band(replications)
    wide = table.pivot_table(
        index=["effects", "test", "dof"], columns="dgp", values="rate", sort=False
    ).reset_index()
    lines = [
        "# Size and power of the panel LM tests",
        "",
        f"`python benchmarks/panel_lm_size_power.py --seed {seed} --replications {replications}`"
        f" (design in the script's docstring: Produc's 48 states, queen W, T = {N_PERIODS}, "
        f"rho = lambda = {SPATIAL}). Rejection rates at 5%; under the null the 99% binomial "
        f"band is [{low:.3f}, {high:.3f}].",
        "",
        "| effects | test | dof | " + " | ".join(c for c in wide.columns[3:]) + " |",
        "|---|---|---|" + "---|" * (len(wide.columns) - 3),
    ]
    for _, row in wide.iterrows():
        cells = " | ".join("" if pd.isna(v) else f"{v:.3f}" for v in row.iloc[3:])
        lines.append(f"| {row['effects']} | {row['test']} | {row['dof']} | {cells} |")
    lines += [
        "",
        "`dof = splm`: sigma^2 over N T and the trace term times T, as R splm's slmtest; with "
        "entity effects and T = 5 the error test is then (T / (T - 1)) = 1.25 times the "
        "corrected one, and over-rejects.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--replications", type=int, default=1000)
    args = parser.parse_args()
    table = run(args.seed, args.replications)
    out = HERE / "results"
    table.to_csv(out / "panel_lm_size_power.csv", index=False, float_format="%.6g")
    (out / "panel_lm_size_power.md").write_text(markdown(table, args.seed, args.replications))
    print(markdown(table, args.seed, args.replications))


if __name__ == "__main__":
    main()
