"""Maximum likelihood estimates against spreg, run live on the Columbus data (n = 49).

Model ``CRIME ~ INC + HOVAL`` with SAR (``spreg.ML_Lag``), SEM (``spreg.ML_Error``) and SDM
(``spreg.ML_Lag(..., slx_lags=1)``), each with the row-standardised queen contiguity (libpysal's
``columbus.gal``, the matrix behind spreg's documentation) and with Anselin's (1988) contiguity.
spreg receives a ``libpysal.weights.W`` built from the same links as ours, row-standardised by
libpysal itself (``w.transform = "r"``), and the data rows in the order of ``w.id_order``.

What spreg computes (spreg 1.9, ``spreg/ml_lag.py`` and ``spreg/ml_error.py``, ``method="full"``)
---------------------------------------------------------------------------------------------------
* Spatial parameter: ``scipy.optimize.minimize_scalar(method="bounded", bounds=(-1, 1))`` on the
  concentrated log-likelihood ``n/2 ln(e'e/n) - ln|I - rho W|`` (log-determinant by
  ``np.linalg.det`` of the dense matrix), stopping at ``xatol = epsilon = 1e-7`` (ML_Error
  passes ``tol=epsilon``, which scipy applies as that same absolute tolerance). No score
  equation is solved, so rho/lambda lie up to about 1e-7 from the maximiser; we solve the score
  equation to rounding (``naeringsmiljo.estimators.ml_search``).
* Coefficients: ML_Lag ``b = b0 - rho b1`` (OLS of y and of Wy on X); ML_Error the GLS fit of
  ``y - lambda Wy`` on ``X - lambda WX``. Same estimators as ours, at spreg's rho/lambda.
* ``std_err``: ``sqrt(diag(vm))``. ML_Lag: ``vm`` is the (beta, rho) block of the inverse of the
  analytic information matrix in (beta, rho, sigma2) (Anselin 1988, eq. 6.5), with sigma2 of
  divisor n and ``W A^{-1} X b`` from a power series cut when the increment norm is below 1e-7.
  ML_Error: ``sigma2 (X_s'X_s)^{-1}`` for beta and, for lambda, the first diagonal element of the
  inverse of the 2x2 (lambda, sigma2) information block; beta is orthogonal to (lambda, sigma2) in
  the SEM information matrix, so this equals the corresponding block of our full inverse.
* ``logll``: ``-f(rho) - n/2 ln(2 pi) - n/2`` with ``f`` the minimised function above: the full
  Gaussian log-likelihood with all constants and sigma2 = e'e/n, the same as ours.
* ``sig2``: ML_Lag ``u'u/n`` (``sig2n``, "no allowance for division by n-k"); ML_Error
  ``e'e/n`` with ``e = u - lambda W u``. Divisor n in both, as our ML ``sigma2``.
* Names (``name_x``): ``CONSTANT``, the regressors in input order, for ``slx_lags=1`` their lags
  ``W_INC, W_HOVAL`` after them, and last ``W_CRIME`` (rho) or ``lambda``. Estimates are matched
  by these names, not by position.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import libpysal
import numpy as np
import pandas as pd
import pytest
import spreg

import naeringsmiljo as nm
from naeringsmiljo import SpatialWeights, datasets
from peers import libpysal_w

# spreg's rho/lambda is measured 1e-10..5e-8 from the score root (its search stops at
# xatol = 1e-7 on a parameter of about 0.4); coefficients move with it at most linearly.
RTOL_COEF = 1e-6
# Standard errors are evaluated at spreg's slightly different rho/lambda, and ML_Lag's uses a
# power series for (I - rho W)^{-1} X b truncated at 1e-7; both are first-order, far below 1e-4.
RTOL_SE = 1e-4
# The log-likelihood is stationary at the maximum: a search error d costs about
# (1/2) * d^2 / var(rho) <= 0.5 * 1e-14 / 0.014 ~ 4e-13 (var(rho) ~ 0.014 here), i.e. ~2e-15
# relative to |loglik| ~ 180, plus rounding. 1e-10 is ample, yet a convention difference (sigma2
# with divisor n - k shifts it by n/2 ln(n/(n-k)) ~ 1.5; a dropped 2 pi constant by 45) fails.
RTOL_LOGLIK = 1e-10
# sigma2 = e'e/n moves to first order with rho/lambda; measured differences are ~2e-8.
RTOL_SIGMA2 = 1e-6
# Score of the concentrated log-likelihood (log-likelihood units per unit of rho) at our estimate.
# Its terms are of order 10-100, so rounding leaves ~1e-13; at spreg's stopping points the score is
# 4e-9..2e-6 (measured), so this bound separates a solved score equation from a stopped search.
SCORE_ATOL = 1e-10
# Our log-likelihood must not lie below spreg's beyond rounding: one ulp of |loglik| ~ 180 is
# 2.8e-14 and the two log-determinants (sum of 49 log|1 - rho w_i| vs log det) round differently;
# 1e-12 is ~35 ulps, while stopping 1e-5 short of the maximiser would lose ~4e-9.
LOGLIK_ROUNDING_ATOL = 1e-12
# Both sides compute the row-standardised weights as 1/k from the same binary links.
WEIGHTS_ATOL = 1e-15

FORMULA = "CRIME ~ INC + HOVAL"
Y_NAME = "CRIME"
REGRESSORS = ["INC", "HOVAL"]

# spreg's names of the non-regressor parameters -> ours.
SPREG_NAMES = {"CONSTANT": "Intercept", "W_CRIME": "rho", "lambda": "lambda"}

MODELS = {
    # model: (our class, spreg class, spreg keyword arguments, spatial parameter)
    "SAR": (nm.SAR, spreg.ML_Lag, {}, "rho"),
    "SEM": (nm.SEM, spreg.ML_Error, {}, "lambda"),
    "SDM": (nm.SDM, spreg.ML_Lag, {"slx_lags": 1}, "rho"),
}
CASES = [(kind, model) for kind in ("queen", "anselin") for model in MODELS]


@dataclass(frozen=True)
class Comparison:
    kind: str
    model: str
    spatial: str
    ours: nm.SpatialResults
    theirs: pd.DataFrame  # columns estimate, std_err; index: our parameter names
    logll: float
    sig2: float
    model_object: nm.SpatialModel


@pytest.fixture(scope="module")
def columbus() -> pd.DataFrame:
    return datasets.columbus()


@pytest.fixture(scope="module", params=CASES, ids=[f"{k}-{m}" for k, m in CASES])
def comparison(request, columbus) -> Comparison:
    kind, model = request.param
    ours_cls, spreg_cls, kwargs, spatial = MODELS[model]
    w = libpysal_w(kind)
    frame = columbus.loc[w.id_order]
    assert list(frame.index) == list(w.id_order) == list(range(1, 50))
    with warnings.catch_warnings():
        # spreg's output table uses a pandas keyword deprecated in pandas 3.1; not our concern.
        warnings.filterwarnings("ignore", message="The inplace keyword")
        # ML_Error's tol= is taken as xatol by scipy's bounded method, which says so.
        warnings.filterwarnings("ignore", message="Method 'bounded' does not support relative")
        fit = spreg_cls(
            frame[[Y_NAME]].to_numpy(),
            frame[REGRESSORS].to_numpy(),
            w,
            method="full",
            name_y=Y_NAME,
            name_x=list(REGRESSORS),
            **kwargs,
        )
    names = [SPREG_NAMES.get(name, name) for name in fit.name_x]
    theirs = pd.DataFrame(
        {"estimate": np.ravel(fit.betas), "std_err": np.ravel(fit.std_err)}, index=names
    )
    ours_w = datasets.columbus_weights(kind).row_standardize()
    spec = ours_cls.from_formula(FORMULA, columbus, ours_w)
    return Comparison(
        kind=kind,
        model=model,
        spatial=spatial,
        ours=spec.fit(),
        theirs=theirs,
        logll=float(np.ravel(fit.logll)[0]),
        sig2=float(np.ravel(fit.sig2)[0]),
        model_object=spec,
    )


@pytest.mark.parametrize("kind", ["queen", "anselin"])
def test_libpysal_w_is_our_matrix(kind):
    """spreg and we use the same row-standardised matrix, in the same id order."""
    w = libpysal_w(kind)
    converted = SpatialWeights.from_libpysal(w)
    assert converted.transform == "r"
    assert converted.equals(datasets.columbus_weights(kind).row_standardize(), atol=WEIGHTS_ATOL)


def test_queen_links_are_libpysals_columbus_gal():
    """Source of the queen links: libpysal's bundled ``columbus.gal`` (ids are POLYID strings)."""
    handle = libpysal.io.open(libpysal.examples.get_path("columbus.gal"))
    try:
        gal = handle.read()
    finally:
        handle.close()
    gal_weights = SpatialWeights.from_sparse(gal.sparse, ids=[int(i) for i in gal.id_order])
    shipped = datasets.columbus_weights("queen")
    assert shipped.nnz == 236
    assert gal_weights.reorder(shipped.ids).equals(shipped)


def test_parameter_names_match_spreg(comparison):
    assert list(comparison.theirs.index) == list(comparison.ours.params.index)


def test_coefficients_match_spreg(comparison):
    ours = comparison.ours.params
    theirs = comparison.theirs["estimate"].reindex(ours.index)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=RTOL_COEF)


def test_standard_errors_match_spreg(comparison):
    ours = comparison.ours.std_errors
    theirs = comparison.theirs["std_err"].reindex(ours.index)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=RTOL_SE)


def test_loglik_and_sigma2_match_spreg(comparison):
    np.testing.assert_allclose(comparison.ours.loglik, comparison.logll, rtol=RTOL_LOGLIK)
    np.testing.assert_allclose(comparison.ours.sigma2, comparison.sig2, rtol=RTOL_SIGMA2)


def test_we_solve_the_score_equation_where_spreg_stops_short(comparison):
    ours = comparison.ours
    assert ours.record.converged, ours.record.message
    assert len(ours.record.score) == 1
    np.testing.assert_allclose(ours.record.score[0], 0.0, atol=SCORE_ATOL)
    # Not below spreg's maximum, nor below our own likelihood at spreg's rho/lambda.
    assert ours.loglik >= comparison.logll - LOGLIK_ROUNDING_ATOL
    spreg_value = float(comparison.theirs.loc[comparison.spatial, "estimate"])
    at_spreg = comparison.model_object.fit(fixed={comparison.spatial: spreg_value})
    assert ours.loglik >= at_spreg.loglik - LOGLIK_ROUNDING_ATOL
