"""Spatial terms: the lag of y, the lag of the error and the lags of X, each with its own weights.

A model is declared by the terms it has (Elhorst 2014, s. 2.3, writes every model as a
restriction of the general nesting model

.. math::

    y = \\rho W_1 y + X\\beta + W_3 X\\theta + u, \\qquad u = \\lambda W_2 u + \\varepsilon,

with one matrix; Anselin 1988, ch. 6, already lets the lag and the error have different ones).
Parameter names, intervals, log-determinants, covariance blocks, impacts and diagnostics read the
terms instead of flags and literal names: a new kind of term, or a combination of weights in one
term, is a change here and in the code that evaluates it, not in every model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from naeringsmiljo.exceptions import FormulaError
from naeringsmiljo.weights.spatial_weights import SpatialWeights

TermKind = Literal["y", "error", "x"]
"""What a term lags: the outcome (``rho W y``), the error (``lambda W u``) or the regressors
(``W X theta``)."""

#: The parameter of each kind of term (the lags of X have one coefficient per regressor instead).
PARAMETERS: dict[TermKind, str | None] = {"y": "rho", "error": "lambda", "x": None}

#: The symbol of each kind of term in summaries.
SYMBOLS: dict[TermKind, str] = {"y": "W y", "error": "W u", "x": "W X"}

#: Prefix of the name of a spatially lagged regressor.
LAG_PREFIX = "W_"

Combine = Literal["convex", "separate"]
"""How a term uses several weights matrices (Debarsy & LeSage 2018; Lee & Liu 2010):
``"convex"`` lags by ``W_c = sum_m gamma_m W_m`` with one parameter and the mix ``gamma`` on the
simplex; ``"separate"`` gives each matrix its own parameter (a higher-order lag)."""

#: Prefix of the mix weights of a convex combination (``gamma_<channel>``).
MIX_PREFIX = "gamma_"

#: Fewest and most matrices a term may combine.
MIN_CHANNELS, MAX_CHANNELS = 2, 4


@dataclass(frozen=True)
class SpatialTerm:
    """One spatial term of a model and the weights it uses.

    Attributes
    ----------
    kind : {"y", "error", "x"}
        The lag of the outcome, of the error, or of the regressors.
    weights : SpatialWeights
        The weights of this term, aligned with the design's units.
    """

    kind: TermKind
    weights: SpatialWeights
    #: For a term that combines several matrices: ``(name, weights)`` pairs, in order; then
    #: ``weights`` is the first of them, and only estimators that read the channels fit it.
    channels: tuple[tuple[str, SpatialWeights], ...] = ()
    combine: Combine | None = None

    @property
    def parameter(self) -> str | None:
        """``"rho"`` for the lag of y, ``"lambda"`` for the error, None for the lags of X."""
        return PARAMETERS[self.kind]

    @property
    def combined(self) -> bool:
        """Whether the term combines several weights matrices."""
        return bool(self.channels)

    @property
    def channel_names(self) -> list[str]:
        return [name for name, _ in self.channels]

    @property
    def parameter_names(self) -> list[str]:
        """The reported parameters of the term.

        One matrix: ``["rho"]`` (or ``["lambda"]``). A convex combination: the parameter and
        the mix, ``["rho", "gamma_geo", "gamma_collab"]``. Separate lags:
        ``["rho_geo", "rho_collab"]``. The lags of X: none.
        """
        if self.parameter is None:
            return []
        if not self.combined:
            return [self.parameter]
        if self.combine == "convex":
            return [self.parameter] + [MIX_PREFIX + c for c in self.channel_names]
        return [f"{self.parameter}_{c}" for c in self.channel_names]

    def coefficients(self, values: np.ndarray) -> np.ndarray:
        """The coefficient of each matrix, ``delta_m``, from the reported parameter values.

        ``rho gamma_m`` for a convex combination, ``rho_m`` for separate lags, ``[rho]`` for one
        matrix; the term is then ``sum_m delta_m W_m``.
        """
        values = np.asarray(values, dtype=np.float64)
        if self.combine == "convex":
            return values[0] * values[1:]
        return values

    def describe(self) -> str:
        label = self.parameter or "theta"
        if self.combined:
            parts = ", ".join(f"{name}: {w.describe()}" for name, w in self.channels)
            how = "convex combination" if self.combine == "convex" else "separate lags"
            return f"{label} {SYMBOLS[self.kind]} ({how}) of {parts}"
        return f"{label} {SYMBOLS[self.kind]}: {self.weights.describe()}"


@dataclass(frozen=True)
class SpatialTerms:
    """The spatial terms of one model, at most one of each kind.

    Iterating gives the terms in the order lag of y, error, lags of X, which is also the order of
    the spatial parameters in the parameter vector (``rho`` before ``lambda``).
    """

    lag: SpatialTerm | None = None
    error: SpatialTerm | None = None
    durbin: SpatialTerm | None = None

    def __iter__(self) -> Iterator[SpatialTerm]:
        return iter(t for t in (self.lag, self.error, self.durbin) if t is not None)

    @property
    def parameters(self) -> list[str]:
        """The reported spatial parameters, in order (``rho``, ``lambda``, and for a term that
        combines several matrices its mix or its per-matrix parameters)."""
        return [name for t in self for name in t.parameter_names]

    @property
    def combined(self) -> SpatialTerm | None:
        """The term that combines several weights matrices, if any (at most one per model)."""
        return next((t for t in self.parametric if t.combined), None)

    @property
    def parametric(self) -> list[SpatialTerm]:
        """The terms with a spatial parameter (lag of y, error)."""
        return [t for t in self if t.parameter is not None]

    def of(self, parameter: str) -> SpatialTerm:
        """The term whose parameter is ``parameter`` (``"rho"`` or ``"lambda"``)."""
        for term in self.parametric:
            if term.parameter == parameter:
                return term
        raise FormulaError(
            f"No spatial term with parameter {parameter!r}; terms: {self.parameters}."
        )

    @property
    def shared_weights(self) -> bool:
        """Whether the lag of y and the error use the same weights (True with fewer than two)."""
        if self.lag is None or self.error is None:
            return True
        return self.lag.weights is self.error.weights or self.lag.weights.equals(self.error.weights)

    def describe(self) -> list[str]:
        return [t.describe() for t in self]
