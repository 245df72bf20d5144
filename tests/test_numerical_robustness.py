"""Numbers that do not depend on units: badly scaled and nearly collinear designs.

References are exact reparameterisations computed on well-conditioned designs: a trend surface in
metres spans the same columns as one in centred tens of kilometres, and ``x3 = x1 + d`` spans
the same columns as ``d``, so that every estimate of the shared columns, the spatial parameters
and the log-likelihood must agree. Rescaling a column by ``c`` divides its coefficient and
standard error by ``c`` and leaves the t-values, the spatial parameters and the likelihood alone.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import spsolve

import naeringsmiljo as nm
from naeringsmiljo.exceptions import IllConditionedWarning, SingularInformationWarning
from naeringsmiljo.inference.covariance import covariance_from_information
from naeringsmiljo.linalg import DesignFactor, invert_information

# (model, fit options): every estimator family and every least-squares path behind it
SPECS = {
    "OLS": ("OLS", {}),
    "SAR-ml": ("SAR", {}),
    "SEM-ml": ("SEM", {}),
    "SDM-ml": ("SDM", {}),
    "SAC-ml": ("SAC", {}),
    "SAR-s2sls": ("SAR", {"method": "gmm"}),
    "SEM-gm-het": ("SEM", {"method": "gmm", "variant": "het"}),
    "SEM-gm-hom": ("SEM", {"method": "gmm", "variant": "hom"}),
    "SEM-gm-kp99": ("SEM", {"method": "gmm", "variant": "kp99"}),
    "SAC-gs2sls": ("SAC", {"method": "gmm"}),
}


def _fit(spec: str, formula: str, data: pd.DataFrame, w: nm.SpatialWeights) -> nm.SpatialResults:
    name, options = SPECS[spec]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllConditionedWarning)
        return nm.MODELS[name].from_formula(formula, data, w).fit(**options)


@pytest.fixture(scope="module")
def metres() -> tuple[pd.DataFrame, nm.SpatialWeights]:
    """A SAR process on 150 points with UTM coordinates in metres (central Norway)."""
    rng = np.random.default_rng(20261205)
    n = 150
    east = 2.6e5 + 1e5 * rng.random(n)
    north = 7.0e6 + 2e5 * rng.random(n)
    frame = pd.DataFrame({"E": east, "N": north}, index=pd.Index(np.arange(n) + 1000, name="id"))
    import geopandas as gpd

    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(east, north))
    w = nm.weights.knn(points, 6).row_standardize()
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    trend = 2e-5 * (east - east.mean()) - 1e-10 * (north - north.mean()) ** 2
    a = sp.identity(n, format="csc") - 0.4 * sp.csc_array(w.sparse)
    y = spsolve(a, 1.0 + x1 - 0.5 * x2 + trend + rng.normal(size=n))
    return frame.assign(y=y, x1=x1, x2=x2), w


TREND = "y ~ x1 + x2 + E + N + I(E**2) + I(N**2) + I(E*N)"


@pytest.mark.parametrize("spec", list(SPECS))
def test_trend_surface_in_metres_equals_the_centred_one(metres, spec) -> None:
    """A quadratic trend in metres (condition number 7e17 unscaled) against the same column
    space in centred units of 10 km (condition number ~10)."""
    data, w = metres
    centred = data.assign(E=(data.E - 3.1e5) / 1e4, N=(data.N - 7.1e6) / 1e4)
    raw, ref = _fit(spec, TREND, data, w), _fit(spec, TREND, centred, w)
    shared = [p for p in ref.params.index if p in ("x1", "x2", "rho", "lambda")]
    # the equilibrated metre design has condition ~1e5: ~11 digits survive, 1e-7 is ample
    np.testing.assert_allclose(raw.params[shared], ref.params[shared], rtol=1e-7)
    np.testing.assert_allclose(raw.std_errors[shared], ref.std_errors[shared], rtol=1e-7)
    if SPECS[spec][1].get("method") != "gmm":
        np.testing.assert_allclose(raw.loglik, ref.loglik, rtol=1e-10)


@pytest.fixture(scope="module")
def collinear(metres) -> pd.DataFrame:
    data, _ = metres
    rng = np.random.default_rng(7)
    return data.assign(x3=data.x1 + 1e-8 * rng.normal(size=len(data)))


@pytest.mark.parametrize("spec", ["OLS", "SAR-ml", "SEM-ml", "SAR-s2sls", "SEM-gm-het"])
def test_nearly_collinear_regressors_get_the_right_standard_errors(metres, collinear, spec) -> None:
    """``x3 = x1 + 1e-8 z``: the reference regresses on ``d = x3 - x1`` (exact in floating
    point), well-conditioned, and maps back: ``b3 = c_d``, ``b1 = c_x1 - c_d``."""
    _, w = metres
    data = collinear.assign(d=collinear.x3 - collinear.x1)
    res = _fit(spec, "y ~ x1 + x2 + x3", data, w)
    ref = _fit(spec, "y ~ x1 + x2 + d", data, w)
    c = ref.cov.loc[["x1", "d"], ["x1", "d"]].to_numpy()
    b1, b3 = ref.params["x1"] - ref.params["d"], ref.params["d"]
    se1 = np.sqrt(c[0, 0] + c[1, 1] - 2 * c[0, 1])
    se3 = np.sqrt(c[1, 1])
    # Least squares itself is this sensitive (Golub & Van Loan 2013, Thm 5.3.1): relative
    # error ~ eps (kappa + kappa^2 ||r|| / (||X|| ||b||)) ~ 2e-4 with kappa ~ 2e8 after
    # equilibration and |b1| ~ 5e4; cross-product formulas were off by 30% to 1e8 here.
    np.testing.assert_allclose(res.params[["x1", "x3"]], [b1, b3], rtol=1e-4)
    np.testing.assert_allclose(res.std_errors[["x1", "x3"]], [se1, se3], rtol=1e-4)
    # x2 is not involved in the collinearity: its digits survive
    np.testing.assert_allclose(res.params["x2"], ref.params["x2"], rtol=1e-7)
    np.testing.assert_allclose(res.std_errors["x2"], ref.std_errors["x2"], rtol=1e-7)


def test_nearly_collinear_design_warns_with_its_condition_number(metres, collinear) -> None:
    _, w = metres
    with pytest.warns(IllConditionedWarning, match=r"condition number 2\.\de\+08") as info:
        nm.SAR.from_formula("y ~ x1 + x2 + x3", collinear, w)
    assert "['x1', 'x3']" in str(info[0].message)


def test_badly_scaled_but_well_conditioned_design_does_not_warn(metres) -> None:
    data, w = metres
    with warnings.catch_warnings():
        warnings.simplefilter("error", IllConditionedWarning)
        nm.SAR.from_formula(TREND, data, w)


def test_gmm_identification_does_not_depend_on_units(columbus, w_queen) -> None:
    """Income in kroner instead of thousands (x 1e7) used to be refused as weakly identified."""
    base = nm.SAR.from_formula("CRIME ~ INC + HOVAL", columbus, w_queen).fit(method="gmm")
    data = columbus.assign(INC=columbus.INC * 1e7)
    scaled = nm.SAR.from_formula("CRIME ~ INC + HOVAL", data, w_queen).fit(method="gmm")
    # equilibration makes the two problems identical up to rounding of the column norms
    np.testing.assert_allclose(scaled.tstats, base.tstats, rtol=1e-9)
    np.testing.assert_allclose(scaled.params["INC"] * 1e7, base.params["INC"], rtol=1e-9)


EXPONENTS = st.integers(min_value=-8, max_value=8)


@settings(deadline=None)  # a fit's time varies with the machine; examples come from the profile
@given(spec=st.sampled_from(list(SPECS)), e_inc=EXPONENTS, e_hoval=EXPONENTS, e_y=EXPONENTS)
def test_rescaling_columns_rescales_estimates_only(
    columbus, w_queen, spec, e_inc, e_hoval, e_y
) -> None:
    """Rescaling INC, HOVAL and CRIME by powers of ten, for every estimator."""
    formula = "CRIME ~ INC + HOVAL"
    c_inc, c_hoval, c_y = 10.0**e_inc, 10.0**e_hoval, 10.0**e_y
    data = columbus.assign(
        INC=columbus.INC * c_inc, HOVAL=columbus.HOVAL * c_hoval, CRIME=columbus.CRIME * c_y
    )
    base, scaled = _fit(spec, formula, columbus, w_queen), _fit(spec, formula, data, w_queen)
    factor = pd.Series(1.0, index=base.params.index)
    for name in base.params.index:
        if "INC" in name:
            factor[name] = c_y / c_inc
        elif "HOVAL" in name:
            factor[name] = c_y / c_hoval
        elif name == "Intercept":
            factor[name] = c_y
    # identical problems after equilibration, up to the rounding of the column norms and of
    # iterative searches that stop at ~1e-12 relative: 1e-7 leaves room for both
    np.testing.assert_allclose(scaled.params, base.params * factor, rtol=1e-7, atol=0)
    np.testing.assert_allclose(scaled.std_errors, base.std_errors * factor, rtol=1e-7, atol=0)
    if SPECS[spec][1].get("method") != "gmm":
        n = base.nobs
        np.testing.assert_allclose(scaled.loglik, base.loglik - n * np.log(c_y), rtol=1e-9)


# --------------------------------------------------------------------------- the factor itself
def test_design_factor_agrees_with_dense_formulas_when_well_conditioned() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 4)) * np.array([1e-6, 1.0, 1e6, 3.0])
    y = rng.normal(size=50)
    factor = DesignFactor.of(x)
    assert factor.full_rank and factor.condition < 10
    # condition of x itself ~1e12: numpy's SVD least squares keeps ~4 digits, enough here
    np.testing.assert_allclose(
        factor.coefficients(y), np.linalg.lstsq(x, y, rcond=None)[0], rtol=1e-3
    )
    xs = x / np.linalg.norm(x, axis=0)  # the reference on the equilibrated design is exact
    np.testing.assert_allclose(
        factor.coefficients(y) * np.linalg.norm(x, axis=0),
        np.linalg.solve(xs.T @ xs, xs.T @ y),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        factor.inverse_gram() * np.outer(np.linalg.norm(x, axis=0), np.linalg.norm(x, axis=0)),
        np.linalg.inv(xs.T @ xs),
        rtol=1e-12,
    )
    e2 = rng.random(50)
    xtxi = factor.inverse_gram()
    np.testing.assert_allclose(factor.sandwich(e2), xtxi @ (x.T * e2) @ x @ xtxi, rtol=1e-9)


def test_design_factor_names_dependent_columns_whatever_their_scale() -> None:
    rng = np.random.default_rng(4)
    x1 = rng.normal(size=30)
    x = np.column_stack([np.ones(30), 1e9 * x1, rng.normal(size=30), 1e-9 * x1])
    factor = DesignFactor.of(x)
    assert factor.rank == 3
    assert factor.dependent(["c", "a", "b", "a_small"])[0] in ("a", "a_small")


def test_information_inverse_through_the_factor_matches_the_dense_inverse() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 3))
    factor = DesignFactor.of(x)
    sigma2 = 0.7
    b = rng.normal(size=(3, 2))
    c = np.array([[50.0, 3.0], [3.0, 40.0]])
    info = np.block([[x.T @ x / sigma2, b], [b.T, c]])
    # a well-conditioned 5 x 5 SPD matrix: both inverses are exact to ~1e-14
    np.testing.assert_allclose(
        invert_information(info, factor, 1 / sigma2), np.linalg.inv(info), rtol=1e-10, atol=1e-14
    )


def test_an_information_matrix_that_is_not_positive_definite_gives_nan_not_a_pseudo_inverse() -> (
    None
):
    info = np.array([[2.0, 1.0, 0.0], [1.0, 0.5, 0.0], [0.0, 0.0, 1.0]])  # rank 2
    with pytest.warns(SingularInformationWarning, match="not positive definite"):
        cov = covariance_from_information(info, np.ones(3, dtype=bool))
    assert np.all(np.isnan(cov))


@pytest.mark.parametrize("combine", ["convex", "separate"])
def test_rescaling_with_several_weights_matrices(columbus, w_queen, w_anselin, combine) -> None:
    """The constrained covariance of combined weights mixes parameters in its null-space basis:
    it must not mix their units."""
    w = {"queen": w_queen, "anselin": w_anselin}
    formula = "CRIME ~ INC + HOVAL"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary or convergence notes are not the point here
        base = nm.SAR.from_formula(formula, columbus, w, combine=combine).fit()
        data = columbus.assign(INC=columbus.INC * 1e7, HOVAL=columbus.HOVAL * 1e-6)
        scaled = nm.SAR.from_formula(formula, data, w, combine=combine).fit()
    # the searches stop at ~1e-9 relative in the spatial parameters, which the standard errors
    # inherit through the information matrix evaluated there
    np.testing.assert_allclose(scaled.tstats, base.tstats, rtol=1e-6, atol=1e-9)  # a gamma at 0
    np.testing.assert_allclose(scaled.params["INC"] * 1e7, base.params["INC"], rtol=1e-7)


@pytest.mark.parametrize("logdet", ["cholesky", "lu"])
def test_sparse_log_determinants_of_binary_weights(columbus, logdet) -> None:
    """The fill-reducing ordering factorised ``I + |W|``, which is singular for some binary W
    (a raw SuperLU error); the exact sparse methods must agree with the eigenvalues."""
    w = nm.datasets.columbus_weights("anselin")  # binary, symmetric
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not row-standardised: the interval is stated
        model = nm.SAR.from_formula("CRIME ~ INC + HOVAL", columbus, w)
        sparse, dense = model.fit(logdet=logdet), model.fit(logdet="eigen")
    # both are exact: the roots of the same score agree to the search's 1e-12
    np.testing.assert_allclose(sparse.params, dense.params, rtol=1e-9)
    np.testing.assert_allclose(sparse.loglik, dense.loglik, rtol=1e-12)
