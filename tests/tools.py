"""Optional external tools: skipped (and reported) on a developer's machine, required in CI.

CI sets ``CI=true``; there a missing tool is a failure, never a silent skip, because ``.ci/run``
installs every tool the tests use (TeX from Debian packages, PARDISO from its wheel on x86-64).
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import sys
from pathlib import Path
from types import ModuleType

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
