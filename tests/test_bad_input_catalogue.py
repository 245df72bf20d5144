"""The bad-input catalogue: every case is a call with one thing wrong, the typed error it must
raise and a pattern its message must match (naming the problem, and where an option is
misspelt, the closest valid value).

Each case is ``(id, call, expected type, message pattern)``; every expected type derives from
:class:`naeringsmiljo.exceptions.NaeringsmiljoError`, so no raw numpy, scipy or pandas exception
reaches a caller who catches the package's errors.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd
import pytest

import naeringsmiljo as nm
import test_degenerate_data as degenerate
from naeringsmiljo import SpatialWeights, datasets, measures
from naeringsmiljo.exceptions import (
    FormulaError,
    IdMismatchError,
    MissingDataError,
    NaeringsmiljoError,
    OptionError,
    ParameterSpaceError,
    PriorError,
    SamplerError,
    SingularDesignError,
    SpecificationError,
    WeightsError,
)
from naeringsmiljo.inference.covariance import InformationMatrix, Sandwich
from naeringsmiljo.inference.diagnostics import moran_test
from naeringsmiljo.microdata import (
    MicrodataError,
    validate_actors,
    validate_outcomes,
    validate_ties,
)
from naeringsmiljo.weights import collaboration_weights, knn
from naeringsmiljo.weights.logdet import make_logdet
from naeringsmiljo.weights.traces import trace_powers

FORMULA = "CRIME ~ INC + HOVAL"


@cache
def _data() -> pd.DataFrame:
    return datasets.columbus()


@cache
def _w() -> SpatialWeights:
    return datasets.columbus_weights("anselin").row_standardize()


@cache
def _sar() -> nm.SpatialResults:
    return nm.SAR.from_formula(FORMULA, _data(), _w()).fit()


def _with(**columns: object) -> pd.DataFrame:
    return _data().assign(**columns)


def _zero_inc() -> pd.DataFrame:
    data = _data().copy()
    data.loc[[3, 8], "INC"] = 0.0
    return data


@cache
def _actors() -> pd.DataFrame:
    return validate_actors(
        pd.DataFrame(
            {
                "actor_id": ["a1", "a2", "b1", "b2"],
                "region": ["A", "A", "B", "B"],
                "actor_type": "firm",
                "industry": ["62.01", "62.02", "10.11", "62.01"],
                "size": [10.0, 5.0, 7.0, 3.0],
                "x": [0.0, 100.0, 5000.0, 5200.0],
                "y": [0.0, 0.0, 0.0, 100.0],
            }
        )
    )


def _ties(a: list[str], b: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"actor_a": a, "actor_b": b, "year": 2020, "formal": True})


def _edges(i: list[object], j: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"i": i, "j": j})


_LINE = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])

Case = tuple[str, Callable[[], object], type[Exception], str]

CASES: list[Case] = (
    [
        # --- weights
        (
            "from_sparse-self-loop",
            lambda: SpatialWeights.from_sparse(_LINE + np.eye(3) * [0, 0, 1]),
            WeightsError,
            r"Self-links .* ids 2\b.*self_loops=True",
        ),
        (
            "from_sparse-nan-id",
            lambda: SpatialWeights.from_sparse(_LINE, ids=[1.0, np.nan, 3.0]),
            WeightsError,
            r"missing ids .* position\(s\) 1",
        ),
        (
            "from_sparse-mixed-id-types",
            lambda: SpatialWeights.from_sparse(_LINE, ids=[1, "1", 2]),
            WeightsError,
            r"mixed types \(int: 1, 2; str: '1'\)",
        ),
        (
            "from_sparse-duplicate-ids",
            lambda: SpatialWeights.from_sparse(_LINE, ids=["a", "b", "a"]),
            WeightsError,
            r"Duplicate ids .*'a'",
        ),
        (
            "from_sparse-negative",
            lambda: SpatialWeights.from_sparse(-_LINE),
            WeightsError,
            r"negative weights",
        ),
        (
            "from_sparse-nan-weight",
            lambda: SpatialWeights.from_sparse(_LINE * [1, np.nan, 1]),
            WeightsError,
            r"NaN or infinite",
        ),
        (
            "from_sparse-not-square",
            lambda: SpatialWeights.from_sparse(np.ones((2, 3))),
            WeightsError,
            r"square, got shape \(2, 3\)",
        ),
        (
            "from_sparse-transform-misspelt",
            lambda: SpatialWeights.from_sparse(_LINE, transform="rr"),  # type: ignore[arg-type]
            OptionError,
            r"transform='rr' is not one of 'o', 'r', 'b', 'd', 's'\. Did you mean 'r'\?",
        ),
        (
            "from_edges-nan-end",
            lambda: SpatialWeights.from_edges(
                _edges(["a", "b"], ["b", None]), source="i", target="j"
            ),
            WeightsError,
            r"1 edge\(s\) lack a 'i' or 'j' id, rows 1",
        ),
        (
            "from_edges-mixed-id-types",
            lambda: SpatialWeights.from_edges(_edges([1, "1"], ["1", 2]), source="i", target="j"),
            WeightsError,
            r"edges have ids of mixed types \(int: 1, 2; str: '1'\)",
        ),
        (
            "from_edges-self-link",
            lambda: SpatialWeights.from_edges(
                _edges(["a", "b"], ["b", "b"]), source="i", target="j"
            ),
            WeightsError,
            r"Self-links .* ids 'b'",
        ),
        (
            "from_edges-unknown-id",
            lambda: SpatialWeights.from_edges(
                _edges(["a", "b"], ["b", "z"]), source="i", target="j", ids=["a", "b"]
            ),
            IdMismatchError,
            r"not among the given ids: 'z'",
        ),
        (
            "knn-nan-id",
            lambda: knn(
                pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": 0.0}, index=[1.0, np.nan, 3.0]), 1
            ),
            WeightsError,
            r"frame have missing ids",
        ),
        (
            "transformed-unknown",
            lambda: _w().transformed("row"),  # type: ignore[arg-type]
            OptionError,
            r"transform='row' is not one of",
        ),
        (
            "eigenvalue-bounds-misspelt",
            lambda: _w().eigenvalue_bounds("lanzcos"),  # type: ignore[arg-type]
            OptionError,
            r"method='lanzcos' \(eigenvalue bounds method\).*Did you mean 'lanczos'\?",
        ),
        (
            "logdet-method-misspelt",
            lambda: make_logdet(_w(), "eigne"),  # type: ignore[arg-type]
            OptionError,
            r"method='eigne' \(log-determinant method\).*Did you mean 'eigen'\?",
        ),
        (
            "trace-method-misspelt",
            lambda: trace_powers(_w(), 5, method="exakt"),  # type: ignore[arg-type]
            OptionError,
            r"method='exakt' \(trace method\).*Did you mean 'exact'\?",
        ),
        (
            "columbus-weights-misspelt",
            lambda: datasets.columbus_weights("quen"),  # type: ignore[arg-type]
            OptionError,
            r"kind='quen' is not one of 'anselin', 'queen'\. Did you mean 'queen'\?",
        ),
        (
            "norway-islands-misspelt",
            lambda: datasets.norway_weights("queen", islands="knnn"),  # type: ignore[arg-type]
            OptionError,
            r"islands='knnn'.*Did you mean 'knn'\?",
        ),
        (
            "collaboration-weights-value-misspelt",
            lambda: collaboration_weights(_actors(), _ties(["a1"], ["b1"]), value="counts"),  # type: ignore[arg-type]
            OptionError,
            r"value='counts'.*Did you mean 'count'\?",
        ),
        # --- formulas and data
        (
            "missing-misspelt",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w(), missing="dorp"),  # type: ignore[arg-type]
            OptionError,
            r"missing='dorp' is not one of 'raise', 'drop'\. Did you mean 'drop'\?",
        ),
        (
            "islands-misspelt",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w(), islands="kep"),  # type: ignore[arg-type]
            OptionError,
            r"islands='kep'.*Did you mean 'keep'\?",
        ),
        (
            "from-arrays-missing-misspelt",
            lambda: nm.SAR.from_arrays(_data()["CRIME"], _data()[["INC"]], _w(), missing="Drop"),  # type: ignore[arg-type]
            OptionError,
            r"missing='Drop'.*Did you mean 'drop'\?",
        ),
        (
            "combine-misspelt",
            lambda: nm.SAR.from_formula(
                FORMULA,
                _data(),
                {"anselin": _w(), "queen": datasets.columbus_weights("queen").row_standardize()},
                combine="convx",  # type: ignore[arg-type]
            ),
            OptionError,
            r"combine='convx'.*Did you mean 'convex'\?",
        ),
        (
            "transform-produces-inf",
            lambda: nm.SAR.from_formula("CRIME ~ I(1/INC) + HOVAL", _zero_inc(), _w()),
            MissingDataError,
            r"produces NaN or infinite values in \['I\(1 / INC\)'\] in 2 row\(s\) with ids 3, 8",
        ),
        (
            "transform-produces-nan",
            lambda: nm.SAR.from_formula("CRIME ~ np.log(INC - 10) + HOVAL", _data(), _w()),
            MissingDataError,
            r"produces NaN or infinite values in \['np.log\(INC - 10\)'\]",
        ),
        (
            "nan-in-data",
            lambda: nm.SAR.from_formula(
                FORMULA, _with(HOVAL=_data()["HOVAL"].where(_data().index != 5)), _w()
            ),
            MissingDataError,
            r"NaN or infinite values in 1 row\(s\) with ids 5",
        ),
        (
            "column-not-in-data",
            lambda: nm.SAR.from_formula("CRIME ~ INCOME", _data(), _w()),
            FormulaError,
            r"not in the data: \['INCOME'\]",
        ),
        (
            "durbin-not-a-regressor",
            lambda: nm.SDM.from_formula(FORMULA, _data(), _w(), durbin=["OPEN"]),
            FormulaError,
            r"durbin names \['OPEN'\]",
        ),
        (
            "duplicate-ids",
            lambda: nm.SAR.from_formula(FORMULA, pd.concat([_data(), _data().iloc[:1]]), _w()),
            MissingDataError,
            r"unique; duplicated: 1",
        ),
        (
            "from-arrays-x-index-differs",
            lambda: nm.SAR.from_arrays(
                _data()["CRIME"], _data()[["INC"]].rename(index={1: 101}), _w()
            ),
            IdMismatchError,
            r"x is aligned to y by its index.*1 id\(s\) of y are not in x \(1\).*\(101\)",
        ),
        (
            "from-arrays-ids-not-in-weights",
            lambda: nm.SAR.from_arrays(
                _data()["CRIME"].rename(index={1: 101}),
                _data()[["INC"]].rename(index={1: 101}),
                _w(),
            ),
            IdMismatchError,
            r"not in the weights: 101",
        ),
        # --- options
        (
            "sem-gmm-variant-misspelt",
            lambda: nm.SEM.from_formula(FORMULA, _data(), _w()).fit(method="gmm", variant="hett"),
            OptionError,
            r"variant='hett' of the 'gm_error' estimator is not one of .*Did you mean 'het'\?",
        ),
        (
            "sac-gmm-variant-misspelt",
            lambda: nm.SAC.from_formula(FORMULA, _data(), _w()).fit(method="gmm", variant="hett"),
            OptionError,
            r"variant='hett' of the 'gs2sls' estimator is not one of 'het', 'kp99'\. Did you mean",
        ),
        (
            "ml-logdet-misspelt",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(logdet="eigne"),
            OptionError,
            r"logdet='eigne' \(log-determinant method\) of the 'ml' estimator.*Did you mean 'eigen'",
        ),
        (
            "fit-keyword-misspelt",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(logdett="eigen"),
            OptionError,
            r"'ml' estimator takes no option 'logdett'.*Did you mean 'logdet'\?",
        ),
        (
            "fixed-parameter-misspelt",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(fixed={"rhoo": 0.3}),
            OptionError,
            r"SAR cannot fix \['rhoo'\]; its spatial parameters: \['rho'\]\. Did you mean 'rho'\?",
        ),
        (
            "fit-method-misspelt",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(method="mll"),
            OptionError,
            r"method='mll' is not one of .*Did you mean 'ml'\?",
        ),
        (
            "impacts-method-misspelt",
            lambda: _sar().impacts("exakt"),  # type: ignore[arg-type]
            OptionError,
            r"method='exakt' \(impacts method\).*Did you mean 'exact'\?",
        ),
        (
            "impacts-inference-misspelt",
            lambda: _sar().impacts(inference="simulaton"),  # type: ignore[arg-type]
            OptionError,
            r"inference='simulaton'.*Did you mean 'simulation'\?",
        ),
        (
            "table-format-misspelt",
            lambda: nm.regression_table([_sar()], format="latx"),  # type: ignore[arg-type]
            OptionError,
            r"format='latx'.*Did you mean 'latex'\?",
        ),
        (
            "table-stat-unknown",
            lambda: nm.regression_table([_sar()], stat="z"),  # type: ignore[arg-type]
            OptionError,
            r"stat='z' is not one of 'se', 't', 'p', None",
        ),
        (
            "moran-alternative-misspelt",
            lambda: moran_test(_data()["CRIME"], None, _w(), alternative="grater"),  # type: ignore[arg-type]
            OptionError,
            r"alternative='grater'.*Did you mean 'greater'\?",
        ),
        (
            "sandwich-innovations-misspelt",
            lambda: _sar().with_cov(Sandwich(innovations="idd")),  # type: ignore[arg-type]
            OptionError,
            r"innovations='idd'.*Did you mean 'iid'\?",
        ),
        (
            "information-path-misspelt",
            lambda: _sar().with_cov(InformationMatrix(path="sprse")),  # type: ignore[arg-type]
            OptionError,
            r"path='sprse'.*Did you mean 'sparse'\?",
        ),
        (
            "measure-weight-misspelt",
            lambda: measures.specialisation(_actors(), weight="sizes"),  # type: ignore[arg-type]
            OptionError,
            r"weight='sizes'.*Did you mean 'size'\?",
        ),
        (
            "measure-decay-misspelt",
            lambda: measures.colocation_potential(_actors(), distance_decay="gausian"),  # type: ignore[arg-type]
            OptionError,
            r"distance_decay='gausian'.*Did you mean 'gaussian'\?",
        ),
        (
            "outcomes-level-misspelt",
            lambda: validate_outcomes(
                pd.DataFrame({"region": ["A"], "y": [1.0]}),
                actors=_actors(),
                level="regoin",  # type: ignore[arg-type]
            ),
            OptionError,
            r"level='regoin'.*Did you mean 'region'\?",
        ),
        # --- inference display
        (
            "conf-int-level-refused",
            lambda: _sar().conf_int(level=0.95),
            OptionError,
            r"level=0\.95: intervals take alpha.*pass alpha=0\.05",
        ),
        (
            "conf-int-coverage-as-alpha",
            lambda: _sar().conf_int(0.95),
            OptionError,
            r"alpha must lie in \(0, 0\.5\), got 0\.95.*pass alpha=0\.05",
        ),
        (
            "conf-int-alpha-zero",
            lambda: _sar().conf_int(alpha=0.0),
            OptionError,
            r"alpha must lie in \(0, 0\.5\), got 0\.0",
        ),
        (
            "impacts-conf-int-level-refused",
            lambda: _sar().impacts(draws=20).conf_int(level=0.9),
            OptionError,
            r"level=0\.9: intervals take alpha.*pass alpha=0\.1",
        ),
        # --- microdata and measures
        (
            "collaboration-unknown-actor",
            lambda: measures.collaboration(_actors(), _ties(["a1", "a2"], ["b1", "zz"])),
            MicrodataError,
            r"actor_b is not among the actors \('zz'\) in rows \[1\]",
        ),
        (
            "collaboration-self-tie",
            lambda: measures.collaboration(_actors(), _ties(["a1", "a2"], ["b1", "a2"])),
            MicrodataError,
            r"self-tie\(s\) \(actor_a == actor_b: 'a2'\).* in rows \[1\]",
        ),
        (
            "validate-ties-self-tie",
            lambda: validate_ties(_ties(["b2", "a1"], ["b2", "a2"]), _actors()),
            MicrodataError,
            r"self-tie\(s\) \(actor_a == actor_b: 'b2'\).* in rows \[0\]",
        ),
        (
            "collaboration-weights-self-tie",
            lambda: collaboration_weights(_actors(), _ties(["a1", "b1"], ["a1", "a2"])),
            MicrodataError,
            r"self-tie\(s\) \(actor_a == actor_b: 'a1'\)",
        ),
        # --- estimators and degenerate data (the error cases of tests/test_degenerate_data.py follow)
        (
            "rank-deficient-design",
            lambda: nm.SAR.from_formula("CRIME ~ INC + I(2*INC)", _data(), _w()),
            SingularDesignError,
            r"rank deficient.*\['I\(2 \* INC\)'\] are linear combinations",
        ),
        (
            "zero-column",
            lambda: nm.OLS.from_formula("CRIME ~ INC + I(0*HOVAL)", _data(), _w()),
            SingularDesignError,
            r"identically zero: \['I\(0 \* HOVAL\)'\]",
        ),
        (
            "durbin-lag-of-a-constant-regressor",
            lambda: nm.SDM.from_formula("CRIME ~ INC + c", _with(c=3.0), _w()),
            SingularDesignError,
            r"\['c', 'W_c'\] are linear combinations",
        ),
        (
            "gmm-without-a-regressor-to-lag",
            lambda: nm.SAR.from_formula("CRIME ~ 1", _data(), _w()).fit(method="gmm"),
            SingularDesignError,
            r"No exogenous regressor to lag",
        ),
        (
            "ols-for-a-lag-model",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(method="ols"),
            SpecificationError,
            r"method='ols' is inconsistent for SAR",
        ),
        (
            "fixed-rho-outside-the-interval",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(fixed={"rho": 1.5}),
            ParameterSpaceError,
            r"rho = 1.5 lies outside the interval",
        ),
        (
            "sandwich-with-a-fixed-parameter",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(
                cov="sandwich", fixed={"rho": 0.3}
            ),
            SpecificationError,
            r"sandwich covariance is not defined with fixed parameters",
        ),
        (
            "hac-without-a-kernel",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(method="gmm").with_cov("hac"),
            SpecificationError,
            r"cov='hac' needs a kernel",
        ),
        (
            "gmm-w-lags-zero",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(method="gmm", w_lags=0),
            SpecificationError,
            r"w_lags must be at least 1, got 0",
        ),
        (
            "impacts-with-too-few-draws",
            lambda: _sar().impacts(draws=1),
            SpecificationError,
            r"draws must be an integer of at least 2",
        ),
        (
            "endog-without-instruments",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w(), endog=["INC"]),
            FormulaError,
            r"Give both endog= and instruments=",
        ),
        (
            "bayes-burn-not-smaller-than-draws",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(
                method="bayes", draws=500, burn=500
            ),
            SamplerError,
            r"burn = 500 discards every one of the draws = 500",
        ),
        (
            "bayes-prior-covariance-not-positive-definite",
            lambda: nm.Priors(beta_cov=np.array([[1.0, 2.0], [2.0, 1.0]])),
            PriorError,
            r"Priors\.beta_cov is not positive definite \(smallest eigenvalue -1",
        ),
        (
            "bayes-prior-of-wrong-dimension",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(
                method="bayes", priors=nm.Priors(beta_cov=np.eye(2))
            ),
            PriorError,
            r"beta_cov has shape \(2, 2\); the model has 3 coefficients \(Intercept, INC, HOVAL\)",
        ),
        (
            "bayes-option-misspelt",
            lambda: nm.SAR.from_formula(FORMULA, _data(), _w()).fit(method="bayes", burnin=100),
            OptionError,
            r"'bayes' estimator takes no option 'burnin'.*Did you mean 'burn'\?",
        ),
        (
            "compare-models-of-different-data",
            lambda: nm.compare_models(
                [
                    nm.SAR.from_formula(FORMULA, _data(), _w()),
                    nm.SAR.from_formula("HOVAL ~ INC", _data(), _w()),
                ]
            ),
            SpecificationError,
            r"not fitted to the same outcome and units",
        ),
        (
            "regression-table-of-nothing",
            lambda: nm.regression_table([]),
            SpecificationError,
            r"needs at least one results object",
        ),
    ]
    + [
        (f"degenerate-{case.id}", case.call, case.expected, case.match)
        for case in degenerate.DEGENERATE_CASES
        if not issubclass(case.expected, Warning)  # the warning cases stay in their own test
    ]
)


# np.log outside its domain warns in pandas before the design names the rows
@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
@pytest.mark.parametrize(
    ("call", "expected", "pattern"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_raises_a_typed_error_naming_the_problem(
    call: Callable[[], object], expected: type[Exception], pattern: str
) -> None:
    with pytest.raises(expected, match=pattern):
        call()


def test_every_expected_error_is_the_packages_own() -> None:
    for case_id, _, expected, _ in CASES:
        assert issubclass(expected, NaeringsmiljoError), case_id


def test_case_ids_are_unique_and_the_catalogue_is_large() -> None:
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 60
