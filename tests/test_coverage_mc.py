"""Coverage of the 95% intervals of every covariance option (``benchmarks/covariance_coverage.py``).

Re-runs the committed study (same seed, size and replications) and checks what the
documentation claims (``docs/inference.md``): under heteroskedastic innovations (variances that
follow a regressor, unrelated to the network position, so that ML stays consistent) and under
skewed iid innovations, the ML sandwich intervals cover within the binomial band, while the
information-matrix intervals of ``beta_1`` do not under heteroskedasticity; the 2SLS White and HAC
and the GM ``het`` intervals cover under heteroskedasticity; the Hessian intervals cover under
normal innovations. The recomputed table must equal the committed one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tools import benchmark_module

ROOT = Path(__file__).resolve().parents[1]
SEED, N, REPLICATIONS = 20250118, 400, 400  # as in benchmarks/results/coverage.md
# The committed CSV holds 6 significant digits (float_format "%.6g").
RTOL_COMMITTED = 1e-5


@pytest.fixture(scope="module")
def study() -> tuple[pd.DataFrame, tuple[float, float]]:
    module = benchmark_module("covariance_coverage")
    table = module.coverage(module.run(N, SEED, REPLICATIONS))
    return table, module.band(REPLICATIONS)


def _cell(table: pd.DataFrame, model: str, kind: str, estimator: str, cov: str) -> pd.Series:
    rows = table[
        (table["model"] == model)
        & (table["innovations"] == kind)
        & (table["estimator"] == estimator)
        & (table["covariance"] == cov)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.mc
def test_recomputed_table_equals_the_committed_one(study) -> None:
    table, _ = study
    committed = pd.read_csv(ROOT / "benchmarks" / "results" / "coverage.csv")
    pd.testing.assert_frame_equal(
        table.reset_index(drop=True), committed, check_dtype=False, rtol=RTOL_COMMITTED, atol=0
    )


@pytest.mark.mc
@pytest.mark.parametrize("model", ["SAR", "SEM"])
@pytest.mark.parametrize("kind", ["chi2", "het"])
def test_sandwich_covers(study, model: str, kind: str) -> None:
    table, (low, high) = study
    cell = _cell(table, model, kind, "ML", "sandwich (het)")
    for param in ("spatial", "beta1"):
        assert low <= cell[f"{param}_coverage"] <= high, (model, kind, param)


@pytest.mark.mc
@pytest.mark.parametrize("model", ["SAR", "SEM"])
def test_iid_sandwich_covers_under_skewed_innovations(study, model: str) -> None:
    table, (low, high) = study
    cell = _cell(table, model, "chi2", "ML", "sandwich (iid)")
    for param in ("spatial", "beta1"):
        assert low <= cell[f"{param}_coverage"] <= high, (model, param)


@pytest.mark.mc
@pytest.mark.parametrize("model", ["SAR", "SEM"])
def test_information_matrix_undercovers_under_heteroskedasticity(study, model: str) -> None:
    table, (low, _) = study
    assert _cell(table, model, "het", "ML", "information")["beta1_coverage"] < low


@pytest.mark.mc
@pytest.mark.parametrize("model", ["SAR", "SEM"])
def test_hessian_and_information_cover_under_normal_innovations(study, model: str) -> None:
    table, (low, high) = study
    for cov in ("information", "hessian"):
        cell = _cell(table, model, "normal", "ML", cov)
        for param in ("spatial", "beta1"):
            assert low <= cell[f"{param}_coverage"] <= high, (model, cov, param)


@pytest.mark.mc
@pytest.mark.parametrize(
    ("model", "estimator", "cov"),
    [("SAR", "S2SLS", "het"), ("SAR", "S2SLS", "hac"), ("SEM", "GM", "het")],
)
def test_robust_moment_covariances_cover_under_heteroskedasticity(
    study, model: str, estimator: str, cov: str
) -> None:
    table, (low, high) = study
    cell = _cell(table, model, "het", estimator, cov)
    for param in ("spatial", "beta1"):
        assert low <= cell[f"{param}_coverage"] <= high, (model, estimator, cov, param)
