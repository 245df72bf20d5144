"""The scaling benchmark's smoke mode runs end to end (the benchmark itself is not a test)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "scale.py"


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
    assert all(row["status"] == "ok" for row in rows)
    assert all(float(row["abs_error"]) < 1e-8 for row in rows)
    assert all(float(row["peak_mb"]) > 0 for row in rows)
    assert (tmp_path / "scale_smoke.md").read_text().count("| 200 |") == len(rows)
