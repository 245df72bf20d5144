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

    @property
    def parameter(self) -> str | None:
        """``"rho"`` for the lag of y, ``"lambda"`` for the error, None for the lags of X."""
        return PARAMETERS[self.kind]

    def describe(self) -> str:
        label = self.parameter or "theta"
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
        """The spatial parameters, in order (among ``rho`` and ``lambda``)."""
        return [t.parameter for t in self if t.parameter is not None]

    @property
    def parametric(self) -> list[SpatialTerm]:
        """The terms with a spatial parameter (lag of y, error)."""
        return [t for t in self if t.parameter is not None]

    def of(self, parameter: str) -> SpatialTerm:
        """The term whose parameter is ``parameter`` (``"rho"`` or ``"lambda"``)."""
        for term in self.parametric:
            if term.parameter == parameter:
                return term
        raise KeyError(f"No spatial term with parameter {parameter!r}; terms: {self.parameters}.")

    @property
    def shared_weights(self) -> bool:
        """Whether the lag of y and the error use the same weights (True with fewer than two)."""
        if self.lag is None or self.error is None:
            return True
        return self.lag.weights is self.error.weights or self.lag.weights.equals(self.error.weights)

    def describe(self) -> list[str]:
        return [t.describe() for t in self]
