"""The scaling benchmark's smoke mode runs end to end (the benchmark itself is not a test)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "scale.py"
# |delta rho| between the dense-eigenvalue and the sparse-LU fits: both log-determinants are exact
# to rounding and each search solves the score equation to about 1e-10, so a gap above 1e-8 is a
# real disagreement between two independent routes.
METHODS_ATOL = 1e-8


def test_smoke_mode_writes_both_tables(tmp_path):
    subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with (tmp_path / "scale_smoke.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {row["model"] for row in rows} == {"SAR", "SEM"}
    assert {(row["model"], row["method"]) for row in rows} == {
        (model, method) for model in ("SAR", "SEM") for method in ("lu", "eigen")
    }
    assert all(row["status"] == "ok" for row in rows)
    # the LU fit is the reference of the accuracy column; the eigenvalue fit is compared with it
    compared = [row for row in rows if row["method"] == "eigen"]
    assert len(compared) == 2
    assert all(float(row["abs_error"]) < METHODS_ATOL for row in compared)
    estimates = {(row["model"], row["method"]): float(row["estimate"]) for row in rows}
    for model in ("SAR", "SEM"):
        # the same gap recomputed from the estimates, so the column cannot be a constant
        gap = abs(estimates[model, "eigen"] - estimates[model, "lu"])
        row = next(r for r in compared if r["model"] == model)
        assert float(row["abs_error"]) == gap
        assert 0.3 < estimates[model, "lu"] < 0.7  # the simulated parameter is 0.5
    assert all(float(row["peak_mb"]) > 0 for row in rows)
    assert (tmp_path / "scale_smoke.md").read_text().count("| 200 |") == len(rows)
