"""Run the numbered steps in order, check their numbers, and write the run manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from replication import checks
from replication.context import SEED, Context

ROOT = Path(__file__).resolve().parent.parent

#: The steps, in the order they run: (short name, module in ``replication/steps``).
STEPS = [
    ("s01", "s01_validation"),
    ("s02", "s02_peer_agreement"),
    ("s03", "s03_measures"),
    ("s04", "s04_application"),
    ("s05", "s05_monte_carlo"),
    ("s06", "s06_performance"),
    ("s07", "s07_panels"),
    ("s08", "s08_speed"),
]

PACKAGES = [
    "naeringsmiljo",
    "numpy",
    "scipy",
    "pandas",
    "libpysal",
    "formulaic",
    "spreg",
    "matplotlib",
]


@dataclass
class StepResult:
    step: str
    module: str
    seconds: float
    numbers: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def run_step(step: str, module: str, ctx: Context) -> StepResult:
    """Import and run one step; a missing module or an exception makes it a failed step."""
    start = time.perf_counter()
    try:
        mod = importlib.import_module(f"replication.steps.{module}")
        numbers = mod.run(ctx)
        bad = [k for k in numbers if not k.startswith(f"{step}.")]
        if bad:
            raise ValueError(f"numbers not named '{step}.<name>': {bad[:5]}")
        return StepResult(step, module, time.perf_counter() - start, dict(numbers))
    except Exception as exc:  # noqa: BLE001 - any step failure is reported; the others still run
        if isinstance(exc, ModuleNotFoundError) and exc.name == f"replication.steps.{module}":
            error = f"replication/steps/{module}.py does not exist"
        else:
            error = "".join(traceback.format_exception(exc)).rstrip()
        return StepResult(step, module, time.perf_counter() - start, error=error)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _hashes(bases: list[Path], paths: list[Path]) -> dict[str, str]:
    """sha256 of each file, keyed by its path relative to the first base that contains it."""
    out = {}
    for p in sorted(paths):
        base = next(b for b in bases if p.is_relative_to(b))
        out[p.relative_to(base).as_posix()] = _sha256(p)
    return out


def write_manifest(
    path: Path, ctx: Context, results: list[StepResult], started: str, outcomes: list
) -> None:
    """The record of the run: versions, platform, seed, mode, times, and sha256 of all files."""
    inputs = [p for p in (ctx.root / "data").rglob("*") if p.is_file()]
    outputs = [p for d, ext in ((ctx.tables, "*.tex"), (ctx.figures, "*.pdf")) for p in d.glob(ext)]
    manifest = {
        "command": "python -m replication " + " ".join(sys.argv[1:]),
        "started_utc": started,
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": ctx.seed,
        "fast": ctx.fast,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "packages": _versions(),
        "steps": [
            {
                "step": r.step,
                "module": r.module,
                "seconds": round(r.seconds, 1),
                "status": "failed" if r.error else "ok",
                "numbers": len(r.numbers),
            }
            for r in results
        ],
        "checks": {s: sum(o.status == s for o in outcomes) for s in ("pass", "known gap", "FAIL")},
        "inputs": _hashes([ctx.root], inputs),
        "outputs": _hashes([ctx.root, ctx.tables.parent], outputs),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


#: Where a fast run writes when no --output is given: the committed tables, figures and manifest
#: in paper/ and replication/output/ are those of the full run, and a quick run must not replace
#: them (the folder is ignored by git).
FAST_OUTPUT = ROOT / "replication" / "output" / "fast"


def output_base(fast: bool, output: Path | None) -> Path | None:
    """The directory of tables/, figures/ and manifest.json; None: the paper's own folders."""
    if output is not None:
        return output.resolve()
    return FAST_OUTPUT if fast else None


def main(*, fast: bool, only: list[str] | None, update_expected: bool, output: Path | None) -> int:
    """Run the steps; print progress and the check report; return the exit status."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["SOURCE_DATE_EPOCH"] = "0"  # matplotlib: no timestamps in the PDFs
    base = output_base(fast, output)
    ctx = Context(
        root=ROOT,
        tables=(base / "tables") if base else ROOT / "paper" / "tables",
        figures=(base / "figures") if base else ROOT / "paper" / "figures",
        fast=fast,
        seed=SEED,
    )
    manifest_path = (base if base else ROOT / "replication" / "output") / "manifest.json"
    known = {s for s, _ in STEPS}
    unknown = sorted(set(only or []) - known)
    if unknown:
        print(f"unknown steps {unknown}; the steps are {sorted(known)}", file=sys.stderr)
        return 2
    selected = [(s, m) for s, m in STEPS if not only or s in only]
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    print(f"replication: {ctx.mode} mode, seed {ctx.seed}, {len(selected)} steps", flush=True)
    t0 = time.perf_counter()
    results, outcomes = [], []
    for step, module in selected:
        print(f"[{step}] {module} ...", flush=True)
        res = run_step(step, module, ctx)
        results.append(res)
        status = "FAILED" if res.error else f"{len(res.numbers)} numbers"
        print(f"[{step}] {module}: {status} ({res.seconds:.1f} s)", flush=True)
        if res.error:
            print("    " + res.error.replace("\n", "\n    "), flush=True)
        if update_expected and not res.error:
            n = checks.update(step, res.numbers, ctx.mode)
            print(f"[{step}] recorded {n} own results in {checks.expected_path(step)}")
        outcomes.extend(checks.compare(step, res.numbers, ctx.mode))
    write_manifest(manifest_path, ctx, results, started, outcomes)
    failed_steps = [r.module for r in results if r.error]
    print(f"\ntotal {time.perf_counter() - t0:.1f} s; manifest {manifest_path}")
    print(checks.report(outcomes))
    if failed_steps:
        print(f"failed steps: {', '.join(failed_steps)}")
    ok = not failed_steps and not any(o.failed for o in outcomes)
    print("replication: " + ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1
