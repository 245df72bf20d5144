"""Monte Carlo of SAR with two weights matrices: bias and coverage of ML and spatial 2SLS.

The design: n = 1,000 random points in the unit square; ``W_geo`` the 5 nearest neighbours and
``W_collab`` five partners drawn among the 40 nearest beyond them (both row-standardised,
fixed across replications); ``X = [1, x1, x2]`` standard normal, redrawn with the innovations;

* higher-order SAR: ``y = 0.3 W_geo y + 0.2 W_collab y + X (1, 1, -1)' + e`` fitted with
  ``combine="separate"`` by ML and by spatial 2SLS (``w_lags=2``);
* convex combination: ``y = 0.5 (0.6 W_geo + 0.4 W_collab) y + X (1, 1, -1)' + e`` fitted by
  ML (``rho``, ``gamma_geo``).

Each replication's data come from its own ``numpy.random.SeedSequence(seed).spawn`` child, so
the table depends only on the seed and the number of replications. For every parameter: the
mean bias with its Monte Carlo standard error and the coverage of the 95% interval.

Usage::

    python benchmarks/several_weights_mc.py --replications 200 --seed 20261205

Results go to ``benchmarks/results/several_weights_mc.md`` and ``.csv``
(``tests/test_several_weights_mc.py`` reruns the study and checks the committed numbers).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree
from scipy.stats import norm

from naeringsmiljo import SAR, SpatialWeights
from naeringsmiljo.exceptions import ConvergenceWarning

N = 1000
SEPARATE = {"rho_geo": 0.3, "rho_collab": 0.2}
CONVEX = {"rho": 0.5, "gamma_geo": 0.6}
BETA = {"Intercept": 1.0, "x1": 1.0, "x2": -1.0}


def weights(n: int = N, seed: int = 7) -> dict[str, SpatialWeights]:
    """The two fixed matrices of the design."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(size=(n, 2))
    _, near = cKDTree(points).query(points, k=46)
    rows = np.repeat(np.arange(n), 5)
    geo = sp.csr_array((np.full(n * 5, 0.2), (rows, near[:, 1:6].ravel())), shape=(n, n))
    pool = near[:, 6:46]
    partners = np.take_along_axis(pool, rng.integers(0, pool.shape[1], size=(n, 5)), axis=1)
    links = sp.csr_array((np.ones(n * 5), (rows, partners.ravel())), shape=(n, n))
    links.sum_duplicates()
    links.data[:] = 1.0
    collab = sp.diags_array(1.0 / np.asarray(links.sum(axis=1)).ravel()) @ links
    return {
        "geo": SpatialWeights.from_sparse(geo),
        "collab": SpatialWeights.from_sparse(sp.csr_array(collab)),
    }


def _draw(
    w: dict[str, SpatialWeights], delta: tuple[float, float], seed: np.random.SeedSequence
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = w["geo"].n
    x = rng.normal(size=(n, 2))
    a = sp.identity(n, format="csc") - delta[0] * w["geo"].sparse - delta[1] * w["collab"].sparse
    beta = np.array(list(BETA.values()))
    y = splu(sp.csc_array(a)).solve(beta[0] + x @ beta[1:] + rng.normal(size=n))
    return pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1]}, index=w["geo"].ids)


def run(replications: int, seed: int) -> pd.DataFrame:
    """One row per (estimator, parameter, replication): estimate and standard error."""
    w = weights()
    rows = []
    separate_delta = (SEPARATE["rho_geo"], SEPARATE["rho_collab"])
    convex_delta = (CONVEX["rho"] * CONVEX["gamma_geo"], CONVEX["rho"] * (1 - CONVEX["gamma_geo"]))
    children = np.random.SeedSequence(seed).spawn(replications)
    for r, child in enumerate(children):
        first, second = child.spawn(2)
        data = _draw(w, separate_delta, first)
        model = SAR.from_formula("y ~ x1 + x2", data, w, combine="separate")
        truth = {**BETA, **SEPARATE}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits = {"ML separate": model.fit(), "2SLS separate": model.fit(method="gmm")}
            data = _draw(w, convex_delta, second)
            fits["ML convex"] = SAR.from_formula("y ~ x1 + x2", data, w).fit()
        for name, res in fits.items():
            names = {**truth} if "separate" in name else {**BETA, **CONVEX}
            for p, value in names.items():
                rows.append(
                    {
                        "estimator": name,
                        "parameter": p,
                        "replication": r,
                        "truth": value,
                        "estimate": float(res.params[p]),
                        "std_error": float(res.std_errors[p]),
                    }
                )
    return pd.DataFrame(rows)


def summarise(draws: pd.DataFrame) -> pd.DataFrame:
    """Bias, its Monte Carlo standard error, and coverage of the 95% intervals."""
    z = norm.ppf(0.975)
    out = []
    for (estimator, parameter), g in draws.groupby(["estimator", "parameter"], sort=False):
        error = g["estimate"] - g["truth"]
        covered = (error.abs() <= z * g["std_error"]).mean()
        out.append(
            {
                "estimator": estimator,
                "parameter": parameter,
                "bias": error.mean(),
                "mc_se_bias": error.std(ddof=1) / np.sqrt(len(g)),
                "sd": g["estimate"].std(ddof=1),
                "mean_se": g["std_error"].mean(),
                "coverage": covered,
            }
        )
    return pd.DataFrame(out)


def band(replications: int) -> tuple[float, float]:
    """The 99% binomial band of a 95% coverage with this many replications."""
    half = norm.ppf(0.995) * np.sqrt(0.95 * 0.05 / replications)
    return 0.95 - half, 0.95 + half


def main() -> None:
    from several_weights import markdown_table  # the script's own folder is on the path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    table = summarise(run(args.replications, args.seed))
    low, high = band(args.replications)
    text = (
        f"# SAR with two weights matrices: Monte Carlo ({args.replications} replications, "
        f"seed {args.seed}, n = {N})\n\n"
        f"Design and estimators: `benchmarks/several_weights_mc.py`. 99% binomial band of a 95% "
        f"coverage: [{low:.3f}, {high:.3f}].\n\n" + markdown_table(table) + "\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "several_weights_mc.md").write_text(text, encoding="utf-8")
    table.to_csv(args.out / "several_weights_mc.csv", index=False, float_format="%.6g")
    print(text)


if __name__ == "__main__":
    main()
