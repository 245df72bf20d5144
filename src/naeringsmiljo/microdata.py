"""Microdata on the actors of a milieu, their collaborations and their outcomes.

Three frames describe a business milieu, and every measure in :mod:`naeringsmiljo.measures` reads
them in this schema. They are validated once, on entry, by :func:`validate_actors`,
:func:`validate_ties` and :func:`validate_outcomes` (or all at once by
:meth:`Microdata.from_frames`). Bad microdata raise :class:`MicrodataError` naming the offending
rows; validation never drops a row and never repairs a value silently.

**actors**, one row per actor (firm, knowledge organisation, public body):

==============  ==========================================================================
``actor_id``    unique id of the actor (any hashable values)
``region``      id of the region the actor is located in (any hashable values)
``actor_type``  string; the standard values are ``"firm"``, ``"knowledge"`` (university,
                research institute) and ``"public"`` (public body); other strings are allowed
``industry``    NACE code as a string of digits with optional dots, at any depth:
                ``"62"``, ``"62.01"``, ``"62.010"``
``size``        employment, a number >= 0
``x``, ``y``    optional projected coordinates in metres (both or neither)
==============  ==========================================================================

**ties**, one row per collaboration between two actors (a pair may collaborate several times):

=====================  ===================================================================
``actor_a``            id of the first actor (in ``actors.actor_id``)
``actor_b``            id of the second actor, different from ``actor_a``
``year``               year of the collaboration (integer), **or**
``start``, ``end``     first and last year of the collaboration, ``start <= end``
``formal``             bool: whether the collaboration rests on a formal agreement
``kind``               optional string, e.g. ``"value_chain"``, ``"joint_activity"``,
                       ``"innovation_project"``
=====================  ===================================================================

**outcomes**, one row per actor (``actor_id`` plus numeric columns such as ``innovations``,
``patents``, ``new_products``) or one row per region (``region`` plus numeric columns).

Columns outside the schema are kept as they are. The frames come back with normalised dtypes:
``actor_type``, ``industry`` and ``kind`` as strings, ``size``, ``x``, ``y`` and outcomes as
float64, ``year``, ``start``, ``end`` as int64, ``formal`` as bool; categorical id columns become
plain columns of their categories' dtype.

>>> import pandas as pd
>>> actors = validate_actors(pd.DataFrame({
...     "actor_id": [1, 2, 3], "region": ["0301", "0301", "4601"],
...     "actor_type": ["firm", "firm", "knowledge"], "industry": ["62.01", "62.02", "85.42"],
...     "size": [12, 3, 950]}))
>>> actors.dtypes["size"]
dtype('float64')
>>> validate_ties(pd.DataFrame({"actor_a": [1, 2], "actor_b": [3, 2], "year": [2019, 2020],
...                             "formal": [True, False]}), actors)
Traceback (most recent call last):
...
naeringsmiljo.microdata.MicrodataError: Invalid ties: 1 self-tie(s) (actor_a == actor_b: 2); an actor is not its own partner in rows [1].
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from naeringsmiljo._options import OutcomeLevel, check_choice
from naeringsmiljo.exceptions import NaeringsmiljoError

if TYPE_CHECKING:
    from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: The standard values of ``actor_type``; other strings are allowed.
ACTOR_TYPES: tuple[str, ...] = ("firm", "knowledge", "public")
#: Columns every actors frame must have.
ACTOR_COLUMNS: tuple[str, ...] = ("actor_id", "region", "actor_type", "industry", "size")
#: Columns every ties frame must have, besides ``year`` or ``start`` and ``end``.
TIE_COLUMNS: tuple[str, ...] = ("actor_a", "actor_b", "formal")


#: Digits, optionally separated by single dots: "62", "62.01", "62.010".
_INDUSTRY_CODE = re.compile(r"\d+(?:\.\d+)*")
#: How many row labels an error message shows before it says "and N more".
_SHOWN_ROWS = 10


class MicrodataError(NaeringsmiljoError, ValueError):
    """Microdata do not follow the schema, or a measure cannot be computed from them.

    Attributes
    ----------
    rows : tuple
        Labels (index values) of the offending rows, empty when the problem concerns a whole
        column or an option rather than particular rows.
    """

    def __init__(self, message: str, rows: tuple = ()):
        super().__init__(message)
        self.rows = rows


def describe_rows(labels: Sequence[Hashable] | pd.Index, limit: int = _SHOWN_ROWS) -> str:
    """Up to ``limit`` row labels in brackets, and how many more there are."""
    count = len(labels)
    first = [label.item() if isinstance(label, np.generic) else label for label in labels[:limit]]
    shown = ", ".join(repr(label) for label in first)
    more = f" and {count - limit} more" if count > limit else ""
    return f"[{shown}]{more}"


@dataclass
class _Problems:
    """Problems found while validating one frame, reported together in one error."""

    frame_name: str
    messages: list[str] = field(default_factory=list)
    rows: list[pd.Index] = field(default_factory=list)

    def add(self, description: str, rows: pd.Index) -> None:
        """Record ``description`` for the rows ``rows`` (nothing when there are none)."""
        if len(rows):
            self.messages.append(f"{len(rows)} {description} in rows {describe_rows(rows)}")
            self.rows.append(rows)

    def note(self, message: str) -> None:
        """Record a problem of a whole column."""
        self.messages.append(message)

    def raise_if_any(self) -> None:
        if not self.messages:
            return
        rows = self.rows[0].append(self.rows[1:]).unique() if self.rows else pd.Index([])
        text = "; ".join(self.messages)
        raise MicrodataError(f"Invalid {self.frame_name}: {text}.", rows=tuple(rows))


# --------------------------------------------------------------------------- column checks
def _require(frame: object, columns: Sequence[str], frame_name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise MicrodataError(
            f"The {frame_name} must be a pandas DataFrame, got {type(frame).__name__}."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MicrodataError(
            f"The {frame_name} frame lacks the required column(s) {missing}; "
            f"it has {list(frame.columns)}."
        )


def _plain(series: pd.Series) -> pd.Series:
    """A categorical column as a plain column of its categories' dtype."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(series.cat.categories.dtype)
    return series


def _missing_rows(frame: pd.DataFrame, columns: Sequence[str], problems: _Problems) -> pd.Series:
    """Record missing values per column; return the mask of rows missing any of them."""
    any_missing = pd.Series(False, index=frame.index)
    for column in columns:
        missing = frame[column].isna()
        problems.add(f"missing value(s) in {column!r}", frame.index[missing.to_numpy()])
        any_missing |= missing
    return any_missing


def _strings(series: pd.Series, column: str, problems: _Problems) -> pd.Series:
    """Check that the non-missing values are strings and return them with the str dtype."""
    series = _plain(series)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return series.astype("str")
    is_string = series.map(lambda v: isinstance(v, str), na_action="ignore")
    bad = series.notna().to_numpy() & ~is_string.fillna(True).to_numpy(dtype=bool)
    problems.add(
        f"non-string value(s) in {column!r} (e.g. {series[bad].iloc[0]!r})", series.index[bad]
    )
    return series


def _numbers(series: pd.Series, column: str, problems: _Problems) -> pd.Series:
    """Convert to float64; record non-numeric and infinite values (missing ones stay NaN)."""
    series = _plain(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        problems.note(f"{column!r} holds booleans, not numbers")
        return series
    numbers = pd.to_numeric(series, errors="coerce")
    not_numeric = numbers.isna() & series.notna()
    problems.add(f"non-numeric value(s) in {column!r}", series.index[not_numeric.to_numpy()])
    numbers = numbers.astype(np.float64)
    problems.add(f"infinite value(s) in {column!r}", series.index[np.isinf(numbers.to_numpy())])
    return numbers


def _years(series: pd.Series, column: str, problems: _Problems) -> pd.Series:
    """Convert whole-number years to int64; record fractional or non-numeric values."""
    numbers = _numbers(series, column, problems)
    values = numbers.to_numpy(dtype=np.float64)
    fractional = np.isfinite(values) & (values != np.round(values))
    problems.add(f"non-integer year(s) in {column!r}", series.index[fractional])
    if fractional.any() or not np.isfinite(values).all():
        return numbers
    return numbers.astype(np.int64)


def _booleans(series: pd.Series, column: str, problems: _Problems) -> pd.Series:
    """Accept bool, 0/1 numbers or Python/numpy booleans; return bool."""
    series = _plain(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        bad = np.zeros(len(series), dtype=bool)
    elif pd.api.types.is_numeric_dtype(series.dtype):
        bad = (series.notna() & ~series.isin([0, 1])).to_numpy(dtype=bool)
    else:
        is_bool = series.map(lambda v: isinstance(v, (bool, np.bool_)), na_action="ignore")
        bad = series.notna().to_numpy() & ~is_bool.fillna(True).to_numpy(dtype=bool)
    problems.add(f"value(s) of {column!r} that are neither True/False nor 1/0", series.index[bad])
    if bad.any() or series.isna().any():
        return series
    return series.astype(bool)


def _order(frame: pd.DataFrame, first: Sequence[str]) -> pd.DataFrame:
    present = [c for c in first if c in frame.columns]
    return frame[present + [c for c in frame.columns if c not in present]]


# --------------------------------------------------------------------------- validators
def validate_actors(frame: pd.DataFrame, *, weights: SpatialWeights | None = None) -> pd.DataFrame:
    """Validate an actors frame and return it with normalised dtypes.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per actor with the columns ``actor_id``, ``region``, ``actor_type``,
        ``industry``, ``size`` and optionally ``x`` and ``y`` (see the module docstring).
    weights : SpatialWeights, optional
        When given, every actor's region must be among ``weights.ids``.

    Returns
    -------
    pandas.DataFrame
        A new frame with the same rows and index, the schema's columns first, ``actor_type``
        and ``industry`` as strings and ``size``, ``x``, ``y`` as float64.

    Raises
    ------
    MicrodataError
        Naming the offending rows: missing columns or values, duplicated ``actor_id``,
        ``actor_type`` or ``industry`` that are not strings, malformed industry codes,
        non-numeric, infinite or negative sizes, non-numeric or non-finite coordinates, only
        one of ``x`` and ``y``, regions absent from ``weights``.
    """
    _require(frame, ACTOR_COLUMNS, "actors")
    problems = _Problems("actors")
    out = frame.copy()
    coordinates = [c for c in ("x", "y") if c in frame.columns]
    if len(coordinates) == 1:
        problems.note(f"only {coordinates[0]!r} of the coordinates 'x' and 'y' is given")
    _missing_rows(frame, list(ACTOR_COLUMNS) + coordinates, problems)

    out["actor_id"] = _plain(frame["actor_id"])
    duplicated = out["actor_id"].duplicated(keep=False) & out["actor_id"].notna()
    examples = describe_rows(pd.unique(out["actor_id"][duplicated]), 5)[1:-1]
    problems.add(f"duplicated actor_id value(s) ({examples})", frame.index[duplicated.to_numpy()])
    out["region"] = _plain(frame["region"])

    out["actor_type"] = _strings(frame["actor_type"], "actor_type", problems)
    industry = _strings(frame["industry"], "industry", problems)
    out["industry"] = industry
    codes, uniques = pd.factorize(industry)
    malformed = np.array(
        [isinstance(code, str) and _INDUSTRY_CODE.fullmatch(code) is None for code in uniques],
        dtype=bool,
    )
    if malformed.any():
        bad = (codes >= 0) & np.append(malformed, False)[codes]
        bad_codes = sorted(repr(code) for code in np.asarray(uniques)[malformed])[:3]
        problems.add(
            f"malformed industry code(s) ({', '.join(bad_codes)}; digits with optional dots "
            "expected, e.g. '62.01')",
            frame.index[bad],
        )

    size = _numbers(frame["size"], "size", problems)
    out["size"] = size
    problems.add("negative size(s)", frame.index[(size < 0).to_numpy()])
    for column in coordinates:
        out[column] = _numbers(frame[column], column, problems)

    if weights is not None:
        outside = out["region"].notna() & ~out["region"].isin(weights.ids)
        absent = pd.unique(out["region"][outside])
        problems.add(
            f"actor(s) in regions absent from the weights ({describe_rows(absent, 5)[1:-1]})",
            frame.index[outside.to_numpy()],
        )
    problems.raise_if_any()
    return _order(out, list(ACTOR_COLUMNS) + coordinates)


def validate_ties(frame: pd.DataFrame, actors: pd.DataFrame) -> pd.DataFrame:
    """Validate a ties (collaborations) frame against the actors and return it normalised.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per collaboration with ``actor_a``, ``actor_b``, ``formal``, either ``year`` or
        ``start`` and ``end``, and optionally ``kind`` (see the module docstring). Several rows
        may join the same pair: repeated collaboration is information, not duplication.
    actors : pandas.DataFrame
        The actors frame (its ``actor_id`` column is used).

    Returns
    -------
    pandas.DataFrame
        A new frame with the same rows and index, the schema's columns first, years as int64,
        ``formal`` as bool and ``kind`` as strings.

    Raises
    ------
    MicrodataError
        Naming the offending rows: missing columns or values, ties to actors that are not in
        ``actors``, self-ties, non-integer years, ``start > end``, both ``year`` and
        ``start``/``end`` given, ``formal`` values that are not booleans.
    """
    _require(actors, ("actor_id",), "actors")
    _require(frame, TIE_COLUMNS, "ties")
    has_year = "year" in frame.columns
    time_columns = ["year"] if has_year else ["start", "end"]
    if not has_year and not {"start", "end"} <= set(frame.columns):
        raise MicrodataError(
            "The ties frame needs a 'year' column or both 'start' and 'end'; "
            f"it has {list(frame.columns)}."
        )
    problems = _Problems("ties")
    if has_year and ("start" in frame.columns or "end" in frame.columns):
        problems.note("give either 'year' or 'start' and 'end', not both")
    _missing_rows(frame, list(TIE_COLUMNS) + time_columns, problems)
    out = frame.copy()

    known = pd.Index(_plain(actors["actor_id"]))
    for column in ("actor_a", "actor_b"):
        out[column] = _plain(frame[column])
    ends = [out[column].to_numpy() for column in ("actor_a", "actor_b")]
    _tie_actor_problems(frame.index, ends, known, problems)

    for column in time_columns:
        out[column] = _years(frame[column], column, problems)
    if not has_year:
        reversed_ = (out["start"] > out["end"]).to_numpy(dtype=bool)
        problems.add("tie(s) with start > end", frame.index[reversed_])
    out["formal"] = _booleans(frame["formal"], "formal", problems)
    if "kind" in frame.columns:
        out["kind"] = _strings(frame["kind"], "kind", problems)
    problems.raise_if_any()
    return _order(out, ["actor_a", "actor_b", *time_columns, "formal", "kind"])


def validate_outcomes(
    frame: pd.DataFrame,
    *,
    actors: pd.DataFrame | None = None,
    level: OutcomeLevel = "actor",
) -> pd.DataFrame:
    """Validate an outcomes frame (per actor or per region) and return it normalised.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``actor_id`` (``level="actor"``) or ``region`` (``level="region"``), unique, plus at least
        one numeric outcome column (``innovations``, ``patents``, ``new_products``, ...).
        Missing outcomes (NaN) are allowed; models decide what to do with them.
    actors : pandas.DataFrame, optional
        When given, every id must occur in ``actors`` (an actor id, or a region with actors).
    level : {"actor", "region"}, default "actor"
        The unit the outcomes are observed on.

    Returns
    -------
    pandas.DataFrame
        A new frame with the same rows and index, the id column first and the outcomes as
        float64.

    Raises
    ------
    MicrodataError
        Naming the offending rows: missing or duplicated ids, ids unknown to ``actors``,
        non-numeric or infinite outcomes, no outcome column.
    """
    check_choice("level", level, OutcomeLevel)
    id_column = "actor_id" if level == "actor" else "region"
    _require(frame, (id_column,), "outcomes")
    problems = _Problems("outcomes")
    out = frame.copy()
    _missing_rows(frame, [id_column], problems)
    ids = _plain(frame[id_column])
    out[id_column] = ids
    duplicated = ids.duplicated(keep=False) & ids.notna()
    problems.add(f"duplicated {id_column} value(s)", frame.index[duplicated.to_numpy()])
    if actors is not None:
        _require(actors, (id_column,), "actors")
        unknown = ids.notna() & ~ids.isin(_plain(actors[id_column]))
        problems.add(f"{id_column} value(s) not among the actors", frame.index[unknown.to_numpy()])
    outcome_columns = [c for c in frame.columns if c != id_column]
    if not outcome_columns:
        problems.note(f"no outcome column besides {id_column!r}")
    for column in outcome_columns:
        if pd.api.types.is_bool_dtype(frame[column].dtype):
            out[column] = frame[column].astype(np.float64)
        else:
            out[column] = _numbers(frame[column], column, problems)
    problems.raise_if_any()
    return _order(out, [id_column])


@dataclass(frozen=True, eq=False, repr=False)
class Microdata:
    """Validated actors, ties and (optionally) outcomes of one milieu.

    Build it with :meth:`from_frames`, which validates every frame; the constructor itself
    trusts its arguments.

    Parameters
    ----------
    actors : pandas.DataFrame
        Validated actors (:func:`validate_actors`).
    ties : pandas.DataFrame
        Validated ties (:func:`validate_ties`).
    outcomes : pandas.DataFrame, optional
        Validated outcomes per actor or per region (:func:`validate_outcomes`).
    """

    actors: pd.DataFrame
    ties: pd.DataFrame
    outcomes: pd.DataFrame | None = None

    @classmethod
    def from_frames(
        cls,
        actors: pd.DataFrame,
        ties: pd.DataFrame,
        outcomes: pd.DataFrame | None = None,
        *,
        weights: SpatialWeights | None = None,
        outcome_level: OutcomeLevel | None = None,
    ) -> Microdata:
        """Validate the three frames and bundle them.

        Parameters
        ----------
        actors, ties, outcomes : pandas.DataFrame
            Frames in the schema of :mod:`naeringsmiljo.microdata`.
        weights : SpatialWeights, optional
            Regional weights whose ids must include every actor's region.
        outcome_level : {"actor", "region"}, optional
            Unit of the outcomes; by default ``"actor"`` when ``outcomes`` has an ``actor_id``
            column and ``"region"`` otherwise.
        """
        actors = validate_actors(actors, weights=weights)
        ties = validate_ties(ties, actors)
        if outcomes is not None:
            if outcome_level is None:
                outcome_level = "actor" if "actor_id" in outcomes.columns else "region"
            outcomes = validate_outcomes(outcomes, actors=actors, level=outcome_level)
        return cls(actors, ties, outcomes)

    @property
    def outcome_level(self) -> OutcomeLevel | None:
        """``"actor"`` or ``"region"``: the unit of the outcomes (None without outcomes)."""
        if self.outcomes is None:
            return None
        return "actor" if "actor_id" in self.outcomes.columns else "region"

    def __repr__(self) -> str:
        outcomes = (
            "no outcomes"
            if self.outcomes is None
            else f"{len(self.outcomes)} {self.outcome_level} outcome rows"
        )
        return (
            f"Microdata({len(self.actors)} actors in {self.actors['region'].nunique()} regions, "
            f"{len(self.ties)} ties, {outcomes})"
        )


# --------------------------------------------------------------------------- linking
@dataclass(frozen=True)
class LinkedTies:
    """Ties resolved to positions of actors and codes of regions, ready for counting.

    Attributes
    ----------
    regions : pandas.Index
        Region ids; region code ``k`` is ``regions[k]``.
    actor_region : numpy.ndarray
        Region code of every actor row, in the order of the actors frame.
    a, b : numpy.ndarray
        Positions (0-based row numbers in the actors frame) of the two actors of each tie.
    region_a, region_b : numpy.ndarray
        Region codes of the two actors of each tie.
    start, end : numpy.ndarray
        First and last year of each tie (both equal to ``year`` in the one-year schema).
    formal : numpy.ndarray
        Whether each tie is a formal agreement.
    tie_rows : numpy.ndarray
        Positions in the ties frame of the ties kept (all, or those active in the years asked).
    """

    regions: pd.Index
    actor_region: np.ndarray
    a: np.ndarray
    b: np.ndarray
    region_a: np.ndarray
    region_b: np.ndarray
    start: np.ndarray
    end: np.ndarray
    formal: np.ndarray
    tie_rows: np.ndarray

    @property
    def n_actors(self) -> int:
        """Number of actors."""
        return int(self.actor_region.shape[0])

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self.regions)

    @property
    def local(self) -> np.ndarray:
        """Whether each tie joins two actors of the same region."""
        return self.region_a == self.region_b


Years = int | tuple[int, int]
"""One year, or an inclusive range ``(first, last)`` of years."""


@dataclass(frozen=True)
class Coded:
    """A column recoded as integers: value ``labels[codes[i]]`` in row ``i``.

    Attributes
    ----------
    codes : numpy.ndarray
        int64 codes, one per row, between 0 and ``len(labels) - 1``.
    labels : pandas.Index
        The distinct values, in code order.
    """

    codes: np.ndarray
    labels: pd.Index

    @property
    def n(self) -> int:
        """Number of distinct values."""
        return len(self.labels)


def encode(values: pd.Series, *, name: str | None = None) -> Coded:
    """The distinct values of ``values`` as codes, sorted when they can be compared."""
    values = _plain(values)
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:
        codes, uniques = pd.factorize(values, sort=False)
    return Coded(codes.astype(np.int64), pd.Index(uniques, name=name))


def region_codes(region: pd.Series, regions: Sequence[Hashable] | pd.Index | None = None) -> Coded:
    """The regions of ``region`` as integer codes.

    Without ``regions`` the labels are the distinct regions, sorted when they can be compared;
    with ``regions`` the codes follow that order and every region must be in it.
    """
    region = _plain(region)
    if regions is None:
        return encode(region, name="region")
    index = pd.Index(regions, name="region")
    if index.has_duplicates:
        raise MicrodataError(f"Duplicate region ids: {describe_rows(index[index.duplicated()])}.")
    codes = index.get_indexer(region)
    outside = codes < 0
    if outside.any():
        absent = pd.unique(region[outside])
        raise MicrodataError(
            f"{int(outside.sum())} actor(s) lie in regions not among the regions given "
            f"({describe_rows(absent, 5)[1:-1]}): rows {describe_rows(region.index[outside])}.",
            rows=tuple(region.index[outside]),
        )
    return Coded(codes.astype(np.int64), index)


def _tie_years(ties: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First and last year of every tie, from ``year`` or from ``start`` and ``end``."""
    if "year" in ties.columns:
        year = ties["year"].to_numpy(dtype=np.int64)
        return year, year
    _require(ties, ("start", "end"), "ties")
    return ties["start"].to_numpy(dtype=np.int64), ties["end"].to_numpy(dtype=np.int64)


def _tie_actor_problems(
    index: pd.Index, ends: Sequence[np.ndarray], known: pd.Index, problems: _Problems
) -> None:
    """Ties to actors not in ``known`` and self-ties, naming the actors and the rows.

    The one check behind :func:`validate_ties` and :func:`link_ties` (so behind every measure
    and relational weight that reads ties).
    """
    for column, values in zip(("actor_a", "actor_b"), ends, strict=True):
        unknown = (pd.notna(values) & ~pd.Index(values).isin(known)).astype(bool)
        examples = describe_rows(pd.unique(values[unknown]), 5)[1:-1]
        problems.add(f"tie(s) whose {column} is not among the actors ({examples})", index[unknown])
    same = np.asarray(ends[0] == ends[1], dtype=bool)
    examples = describe_rows(pd.unique(ends[0][same]), 5)[1:-1]
    problems.add(
        f"self-tie(s) (actor_a == actor_b: {examples}); an actor is not its own partner",
        index[same],
    )


def link_ties(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    *,
    year: Years | None = None,
    regions: Sequence[Hashable] | pd.Index | None = None,
) -> LinkedTies:
    """Resolve validated ties to actor positions and region codes.

    Parameters
    ----------
    actors, ties : pandas.DataFrame
        Validated frames (:func:`validate_actors`, :func:`validate_ties`).
    year : int or (int, int), optional
        Keep only the ties active in this year, or in any year of this inclusive range: a tie
        with ``start <= last`` and ``end >= first``.
    regions : sequence, optional
        Region ids fixing the region codes and their order (every actor's region must be
        among them); by default the sorted distinct regions of the actors.
    """
    _require(actors, ("actor_id", "region"), "actors")
    _require(ties, ("actor_a", "actor_b", "formal"), "ties")
    start, end = _tie_years(ties)
    formal = ties["formal"].to_numpy(dtype=bool)
    ends = [_plain(ties[column]).to_numpy() for column in ("actor_a", "actor_b")]
    region = region_codes(actors["region"], regions)
    ids = pd.Index(_plain(actors["actor_id"]))
    if ids.has_duplicates:
        raise MicrodataError("The actors' actor_id values are not unique; validate the actors.")
    problems = _Problems("ties")
    _tie_actor_problems(ties.index, ends, ids, problems)
    problems.raise_if_any()
    a, b = (ids.get_indexer(values).astype(np.int64) for values in ends)
    keep = np.arange(len(ties))
    if year is not None:
        first, last = (year, year) if isinstance(year, (int, np.integer)) else year
        if first > last:
            raise MicrodataError(f"The year range {year!r} ends before it starts.")
        keep = np.flatnonzero((start <= last) & (end >= first))
        start, end, formal, a, b = start[keep], end[keep], formal[keep], a[keep], b[keep]
    return LinkedTies(
        regions=region.labels,
        actor_region=region.codes,
        a=a,
        b=b,
        region_a=region.codes[a],
        region_b=region.codes[b],
        start=start,
        end=end,
        formal=formal,
        tie_rows=keep,
    )


def coordinates(actors: pd.DataFrame, purpose: str) -> np.ndarray:
    """The ``(n, 2)`` array of actor coordinates in metres; ``purpose`` explains the need."""
    if "x" not in actors.columns or "y" not in actors.columns:
        raise MicrodataError(f"{purpose} needs actor coordinates in the columns 'x' and 'y'.")
    xy = actors[["x", "y"]].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        rows = actors.index[bad]
        raise MicrodataError(
            f"{purpose} needs finite coordinates; rows {describe_rows(rows)} lack them.",
            rows=tuple(rows),
        )
    return xy


def tie_distances(actors: pd.DataFrame, linked: LinkedTies, purpose: str) -> np.ndarray:
    """Euclidean distance in metres between the two actors of every linked tie."""
    xy = coordinates(actors, purpose)
    x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    return np.hypot(x[linked.a] - x[linked.b], y[linked.a] - y[linked.b])
