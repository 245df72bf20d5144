"""Reproduce Elhorst (2014) Tables 2.2 and 2.3 at the printed precision.

Each printed number is matched to within half a unit of its last printed digit, after the
table's conventions (intercept / 100; log-likelihood offsets, see ``reference/elhorst2014.py``).
Entries where the book and every implementation differ are listed in ``GAPS`` with the reason;
they run as strict xfails, so a gap that closes is noticed, and the exact values at those
entries are checked against R spatialreg in ``test_spatialreg_agreement.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import naeringsmiljo as nm
from naeringsmiljo import MODELS
from reference.elhorst2014 import LOGLIK, R2, TABLE_2_2, TABLE_2_3

FORMULA = "CRIME ~ INC + HOVAL"
N = 49
# Table conventions (Elhorst 2014, p. 21): data scaled by 1/100.
LOGLIK_OFFSET = N * math.log(100.0)
NONSPATIAL_OFFSET = N / 2  # OLS and SLX log-likelihoods are printed a further n/2 lower
HALF_UNIT_ESTIMATE = 0.0005  # estimates printed with three decimals
HALF_UNIT_T = 0.005  # t-values printed with two decimals

GAPS: dict[tuple[str, str, str], str] = {
    # The three gaps known between the book and peer software (shared reference notes):
    (
        "SAC",
        "lambda",
        "estimate",
    ): "printed 0.166 (truncated); R spatialreg and this package 0.1667",
    ("GNS", "rho", "estimate"): "printed 0.315 (truncated); R spatialreg and this package 0.3156",
    ("SEM", "Intercept", "t"): "printed 11.32; R spatialreg and this package give 11.16",
    # Further last-digit gaps found here; each exact value agrees with R spatialreg:
    ("SAR", "INC", "estimate"): "printed -1.031 (truncated); exact -1.03162, as R spatialreg's "
    "documentation prints (-1.031616)",
    ("SAR", "HOVAL", "t"): "printed -3.01; exact -3.0049 (R: -0.265926 / 0.088499)",
    ("GNS", "W_HOVAL", "estimate"): "printed 0.208 (truncated); exact 0.20852",
    ("GNS", "lambda", "t"): "printed 0.15; exact 0.1448",
    ("SEM", "INC", "estimate"): "printed -0.942, the estimate at lambda = 0.5615 where the book's "
    "optimiser stopped; the maximiser lambda = 0.56179 gives -0.9413 (see test_sem_column_...)",
    ("SEM", "lambda", "t"): "printed 4.19 = 0.5615 / s.e.; at the maximiser 4.197",
    ("SEM", "R2", "value"): "printed 0.651 (lambda = 0.5615); at the maximiser 0.65151",
    ("GNS", "R2", "value"): "printed 0.651, no R-squared definition we know gives it; "
    "1 - e'e/TSS = 0.6604 (0.651 is the SAC value, perhaps repeated)",
}


def _fits() -> dict[str, nm.SpatialResults]:
    data = nm.datasets.columbus()
    w = nm.datasets.columbus_weights("anselin").row_standardize()
    return {name: MODELS[name].from_formula(FORMULA, data, w).fit() for name in TABLE_2_2}


FITS = _fits()


def _case(model: str, param: str, kind: str) -> object:
    marks = []
    if (model, param, kind) in GAPS:
        marks.append(pytest.mark.xfail(strict=True, reason=GAPS[model, param, kind]))
    return pytest.param(model, param, kind, id=f"{model}-{param}-{kind}", marks=marks)


TABLE_CASES = [
    _case(model, param, kind)
    for model, entries in TABLE_2_2.items()
    for param in entries
    for kind in ("estimate", "t")
]


@pytest.mark.parametrize(("model", "param", "kind"), TABLE_CASES)
def test_table_2_2_coefficients(model: str, param: str, kind: str) -> None:
    res = FITS[model]
    printed_estimate, printed_t = TABLE_2_2[model][param]
    if kind == "estimate":
        ours = res.params[param] / (100.0 if param == "Intercept" else 1.0)
        assert abs(ours - printed_estimate) <= HALF_UNIT_ESTIMATE, (ours, printed_estimate)
    else:
        ours = res.tstats[param]
        assert abs(ours - printed_t) <= HALF_UNIT_T, (ours, printed_t)


@pytest.mark.parametrize(("model", "param", "kind"), [_case(m, "R2", "value") for m in R2])
def test_table_2_2_r_squared(model: str, param: str, kind: str) -> None:
    assert abs(FITS[model].r2 - R2[model]) <= HALF_UNIT_ESTIMATE


@pytest.mark.parametrize("model", list(LOGLIK))
def test_table_2_2_loglik(model: str) -> None:
    offset = LOGLIK_OFFSET - (NONSPATIAL_OFFSET if model in ("OLS", "SLX") else 0.0)
    assert abs(FITS[model].loglik + offset - LOGLIK[model]) <= HALF_UNIT_ESTIMATE


IMPACT_GAPS = {
    ("SAR", "HOVAL", "indirect"): "printed -0.188; the exact value is -0.18743 (R spatialreg "
    "agrees), so the book likely printed a simulation mean",
    ("SEM", "INC", "direct"): "the SEM coefficient gap above (lambda = 0.5615 in the book)",
}

IMPACT_CASES = [
    pytest.param(
        model,
        var,
        col,
        value,
        id=f"{model}-{var}-{col}",
        marks=[pytest.mark.xfail(strict=True, reason=IMPACT_GAPS[model, var, col])]
        if (model, var, col) in IMPACT_GAPS
        else [],
    )
    for model, entries in TABLE_2_3.items()
    for (var, col), value in entries.items()
]


@pytest.mark.parametrize(("model", "var", "col", "printed"), IMPACT_CASES)
def test_table_2_3_impacts(model: str, var: str, col: str, printed: float) -> None:
    ours = FITS[model].impacts().estimates.loc[var, col]
    assert abs(ours - printed) <= HALF_UNIT_ESTIMATE, (ours, printed)


def test_sem_column_matches_the_book_at_its_stopping_point() -> None:
    """The book's SEM column is the estimate at lambda = 0.5615, 3e-4 short of the maximiser.

    Evaluated there, the three SEM entries that differ from the maximiser round to the printed
    numbers, while the log-likelihood is lower by only ~1e-6: the flat top of the likelihood that
    stops value-based optimisers early (see GAPS).
    """
    data = nm.datasets.columbus()
    w = nm.datasets.columbus_weights("anselin").row_standardize()
    at_book = nm.SEM.from_formula(FORMULA, data, w).fit(fixed={"lambda": 0.5615})
    best = FITS["SEM"]
    assert abs(at_book.params["INC"] - TABLE_2_2["SEM"]["INC"][0]) <= HALF_UNIT_ESTIMATE
    assert abs(at_book.r2 - R2["SEM"]) <= HALF_UNIT_ESTIMATE
    t_lambda = 0.5615 / best.std_errors["lambda"]
    assert abs(t_lambda - TABLE_2_2["SEM"]["lambda"][1]) <= HALF_UNIT_T
    assert 0 < best.loglik - at_book.loglik < 1e-5


def test_direct_plus_indirect_is_total() -> None:
    for res in FITS.values():
        est = res.impacts().estimates
        np.testing.assert_allclose(
            est["direct"] + est["indirect"], est["total"], rtol=0, atol=1e-13
        )  # an identity up to rounding
