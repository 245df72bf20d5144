"""Progress bars: shown on a terminal when asked for, silent otherwise, and never a change in
the numbers."""

from __future__ import annotations

import sys

import pandas as pd

import naeringsmiljo as nm
from naeringsmiljo._progress import progress_bar

FORMULA = "CRIME ~ INC + HOVAL"


class _Terminal:
    """Standard error as a terminal that keeps what is written to it."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        """Nothing buffered."""


def test_an_ml_fit_shows_its_likelihood_evaluations_on_a_terminal(
    columbus, w_anselin, monkeypatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    model = nm.SAR.from_formula(FORMULA, columbus, w_anselin)
    shown = model.fit(progress=True)
    assert "SAR by ML: likelihood evaluations" in terminal.text
    quiet = model.fit()
    pd.testing.assert_series_equal(shown.params, quiet.params, check_exact=True)
    assert shown.ml.problem.lik.tick is None  # the results do not keep the bar


def test_bars_are_silent_off_a_terminal_or_when_not_asked(monkeypatch, capsys) -> None:
    bar = progress_bar(total=3, desc="work", unit="step")  # pytest's stderr is no terminal
    bar.update(3)
    bar.close()
    monkeypatch.setattr(sys, "stderr", _Terminal())
    silent = progress_bar(total=3, desc="work", unit="step", enabled=False)
    silent.update(2)
    assert silent.n == 2 and not sys.stderr.text  # type: ignore[attr-defined]
    assert capsys.readouterr().err == ""


def test_a_large_fit_shows_its_covariance_probes(monkeypatch) -> None:
    """Above the dense limit the information matrix comes from probes: their loop has a bar."""
    import numpy as np

    from naeringsmiljo.inference.covariance import InformationMatrix

    rng = np.random.default_rng(4)
    n = 600
    frame = pd.DataFrame(
        {"i": np.arange(n), "j": (np.arange(n) + 1) % n}
    )  # a ring: non-symmetric, so the Hutchinson probes are needed
    w = nm.SpatialWeights.from_edges(frame, source="i", target="j").row_standardize()
    data = pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n)}, index=w.ids)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    nm.SAR.from_formula("y ~ x", data, w).fit(progress=True, cov=InformationMatrix(path="sparse"))
    assert "information matrix" in terminal.text
