"""The interface every design gives the estimators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from naeringsmiljo.design.terms import SpatialTerms, TermKind
from naeringsmiljo.weights.spatial_weights import SpatialWeights


@dataclass(frozen=True)
class MatrixLag:
    """The lag ``v -> W v`` as a callable that pickles (a closure would not), so that results
    holding a likelihood can be sent to other processes."""

    matrix: Any

    def __call__(self, v: np.ndarray) -> np.ndarray:
        return self.matrix @ v


def describe_ids(ids: pd.Index, limit: int = 10) -> str:
    """The first ``limit`` of ``ids`` for an error message, with their number when there are
    more."""
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


class UnitsMixin:
    """The counts every design derives alike from its stacked ``y`` and its units' weights.

    A design stacking several periods overrides :attr:`n_periods`.
    """

    y: np.ndarray
    weights: SpatialWeights

    @property
    def nobs(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_units(self) -> int:
        """Number of spatial units (the order of the weights; the regions of a regional
        design)."""
        return self.weights.n

    @property
    def n_periods(self) -> int:
        """Number of periods stacked in the design (1 for a cross-section)."""
        return 1


class TermsMixin(UnitsMixin):
    """:class:`UnitsMixin` and the terms' weights of a design whose likelihood has a
    log-determinant for each stacked period."""

    terms: SpatialTerms

    @property
    def logdet_multiplicity(self) -> int:
        """How many times ``ln|I - v W|`` of the units' weights enters the log-likelihood (once
        per stacked period)."""
        return self.n_periods

    def term_weights(self, kind: TermKind) -> SpatialWeights:
        """The weights of the term ``kind``; the model's weights when it has no such term."""
        term = {"y": self.terms.lag, "error": self.terms.error, "x": self.terms.durbin}[kind]
        return self.weights if term is None else term.weights


class Design(Protocol):
    """What an estimator may ask of a model's data.

    ``y`` and ``x`` are stacked over units (and periods, where a design has them); ``weights``
    and the terms' weights are matrices over the units, so that a design stacking ``T`` periods
    applies ``I_T ⊗ W`` in :meth:`lag` and reports ``logdet_multiplicity = T`` (each
    ``ln|I - v W|`` enters the log-likelihood ``T`` times).
    """

    @property
    def y(self) -> np.ndarray: ...

    @property
    def x(self) -> np.ndarray: ...

    @property
    def exog_names(self) -> list[str]: ...

    @property
    def y_name(self) -> str: ...

    @property
    def weights(self) -> SpatialWeights: ...

    @property
    def ids(self) -> pd.Index: ...

    @property
    def lagged(self) -> list[str]: ...

    @property
    def terms(self) -> SpatialTerms: ...

    @property
    def endog(self) -> tuple[str, ...]: ...

    @property
    def instruments(self) -> np.ndarray | None: ...

    @property
    def formula(self) -> str | None: ...

    @property
    def dropped(self) -> pd.Index: ...

    @property
    def drop_reasons(self) -> dict[str, pd.Index]: ...

    @property
    def has_intercept(self) -> bool: ...

    @property
    def nobs(self) -> int: ...

    @property
    def n_units(self) -> int: ...

    @property
    def n_periods(self) -> int: ...

    @property
    def logdet_multiplicity(self) -> int: ...

    @property
    def regressor_names(self) -> list[str]: ...

    def term_weights(self, kind: TermKind) -> SpatialWeights: ...

    def lag(self, kind: TermKind, v: np.ndarray) -> np.ndarray: ...

    def lag_operator(self, kind: TermKind) -> Callable[[np.ndarray], np.ndarray]: ...
