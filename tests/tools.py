"""Optional external tools: skipped (and reported) on a developer's machine, required in CI.

CI sets ``CI=true``; there a missing tool is a failure, never a silent skip, because ``.ci/run``
installs every tool the tests use (TeX from Debian packages, PARDISO from its wheel on x86-64).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import shutil
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest


def in_ci() -> bool:
    """Whether the tests run in CI (``CI=true``, as CI services set it)."""
    return os.environ.get("CI", "").lower() == "true"


def require(available: bool, what: str, *, needed_in_ci: bool = True) -> None:
    """Skip when ``what`` is missing on a developer's machine; fail when it is missing in CI."""
    if available:
        return
    if in_ci() and needed_in_ci:
        pytest.fail(f"{what} is missing in CI, where .ci/run installs it", pytrace=False)
    pytest.skip(f"{what} is not installed")


def require_executable(name: str) -> None:
    """Require an executable on the path (``pdflatex``, ...)."""
    require(shutil.which(name) is not None, f"the executable {name!r}")


def pardiso_platform() -> bool:
    """Whether MKL PARDISO wheels exist for this platform (the ``test`` extra's marker)."""
    return platform.machine() in ("x86_64", "AMD64") and sys.platform != "darwin"


def benchmark_module(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` (not a package) for a test that reruns a committed study."""
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location(name, root / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rerun_study(
    name: str, out: Path, monkeypatch: pytest.MonkeyPatch, check: Callable[[pd.DataFrame], None]
) -> None:
    """Run ``benchmarks/<name>.py`` with ``--out out`` (its other options at their defaults,
    warnings silenced), compare the table it writes with the committed
    ``benchmarks/results/<name>.csv`` and ``check`` it.

    The tables agree to ``rtol=1e-6``: the CSV keeps six significant digits, and a rerun on
    another machine may differ in the last place of a sum of thousands of estimates.
    """
    root = Path(__file__).resolve().parents[1]
    monkeypatch.syspath_prepend(str(root / "benchmarks"))
    module = importlib.import_module(name)
    monkeypatch.setattr(sys, "argv", [f"{name}.py", "--out", str(out)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module.main()
    fresh = pd.read_csv(out / f"{name}.csv")
    committed = pd.read_csv(root / "benchmarks" / "results" / f"{name}.csv")
    pd.testing.assert_frame_equal(fresh, committed, check_exact=False, rtol=1e-6)
    check(fresh)
