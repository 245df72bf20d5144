"""What every step of the replication receives: where to write, which mode, which seed."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: The one seed of the replication. Each step draws from its own stream derived from it.
SEED = 20261127


@dataclass(frozen=True)
class Context:
    """Paths, mode and seed of one run of ``python -m replication``.

    Attributes
    ----------
    root : Path
        The repository root; inputs are read relative to it.
    tables, figures : Path
        Where the LaTeX tables and the PDF figures are written (``paper/tables``,
        ``paper/figures`` unless ``--output`` redirects them).
    fast : bool
        The short run used in CI: fewer replications, draws and sample sizes.
    seed : int
        The project seed; use :meth:`rng` rather than seeding anything directly.
    """

    root: Path
    tables: Path
    figures: Path
    fast: bool
    seed: int = SEED

    @property
    def mode(self) -> str:
        """``"fast"`` or ``"full"``; part of the name of any number that depends on the mode."""
        return "fast" if self.fast else "full"

    def rng(self, name: str) -> np.random.Generator:
        """An independent generator for the stream ``name`` (e.g. the step's module name).

        Seeded by ``SeedSequence([seed, crc32(name)])``, so a stream does not depend on which
        other steps ran before it or on how many numbers they drew.
        """
        return np.random.default_rng(np.random.SeedSequence([self.seed, zlib.crc32(name.encode())]))

    def write_table(self, name: str, latex: str) -> Path:
        """Write ``paper/tables/<name>.tex`` (a tabular for ``\\input``), newline-terminated."""
        path = self.tables / f"{name}.tex"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(latex.rstrip("\n") + "\n", encoding="utf-8")
        return path

    def save_figure(self, name: str, fig: Any) -> Path:
        """Save a matplotlib figure as ``paper/figures/<name>.pdf``, byte-identical across runs.

        The PDF's creation date and producer are left out and matplotlib's hash salt is fixed
        (``SOURCE_DATE_EPOCH`` is set by the runner), so the same figure gives the same bytes.
        """
        import matplotlib.pyplot as plt

        path = self.figures / f"{name}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="pdf", metadata={"CreationDate": None, "Producer": None})
        plt.close(fig)
        return path
