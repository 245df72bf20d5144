"""Monte Carlo of SAR with two weights matrices (``benchmarks/several_weights_mc.py``).

Reruns the committed study (same seed, size and replications): higher-order SAR
(``combine="separate"``) by ML and by spatial 2SLS, and the convex combination by ML. Checks
that the recomputed table equals the committed one, that every 95% interval covers within the
99% binomial band, and whether every bias lies within a family-wise band of Monte Carlo
standard errors (Bonferroni over the table's 15 parameters at 5%: 2.94 MC s.e.; a band of 2
for each of 15 parameters would fail by chance in more than half of the studies of a correct
estimator). The last does not hold for this study: the coefficient of ``x2`` is biased by
3.12 MC s.e. in 2SLS and 2.87 in ML, on the same draws; it is recorded as an expected failure
until a larger study shows whether that is chance or a finite-sample bias.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tools import benchmark_module

ROOT = Path(__file__).resolve().parents[1]
SEED, REPLICATIONS = 20261205, 200  # as in benchmarks/results/several_weights_mc.md

pytestmark = pytest.mark.mc


@pytest.fixture(scope="module")
def study() -> tuple[pd.DataFrame, tuple[float, float]]:
    module = benchmark_module("several_weights_mc")
    return module.summarise(module.run(REPLICATIONS, SEED)), module.band(REPLICATIONS)


def test_the_committed_table_is_reproduced(study):
    table, _ = study
    committed = pd.read_csv(ROOT / "benchmarks" / "results" / "several_weights_mc.csv")
    pd.testing.assert_frame_equal(
        table.reset_index(drop=True)[committed.columns],
        committed,
        # the CSV keeps 6 significant digits; biases near zero need the absolute part
        rtol=1e-5,
        atol=1e-6,
    )


def test_intervals_cover_within_the_binomial_band(study):
    table, (low, high) = study
    outside = table[(table["coverage"] < low) | (table["coverage"] > high)]
    assert outside.empty, outside


@pytest.mark.xfail(
    reason="x2: bias 3.12 MC s.e. (2SLS) and 2.87 (ML) on the same 200 draws, above 2.94",
    strict=True,
)
def test_biases_lie_within_the_family_wise_monte_carlo_band(study):
    table, _ = study
    limit = norm.ppf(1 - 0.05 / (2 * len(table)))
    z = table["bias"] / table["mc_se_bias"]
    assert np.all(np.abs(z) <= limit), table.assign(z=z)
