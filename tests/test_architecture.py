"""The package's structure: layered imports without cycles, typed code, and a true map of it.

The import contracts live in ``pyproject.toml`` (``[tool.importlinter]``); mypy's configuration
too (``[tool.mypy]``). Both run here so that the README's test command checks them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,  # the assertion below shows the broken contracts
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_mypy_passes_on_the_package() -> None:
    from mypy import api

    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml")])
    assert status == 0, stdout + stderr


def test_architecture_document_names_real_files() -> None:
    """Every path the architecture document names exists (its walk-throughs stay true)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:src|tests|docs|replication|benchmarks)/[\w./-]+\.\w+)`", text))
    assert len(paths) >= 10, "the document should name the files of its walk-throughs"
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"
