"""Tests written against surviving mutants of the inference code (benchmarks/results/mutation.md):
the degrees of freedom of the LM tests, applicable or not, and the message of a missing kernel."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

import naeringsmiljo as nm

FORMULA = "CRIME ~ INC + HOVAL"
LM_TESTS = ("lm_lag", "lm_error", "rlm_lag", "rlm_error")


def test_lm_tests_have_one_degree_of_freedom(columbus, w_anselin) -> None:
    tests = dict(nm.OLS.from_formula(FORMULA, columbus, w_anselin).fit().spatial_diagnostics())
    for name in LM_TESTS:
        test = tests[name]
        assert test.df == 1, name
        # the p-value is the chi-squared(1) tail of the statistic, recomputed with scipy; the
        # same function of the same number, so 1e-12 allows rounding only
        np.testing.assert_allclose(
            test.pvalue, stats.chi2.sf(test.statistic, 1), rtol=1e-12, atol=0, err_msg=name
        )


def test_inapplicable_lm_tests_keep_their_degrees_of_freedom(columbus) -> None:
    """Weights with a non-zero diagonal make the LM tests inapplicable; each keeps its df."""
    binary = nm.datasets.columbus_weights("anselin")
    with_loops = sp.csr_array(binary.sparse + sp.identity(binary.n))
    w = nm.SpatialWeights.from_sparse(with_loops, ids=binary.ids, self_loops=True).row_standardize()
    tests = dict(nm.OLS.from_formula(FORMULA, columbus, w).fit().spatial_diagnostics())
    for name in LM_TESTS:
        assert not np.isfinite(tests[name].statistic), name
        assert tests[name].df == 1, name


def test_hac_without_kernel_names_the_kernel_function(columbus, w_anselin) -> None:
    res = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit(method="s2sls")
    message = r"^cov='hac' needs a kernel: hac_kernel\(coordinates, bandwidth\)\.$"
    with pytest.raises(ValueError, match=message):
        res.with_cov("hac")


def test_plain_lm_tests_apply_where_only_the_robust_ones_degenerate(columbus, w_anselin) -> None:
    """With an intercept only and row-standardised W, ``M W X b = 0``: the lag and error
    alternatives coincide locally, so the robust tests and SARMA do not apply, while the plain
    LM tests do (Anselin et al. 1996); their statistics are then equal, ``e'We = e'Wy``."""
    tests = dict(nm.OLS.from_formula("CRIME ~ 1", columbus, w_anselin).fit().spatial_diagnostics())
    for name in ("rlm_lag", "rlm_error", "sarma"):
        assert not np.isfinite(tests[name].statistic), name
    lag, error = tests["lm_lag"], tests["lm_error"]
    assert np.isfinite(lag.statistic) and np.isfinite(error.statistic)
    # nJ = T when M W X b = 0, and e'Wy = e'We when W 1 = 1: the same number, up to rounding
    np.testing.assert_allclose(lag.statistic, error.statistic, rtol=1e-10)
