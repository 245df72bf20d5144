"""Monte Carlo of the Lee & Yu (2010) bias correction of fixed-effects spatial panels.

Two-way fixed-effects SAR, N = 50 entities on a 5 x 10 rook lattice (row-standardised), T = 5
periods, ``y_t = rho W y_t + x_t beta + mu + xi_t + e_t`` with rho = 0.4, beta = 1,
sigma^2 = 1, entity effects correlated with x and period effects. Each replication is fitted by
the direct approach (``fit()``, as spreg and splm) and the transformation approach
(``fit(bias_correction=True)``). Reported per estimator and parameter: the mean bias with its
Monte Carlo standard error, the bias in MC standard errors, and the coverage of the 95% Wald
interval with the binomial band ``0.95 +- 1.96 sqrt(0.95 * 0.05 / R)``.

Replication ``r`` draws from ``numpy.random.default_rng(SeedSequence(seed, spawn_key=(r,)))``.

Usage::

    python benchmarks/panel_lee_yu.py [--replications 2000] [--seed 20100] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from panel_mc import fit_rows, lattice, summarise

from naeringsmiljo import SAR, SpatialWeights

N_ROWS, N_COLS, PERIODS = 5, 10, 5
TRUE = {"rho": 0.4, "x": 1.0, "sigma2": 1.0}


def simulate(w: SpatialWeights, rng: np.random.Generator) -> pd.DataFrame:
    n, t = w.n, PERIODS
    mu = rng.normal(size=n)
    xi = rng.normal(size=t)
    x = rng.normal(size=(t, n)) + 0.5 * mu[None, :] + 0.5 * xi[:, None]
    e = rng.normal(scale=np.sqrt(TRUE["sigma2"]), size=(t, n))
    a = np.eye(n) - TRUE["rho"] * w.sparse.toarray()
    y = np.linalg.solve(a, (TRUE["x"] * x + mu[None, :] + xi[:, None] + e).T).T
    index = pd.MultiIndex.from_product([list(w.ids), range(t)], names=["entity", "time"])
    return pd.DataFrame({"y": y.T.reshape(-1), "x": x.T.reshape(-1)}, index=index)


def replicate(w: SpatialWeights, seed: int, r: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(r,)))
    data = simulate(w, rng)
    model = SAR.from_formula("y ~ x", data, w, effects="twoways")
    return fit_rows(model, TRUE, {"replication": r}, ("direct", "Lee-Yu"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20100)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    w = lattice(N_ROWS, N_COLS)
    start = time.perf_counter()
    rows = [row for r in range(args.replications) for row in replicate(w, args.seed, r)]
    elapsed = time.perf_counter() - start
    table = summarise(pd.DataFrame(rows), ("estimator", "parameter"), TRUE)
    corrected = table.set_index(["estimator", "parameter"])
    sigma2_left = corrected.loc[("Lee-Yu", "sigma2"), "bias"] + 2 / 196
    sigma2_se = corrected.loc[("Lee-Yu", "sigma2"), "mc_se"]
    rho_left = corrected.loc[("Lee-Yu", "rho"), "bias"]
    rho_se = corrected.loc[("Lee-Yu", "rho"), "mc_se"]
    rho_direct = corrected.loc[("direct", "rho"), "bias"]
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "panel_lee_yu.csv", index=False, float_format="%.6g")
    lines = [
        "# Lee-Yu bias correction of two-way fixed-effects SAR panels (Monte Carlo)",
        "",
        (
            f"N = {w.n} (5 x 10 rook lattice, row-standardised), T = {PERIODS}, rho = 0.4, beta = 1, "
            f"sigma^2 = 1; {args.replications} replications, seed {args.seed}; "
            f"{elapsed:.0f} s on a loaded 2-core machine. `python benchmarks/panel_lee_yu.py`."
        ),
        "",
        "| estimator | parameter | bias | MC s.e. | bias / MC s.e. | coverage of 95% | binomial band |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.estimator} | {row.parameter} | {row.bias:.4f} | {row.mc_se:.4f} | "
            f"{row.bias_in_mc_se:.1f} | {row.coverage:.3f} | "
            f"[{row.band_low:.3f}, {row.band_high:.3f}] |"
        )
    lines += [
        "",
        (
            "The direct approach (spreg, splm) estimates sigma^2 with NT observations although the "
            "two-way within transformation leaves (N - 1)(T - 1); its expectation is about "
            "(N - 1)(T - 1)/(NT) = 0.784 of the truth, and rho inherits an O(1/N) bias from the "
            "period effects. The transformation approach counts the dimensions left and removes "
            "the eigenvalue one of W from each period's log-determinant."
        ),
        "",
        (
            "What the correction leaves is the ordinary finite-sample bias of ML, of order 1/n with "
            "n = (N - 1)(T - 1) = 196 effective observations: for sigma^2 about -(k + 1) sigma^2 / n "
            f"= {-2 / 196:.4f} (k = 1 slope and rho), so the corrected sigma^2 minus that term is "
            f"{sigma2_left:.4f} ({sigma2_left / sigma2_se:.1f} MC s.e.); rho keeps a bias of "
            f"{rho_left:.4f} ({rho_left / rho_se:.1f} MC s.e.), against {rho_direct:.4f} uncorrected. "
            "The criterion 'corrected bias within 2 MC s.e.' therefore holds for beta and, net of "
            "the degrees-of-freedom term, for sigma^2, and not quite for rho at this number of "
            "replications."
        ),
    ]
    (args.out / "panel_lee_yu.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
