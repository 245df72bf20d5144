"""The paper builds cleanly: no float or line off the page, no undefined reference, no rerun.

The committed tables and figures of ``paper/`` are compiled as a reviewer would (``pdflatex``,
``bibtex``, then ``pdflatex`` until the cross-references settle), in a copy of the folder so
that the tree is not touched, and the log is read for every warning that means a reader sees
something wrong.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tools import require_executable

PAPER = Path(__file__).resolve().parents[1] / "paper"

# What must not appear in the final log, each a defect a reader would see.
DEFECTS = {
    "overfull box": re.compile(
        r"^Overfull \\[hv]box \((\d+\.?\d*)pt too (wide|high)\)", re.MULTILINE
    ),
    "float larger than the page": re.compile(r"Float too large for page", re.MULTILINE),
    "undefined reference or citation": re.compile(
        r"(Reference|Citation) `[^']*' on page \d+ undefined", re.MULTILINE
    ),
    "cross-references not settled": re.compile(
        r"Rerun to get (cross-references|citations)", re.MULTILINE
    ),
    "missing file": re.compile(r"^! LaTeX Error: File `[^']*' not found", re.MULTILINE),
}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def build_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    require_executable("pdflatex")  # a failure in CI, where .ci/run installs TeX
    require_executable("bibtex")
    folder = tmp_path_factory.mktemp("paper") / "paper"
    # the build's own products, if a local build left them; the figures are PDFs and stay
    products = [f"main.{ext}" for ext in ("aux", "bbl", "blg", "log", "out", "pdf", "toc")]
    shutil.copytree(PAPER, folder, ignore=shutil.ignore_patterns(*products))
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex"]
    first = _run(latex, folder)
    assert first.returncode == 0, first.stdout[-3000:]
    bib = _run(["bibtex", "main"], folder)
    assert bib.returncode == 0, bib.stdout[-3000:]
    log = ""
    for _ in range(3):  # until LaTeX stops asking for another pass
        run = _run(latex, folder)
        assert run.returncode == 0, run.stdout[-3000:]
        log = (folder / "main.log").read_text(errors="replace")
        if "Rerun to get" not in log:
            break
    assert (folder / "main.pdf").stat().st_size > 100_000
    return log


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_the_paper_builds_without(build_log: str, defect: str) -> None:
    found = [m.group(0) for m in DEFECTS[defect].finditer(build_log)]
    assert not found, f"{defect}: {found[:5]}"


def test_every_table_note_is_in_a_compiled_caption() -> None:
    """The generated tables carry their notes as ``%`` comments; the section that inputs a
    table must repeat the substance in its caption, which the reader sees. Checked by the
    words that carry each note: the sizes and designs the numbers depend on."""
    sections = "".join(p.read_text() for p in (PAPER / "sections").glob("*.tex"))
    captions = " ".join(re.findall(r"\\caption\{(.*?)\}\n\s*\\label", sections, re.DOTALL))
    captions = " ".join(captions.split())
    for phrase in [
        "t-values in parentheses",  # Elhorst Table 2.2
        "10{,}000 draws",  # Elhorst Table 2.3
        "instruments $[X, WX, W^2X]$",  # Anselin (1988), Monte Carlo
        "$^\\dagger$",  # the flag of entries that differ from the printed value
        "1{,}000 replications",  # Monte Carlo
        "400 replications",  # coverage
        "peak resident memory",  # performance
        "GMerrorsar",  # peer agreement
        "Gibbs sampler with 2 chains",  # firms in regions
    ]:
        assert phrase in captions, phrase
