"""Monte Carlo of the Yu, de Jong & Lee (2008) bias correction of dynamic spatial panels.

Time-space dynamic SAR with fixed effects, N = 50 entities on a 5 x 10 rook lattice
(row-standardised), ``y_t = tau y_{t-1} + eta W y_{t-1} + rho W y_t + x_t beta + mu (+ xi_t)
+ e_t`` with tau = 0.4, eta = 0.1, rho = 0.3, beta = 1, sigma^2 = 1, entity effects correlated
with x; the process starts 50 periods before the sample (from zero) so that the first observed
period is close to the stationary distribution, and the likelihood conditions on it. Design
points: entity and two-way effects, T = 5 and 10 periods used (T + 1 observed). Each
replication is fitted by ML (``fit()``, the direct approach) and with the bias correction
(``fit(bias_correction=True)``). Reported per design point, estimator and parameter: the mean
bias with its Monte Carlo standard error, the bias in MC standard errors, and the coverage of
the 95% Wald interval with the binomial band ``0.95 +- 1.96 sqrt(0.95 * 0.05 / R)``.

Replication ``r`` of design point ``p`` draws from
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(p, r)))``.

Usage::

    python benchmarks/panel_dynamic.py [--replications 1000] [--seed 20080] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from panel_mc import fit_rows, lattice, summarise

from naeringsmiljo import SAR, SpatialWeights

N_ROWS, N_COLS, BURN_IN = 5, 10, 50
TRUE = {"tau": 0.4, "eta": 0.1, "rho": 0.3, "x": 1.0, "sigma2": 1.0}
DESIGNS = (("entity", 5), ("entity", 10), ("twoways", 5), ("twoways", 10))
KEYS = ("effects", "periods", "estimator", "parameter")


def simulate(
    w: SpatialWeights, periods: int, effects: str, rng: np.random.Generator
) -> pd.DataFrame:
    """``periods + 1`` observed periods of the process (the first one conditioned on), with
    period effects when ``effects="twoways"``."""
    n, total = w.n, BURN_IN + periods + 1
    dense = w.sparse.toarray()
    mu = rng.normal(size=n)
    xi = rng.normal(size=total) if effects == "twoways" else np.zeros(total)
    x = rng.normal(size=(total, n)) + 0.5 * mu[None, :]
    e = rng.normal(scale=np.sqrt(TRUE["sigma2"]), size=(total, n))
    s = np.eye(n) - TRUE["rho"] * dense
    b = TRUE["tau"] * np.eye(n) + TRUE["eta"] * dense
    y = np.zeros((total, n))
    previous = np.zeros(n)
    for t in range(total):
        y[t] = np.linalg.solve(s, b @ previous + TRUE["x"] * x[t] + mu + xi[t] + e[t])
        previous = y[t]
    y, x = y[BURN_IN:], x[BURN_IN:]
    index = pd.MultiIndex.from_product([list(w.ids), range(periods + 1)], names=["entity", "time"])
    return pd.DataFrame({"y": y.T.reshape(-1), "x": x.T.reshape(-1)}, index=index)


def replicate(w: SpatialWeights, seed: int, point: int, r: int) -> list[dict[str, object]]:
    effects, periods = DESIGNS[point]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(point, r)))
    data = simulate(w, periods, effects, rng)
    model = SAR.from_formula("y ~ x", data, w, effects=effects, dynamic="spacetime")
    labels = {"effects": effects, "periods": periods, "replication": r}
    return fit_rows(model, TRUE, labels, ("ML", "corrected"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20080)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    w = lattice(N_ROWS, N_COLS)
    start = time.perf_counter()
    rows = [
        row
        for point in range(len(DESIGNS))
        for r in range(args.replications)
        for row in replicate(w, args.seed, point, r)
    ]
    elapsed = time.perf_counter() - start
    table = summarise(pd.DataFrame(rows), KEYS, TRUE)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "panel_dynamic.csv", index=False, float_format="%.6g")
    lines = [
        "# Bias correction of dynamic spatial panels (Monte Carlo)",
        "",
        (
            f"Time-space dynamic SAR, N = {w.n} (5 x 10 rook lattice, row-standardised), "
            "tau = 0.4, eta = 0.1, rho = 0.3, beta = 1, sigma^2 = 1, T periods used (T + 1 "
            f"observed, the first conditioned on); {args.replications} replications per design "
            f"point, seed {args.seed}; {elapsed:.0f} s on a loaded 2-core machine. "
            "`python benchmarks/panel_dynamic.py`."
        ),
        "",
        (
            "| effects | T | estimator | parameter | bias | MC s.e. | bias / MC s.e. "
            "| coverage of 95% | binomial band |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.effects} | {row.periods} | {row.estimator} | {row.parameter} | "
            f"{row.bias:.4f} | {row.mc_se:.4f} | {row.bias_in_mc_se:.1f} | {row.coverage:.3f} | "
            f"[{row.band_low:.3f}, {row.band_high:.3f}] |"
        )
    t = table.set_index(["effects", "periods", "estimator", "parameter"])

    def cell(effects: str, periods: int, estimator: str, name: str) -> str:
        row = t.loc[(effects, periods, estimator, name)]
        return f"{row['bias']:.4f} ({row['bias_in_mc_se']:.1f} MC s.e.)"

    lines += [
        "",
        (
            "ML conditional on the first period has the Nickell bias of order 1/T in tau: "
            f"{cell('entity', 5, 'ML', 'tau')} at T = 5 and {cell('entity', 10, 'ML', 'tau')} at "
            "T = 10 with entity effects, and its 95% intervals cover tau in 34% of the "
            "samples or fewer. The correction (`fit(bias_correction=True)`: the Lee-Yu "
            "transformation likelihood plus the Yu-de Jong-Lee term I^{-1} b) leaves "
            f"{cell('entity', 5, 'corrected', 'tau')} and {cell('entity', 10, 'corrected', 'tau')};"
            f" with two-way effects {cell('twoways', 5, 'corrected', 'tau')} and "
            f"{cell('twoways', 10, 'corrected', 'tau')}. The remainder is O(1/T^2): at T = 5 "
            "the corrected tau still over-shoots by about 0.02 (more than 2 MC s.e.) and its "
            "intervals under-cover (0.86 to 0.88)."
        ),
        "",
        (
            f"rho: ML {cell('twoways', 10, 'ML', 'rho')} with two-way effects at T = 10 (the "
            "direct approach's O(1/N) bias of period effects plus the dynamics), corrected "
            f"{cell('twoways', 10, 'corrected', 'rho')}; with entity effects "
            f"{cell('entity', 10, 'ML', 'rho')} and {cell('entity', 10, 'corrected', 'rho')}. "
            "The corrected rho keeps a bias of about -0.006, more than 2 MC s.e. at 1,000 "
            "replications, of the size of the ordinary O(1/n) ML bias of a spatial parameter "
            "that the static Lee-Yu study also finds (panel_lee_yu.md: -0.0036 at n = 196); "
            "its intervals cover in the binomial band. sigma^2: the correction removes most of "
            f"the bias ({cell('entity', 10, 'ML', 'sigma2')} to "
            f"{cell('entity', 10, 'corrected', 'sigma2')} at T = 10), not all of it: the "
            "degrees-of-freedom term -(k + 1) sigma^2 / (N(T - 1)) = -0.009 and an O(1/T^2) "
            "term of the dynamics remain."
        ),
    ]
    (args.out / "panel_dynamic.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
