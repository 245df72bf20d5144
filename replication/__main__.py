"""Entry point: ``python -m replication [--fast] [--only sNN ...] [--update-expected]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from replication import runner


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m replication",
        description="Reproduce the paper's tables and figures and check every number.",
    )
    parser.add_argument("--fast", action="store_true", help="short run (CI): fewer draws and n")
    parser.add_argument("--only", nargs="+", metavar="sNN", help="run only these steps")
    parser.add_argument(
        "--update-expected",
        action="store_true",
        help="record this run's own results in replication/expected (never published values)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="write tables/, figures/ and manifest.json under this directory instead of "
        "paper/tables, paper/figures and replication/output (a --fast run writes to "
        "replication/output/fast unless told otherwise, leaving the full run's outputs alone)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse()
    sys.exit(
        runner.main(
            fast=args.fast, only=args.only, update_expected=args.update_expected, output=args.output
        )
    )
