"""The replication package: its checks, and the fast run end to end (as CI runs it).

``python -m replication --fast`` runs in a subprocess into a temporary directory (``--output``)
and must exit 0 (every step ran, every number within its tolerance); a second run must write
byte-identical tables and figures. In the CI selection both runs leave out steps 6 and 8, whose
tables and figure hold timings (measurements that vary from run to run) and whose benchmark fits
take minutes; the complete fast run, steps 6 and 8 included, is marked ``slow``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replication import checks
from replication.context import Context
from replication.runner import STEPS, run_step

RUN_TIMEOUT = 1200  # seconds; generous, for loaded CI machines
#: The steps whose outputs hold timings.
TIMED = ("s06", "s08")
WITHOUT_TIMINGS = [s for s, _ in STEPS if s not in TIMED]


def _replicate(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "replication", "--fast", "--output", str(out), *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("replication_a")
    return out, _replicate(out, "--only", *WITHOUT_TIMINGS)


def _outputs(base: Path) -> dict[str, bytes]:
    files = [*base.glob("tables/*.tex"), *base.glob("figures/*.pdf")]
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in files}


def test_fast_replication_passes(fast_run) -> None:
    out, proc = fast_run
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "replication: PASSED" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["fast"] is True and manifest["checks"]["FAIL"] == 0
    assert set(manifest["outputs"]) == set(_outputs(out))  # every output is hashed
    assert "tables/elhorst_table_2_2.tex" in manifest["outputs"]


def test_second_run_is_byte_identical(fast_run, tmp_path: Path) -> None:
    first, proc = fast_run
    assert proc.returncode == 0, proc.stdout[-3000:]
    again = _replicate(tmp_path, "--only", *WITHOUT_TIMINGS)
    assert again.returncode == 0, again.stdout[-3000:]
    a, b = _outputs(first), _outputs(tmp_path)
    assert a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []


@pytest.mark.slow
def test_complete_fast_run_with_timings_passes(tmp_path: Path) -> None:
    proc = _replicate(tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert {
        "tables/performance.tex",
        "tables/performance_small.tex",
        "figures/scaling.pdf",
    } <= set(_outputs(tmp_path))


def test_check_catches_a_moved_published_number() -> None:
    entry = checks.load("s01")["s01.t22.SAR.rho.est"]
    moved = {"s01.t22.SAR.rho.est": entry["value"] + 2 * entry["tolerance"]}
    (outcome,) = [o for o in checks.compare("s01", moved, "fast") if o.name in moved]
    assert outcome.failed and "published" in outcome.note


def test_known_gap_that_closes_fails() -> None:
    name, entry = next((k, e) for k, e in checks.load("s01").items() if "known_gap" in e)
    still_open = checks.compare("s01", {name: entry["value"] + 1.0}, "fast")
    closed = checks.compare("s01", {name: entry["value"]}, "fast")
    assert [o.status for o in still_open if o.name == name] == ["known gap"]
    assert [o.status for o in closed if o.name == name] == ["FAIL"]


def test_unexpected_and_missing_numbers_fail() -> None:
    outcomes = checks.compare("s01", {"s01.not_a_number": 1.0}, "fast")
    assert all(o.failed for o in outcomes)
    assert any(o.note == "not produced" for o in outcomes)
    assert any(o.note == "no expectation recorded" for o in outcomes)


def test_update_never_rewrites_published_values(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(checks, "EXPECTED_DIR", tmp_path)
    published = {"value": 1.0, "tolerance": 0.5, "source": "a book", "kind": "published"}
    (tmp_path / "s01.json").write_text(json.dumps({"s01.a": published}))
    checks.update("s01", {"s01.a": 7.0, "s01.b": 3.0}, "fast")
    stored = checks.load("s01")
    assert stored["s01.a"] == published
    assert stored["s01.b"]["value"] == 3.0 and stored["s01.b"]["kind"] == "own"
    assert stored["s01.b"]["modes"] == ["fast"]


def test_missing_step_module_is_a_failed_step(tmp_path: Path) -> None:
    ctx = Context(root=ROOT, tables=tmp_path, figures=tmp_path, fast=True)
    result = run_step("s99", "s99_does_not_exist", ctx)
    assert result.error == "replication/steps/s99_does_not_exist.py does not exist"


def test_streams_are_independent_and_reproducible(tmp_path: Path) -> None:
    ctx = Context(root=ROOT, tables=tmp_path, figures=tmp_path, fast=True)
    assert ctx.rng("a").random() == ctx.rng("a").random()
    assert ctx.rng("a").random() != ctx.rng("b").random()


def test_a_fast_run_leaves_the_committed_outputs_alone() -> None:
    """The committed tables, figures and manifest are the full run's: without --output a fast
    run writes to an ignored folder, a full run to the paper's own folders."""
    from replication.runner import FAST_OUTPUT, output_base

    assert output_base(fast=True, output=None) == FAST_OUTPUT
    assert not FAST_OUTPUT.is_relative_to(ROOT / "paper")
    assert output_base(fast=False, output=None) is None
    assert output_base(fast=True, output=Path("x")) == Path("x").resolve()
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(FAST_OUTPUT / "manifest.json")], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, "replication/output/fast/ must be ignored by git"
