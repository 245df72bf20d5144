"""Plant known bugs one at a time in a copy of the package and check that the fast tests fail.

Each bug is a literal replacement in one source file of a temporary copy of the tracked files
(the working tree is never modified). The fast suite (``pytest -m 'not slow and not mc'``) runs
on the copy with ``-x``, the test files most related to the bug first; a bug is *caught* when at least one test fails, and the first failing
test is recorded. Results go to ``benchmarks/results/planted_bugs.md``.

Usage::

    python benchmarks/planted_bugs.py                 # every bug
    python benchmarks/planted_bugs.py --only logdet-sign
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Bug:
    name: str
    description: str
    path: str
    old: str
    new: str
    #: test files run before the rest of the suite (the suite stops at the first failure)
    first: tuple[str, ...] = ()


COV = "src/naeringsmiljo/inference/covariance.py"
UNITS = "        units = a * e[:, None] + q * (squares - sigma2)[:, None]\n"
BUGS = (
    Bug(
        "sandwich-sigma2-score",
        "ML sandwich: per-unit sigma^2 score e^2/(2 sigma^2) instead of e^2/(2 sigma^4)",
        COV,
        UNITS,
        UNITS + "        units[:, -1] = -0.5 / sigma2 + squares / (2 * sigma2)\n",
        ("tests/test_sandwich.py",),
    ),
    Bug(
        "sandwich-drop-diag-G",
        "ML sandwich: -diag(G_A) dropped from rho's per-unit score (-diag(G_B) for SEM)",
        COV,
        UNITS,
        UNITS + "        units[:, min(score.quadratic)] += sigma2 * q[:, min(score.quadratic)]\n",
        ("tests/test_sandwich.py",),
    ),
    Bug(
        "logdet-sign",
        "likelihood: ln|I - rho W| enters with a minus sign",
        "src/naeringsmiljo/likelihood/gaussian.py",
        "        return self.multiplicity * total\n",
        "        return -self.multiplicity * total\n",
    ),
    Bug(
        "sigma2-n-minus-k",
        "likelihood: sigma^2 = e'e/(n - k) instead of e'e/n",
        "src/naeringsmiljo/likelihood/gaussian.py",
        "return beta, e, u, float(e @ e) / self.n\n",
        "return beta, e, u, float(e @ e) / (self.n - self.x.shape[1])\n",
    ),
    Bug(
        "impacts-drop-theta",
        "impacts: the theta_r W term of S_r(W) dropped (direct and total)",
        "src/naeringsmiljo/inference/impacts.py",
        "    direct = beta * m[:, 0] + theta * m[:, 2]\n    total = beta * m[:, 1] + theta * m[:, 3]\n",
        "    direct = beta * m[:, 0]\n    total = beta * m[:, 1]\n",
        ("tests/test_impacts_inference.py",),
    ),
    Bug(
        "impacts-swapped-labels",
        "impacts: the direct and indirect columns swap labels",
        "src/naeringsmiljo/inference/impacts.py",
        'COLUMNS = ["direct", "indirect", "total"]',
        'COLUMNS = ["indirect", "direct", "total"]',
        ("tests/test_impacts_inference.py",),
    ),
    Bug(
        "lq-off-by-one",
        "measures: location quotients reported as LQ - 1",
        "src/naeringsmiljo/measures/colocation.py",
        "    quotients = divide(share_in_region, national_share[None, :])\n",
        "    quotients = divide(share_in_region, national_share[None, :]) - 1\n",
        ("tests/test_measures.py",),
    ),
    Bug(
        "lag-w-plus-i",
        "design: the lags apply W + I instead of W",
        "src/naeringsmiljo/design/cross_section.py",
        "        return self.term_weights(kind).sparse @ v\n",
        "        return self.term_weights(kind).sparse @ v + v\n",
    ),
    Bug(
        "lag-operator-w-plus-i",
        "design: the lag operator used by the estimators applies W + I",
        "src/naeringsmiljo/design/cross_section.py",
        "        return lambda v: matrix @ v\n",
        "        return lambda v: matrix @ v + v\n",
    ),
)


def tracked_copy(destination: Path) -> None:
    """Copy the tracked files of the working tree (with their uncommitted edits)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        source = ROOT / raw.decode()
        if source.is_file():
            target = destination / raw.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def plant(copy: Path, bug: Bug) -> None:
    path = copy / bug.path
    text = path.read_text()
    if text.count(bug.old) != 1:
        raise SystemExit(f"{bug.name}: the text to replace occurs {text.count(bug.old)} times")
    path.write_text(text.replace(bug.old, bug.new))


def run_fast_suite(copy: Path, first: tuple[str, ...], timeout: float) -> tuple[bool, str, float]:
    """(caught, first failing test or message, seconds): the related files, then the suite."""
    env = dict(os.environ, PYTHONPATH=str(copy / "src"), PYTHONDONTWRITEBYTECODE="1")
    start = time.perf_counter()
    # pytest collects overlapping paths in directory order, so the related files run on their own
    for paths in ([*first], ["tests", "src"]) if first else (["tests", "src"],):
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-o"]
            + ["addopts=", "--doctest-modules", "-m", "not slow and not mc", "--strict-markers"]
            + ["-W", "error::RuntimeWarning:naeringsmiljo.*", *paths],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, flags=re.MULTILINE)
            message = failed[0] if failed else proc.stdout.strip().splitlines()[-1]
            return True, message, time.perf_counter() - start
    return False, "all fast tests pass", time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="names of bugs to plant")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per suite run")
    parser.add_argument("--out", type=Path, default=RESULTS / "planted_bugs.md")
    args = parser.parse_args(argv)
    bugs = [b for b in BUGS if args.only is None or b.name in args.only]
    rows = []
    for bug in bugs:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp)
            tracked_copy(copy)
            plant(copy, bug)
            caught, first, seconds = run_fast_suite(copy, bug.first, args.timeout)
        rows.append((bug, caught, first, seconds))
        print(
            f"{bug.name}: {'caught' if caught else 'NOT caught'} ({first}, {seconds:.0f} s)",
            flush=True,
        )
    lines = [
        "# Planted bugs and the fast test suite",
        "",
        "Each bug is planted alone in a copy of the package (`benchmarks/planted_bugs.py`); the",
        "fast suite runs with `-x` (the test files most related to the bug first), so the test named",
        "is the first that fails, not the only one.",
        "",
        "| bug | where | caught | first failing test | seconds |",
        "|---|---|---|---|---|",
    ]
    for bug, caught, first, seconds in rows:
        where = f"`{bug.path.removeprefix('src/naeringsmiljo/')}`"
        lines.append(
            f"| {bug.description} | {where} | {'yes' if caught else '**no**'} | `{first}` |"
            f" {seconds:.0f} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0 if all(caught for _, caught, _, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
