"""Compare the numbers a run produced with ``replication/expected/<step>.json``.

Each expectation is ``{"value", "tolerance", "source", "kind"}``, optionally with
``"known_gap": reason`` and ``"modes": ["fast"] | ["full"]``. Kinds:

``published``
    A number printed in a publication; the tolerance is half a unit of its last printed digit.
    Never rewritten by ``--update-expected``.
``own``
    A result of this package, recorded with ``--update-expected`` (source ``this package,
    <date>``); the tolerance says how far it may move (rounding, or Monte Carlo error).
``bound``
    A fixed target that a number must stay within ``tolerance`` of: agreement with peer software
    (target 0), a nominal coverage level. Never rewritten by ``--update-expected``.

A number matches when ``|got - value| <= tolerance``. A ``known_gap`` entry is expected *not*
to match (the publication and every implementation differ there; the reason says why): it is
reported as a known gap, and fails only if it starts matching, so that a closed gap is noticed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

EXPECTED_DIR = Path(__file__).parent / "expected"
KINDS = ("published", "own", "bound")
#: Relative tolerance given to a new own result by ``--update-expected`` (the stored tolerance is
#: this times ``max(1, |value|)``): deterministic computations repeat to rounding on one platform,
#: and another BLAS may reorder sums; edit the JSON to change a particular entry.
DEFAULT_OWN_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Outcome:
    """One number's comparison with its expectation."""

    name: str
    status: str  # "pass", "known gap", "FAIL"
    got: float | None
    expected: float | None
    tolerance: float | None
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"


def expected_path(step: str) -> Path:
    return EXPECTED_DIR / f"{step}.json"


def load(step: str) -> dict[str, dict]:
    path = expected_path(step)
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def applies(entry: dict, mode: str) -> bool:
    return mode in entry.get("modes", ("fast", "full"))


def compare(step: str, numbers: dict[str, float], mode: str) -> list[Outcome]:
    """Every returned number against its expectation, and every expectation that got no number."""
    expected = load(step)
    outcomes = []
    for name in sorted(numbers):
        got = float(numbers[name])
        entry = expected.get(name)
        if entry is None:
            outcomes.append(Outcome(name, "FAIL", got, None, None, "no expectation recorded"))
            continue
        value, tol = float(entry["value"]), float(entry["tolerance"])
        within = math.isfinite(got) and abs(got - value) <= tol
        if "known_gap" in entry:
            status = "FAIL" if within else "known gap"
            note = "known gap now matches: remove the mark" if within else entry["known_gap"]
        else:
            status = "pass" if within else "FAIL"
            note = "" if within else f"moved ({entry['kind']}: {entry['source']})"
        outcomes.append(Outcome(name, status, got, value, tol, note))
    for name, entry in sorted(expected.items()):
        if name not in numbers and applies(entry, mode):
            outcomes.append(
                Outcome(name, "FAIL", None, entry["value"], entry["tolerance"], "not produced")
            )
    return outcomes


def update(step: str, numbers: dict[str, float], mode: str) -> int:
    """Record the own results of a run; published and bound entries are left untouched.

    A new number becomes an own result of this mode with :data:`DEFAULT_OWN_TOLERANCE`; an
    existing own result keeps its tolerance and gains this mode. Returns the number of entries
    written.
    """
    expected = load(step)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    written = 0
    for name, got in sorted(numbers.items()):
        entry = expected.get(name)
        if entry is not None and entry["kind"] != "own":
            continue
        if entry is None:
            tolerance = DEFAULT_OWN_TOLERANCE * max(1.0, abs(float(got)))
            entry = {"tolerance": tolerance, "kind": "own", "modes": [mode]}
        if "modes" in entry and mode not in entry["modes"]:
            entry = {**entry, "modes": sorted([*entry["modes"], mode])}
        entry = {**entry, "value": float(got), "source": f"this package, {today}"}
        expected[name] = {k: entry[k] for k in ("value", "tolerance", "source", "kind")} | {
            k: entry[k] for k in ("modes", "known_gap") if k in entry
        }
        written += 1
    path = expected_path(step)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(expected.items())), indent=1) + "\n", encoding="utf-8")
    return written


def report(outcomes: list[Outcome]) -> str:
    """The pass/fail report: counts, then every failure and every known gap, one per line."""
    counts = {s: sum(o.status == s for o in outcomes) for s in ("pass", "known gap", "FAIL")}
    lines = [
        (
            f"checks: {counts['pass']} passed, {counts['known gap']} known gaps, "
            f"{counts['FAIL']} failed"
        )
    ]

    def fmt(x: float | None) -> str:
        return "-" if x is None else f"{x:.10g}"

    for status in ("FAIL", "known gap"):
        rows = [o for o in outcomes if o.status == status]
        if rows:
            lines.append(f"{status}:")
            lines.append(f"  {'name':<44} {'expected':>14} {'got':>14} {'tolerance':>10}  note")
        for o in rows:
            lines.append(
                f"  {o.name:<44} {fmt(o.expected):>14} {fmt(o.got):>14} {fmt(o.tolerance):>10}"
                f"  {o.note}"
            )
    return "\n".join(lines)
