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
