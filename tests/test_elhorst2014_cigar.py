"""Elhorst (2014), s. 3.6.2: the tests of the cigarette-demand panel that the book's text prints.

Reference values in ``reference/elhorst2014_cigar.json`` (with the page and the address the text
was read at): the LR tests of the joint significance of the spatial and of the time-period fixed
effects (2315.7 and 473.1, one decimal), and the decisions the text states for the classic and
robust LM tests of Table 3.2 (the table's cells were not visible in any source that could be
read, nor were those of Tables 3.3 and 3.4; see the JSON's ``not_found``). The non-spatial
coefficients of Table 3.2 are checked in ``test_panel_models.py`` and by the replication's
step 7.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import naeringsmiljo as nm
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.inference import panel_diagnostics as pdg
from naeringsmiljo.models.panel_baselines import fixed_effects_lr, panel_baseline

REFERENCE = json.loads((Path(__file__).parent / "reference" / "elhorst2014_cigar.json").read_text())
CIGAR = "np.log(sales) ~ np.log(price / cpi) + np.log(ndi / cpi)"
#: The LR statistics are printed with one decimal: half a unit of the last digit.
HALF_UNIT_LR = 0.05
N, T = 46, 30


@pytest.fixture(scope="module")
def baselines():
    data = nm.datasets.cigar()
    return {
        e: panel_baseline(CIGAR, data, effects=e) for e in ("none", "entity", "time", "twoways")
    }


@pytest.mark.parametrize("added", ["entity", "time"])
def test_lr_joint_significance_of_fixed_effects_as_printed(baselines, added):
    printed = REFERENCE["lr_fixed_effects"][added]
    test = fixed_effects_lr(baselines[printed["restricted"]], baselines[printed["unrestricted"]])
    assert test.statistic == pytest.approx(printed["statistic"], abs=HALF_UNIT_LR)
    # Elhorst counts N and T degrees of freedom; the added effects have N - 1 and T - 1 free
    # parameters (one level is the constant of the restricted model).
    assert printed["df_printed"] == (N if added == "entity" else T)
    assert test.df == printed["df_printed"] - 1
    assert test.pvalue < 0.01


def test_lr_equals_the_log_ratio_of_residual_sums_of_squares(baselines):
    """LR = NT ln(e_r'e_r / e_u'e_u) from the residuals directly (pooled within spatial FE)."""
    ssr = {e: float(np.sum(b.residuals.to_numpy() ** 2)) for e, b in baselines.items()}
    test = fixed_effects_lr(baselines["none"], baselines["entity"])
    assert test.statistic == pytest.approx(N * T * np.log(ssr["none"] / ssr["entity"]), rel=1e-12)
    assert test.df == N - 1
    both = fixed_effects_lr(baselines["none"], baselines["twoways"])
    assert both.df == N + T - 2


@pytest.mark.parametrize(
    ("restricted", "unrestricted"), [("entity", "time"), ("twoways", "entity"), ("time", "time")]
)
def test_lr_rejects_effects_that_are_not_nested(baselines, restricted, unrestricted):
    with pytest.raises(SpecificationError, match="not nested"):
        fixed_effects_lr(baselines[restricted], baselines[unrestricted])


def test_lr_rejects_random_effects():
    fit = panel_baseline(CIGAR, nm.datasets.cigar(), effects="random")
    other = panel_baseline(CIGAR, nm.datasets.cigar(), effects="twoways")
    with pytest.raises(SpecificationError, match="effects='random'"):
        fixed_effects_lr(fit, other)


@pytest.fixture(scope="module")
def lm_tests():
    """Elhorst's LM tests of Table 3.2: sigma^2 = e'e / NT and T tr(W'W + W^2) (his routine
    ``LMsarsem_panel``), the lag applied to the demeaned data: ``dof_correction=False``."""
    frame = nm.datasets.cigar().swaplevel().sort_index()  # stacked by period
    y = np.log(frame["sales"].to_numpy())
    x = np.column_stack(
        [np.log(frame["price"] / frame["cpi"]), np.log(frame["ndi"] / frame["cpi"])]
    )
    w = nm.datasets.cigar_weights().row_standardize()
    out = {}
    for effects in ("none", "entity", "time", "twoways"):
        design = np.column_stack([np.ones(N * T), x]) if effects == "none" else x
        out[effects] = pdg.panel_lm_tests(y, design, w, N, T, effects=effects, dof_correction=False)
    return out


@pytest.mark.parametrize(
    "decision",
    REFERENCE["lm_decisions"]["decisions"],
    ids=lambda d: f"{d['effects']}-{d['test']}",
)
def test_lm_decisions_as_stated(lm_tests, decision):
    pvalue = getattr(lm_tests[decision["effects"]], decision["test"]).pvalue
    assert (pvalue < 0.05) == decision["reject_5pct"]
    if "reject_1pct" in decision:
        assert (pvalue < 0.01) == decision["reject_1pct"]
