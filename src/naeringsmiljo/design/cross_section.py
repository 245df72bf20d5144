"""The cross-section design: from a formula (or arrays), data and weights to aligned arrays.

Everything a model needs before estimation happens here, once, for every model: the formula is
expanded by formulaic, every term's weights are aligned to the data **by id**, missing values and
islands are handled by explicit policy, Durbin (WX) terms are added, and the design is checked for
rank. Estimators then ask the design for y, X and lagged variables (:meth:`CrossSectionDesign.lag`)
and never multiply by a weights matrix themselves; a design that stacks periods (``I_T ⊗ W``)
gives the same interface.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from naeringsmiljo._options import IslandPolicy, MissingPolicy, check_choice
from naeringsmiljo.design.base import MatrixLag, TermsMixin
from naeringsmiljo.design.terms import (
    LAG_PREFIX,
    MAX_CHANNELS,
    MIN_CHANNELS,
    SYMBOLS,
    Combine,
    SpatialTerm,
    SpatialTerms,
    TermKind,
)
from naeringsmiljo.exceptions import (
    DegenerateDataError,
    FormulaError,
    IdMismatchError,
    InputTypeError,
    IslandError,
    MissingDataError,
    SingularDesignError,
    SpecificationError,
    WeightsError,
    WeightsWarning,
)
from naeringsmiljo.linalg import DesignFactor
from naeringsmiljo.weights.spatial_weights import (
    SpatialWeights,
    _describe_ids,
    as_spatial_weights,
)

INTERCEPT = "Intercept"

Durbin = bool | Sequence[str]

__all__ = [
    "CONSTANT_RTOL",
    "EXACT_FIT_RTOL",
    "INTERCEPT",
    "LAG_PREFIX",
    "CrossSectionDesign",
    "check_outcome",
    "from_arrays",
    "from_formula",
]

#: An outcome whose range is at most this fraction of its largest absolute value is constant:
#: centring it leaves fewer than four significant digits of its variation (the rest is rounding,
#: eps = 2.2e-16 of the largest value), so every estimate would be rounding noise. The rule is
#: invariant to rescaling y, and exact for y = 0.
CONSTANT_RTOL = 1e-12
#: An outcome whose least-squares residuals are all at most this fraction of its largest absolute
#: value is reproduced exactly by the regressors (sigma^2 = 0, an infinite likelihood). Looser
#: than :data:`CONSTANT_RTOL`: the residuals of an exact fit carry the rounding of the
#: least-squares solve, eps times the condition number of X.
EXACT_FIT_RTOL = 1e-10


@dataclass(frozen=True)
class CrossSectionDesign(TermsMixin):
    """A model's data, aligned with the weights of its spatial terms and ready for estimation.

    Attributes
    ----------
    y : numpy.ndarray
        Dependent variable, in the order of ``ids``.
    x : numpy.ndarray
        Regressors, including the lagged ones (``W_<name>``) after the original columns.
    exog_names : list of str
        Names of the columns of ``x``.
    y_name : str
        Name of the dependent variable.
    weights : SpatialWeights
        The model's weights (``w=``), with rows and columns in the order of ``ids``; the default
        of every spatial term and of the diagnostics.
    ids : pandas.Index
        Unit ids of the estimation sample.
    lagged : list of str
        The regressors that enter also as ``W_<name>``.
    endog : tuple of str
        Regressors treated as endogenous by instrumental-variable estimators.
    instruments : numpy.ndarray or None
        External instruments for ``endog`` (their spatial lags are added by the estimator).
    terms : SpatialTerms
        The spatial terms of the model with their weights (aligned like ``weights``).
    formula : str or None
        The formula the specification came from.
    dropped : pandas.Index
        Ids removed before estimation (missing values or islands), empty when none were.
    """

    y: np.ndarray
    x: np.ndarray
    exog_names: list[str]
    y_name: str
    weights: SpatialWeights
    ids: pd.Index
    lagged: list[str] = field(default_factory=list)
    formula: str | None = None
    dropped: pd.Index = field(default_factory=lambda: pd.Index([]))
    drop_reasons: dict[str, pd.Index] = field(default_factory=dict)
    endog: tuple[str, ...] = ()
    instruments: np.ndarray | None = None
    instrument_names: tuple[str, ...] = ()
    terms: SpatialTerms = field(default_factory=SpatialTerms)
    #: The QR factor of ``x`` from the rank check, with the array it factored.
    _x_factor: list[tuple[np.ndarray, DesignFactor]] = field(
        default_factory=list, compare=False, repr=False
    )

    def x_factor(self) -> DesignFactor:
        """The QR factor of ``x`` (:class:`~naeringsmiljo.linalg.DesignFactor`): the one the
        rank check computed when the design was built, so that an estimator's least squares in
        ``x`` (the GM error models' first step) do not factor it again."""
        if not self._x_factor or self._x_factor[0][0] is not self.x:
            self._x_factor[:] = [(self.x, DesignFactor.of(self.x))]
        return self._x_factor[0][1]

    def lag(self, kind: TermKind, v: np.ndarray) -> np.ndarray:
        """``W v`` with the weights of the term ``kind`` (a vector or the columns of a matrix)."""
        return self.term_weights(kind).sparse @ v

    def lag_operator(self, kind: TermKind) -> Callable[[np.ndarray], np.ndarray]:
        """The lag of the term ``kind`` as a function, for estimators that apply it repeatedly."""
        return MatrixLag(self.term_weights(kind).sparse)

    @property
    def has_intercept(self) -> bool:
        return INTERCEPT in self.exog_names

    @property
    def regressor_names(self) -> list[str]:
        """Names of the non-lagged, non-constant regressors (the rows of impacts tables)."""
        return [n for n in self.exog_names if n != INTERCEPT and not n.startswith(LAG_PREFIX)]


def _missing_rows(frame: pd.DataFrame) -> pd.Index:
    """Ids of the rows with a missing value, or an infinite one in a numeric column.

    Columns of strings or categories are the formula's to expand (into dummies); only their
    missing values count here.
    """
    bad = frame.isna().to_numpy().copy()
    for j, column in enumerate(frame.columns):
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            bad[:, j] |= np.isinf(values.to_numpy(dtype=np.float64, na_value=np.nan))
    return frame.index[bad.any(axis=1)] if bad.size else frame.index[:0]


def _nonfinite_rows(matrices: Sequence[pd.DataFrame]) -> tuple[pd.Index, list[str]]:
    """Rows (ids) of the evaluated formula with a NaN or infinite value, and those columns."""
    rows = np.zeros(len(matrices[0]), dtype=bool)
    columns: list[str] = []
    for matrix in matrices:
        bad = ~np.isfinite(matrix.to_numpy(dtype=np.float64))
        rows |= bad.any(axis=1)
        columns += [str(c) for c, hit in zip(matrix.columns, bad.any(axis=0)) if hit]
    return matrices[0].index[rows], columns


def _ids_of(data: pd.DataFrame, id_column: str | None) -> pd.DataFrame:
    if id_column is not None:
        if id_column not in data.columns:
            raise FormulaError(f"The data have no id column {id_column!r}.")
        data = data.set_index(id_column, drop=False)
    if data.index.has_duplicates:
        raise MissingDataError(
            f"Unit ids must be unique; duplicated: {_describe_ids(data.index[data.index.duplicated()].unique())}."
        )
    return data


def _align(name: str, weights: SpatialWeights, ids: pd.Index) -> SpatialWeights:
    """``weights`` reordered to ``ids``; an id mismatch names the argument it came from."""
    try:
        return weights.reorder(ids)
    except IdMismatchError as err:
        raise IdMismatchError(
            f"{name}: {err}",
            missing_in_weights=err.missing_in_weights,
            missing_in_data=err.missing_in_data,
        ) from None


def _apply_policies(
    ids: pd.Index,
    bad_rows: pd.Index,
    weights: Mapping[str, SpatialWeights],
    missing: MissingPolicy,
    islands: IslandPolicy,
) -> tuple[pd.Index, dict[str, SpatialWeights], dict[str, pd.Index]]:
    """Align every weights matrix to ``ids`` and apply the missing-value and island policies.

    ``weights`` maps the argument names (``w``, ``w_error``, ``w_durbin``) to their matrices;
    a unit without neighbours in any of them is an island.
    """
    aligned = {name: _align(name, w, ids) for name, w in weights.items()}
    reasons: dict[str, pd.Index] = {}

    def subset(keep: pd.Index) -> dict[str, SpatialWeights]:
        return {name: w.subset(keep) for name, w in aligned.items()}

    def isolated() -> pd.Index:
        found = pd.Index([])
        for w in aligned.values():
            found = found.append(w.islands.difference(found, sort=False))
        return found

    if len(bad_rows):
        if missing == "raise":
            raise MissingDataError(
                f"NaN or infinite values in {len(bad_rows)} row(s) with ids "
                f"{_describe_ids(bad_rows)}. Clean the data, or pass missing='drop' to drop these "
                "units from the data and the weights.",
                rows=tuple(bad_rows),
            )
        reasons["missing"] = bad_rows
        ids = ids.difference(bad_rows, sort=False)
        aligned = subset(ids)
    lonely = isolated()
    if len(lonely):
        if islands == "raise":
            raise IslandError(
                f"{len(lonely)} unit(s) have no neighbours: {_describe_ids(lonely)}. Choose a "
                "policy: islands='keep' (their spatial lags are zero) or islands='drop'; or use "
                "weights that connect every unit (k-nearest neighbours).",
                islands=tuple(lonely),
            )
        if islands == "drop":
            reasons["island"] = lonely
            ids = ids.difference(lonely, sort=False)
            aligned = subset(ids)
            if len(isolated()):
                raise IslandError(
                    "Dropping islands left new units without neighbours: "
                    f"{_describe_ids(isolated())}.",
                    islands=tuple(isolated()),
                )
    return ids, aligned, reasons


def _durbin_columns(durbin: Durbin, names: list[str]) -> list[str]:
    candidates = [n for n in names if n != INTERCEPT]
    if durbin is True:
        return candidates
    if durbin is False or durbin is None:
        return []
    if isinstance(durbin, str):
        durbin = [durbin]
    chosen = list(durbin)
    unknown = [n for n in chosen if n not in candidates]
    if unknown:
        raise FormulaError(
            f"durbin names {unknown}, which are not regressors of the model; regressors: {candidates}."
        )
    return [n for n in candidates if n in chosen]


def check_rank(x: np.ndarray, names: list[str]) -> DesignFactor | None:
    """Raise :class:`SingularDesignError` naming the columns that depend on others.

    The rank is decided on the column-equilibrated design by a column-pivoted QR
    (:class:`naeringsmiljo.linalg.DesignFactor`), so that it does not depend on the units of
    the columns; a nearly collinear design that is still of full rank gets an
    :class:`~naeringsmiljo.exceptions.IllConditionedWarning` stating its condition number.
    """
    if x.shape[1] == 0:
        return None
    if x.shape[0] < x.shape[1]:
        raise SingularDesignError(
            f"{x.shape[0]} observations cannot identify {x.shape[1]} coefficients."
        )
    zero = [names[j] for j in np.flatnonzero(np.linalg.norm(x, axis=0) == 0)]
    if zero:
        raise SingularDesignError(f"Columns identically zero: {zero}.", columns=tuple(zero))
    factor = DesignFactor.of(x)
    if not factor.full_rank:
        dependent = factor.dependent(names)
        raise SingularDesignError(
            f"The design is rank deficient (rank {factor.rank} of {x.shape[1]} columns, decided "
            f"on the column-equilibrated design); {dependent} are linear combinations of other "
            "columns. A lagged regressor W_x is collinear with the constant when x is constant, "
            "and with x itself when x is the same in every unit's neighbourhood.",
            columns=tuple(dependent),
        )
    factor.warn_if_ill_conditioned(names)
    return factor


def check_outcome(y: np.ndarray, x: np.ndarray, y_name: str, names: Sequence[str]) -> None:
    """Raise :class:`DegenerateDataError` when the data cannot identify a regression of y on x.

    Three cases, each named in the message: no more observations than regressors
    (``n <= k``: no residual degrees of freedom); a constant outcome, ``max(y) - min(y) <=``
    :data:`CONSTANT_RTOL` ``* max|y|`` (nothing to explain; every slope is rounding, and the
    likelihood of a spatial model is infinite or flat); an outcome the regressors reproduce
    exactly, ``max|y - X b| <=`` :data:`EXACT_FIT_RTOL` ``* max|y|`` (sigma^2 = 0). Every
    estimator would return numbers without meaning, so the design refuses the data before any
    of them runs.
    """
    n, k = x.shape
    if n <= k:
        raise DegenerateDataError(
            f"n = {n} observations for k = {k} regressors ({', '.join(names)}): a regression "
            "needs more observations than regressors (n > k), or no residual degrees of "
            "freedom are left to estimate sigma^2.",
            n=n,
            k=k,
        )
    scale = float(np.max(np.abs(y)))
    spread = float(np.max(y) - np.min(y))
    if spread <= CONSTANT_RTOL * scale:
        raise DegenerateDataError(
            f"The outcome {y_name!r} is constant (value {y[0]:.6g} in all {n} observations"
            + ("" if spread == 0 else f", range {spread:.1e}")
            + "): there is no variation to explain, and the slopes, the spatial parameters and "
            "sigma^2 are not identified.",
            n=n,
            k=k,
        )
    if k:
        residuals = DesignFactor.of(x).residuals(y)  # pivoted QR: rank-deficient x is fine
        if float(np.max(np.abs(residuals))) <= EXACT_FIT_RTOL * scale:
            raise DegenerateDataError(
                f"The regressors ({', '.join(names)}) reproduce the outcome {y_name!r} exactly "
                "(least-squares residuals of rounding size): sigma^2 = 0 and the likelihood is "
                "infinite. Is the outcome one of the regressors, or computed from them?",
                n=n,
                k=k,
            )


def assemble(
    y: np.ndarray,
    x: np.ndarray,
    exog_names: list[str],
    y_name: str,
    weights: Mapping[str, SpatialWeights],
    ids: pd.Index,
    *,
    kinds: Sequence[TermKind],
    durbin: Durbin,
    formula: str | None,
    dropped: dict[str, pd.Index],
    combine: Combine = "convex",
) -> CrossSectionDesign:
    """Build the terms, add the Durbin lags and check the design.

    ``weights`` maps ``w`` (and ``w_error``, ``w_durbin`` when given) to matrices already
    aligned with ``ids``, and each channel ``w[<name>]`` of a ``w`` given as a mapping;
    ``kinds`` are the model's terms with a parameter (``"y"``, ``"error"``); the lags of X are a
    term when ``durbin`` selects regressors.

    With several matrices in ``w``, the first parametric term of the model (the lag of y, else
    the error) combines them as ``combine`` says, and the lags of X (unless ``w_durbin`` gives
    their own weights) are taken with every matrix, ``W_<channel>_<name>``: a convex
    combination restricts them to ``sum_m gamma_m W_m X theta``, separate lags keep them free.
    """
    channels = tuple((key[2:-1], w) for key, w in weights.items() if key.startswith("w["))
    main = channels[0][1] if channels else weights["w"]
    lagged = _durbin_columns(durbin, exog_names)
    combined: TermKind | None = None
    if channels and kinds:
        combined = "y" if "y" in kinds else "error"
    elif channels:  # no parametric term (SLX): the lags of X with every matrix
        combine = "separate"

    def term(kind: TermKind, own: str | None) -> SpatialTerm:
        if kind == combined or (kind == "x" and own not in weights and channels):
            return SpatialTerm(kind, main, channels=channels, combine=combine)
        return SpatialTerm(kind, weights.get(own, main) if own else main)

    terms = SpatialTerms(
        lag=term("y", None) if "y" in kinds else None,
        error=term("error", "w_error") if "error" in kinds else None,
        durbin=term("x", "w_durbin") if lagged else None,
    )
    for parametric in (terms.lag, terms.error):
        if parametric is not None and not parametric.combined:
            _warn_unless_row_standardised(parametric)
    if lagged:
        cols = [exog_names.index(n) for n in lagged]
        blocks = terms.durbin.channels or (("", terms.durbin.weights),)  # type: ignore[union-attr]
        for channel, w in blocks:
            x = np.column_stack([x, w.sparse @ x[:, cols]])
            prefix = LAG_PREFIX + (f"{channel}_" if channel else "")
            exog_names = exog_names + [prefix + n for n in lagged]
    check_outcome(y, x, y_name, exog_names)
    x = np.ascontiguousarray(x, dtype=np.float64)
    factor = check_rank(x, exog_names)
    all_dropped = pd.Index([]).append([v for v in dropped.values()]) if dropped else pd.Index([])
    design = CrossSectionDesign(
        y=np.ascontiguousarray(y, dtype=np.float64),
        x=x,
        exog_names=exog_names,
        y_name=y_name,
        weights=main,
        ids=ids,
        lagged=lagged,
        formula=formula,
        dropped=all_dropped,
        drop_reasons=dropped,
        terms=terms,
    )
    if factor is not None:
        design._x_factor.append((x, factor))
    return design


Weights = SpatialWeights | Mapping[str, SpatialWeights]


def _check_policies(missing: str, islands: str, combine: str) -> None:
    """The string options of a design, checked on entry (not when the data first need them)."""
    check_choice("missing", missing, MissingPolicy)
    check_choice("islands", islands, IslandPolicy)
    check_choice("combine", combine, Combine)


def _weights_arguments(
    w: Weights, w_error: SpatialWeights | None, w_durbin: SpatialWeights | None
) -> dict[str, SpatialWeights]:
    """The weights by argument name; the channels of ``w={"geo": W1, ...}`` as ``w[geo]``."""
    given: dict[str, SpatialWeights | None] = {
        "w_error": as_spatial_weights(w_error, "w_error"),
        "w_durbin": as_spatial_weights(w_durbin, "w_durbin"),
    }
    if isinstance(w, Mapping):
        given.update(_channels({k: as_spatial_weights(v, f"w[{k!r}]") for k, v in w.items()}))
    else:
        given["w"] = as_spatial_weights(w, "w")
    for name, value in given.items():
        if value is not None and not isinstance(value, SpatialWeights):
            raise InputTypeError(
                f"{name} must be a SpatialWeights or a libpysal W or Graph, got "
                f"{type(value).__name__}."
            )
    return {name: value for name, value in given.items() if value is not None}


def _row_stochastic(weights: SpatialWeights) -> bool:
    """Every row with neighbours sums to one (to rounding), and no weight is negative."""
    w = weights.sparse
    sums = np.asarray(w.sum(axis=1)).ravel()
    # 1e-10: the rounding of one division per weight, far below any other transform's row sums
    linked = sums != 0
    return bool(np.all(w.data >= 0) and np.allclose(sums[linked], 1.0, rtol=0.0, atol=1e-10))


def _warn_unless_row_standardised(term: SpatialTerm) -> None:
    """Warn that the parameter of a term with weights not row-standardised has another interval.

    Row-standardised weights give the interval ``(1/omega_min, 1)`` readers expect; binary or
    inverse-distance weights give a narrower one set by their eigenvalues, easily misread
    (a rho of 0.15 may then be close to its upper end). Weights divided by their spectral
    radius (transform ``"s"``) are a deliberate choice with upper end 1, and are not warned of.
    """
    weights = term.weights
    if weights.transform == "s" or _row_stochastic(weights):
        return
    try:
        low, high = weights.parameter_interval()
        interval = f"({low:.4g}, {high:.4g})"
    except WeightsError as err:
        interval = f"undefined ({err})"
    warnings.warn(
        f"The weights of the {SYMBOLS[term.kind]} term ({term.parameter}) are not "
        f"row-standardised ({weights.transform_name}); {term.parameter} then lies in "
        f"{interval}, the interval set by their eigenvalues, not (1/omega_min, 1). Pass "
        "w.row_standardize() unless these weights are meant.",
        WeightsWarning,
        stacklevel=5,
    )


def _channels(w: Mapping[str, SpatialWeights]) -> dict[str, SpatialWeights]:
    """Check the matrices of a combined term: 2 to 4, named, distinct, row-standardised."""
    if not MIN_CHANNELS <= len(w) <= MAX_CHANNELS:
        raise WeightsError(
            f"w= combines {MIN_CHANNELS} to {MAX_CHANNELS} weights matrices, got {len(w)}; pass "
            "one SpatialWeights for a single matrix."
        )
    for name in w:
        if not isinstance(name, str) or not name.isidentifier():
            raise WeightsError(
                f"The matrices of w= need names that are identifiers (they name the parameters "
                f"gamma_<name>), got {name!r}."
            )
    items = list(w.items())
    for i, (name, weights) in enumerate(items):
        if not isinstance(weights, SpatialWeights):
            continue  # the type check names it
        if not _row_stochastic(weights):
            raise WeightsError(
                f"w[{name!r}] is not row-standardised. A combination of several matrices needs "
                "each one row-standardised: then every mix is row-stochastic and the parameter "
                "space (|rho| < 1, or sum |rho_m| < 1 for separate lags) is known. Pass "
                f"w[{name!r}].row_standardize()."
            )
        for other, previous in items[:i]:
            if (
                isinstance(previous, SpatialWeights)
                and previous.n == weights.n
                and set(previous.ids) == set(weights.ids)
                and previous.equals(weights.reorder(previous.ids), atol=1e-12)
            ):
                raise WeightsError(
                    f"w[{name!r}] and w[{other!r}] are the same matrix; the mix of a matrix with "
                    "itself is not identified."
                )
    return {f"w[{name}]": weights for name, weights in items}


def from_formula(
    formula: str,
    data: pd.DataFrame,
    weights: Weights,
    *,
    kinds: Sequence[TermKind] = (),
    w_error: SpatialWeights | None = None,
    w_durbin: SpatialWeights | None = None,
    combine: Combine = "convex",
    durbin: Durbin = False,
    id_column: str | None = None,
    missing: MissingPolicy = "raise",
    islands: IslandPolicy = "raise",
    endog: Sequence[str] = (),
    instruments: Sequence[str] = (),
) -> CrossSectionDesign:
    """Build a :class:`CrossSectionDesign` from a Wilkinson formula (formulaic).

    ``kinds`` are the model's parametric terms (``"y"``, ``"error"``); ``w_error`` and
    ``w_durbin`` give the error term and the lags of X weights of their own (default
    ``weights``). ``endog`` names regressors of the formula that are endogenous and
    ``instruments`` the data columns that instrument them (used by the moment estimators).

    The units are identified by the index of ``data`` (or by ``id_column``) and matched to the
    ids of every weights matrix; the sets must be equal.
    """
    _check_policies(missing, islands, combine)
    if not isinstance(data, pd.DataFrame):
        raise InputTypeError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    given = _weights_arguments(weights, w_error, w_durbin)
    variables = _formula_variables(formula, data)
    data = _ids_of(data, id_column)
    endog, instruments = list(endog), list(instruments)
    absent = [v for v in instruments if v not in data.columns]
    if absent:
        raise FormulaError(f"Instrument column(s) not in the data: {absent}.")
    if bool(endog) != bool(instruments):
        raise FormulaError("Give both endog= and instruments= (or neither).")
    used = [v for v in variables if v in data.columns] + instruments
    bad = _missing_rows(data[used])
    ids, aligned, dropped = _apply_policies(data.index, bad, given, missing, islands)
    lhs, rhs = _evaluate(formula, data.loc[ids])
    produced, columns = _nonfinite_rows([lhs, rhs])
    if len(produced):
        if missing == "raise":
            raise MissingDataError(
                f"The formula {formula!r} produces NaN or infinite values in {columns} in "
                f"{len(produced)} row(s) with ids {_describe_ids(produced)} (a transform such as "
                "I(1/x) or np.log(x) outside its domain). Change the transform, or pass "
                "missing='drop' to drop these units from the data and the weights.",
                rows=tuple(produced),
            )
        ids, aligned, dropped = _apply_policies(
            data.index, bad.append(produced), given, missing, islands
        )
        lhs, rhs = _evaluate(formula, data.loc[ids])
    frame = data.loc[ids]
    names = [str(c) for c in rhs.columns]
    unknown = [e for e in endog if e not in names]
    if unknown:
        raise FormulaError(f"endog names {unknown}, which are not regressors: {names}.")
    spec = assemble(
        lhs.to_numpy(dtype=np.float64)[:, 0],
        rhs.to_numpy(dtype=np.float64),
        names,
        str(lhs.columns[0]),
        aligned,
        ids,
        kinds=kinds,
        combine=combine,
        durbin=durbin,
        formula=formula,
        dropped=dropped,
    )
    if not endog:
        return spec
    return replace(
        spec,
        endog=tuple(endog),
        instruments=frame[instruments].to_numpy(dtype=np.float64),
        instrument_names=tuple(instruments),
    )


def _formula_variables(formula: str, frame: pd.DataFrame, what: str = "data") -> list[str]:
    """The sorted columns ``formula`` needs; a :class:`FormulaError` when it does not parse or
    names a column ``frame`` (called ``what`` in the message) does not have."""
    from formulaic import Formula

    try:
        variables = sorted(str(v) for v in Formula(formula).required_variables)
    except Exception as err:
        raise FormulaError(f"Cannot parse the formula {formula!r}: {err}") from err
    absent = [v for v in variables if v not in frame.columns]
    if absent:
        raise FormulaError(f"The formula {formula!r} names column(s) not in the {what}: {absent}.")
    return variables


def _evaluate(formula: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The dependent variable and the regressors of ``formula`` on ``frame`` (formulaic).

    Columns of strings or categories become treatment-coded dummies (formulaic's default: the
    first level is the reference when the model has an intercept). Values that transforms turn
    NaN or infinite are kept, for the caller to name.
    """
    from formulaic import model_matrix

    try:
        matrices = model_matrix(formula, frame, na_action="ignore")
    except Exception as err:
        raise FormulaError(f"Cannot evaluate the formula {formula!r}: {err}") from err
    lhs, rhs = matrices.lhs, matrices.rhs
    if lhs is None or lhs.shape[1] != 1:
        raise FormulaError(f"The formula {formula!r} needs exactly one dependent variable.")
    return lhs, rhs


def new_regressors(formula: str | None, data: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """The regressors ``names`` (those not lagged) of new units, rows as in ``data``.

    With a formula, its right-hand side is evaluated on ``data`` (the outcome is not needed);
    without one, ``data`` holds the regressors as columns (the constant is added). A column the
    model has and ``data`` does not produce raises :class:`FormulaError` (a categorical
    regressor needs the same levels as in the fit), a missing value
    :class:`MissingDataError`.
    """
    from formulaic import Formula, model_matrix

    if not isinstance(data, pd.DataFrame):
        raise InputTypeError(f"newdata must be a pandas DataFrame, got {type(data).__name__}.")
    if formula is not None:
        try:
            frame = model_matrix(Formula(formula).rhs, data, na_action="ignore")
        except Exception as err:
            raise FormulaError(f"Cannot evaluate {formula!r} on newdata: {err}") from err
        frame.columns = [str(c) for c in frame.columns]
    else:
        frame = data.assign(**{INTERCEPT: 1.0}) if INTERCEPT in names else data
    absent = [n for n in names if n not in frame.columns]
    if absent:
        raise FormulaError(
            f"newdata do not give the regressor(s) {absent} of the model (columns: "
            f"{[str(c) for c in frame.columns]})."
        )
    values = frame[list(names)].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        raise MissingDataError(
            f"newdata have NaN or infinite regressors in the row(s) with ids "
            f"{_describe_ids(data.index[bad])}.",
            rows=tuple(data.index[bad]),
        )
    return values


def _aligned_by_index(x: pd.Series | pd.DataFrame, ids: pd.Index) -> pd.Series | pd.DataFrame:
    """``x`` with its rows in the order of ``ids``, matched by index; the sets must be equal."""
    if x.index.has_duplicates:
        raise MissingDataError(
            f"Unit ids must be unique; x has duplicated index values: "
            f"{_describe_ids(x.index[x.index.duplicated()].unique())}."
        )
    if x.index.equals(ids):
        return x
    missing_in_x = ids.difference(x.index, sort=False)
    missing_in_y = x.index.difference(ids, sort=False)
    if len(missing_in_x) or len(missing_in_y):
        raise IdMismatchError(
            "x is aligned to y by its index, and they differ: "
            f"{len(missing_in_x)} id(s) of y are not in x ({_describe_ids(missing_in_x)}), "
            f"{len(missing_in_y)} id(s) of x are not in y ({_describe_ids(missing_in_y)}). "
            "Pass arrays (or ids=) to match rows by position.",
            missing_in_weights=tuple(missing_in_x),
            missing_in_data=tuple(missing_in_y),
        )
    return x.loc[ids]


def from_arrays(
    y: Any,
    x: Any,
    weights: Weights,
    *,
    kinds: Sequence[TermKind] = (),
    w_error: SpatialWeights | None = None,
    w_durbin: SpatialWeights | None = None,
    combine: Combine = "convex",
    ids: Sequence[Hashable] | pd.Index | None = None,
    durbin: Durbin = False,
    add_intercept: bool = True,
    missing: MissingPolicy = "raise",
    islands: IslandPolicy = "raise",
) -> CrossSectionDesign:
    """Build a :class:`CrossSectionDesign` from arrays or pandas objects.

    The unit ids come from ``ids``, else from the index of ``y`` or ``x`` when they are pandas
    objects. When ``ids`` is not given and both ``y`` and ``x`` are pandas objects, ``x`` is
    aligned to ``y`` **by its index** (any order; differing ids raise
    :class:`~naeringsmiljo.exceptions.IdMismatchError`). Given ``ids`` state the order of the
    rows of ``y`` and ``x``. Plain arrays without ids are accepted only when their length
    matches the weights; they are then taken to be in the weights' order, which is the caller's
    explicit statement.
    """
    _check_policies(missing, islands, combine)
    given = _weights_arguments(weights, w_error, w_durbin)
    main = next(iter(given.values()))
    y_name = str(getattr(y, "name", None) or "y")
    if isinstance(x, pd.DataFrame):
        names = [str(c) for c in x.columns]
    elif isinstance(x, pd.Series):
        names = [str(x.name or "x0")]
    else:
        arr = np.asarray(x)
        names = [f"x{j}" for j in range(1 if arr.ndim == 1 else arr.shape[1])]
    pandas_y, pandas_x = (isinstance(v, pd.Series | pd.DataFrame) for v in (y, x))
    if ids is None and pandas_y and pandas_x:
        x = _aligned_by_index(x, y.index)
    if ids is None:
        for obj in (y, x):
            if isinstance(obj, pd.Series | pd.DataFrame):
                ids = obj.index
                break
    y_arr = np.asarray(y, dtype=np.float64).reshape(-1)
    x_arr = np.asarray(x, dtype=np.float64)
    if x_arr.ndim == 1:
        x_arr = x_arr[:, None]
    if x_arr.shape[0] != y_arr.shape[0]:
        raise SpecificationError(f"y has {y_arr.shape[0]} rows but x has {x_arr.shape[0]}.")
    if ids is None and y_arr.shape[0] != main.n:
        raise SpecificationError(
            f"{y_arr.shape[0]} observations for weights of {main.n} units, and no ids."
        )
    index = main.ids if ids is None else pd.Index(ids)
    if len(index) != y_arr.shape[0]:
        raise SpecificationError(f"{len(index)} ids for {y_arr.shape[0]} observations.")
    if add_intercept:
        x_arr = np.column_stack([np.ones(y_arr.shape[0]), x_arr])
        names = [INTERCEPT] + names
    frame = pd.DataFrame(np.column_stack([y_arr, x_arr]), index=index)
    if index.has_duplicates:
        raise MissingDataError(
            f"Unit ids must be unique; duplicated: {_describe_ids(index[index.duplicated()].unique())}."
        )
    bad = _missing_rows(frame)
    kept, aligned, dropped = _apply_policies(index, bad, given, missing, islands)
    rows = index.get_indexer(kept)
    return assemble(
        y_arr[rows],
        x_arr[rows],
        names,
        y_name,
        aligned,
        kept,
        kinds=kinds,
        combine=combine,
        durbin=durbin,
        formula=None,
        dropped=dropped,
    )
