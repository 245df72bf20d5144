"""The design of actors nested in regions: actor-level outcome and regressors, W over regions.

Each actor (a firm, say) has an outcome and regressors of its own and those of the region it
sits in (the milieu measures), and a region id that places it in the weights matrix over the
regions. Actors are matched to the regions of ``W`` by id, never by position; an actor in a
region that ``W`` does not have is an error naming the regions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from naeringsmiljo.design.base import UnitsMixin, describe_ids
from naeringsmiljo.design.cross_section import (
    INTERCEPT,
    _evaluate,
    _formula_variables,
    _missing_rows,
)
from naeringsmiljo.design.terms import SpatialTerms
from naeringsmiljo.exceptions import (
    FormulaError,
    IdMismatchError,
    InputTypeError,
    MissingDataError,
)
from naeringsmiljo.weights.spatial_weights import SpatialWeights


@dataclass(frozen=True)
class RegionalDesign(UnitsMixin):
    """Actors in regions: ``y`` and ``x`` by actor, ``region`` the position of each actor's
    region in ``weights`` (whose ids are the regions)."""

    y: np.ndarray
    x: np.ndarray
    exog_names: list[str]
    y_name: str
    weights: SpatialWeights
    ids: pd.Index
    region: np.ndarray
    formula: str | None = None
    dropped: pd.Index = field(default_factory=lambda: pd.Index([]))
    terms: SpatialTerms = field(default_factory=SpatialTerms)
    endog: tuple[str, ...] = ()

    @property
    def regressor_names(self) -> list[str]:
        return [n for n in self.exog_names if n != INTERCEPT]

    @property
    def regions(self) -> pd.Index:
        return self.weights.ids


def from_formula(
    formula: str, actors: pd.DataFrame, weights: SpatialWeights, *, region: str
) -> RegionalDesign:
    """Build a :class:`RegionalDesign`: ``formula`` evaluated on ``actors`` (formulaic), each
    actor placed in ``weights`` by its ``region`` column.

    Raises
    ------
    FormulaError
        When the formula or ``region`` names a column ``actors`` does not have.
    MissingDataError
        When a variable of the formula or the region is missing, naming the actors.
    IdMismatchError
        When actors sit in regions ``weights`` does not have, naming those regions.
    """
    if not isinstance(actors, pd.DataFrame):
        raise InputTypeError(f"actors must be a pandas DataFrame, got {type(actors).__name__}.")
    if not isinstance(weights, SpatialWeights):
        raise InputTypeError(
            f"w must be a SpatialWeights over the regions, got {type(weights).__name__}."
        )
    if region not in actors.columns:
        raise FormulaError(
            f"region={region!r} is not a column of the actors (columns: {list(actors.columns)})."
        )
    variables = _formula_variables(formula, actors, "actors")
    if actors.index.has_duplicates:
        raise MissingDataError(
            "Actor ids (the index) must be unique; duplicated: "
            f"{describe_ids(actors.index[actors.index.duplicated()].unique())}."
        )
    bad = _missing_rows(actors[[*variables, region]])
    if len(bad):
        raise MissingDataError(
            f"Missing or infinite values in {[*variables, region]} for {len(bad)} actor(s): "
            f"{describe_ids(bad)}.",
            rows=tuple(bad),
        )
    codes = pd.Index(actors[region])
    positions = weights.ids.get_indexer(codes)
    outside = positions < 0
    if outside.any():
        regions = pd.Index(codes[outside]).unique()
        raise IdMismatchError(
            f"{int(outside.sum())} actor(s) sit in region(s) that the weights do not have: "
            f"{describe_ids(regions)} (actors {describe_ids(actors.index[outside])}). The weights' "
            "ids are the regions; match the region codes (type and format) to them.",
            missing_in_weights=tuple(regions),
        )
    lhs, rhs = _evaluate(formula, actors)
    values = rhs.to_numpy(dtype=np.float64)
    produced = ~np.isfinite(values).all(axis=1) | ~np.isfinite(lhs.to_numpy(dtype=float)[:, 0])
    if produced.any():
        raise MissingDataError(
            f"The formula {formula!r} produces NaN or infinite values for actor(s) "
            f"{describe_ids(actors.index[produced])}.",
            rows=tuple(actors.index[produced]),
        )
    return RegionalDesign(
        y=lhs.to_numpy(dtype=np.float64)[:, 0],
        x=values,
        exog_names=[str(c) for c in rhs.columns],
        y_name=str(lhs.columns[0]),
        weights=weights,
        ids=actors.index,
        region=positions.astype(np.int64),
        formula=formula,
    )
