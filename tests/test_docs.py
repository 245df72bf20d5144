"""The documentation site builds without a warning, with the tutorial executed.

``sphinx-build -W`` turns every warning into an error: a docstring whose numpydoc sections do
not parse, a broken cross-reference, a page missing from the table of contents, or a tutorial
cell that raises (myst-nb executes ``docs/tutorial.md`` on every build, ``docs/conf.py``).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from tools import require

ROOT = Path(__file__).resolve().parents[1]
#: The packages of the ``docs`` extra that the build imports.
BUILD_MODULES = ("sphinx", "pydata_sphinx_theme", "myst_nb", "numpydoc", "ipykernel")


def test_documentation_builds_without_warnings(tmp_path: Path) -> None:
    for module in BUILD_MODULES:
        require(importlib.util.find_spec(module) is not None, f"the Python package {module!r}")
    html = tmp_path / "html"
    # autosummary writes its stubs into docs/generated (ignored by git): stubs of names that no
    # longer exist would otherwise be read as pages outside every table of contents
    shutil.rmtree(ROOT / "docs" / "generated", ignore_errors=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(ROOT / "docs"),
            str(html),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,  # the assertion below shows the warnings
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-20000:]
    assert "Executed notebook" in result.stderr + result.stdout, "the tutorial was not executed"

    assert (html / "index.html").is_file()
    sar = (html / "generated" / "naeringsmiljo.SAR.html").read_text(encoding="utf-8")
    assert "from_formula" in sar and "fit" in sar  # the inherited methods are documented
    tutorial = (html / "tutorial.html").read_text(encoding="utf-8")
    assert "<img" in tutorial, "the tutorial's map was not rendered"
    assert "Impacts of the SAR model" in tutorial, "the tutorial's outputs are missing"
    for page in ("coming_from", "api", "architecture", "inference", "several_weights"):
        assert (html / f"{page}.html").is_file(), page
