"""The panel design: a long frame indexed by (entity, time), weights over the entities.

A balanced panel of ``N`` entities observed in ``T`` periods is stacked by period (the period
outer, the entities inner, in the order of the weights), so that a vector of length ``NT``
reshaped to ``(T, N)`` has one period per row. The spatial lag is then ``(I_T ⊗ W) v``, computed
as one sparse product of the ``N x N`` weights with the ``N x T`` (or ``N x Tk``) matrix of the
periods; the log-determinant of the ``NT x NT`` matrix is ``T ln|I - v W|``; nothing of order
``NT x NT`` (or ``N x N`` dense) is formed.

Fixed effects are removed by the within transformation ``Q`` (Baltagi 2021, ch. 3; Elhorst 2014,
ch. 3): entity means, period means, or both. With time effects the transformation and the lag
do not commute, ``Q (I_T ⊗ W) != (I_T ⊗ W) Q``; the default convention lags the raw data and then
demeans, ``Q(W y)``, the exact transform of the model ``y = rho W y + X beta + mu + xi_t + e``
(Elhorst 2014, eq. 3.8; Lee & Yu 2010); ``lag_convention="demean_then_lag"`` applies ``W`` to
the demeaned data, ``W(Q y)``, as R splm does. With row-standardised weights
``Q (I_T ⊗ W) Q = Q (I_T ⊗ W)``, so the lag operator ``v -> Q (I_T ⊗ W) v`` applied to demeaned
data gives the exact transform.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from naeringsmiljo._options import (
    DynamicLags,
    IslandPolicy,
    LagConvention,
    MissingPolicy,
    PanelEffects,
    check_choice,
)
from naeringsmiljo.design.base import TermsMixin
from naeringsmiljo.design.cross_section import (
    INTERCEPT,
    LAG_PREFIX,
    Durbin,
    _apply_policies,
    _durbin_columns,
    _evaluate,
    _formula_variables,
    _nonfinite_rows,
    _row_stochastic,
    _warn_unless_row_standardised,
    check_outcome,
    check_rank,
)
from naeringsmiljo.design.terms import SpatialTerm, SpatialTerms, TermKind
from naeringsmiljo.exceptions import (
    FormulaError,
    InputTypeError,
    PanelStructureError,
    SingularDesignError,
    SpecificationError,
    UnbalancedPanelError,
    WeightsError,
)
from naeringsmiljo.weights.spatial_weights import (
    SpatialWeights,
    _describe_ids,
    as_spatial_weights,
)

__all__ = [
    "DYNAMIC_PARAMETERS",
    "FIXED_EFFECTS",
    "PanelDesign",
    "PanelLag",
    "from_formula",
    "period_product",
    "within",
]

#: The effects removed by the within transformation.
FIXED_EFFECTS = ("entity", "time", "twoways")

#: The coefficients of the lags of the outcome in a dynamic panel (Elhorst 2014, ch. 4):
#: ``tau`` of ``y_{t-1}``, ``eta`` of ``W y_{t-1}``, by the ``dynamic=`` option that adds them.
DYNAMIC_PARAMETERS: dict[str, tuple[str, ...]] = {
    "time": ("tau",),
    "space": ("eta",),
    "spacetime": ("tau", "eta"),
}

#: A regressor whose within-transformed column has at most this fraction of the norm of the raw
#: column has no within variation: what is left is the rounding of the means (eps per entry).
WITHIN_RTOL = 1e-10


def period_product(matrix: Any, v: np.ndarray, n_units: int) -> np.ndarray:
    """``(I_T ⊗ M) v`` for a stacked vector (or the columns of a matrix) ``v`` of ``T N`` rows.

    One product of the ``N x N`` matrix ``M`` (sparse or dense) with the ``N x T k`` matrix of
    the periods' blocks; memory and time are O(NT k + nnz(M) T k).
    """
    shape = v.shape
    periods = shape[0] // n_units
    k = 1 if v.ndim == 1 else shape[1]
    blocks = v.reshape(periods, n_units, k).transpose(1, 0, 2).reshape(n_units, periods * k)
    out = np.asarray(matrix @ blocks)
    return out.reshape(n_units, periods, k).transpose(1, 0, 2).reshape(shape)


def within(v: np.ndarray, n_units: int, effects: str) -> np.ndarray:
    """The within transformation ``Q v`` of a stacked vector or matrix (Baltagi 2021, s. 3.2).

    ``"entity"`` subtracts each entity's mean over the periods (``Q = Q_T ⊗ I_N``), ``"time"``
    each period's mean over the entities (``I_T ⊗ Q_N``), ``"twoways"`` both and adds back the
    grand mean (``Q_T ⊗ Q_N``); ``"none"`` and ``"random"`` return ``v``.
    """
    if effects not in FIXED_EFFECTS:
        return v
    periods = v.shape[0] // n_units
    a = v.reshape(periods, n_units, -1)
    if effects == "entity":
        out = a - a.mean(axis=0, keepdims=True)
    elif effects == "time":
        out = a - a.mean(axis=1, keepdims=True)
    else:
        out = (
            a
            - a.mean(axis=0, keepdims=True)
            - a.mean(axis=1, keepdims=True)
            + a.mean(axis=(0, 1), keepdims=True)
        )
    return out.reshape(v.shape)


@dataclass(frozen=True)
class PanelLag:
    """The lag ``v -> Q (I_T ⊗ W) v`` (``Q`` the within transformation of ``effects``, or none)
    as a callable that pickles."""

    matrix: Any
    n_units: int
    effects: str = "none"

    def __call__(self, v: np.ndarray) -> np.ndarray:
        return within(period_product(self.matrix, v, self.n_units), self.n_units, self.effects)


@dataclass(frozen=True)
class Within:
    """The within transformation of ``effects`` as a callable that pickles."""

    n_units: int
    effects: str

    def __call__(self, v: np.ndarray) -> np.ndarray:
        return within(v, self.n_units, self.effects)


@dataclass(frozen=True)
class PanelDesign(TermsMixin):
    """A balanced spatial panel, aligned with the weights over its entities.

    Attributes
    ----------
    y, x : numpy.ndarray
        Outcome and regressors stacked by period (entities inner, in the order of
        ``entities``), after the within transformation of the fixed ``effects``; raw for
        ``"none"`` and ``"random"``. ``x`` holds the lags of X (``W_<name>``) after the original
        columns.
    raw_y, raw_x : numpy.ndarray
        The same before the within transformation (the lags of X of the raw data), for the
        recovery of the fixed effects and the random-effects likelihood.
    weights : SpatialWeights
        ``N x N`` weights over the entities, rows in the order of ``entities``.
    ids : pandas.MultiIndex
        (entity, time) of each row of ``y``.
    entities, times : pandas.Index
        The entities (order of the weights) and the sorted periods.
    effects : {"none", "entity", "time", "twoways", "random"}
        The panel effects of the model.
    lag_convention : {"lag_then_demean", "demean_then_lag"}
        ``Q(W y)`` (exact, default) or ``W(Q y)``; see the module docstring.
    initial_y : numpy.ndarray or None
        A dynamic panel's first period of the outcome (raw, entities in the order of
        ``entities``), which the likelihood conditions on and a simulation of the process
        starts from; None for a static panel.
    """

    y: np.ndarray
    x: np.ndarray
    exog_names: list[str]
    y_name: str
    weights: SpatialWeights
    ids: pd.MultiIndex
    entities: pd.Index
    times: pd.Index
    effects: str
    raw_y: np.ndarray
    raw_x: np.ndarray
    lag_convention: str = "lag_then_demean"
    lagged: list[str] = field(default_factory=list)
    formula: str | None = None
    dropped: pd.Index = field(default_factory=lambda: pd.Index([]))
    drop_reasons: dict[str, pd.Index] = field(default_factory=dict)
    endog: tuple[str, ...] = ()
    instruments: np.ndarray | None = None
    terms: SpatialTerms = field(default_factory=SpatialTerms)
    dynamic: str | None = None
    initial_y: np.ndarray | None = None

    @property
    def n_periods(self) -> int:
        return len(self.times)

    @property
    def fixed_effects(self) -> bool:
        return self.effects in FIXED_EFFECTS

    @property
    def has_intercept(self) -> bool:
        return INTERCEPT in self.exog_names

    @property
    def absorbed(self) -> int:
        """Parameters the within transformation absorbed: ``N``, ``T`` or ``N + T - 1``."""
        n, t = self.n_units, self.n_periods
        return {"entity": n, "time": t, "twoways": n + t - 1}.get(self.effects, 0)

    @property
    def dynamic_names(self) -> tuple[str, ...]:
        """``tau`` and/or ``eta``, the coefficients of ``y_{t-1}`` and ``W y_{t-1}``; empty for
        a static panel."""
        return DYNAMIC_PARAMETERS[self.dynamic] if self.dynamic is not None else ()

    @property
    def regressor_names(self) -> list[str]:
        """The regressors of X (not the constant, the lags of X or those of the outcome)."""
        skip = set(self.dynamic_names) | {INTERCEPT}
        return [n for n in self.exog_names if n not in skip and not n.startswith(LAG_PREFIX)]

    @property
    def _projection(self) -> str:
        """The transformation applied after a lag: ``Q`` for the exact convention."""
        return self.effects if self.lag_convention == "lag_then_demean" else "none"

    def lag(self, kind: TermKind, v: np.ndarray) -> np.ndarray:
        """``Q (I_T ⊗ W) v`` (``W (...)`` with ``lag_convention="demean_then_lag"``)."""
        return self.lag_operator(kind)(v)

    def lag_operator(self, kind: TermKind) -> Callable[[np.ndarray], np.ndarray]:
        return PanelLag(self.term_weights(kind).sparse, self.n_units, self._projection)

    def transform(self, v: np.ndarray) -> np.ndarray:
        """The within transformation of the design's effects (identity without fixed effects)."""
        return within(v, self.n_units, self.effects)

    def within_operator(self) -> Callable[[np.ndarray], np.ndarray] | None:
        """The within transformation that follows each lag (``Q(W y)`` convention), or None."""
        if self._projection not in FIXED_EFFECTS:
            return None
        return Within(self.n_units, self.effects)

    def likelihood_shape(self, bias_correction: bool) -> tuple[int, int, bool]:
        """Observations, log-determinant multiplicity and deflation of the likelihood.

        The direct approach (the default, as spreg and splm) counts ``NT`` observations and
        ``T ln|I - v W|``. The transformation approach of Lee & Yu (2010, s. 3 and 4), which
        corrects the incidental-parameter bias of sigma^2 (entity effects) and of every
        parameter (time effects), counts the dimensions the within transformation leaves:
        ``N(T - 1)`` and ``(T - 1)`` with entity effects; with time effects each period loses
        the direction of the constant, the eigenvector of row-standardised ``W`` with
        eigenvalue one, so ``(N - 1)`` per period and ``ln|I - v W| - ln(1 - v)`` ("deflated").
        """
        n, t = self.n_units, self.n_periods
        if not bias_correction:
            return n * t, t, False
        if not self.fixed_effects:
            raise SpecificationError(
                f"The Lee-Yu bias correction applies to fixed effects; this panel has effects="
                f"{self.effects!r}."
            )
        if self.lag_convention != "lag_then_demean" and self.effects != "entity":
            raise SpecificationError(
                "The Lee-Yu transformation approach is the exact transform Q(W y); use "
                "lag_convention='lag_then_demean' with bias_correction=True."
            )
        periods = t - 1 if self.effects in ("entity", "twoways") else t
        units = n - 1 if self.effects in ("time", "twoways") else n
        return units * periods, periods, self.effects in ("time", "twoways")


def _pairs(pairs: Sequence[tuple[Any, Any]], limit: int = 10) -> str:
    return _describe_ids(pairs, limit)


def _check_index(data: pd.DataFrame) -> tuple[pd.Index, pd.Index]:
    """Entities (in order of appearance) and sorted periods of a frame indexed by (entity, time)."""
    if not isinstance(data, pd.DataFrame):
        raise InputTypeError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    index = data.index
    if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
        raise PanelStructureError(
            "A panel needs data indexed by a two-level pandas MultiIndex (entity, time), the "
            "linearmodels convention: data.set_index(['state', 'year'])."
        )
    if index.has_duplicates:
        dup = index[index.duplicated()].unique()
        raise PanelStructureError(
            f"{len(dup)} duplicated (entity, time) pair(s): {_pairs(list(dup))}.",
            rows=tuple(dup),
        )
    for level, name in ((0, "entity"), (1, "time")):
        if index.get_level_values(level).hasnans:
            raise PanelStructureError(f"The {name} level of the index has missing values.")
    entities = pd.Index(index.get_level_values(0).unique())
    try:
        times = pd.Index(index.get_level_values(1).unique()).sort_values()
    except TypeError as err:
        raise PanelStructureError(
            f"The time level of the index cannot be ordered ({err}); give periods of one "
            "orderable type (years, dates, integers)."
        ) from None
    if not times.is_monotonic_increasing or times.has_duplicates:
        raise PanelStructureError("The time level of the index cannot be strictly ordered.")
    return entities, times


def from_formula(
    formula: str,
    data: pd.DataFrame,
    weights: Any,
    *,
    kinds: Sequence[TermKind] = (),
    effects: PanelEffects = "none",
    durbin: Durbin = False,
    missing: MissingPolicy = "raise",
    islands: IslandPolicy = "raise",
    lag_convention: LagConvention = "lag_then_demean",
    dynamic: DynamicLags | None = None,
) -> PanelDesign:
    """Build a :class:`PanelDesign` from a formula and a frame indexed by (entity, time).

    The rows may come in any order: they are sorted by period and, within a period, by the
    entities' order. The panel must be balanced: absent (entity, time) pairs, and pairs with
    missing values, raise :class:`~naeringsmiljo.exceptions.UnbalancedPanelError` listing them,
    or with ``missing="drop"`` drop their entities from the data and the weights (recorded in
    ``drop_reasons``). Entities are matched to the ids of ``weights``; the sets must be equal.

    Under fixed effects the constant is removed (the effects absorb it) and a regressor
    without within variation raises :class:`~naeringsmiljo.exceptions.SingularDesignError`
    naming it.

    ``dynamic`` adds the lags of the outcome, ``y_{t-1}`` (``"time"``, coefficient ``tau``),
    ``W y_{t-1}`` (``"space"``, ``eta``) or both (``"spacetime"``), as regressors, and the
    design keeps periods 2 to T: the likelihood is conditional on the first period (Yu, de Jong
    & Lee 2008, s. 2; Elhorst 2014, s. 4.3), and the within transformation is over those
    ``T - 1`` periods.
    """
    check_choice("effects", effects, PanelEffects)
    check_choice("lag_convention", lag_convention, LagConvention)
    check_choice("missing", missing, MissingPolicy)
    check_choice("islands", islands, IslandPolicy)
    if dynamic is not None:
        check_choice("dynamic", dynamic, DynamicLags)
        _check_dynamic(effects, lag_convention)
    w = as_spatial_weights(weights, "w")
    if not isinstance(w, SpatialWeights):
        raise InputTypeError(
            "w of a panel must be one SpatialWeights (or a libpysal W or Graph) over the "
            f"entities, got {type(weights).__name__}."
        )
    entities, times = _check_index(data)
    _formula_variables(formula, data)
    lhs, rhs = _evaluate(formula, data)
    bad_rows, columns = _nonfinite_rows([lhs, rhs])
    full = pd.MultiIndex.from_product([entities, times])
    absent_pairs = full.difference(data.index, sort=False)
    problems = list(absent_pairs) + list(bad_rows)
    bad_entities = pd.Index(list(dict.fromkeys(p[0] for p in problems)))
    if problems and missing == "raise":
        what = []
        if len(absent_pairs):
            what.append(f"{len(absent_pairs)} absent pair(s): {_pairs(list(absent_pairs))}")
        if len(bad_rows):
            what.append(
                f"{len(bad_rows)} pair(s) with NaN or infinite values in {sorted(set(columns))}: "
                f"{_pairs(list(bad_rows))}"
            )
        raise UnbalancedPanelError(
            "The panel is not balanced: " + "; ".join(what) + ". Fill them, or pass "
            "missing='drop' to drop these entities from the data and the weights.",
            missing_pairs=tuple(problems),
        )
    kept, aligned, reasons = _apply_policies(entities, bad_entities, {"w": w}, missing, islands)
    if "missing" in reasons:
        reasons = {"unbalanced": reasons.pop("missing"), **reasons}
    w = aligned["w"]
    n, t = len(kept), len(times)
    if dynamic is not None and t < 3:
        raise PanelStructureError(
            f"A dynamic panel needs at least three periods (the first one is conditioned on), "
            f"got {t}: {list(times)}."
        )
    if t == 1 and effects in ("entity", "twoways", "random"):
        raise PanelStructureError(
            f"One period ({times[0]!r}) cannot identify effects={effects!r}: the entity "
            "effects absorb every observation. Use effects='none' or 'time', or a cross-section."
        )
    if n < 2:
        raise PanelStructureError(f"A spatial panel needs at least two entities, got {n}.")
    order = pd.MultiIndex.from_arrays([np.tile(kept.to_numpy(), t), np.repeat(times.to_numpy(), n)])
    rows = lhs.index.get_indexer(order)
    raw_y = lhs.to_numpy(dtype=np.float64)[rows, 0]
    names = [str(c) for c in rhs.columns]
    raw_x = rhs.to_numpy(dtype=np.float64)[rows]
    if effects in FIXED_EFFECTS and INTERCEPT in names:
        keep = [j for j, name in enumerate(names) if name != INTERCEPT]
        raw_x, names = raw_x[:, keep], [names[j] for j in keep]
    if (
        effects in ("time", "twoways")
        and not _row_stochastic(w)
        or (effects in ("time", "twoways") and len(w.islands))
    ):
        raise WeightsError(
            f"effects={effects!r} needs row-standardised weights without islands: the period "
            "effects are absorbed by the lag only when every row of W sums to one "
            "(W 1 = 1). Pass w.row_standardize()."
        )
    lagged = _durbin_columns(durbin, names)
    exog_names = names + [LAG_PREFIX + name for name in lagged]
    cols = [names.index(name) for name in lagged]
    raw_wx = period_product(w.sparse, raw_x[:, cols], n)
    raw_all = np.column_stack([raw_x, raw_wx])
    projection = effects if lag_convention == "lag_then_demean" else "none"
    initial_y = None
    if dynamic is not None:
        clash = [name for name in DYNAMIC_PARAMETERS[dynamic] if name in exog_names]
        if clash:
            raise FormulaError(
                f"The regressor name(s) {clash} are the coefficients of the lags of the outcome "
                "in a dynamic panel; rename the column(s)."
            )
        initial_y = raw_y[:n].copy()
        raw_y, raw_all = _outcome_lags(raw_y, raw_all, w.sparse, n, dynamic)
        exog_names = exog_names + list(DYNAMIC_PARAMETERS[dynamic])
        times, order, t = times[1:], order[n:], t - 1
    y = within(raw_y, n, effects)
    x = within(raw_x if dynamic is None else raw_all, n, effects)
    if lagged and dynamic is None:
        wx = (
            within(raw_wx, n, projection)
            if projection != "none"
            else period_product(w.sparse, x[:, cols], n)
        )
        x = np.column_stack([x, wx])
    if effects in FIXED_EFFECTS:
        _check_within_variation(x, raw_all, exog_names, effects)
    terms = SpatialTerms(
        lag=SpatialTerm("y", w) if "y" in kinds else None,
        error=SpatialTerm("error", w) if "error" in kinds else None,
        durbin=SpatialTerm("x", w) if lagged else None,
    )
    for term in terms.parametric:
        _warn_unless_row_standardised(term)
    y_name = str(lhs.columns[0])
    check_outcome(y, x, y_name, exog_names)
    check_rank(x, exog_names)
    dropped = pd.Index([]).append(list(reasons.values())) if reasons else pd.Index([])
    if len(dropped):
        warnings.warn(
            f"{len(dropped)} entit(y/ies) dropped from the panel ({', '.join(reasons)}): "
            f"{_describe_ids(dropped)}.",
            UserWarning,
            stacklevel=3,
        )
    ids = pd.MultiIndex.from_arrays(
        [order.get_level_values(0), order.get_level_values(1)], names=data.index.names
    )
    return PanelDesign(
        y=np.ascontiguousarray(y),
        x=np.ascontiguousarray(x),
        exog_names=exog_names,
        y_name=y_name,
        weights=w,
        ids=ids,
        entities=kept,
        times=times,
        effects=effects,
        raw_y=raw_y,
        raw_x=np.ascontiguousarray(raw_all),
        lag_convention=lag_convention,
        lagged=lagged,
        formula=formula,
        dropped=dropped,
        drop_reasons=reasons,
        terms=terms,
        dynamic=dynamic,
        initial_y=initial_y,
    )


def _check_dynamic(effects: str, lag_convention: str) -> None:
    """A dynamic panel has fixed or no effects, and the lags of the raw data."""
    if effects == "random":
        raise SpecificationError(
            "A dynamic panel with random effects is not estimated: conditional on the first "
            "period the effects are correlated with y_{t-1} (the initial-conditions problem). "
            "Use effects='entity' or 'twoways'."
        )
    if lag_convention != "lag_then_demean" and effects in ("time", "twoways"):
        raise SpecificationError(
            "A dynamic panel uses the exact transform Q(W y) (lag_convention="
            "'lag_then_demean')."
        )


def _outcome_lags(
    raw_y: np.ndarray, raw_x: np.ndarray, matrix: Any, n_units: int, dynamic: str
) -> tuple[np.ndarray, np.ndarray]:
    """Periods 2 to T of the outcome, and of the regressors with the lags of the outcome
    (``y_{t-1}`` and/or ``W y_{t-1}``, in the order of ``DYNAMIC_PARAMETERS``) appended."""
    previous = raw_y[:-n_units]
    columns = {"tau": previous, "eta": period_product(matrix, previous, n_units)}
    lags = np.column_stack([columns[name] for name in DYNAMIC_PARAMETERS[dynamic]])
    return raw_y[n_units:], np.column_stack([raw_x[n_units:], lags])


def _check_within_variation(x: np.ndarray, raw: np.ndarray, names: list[str], effects: str) -> None:
    """Name the regressors the fixed effects absorb (no variation within entities/periods)."""
    raw_norm = np.linalg.norm(raw, axis=0)
    norm = np.linalg.norm(x, axis=0)
    absorbed = [names[j] for j in range(len(names)) if norm[j] <= WITHIN_RTOL * raw_norm[j]]
    if absorbed:
        which = {
            "entity": "within entities (constant over time)",
            "time": "within periods (the same for every entity in a period)",
            "twoways": "after removing entity and period means",
        }[effects]
        raise SingularDesignError(
            f"Regressor(s) {absorbed} have no variation {which}: the {effects} fixed effects "
            "absorb them, and their coefficients are not identified. Remove them, or use "
            "effects='random'.",
            columns=tuple(absorbed),
        )
