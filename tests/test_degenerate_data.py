"""Degenerate data: every case is a typed error or a recorded warning, never a converged fit.

:data:`DEGENERATE_CASES` is a table of ``(id, call, expected, match)``: a zero-argument callable
that fits a model to degenerate data, the exception or warning type it must raise, and a regular
expression its message must match (naming the problem). The constant outcome is refused by the
design before any estimator runs (every model and method); too few observations for the
coefficients, or for the coefficients and the spatial parameters, is refused with n and k; an
ML estimate on the boundary of its interval, or on a flat likelihood, is reported with a
:class:`~naeringsmiljo.exceptions.ConvergenceWarning` and ``converged=False``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest

import naeringsmiljo as nm
from naeringsmiljo import datasets
from naeringsmiljo.design.cross_section import CONSTANT_RTOL
from naeringsmiljo.estimators.ml_search import BOUNDARY_RTOL, flat_directions, on_boundary
from naeringsmiljo.exceptions import (
    ConvergenceWarning,
    DegenerateDataError,
    NaeringsmiljoError,
)

FORMULA = "CRIME ~ INC + HOVAL"
COLUMBUS = datasets.columbus()
W = datasets.columbus_weights("anselin").row_standardize()
W_QUEEN = datasets.columbus_weights("queen").row_standardize()


class DegenerateCase(NamedTuple):
    """One degenerate input: ``call()`` must raise (or warn) ``expected`` matching ``match``."""

    id: str
    call: Callable[[], Any]
    expected: type[BaseException | Warning]
    match: str


def constant(value: float) -> pd.DataFrame:
    return COLUMBUS.assign(CRIME=value)


def fit_constant(model: type[nm.SpatialModel], value: float, method: str) -> Callable[[], Any]:
    return lambda: model.from_formula(FORMULA, constant(value), W).fit(method=method)


def small(n: int, regressors: int) -> tuple[pd.DataFrame, nm.SpatialWeights]:
    """``n`` units on random points, 2-nearest-neighbour weights, ``regressors`` columns x0..."""
    rng = np.random.default_rng(n)
    coords = pd.DataFrame(rng.uniform(size=(n, 2)), columns=["px", "py"])
    w = nm.weights.knn(coords, 2).row_standardize()
    data = pd.DataFrame(
        rng.normal(size=(n, regressors)), columns=[f"x{j}" for j in range(regressors)]
    )
    return data.assign(y=rng.normal(size=n)), w


def fit_small(model: type[nm.SpatialModel], n: int, regressors: int, method: str) -> Any:
    data, w = small(n, regressors)
    formula = "y ~ " + " + ".join(f"x{j}" for j in range(regressors))
    return model.from_formula(formula, data, w).fit(method=method)


def near_unit_root(scale: float = 1e-9) -> pd.DataFrame:
    """An outcome that is 1 up to noise of ``scale``, with no constant in the model.

    ``(I - rho W) 1 = (1 - rho) 1`` for a row-standardised W, so without an intercept the
    residuals shrink like ``1 - rho`` and the likelihood rises towards the singular rho = 1
    until the noise (here 1e-9) stops it, closer to the end than the search resolves.
    """
    noise = np.random.default_rng(5).normal(size=len(COLUMBUS))
    return COLUMBUS.assign(Y=1.0 + scale * noise)


def pairs(n: int = 40) -> nm.SpatialWeights:
    """Units linked in pairs (W^2 = I): SAC's likelihood depends on rho and lambda only
    through ``(rho + lambda) / (1 + rho lambda)`` when X is only a constant (flat along it)."""
    edges = pd.DataFrame({"a": np.arange(0, n, 2), "b": np.arange(1, n, 2)})
    return nm.SpatialWeights.from_edges(edges, source="a", target="b", symmetric=True)


def fit_flat_sac() -> Any:
    y = np.random.default_rng(3).normal(size=40)
    return nm.SAC.from_formula("y ~ 1", pd.DataFrame({"y": y}), pairs()).fit()


CONSTANT = r"outcome 'CRIME' is constant"
DEGENERATE_CASES: list[DegenerateCase] = [
    # a constant outcome, for each model and method (the design refuses it)
    DegenerateCase(
        "constant-0-SAR-ml", fit_constant(nm.SAR, 0.0, "ml"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-1-SEM-ml", fit_constant(nm.SEM, 1.0, "ml"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-3.7-SDM-ml", fit_constant(nm.SDM, 3.7, "ml"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-1-SDEM-ml", fit_constant(nm.SDEM, 1.0, "ml"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-3.7-SAC-ml", fit_constant(nm.SAC, 3.7, "ml"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-0-GNS-ml", fit_constant(nm.GNS, 0.0, "ml"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-3.7-OLS-ols", fit_constant(nm.OLS, 3.7, "ols"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-1-OLS-ml", fit_constant(nm.OLS, 1.0, "ml"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-1-SLX-ols", fit_constant(nm.SLX, 1.0, "ols"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-1-SAR-s2sls", fit_constant(nm.SAR, 1.0, "s2sls"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-1-SEM-gm_error",
        fit_constant(nm.SEM, 1.0, "gm_error"),
        DegenerateDataError,
        CONSTANT,
    ),
    DegenerateCase(
        "constant-1-SAC-gs2sls", fit_constant(nm.SAC, 1.0, "gs2sls"), DegenerateDataError, CONSTANT
    ),
    DegenerateCase(
        "constant-1-SAR-two-weights",
        lambda: nm.SAR.from_formula(FORMULA, constant(1.0), {"a": W, "q": W_QUEEN}).fit(),
        DegenerateDataError,
        CONSTANT,
    ),
    DegenerateCase(
        "constant-without-intercept",
        lambda: nm.SAR.from_formula("CRIME ~ 0 + INC", constant(2.0), W).fit(),
        DegenerateDataError,
        CONSTANT,
    ),
    DegenerateCase(
        # a range of 4e-7 on a level of 1e6: 4e-13 of the largest value, rounding
        "constant-to-rounding",
        lambda: nm.SAR.from_formula(
            FORMULA,
            COLUMBUS.assign(CRIME=1e6 + 1e-7 * np.sin(np.arange(len(COLUMBUS)))),
            W,
        ).fit(),
        DegenerateDataError,
        r"outcome 'CRIME' is constant \(value 1e\+06 .* range",
    ),
    DegenerateCase(
        "constant-from-arrays",
        lambda: nm.SEM.from_arrays(
            np.full(W.n, 2.5), COLUMBUS.loc[W.ids, ["INC"]].to_numpy(), W, ids=W.ids
        ).fit(),
        DegenerateDataError,
        r"outcome 'y' is constant",
    ),
    DegenerateCase(
        "constant-after-dropping-missing",
        lambda: nm.SAR.from_formula(
            FORMULA,
            COLUMBUS.assign(CRIME=np.where(COLUMBUS.index == 1, np.nan, 4.0)),
            W,
            missing="drop",
            islands="drop",
        ).fit(),
        DegenerateDataError,
        r"constant \(value 4 in all 48 observations",
    ),
    DegenerateCase(
        "exact-fit",
        lambda: nm.SAR.from_formula(
            FORMULA, COLUMBUS.assign(CRIME=2.0 + 3.0 * COLUMBUS["INC"]), W
        ).fit(),
        DegenerateDataError,
        r"reproduce the outcome 'CRIME' exactly",
    ),
    # too few observations: n <= k (design), n <= k + p (fit entry)
    DegenerateCase(
        "n-equals-k-OLS",
        lambda: fit_small(nm.OLS, 4, 3, "ols"),
        DegenerateDataError,
        r"n = 4 .*k = 4",
    ),
    DegenerateCase(
        "n-equals-k-SAR-ml",
        lambda: fit_small(nm.SAR, 4, 3, "ml"),
        DegenerateDataError,
        r"n = 4 .*k = 4",
    ),
    DegenerateCase(
        "n-below-k-SEM-ml",
        lambda: fit_small(nm.SEM, 3, 3, "ml"),
        DegenerateDataError,
        r"n = 3 .*k = 4",
    ),
    DegenerateCase(
        "n-equals-k-plus-1-SAR-ml",
        lambda: fit_small(nm.SAR, 5, 3, "ml"),
        DegenerateDataError,
        r"n = 5 .*k = 4 .*1 spatial parameter.*no residual degrees of freedom",
    ),
    DegenerateCase(
        "n-equals-k-plus-1-SEM-gm_error",
        lambda: fit_small(nm.SEM, 5, 3, "gm_error"),
        DegenerateDataError,
        r"n = 5 .*k = 4 .*no residual degrees of freedom",
    ),
    DegenerateCase(
        "n-equals-k-plus-2-SAC-ml",
        lambda: fit_small(nm.SAC, 6, 3, "ml"),
        DegenerateDataError,
        r"n = 6 .*k = 4 .*2 spatial parameter.*no residual degrees of freedom",
    ),
    # an estimate on the boundary of its interval, a flat likelihood: warned, not converged
    DegenerateCase(
        "boundary-SAR-ml",
        lambda: nm.SAR.from_formula("Y ~ 0 + INC", near_unit_root(), W).fit(),
        ConvergenceWarning,
        r"SAR: estimate on the boundary of the parameter interval: rho = .* singular I - rho W",
    ),
    DegenerateCase(
        "boundary-SEM-ml",
        lambda: nm.SEM.from_formula("Y ~ 0 + INC", near_unit_root(), W).fit(),
        ConvergenceWarning,
        r"SEM: estimate on the boundary of the parameter interval: lambda = ",
    ),
    DegenerateCase(
        "boundary-SAR-two-weights-ml",
        lambda: nm.SAR.from_formula("Y ~ 0 + INC", near_unit_root(), {"a": W, "q": W_QUEEN}).fit(),
        ConvergenceWarning,
        r"edge of the parameter space \(rho = 1\).*singular I - rho W",
    ),
    DegenerateCase(
        "boundary-SAR-separate-weights",
        lambda: nm.SAR.from_formula(
            "Y ~ 0 + INC", near_unit_root(), {"a": W, "q": W_QUEEN}, combine="separate"
        ).fit(),
        ConvergenceWarning,
        r"edge of the parameter space \(sum \|rho_m\| = 1\).*singular",
    ),
    DegenerateCase("flat-SAC-ml", fit_flat_sac, ConvergenceWarning, r"likelihood is flat"),
]


@pytest.mark.parametrize("case", DEGENERATE_CASES, ids=[c.id for c in DEGENERATE_CASES])
def test_degenerate_case(case: DegenerateCase) -> None:
    if issubclass(case.expected, Warning):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # other warnings may accompany the one tested
            with pytest.warns(case.expected, match=case.match):
                case.call()
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a failed fit warns, then raises
            with pytest.raises(case.expected, match=case.match):  # type: ignore[arg-type]
                case.call()


def test_the_table_covers_every_estimator_and_kind() -> None:
    """The table is the catalogue of degenerate inputs: at least 15 cases, distinct ids."""
    ids = [c.id for c in DEGENERATE_CASES]
    assert len(ids) == len(set(ids)) >= 15
    for method in ("ml", "ols", "s2sls", "gm_error", "gs2sls"):
        assert any(i.startswith("constant") and i.endswith(method) for i in ids), method
    for model in ("SAR", "SEM", "SDM", "SDEM", "SAC", "GNS", "OLS"):
        assert any(f"-{model}-" in i for i in ids if i.startswith("constant")), model


def test_degenerate_data_error_is_a_package_and_a_value_error() -> None:
    with pytest.raises(DegenerateDataError) as info:
        fit_constant(nm.SAR, 1.0, "ml")()
    assert isinstance(info.value, NaeringsmiljoError) and isinstance(info.value, ValueError)
    assert info.value.n == 49
    with pytest.raises(DegenerateDataError) as info:
        fit_small(nm.SAC, 6, 3, "ml")
    assert (info.value.n, info.value.k) == (6, 6)


def test_boundary_estimate_is_flagged_in_the_record_and_the_summary() -> None:
    with pytest.warns(ConvergenceWarning):
        res = nm.SAR.from_formula("Y ~ 0 + INC", near_unit_root(), W).fit()
    record = res.record
    assert not record.converged
    assert record.boundary == ("rho",)
    assert on_boundary({"rho": float(res.params["rho"])}, record.intervals) == ("rho",)
    assert "On the boundary:     rho" in res.summary()
    assert "Convergence:         NO: estimate on the boundary" in res.summary()


def test_boundary_of_a_combined_term_is_flagged() -> None:
    with pytest.warns(ConvergenceWarning):
        res = nm.SEM.from_formula("Y ~ 0 + INC", near_unit_root(), {"a": W, "q": W_QUEEN}).fit()
    assert not res.record.converged
    assert res.record.boundary == ("lambda",)


def test_flat_likelihood_is_not_converged() -> None:
    with pytest.warns(ConvergenceWarning, match="flat"):
        res = fit_flat_sac()
    assert not res.record.converged
    assert res.record.boundary == ()


@pytest.mark.parametrize("model", [nm.SAR, nm.SEM, nm.SDM, nm.SDEM, nm.SAC, nm.GNS])
def test_interior_estimates_are_not_flagged(model: type[nm.SpatialModel]) -> None:
    """The boundary and flatness checks stay silent on ordinary data (Columbus)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = model.from_formula(FORMULA, COLUMBUS, W).fit()
    assert res.record.converged, res.record.message
    assert res.record.boundary == ()
    assert "On the boundary" not in res.summary()


@pytest.mark.parametrize("scale", [1e-150, 1e-3, 1e3, 1e150])
def test_the_constant_rule_is_scale_invariant(scale: float) -> None:
    """A varying outcome is accepted at any scale; a constant one refused at any scale."""
    varying = COLUMBUS.assign(CRIME=scale * COLUMBUS["CRIME"])
    base = nm.OLS.from_formula(FORMULA, COLUMBUS, W).fit()
    res = nm.OLS.from_formula(FORMULA, varying, W).fit()
    # least squares is linear in y: the slopes scale exactly, up to rounding of the solve
    np.testing.assert_allclose(res.params, scale * base.params, rtol=1e-10, atol=0.0)
    flat = COLUMBUS.assign(CRIME=scale * (1.0 + 0.1 * CONSTANT_RTOL * np.cos(COLUMBUS["INC"])))
    with pytest.raises(DegenerateDataError, match="constant"):
        nm.OLS.from_formula(FORMULA, flat, W)


def test_flat_directions_and_boundary_rules() -> None:
    """The two rules on their own: a zero curvature is flat, a curvature of order n is not;
    within BOUNDARY_RTOL of an end is on the boundary, twice as far is not."""
    interval = [(-1.5, 1.0)]
    assert flat_directions(lambda t: np.zeros(1), np.array([0.3]), interval, 100)
    assert not flat_directions(lambda t: -100.0 * (t - 0.3), np.array([0.3]), interval, 100)
    ridge = lambda t: np.array([-(t[0] + t[1]), -(t[0] + t[1])])
    assert flat_directions(ridge, np.array([0.2, -0.2]), interval * 2, 100)
    assert on_boundary({"rho": 1.0 - 0.5 * BOUNDARY_RTOL}, {"rho": (-1.5, 1.0)}) == ("rho",)
    assert on_boundary({"rho": -1.5 * (1 - 0.5 * BOUNDARY_RTOL)}, {"rho": (-1.5, 1.0)}) == ("rho",)
    assert on_boundary({"rho": 1.0 - 2 * BOUNDARY_RTOL}, {"rho": (-1.5, 1.0)}) == ()
