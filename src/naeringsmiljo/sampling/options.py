"""The options of ``fit(method="bayes", ...)``, shared by every sampling estimator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

import numpy as np
import pandas as pd

from naeringsmiljo._options import LogDetMethod
from naeringsmiljo.exceptions import InputTypeError
from naeringsmiljo.results.posterior import PosteriorResults
from naeringsmiljo.sampling.priors import RHAT_THRESHOLD, Priors, SamplerSettings
from naeringsmiljo.weights.logdet.grid import DEFAULT_GRID_POINTS


@dataclass(frozen=True)
class BayesOptions:
    """Options of the Bayesian (Gibbs sampling) estimators.

    Attributes
    ----------
    draws : int
        Iterations per chain, burn-in included (R spatialreg's ``ndraw``; default 2,500 as R).
    burn : int
        Iterations discarded at the start of each chain (``nomit``; default 500); must be
        smaller than ``draws``.
    thin : int
        Keep every ``thin``-th iteration after the burn-in.
    seed : int, sequence of int or None
        Entropy of ``numpy.random.SeedSequence``; each chain runs on its own child stream. The
        same seed gives identical draws; None draws fresh entropy, recorded in the results.
    priors : Priors, optional
        The priors (:class:`naeringsmiljo.sampling.Priors`); default ``Priors()``: flat beta,
        ``1/sigma^2``, ``Beta(1.01, 1.01)`` on each spatial parameter's interval.
    chains : int
        Independent chains (R-hat is computed across them; with one chain, across its halves).
    heteroskedastic : bool
        LeSage's (1997) unit-specific variances ``v_i`` with ``r / v_i ~ chi^2(r)``,
        ``r = priors.v_r``.
    logdet : str
        How the grid of ``ln|I - rho W|`` is computed
        (:func:`naeringsmiljo.weights.logdet.grid.logdet_grid`).
    grid : int
        Points of that grid.
    rhat_threshold : float
        R-hat above which the fit warns and its summary says the chain has not mixed.
    """

    draws: int = 2500
    burn: int = 500
    thin: int = 1
    seed: int | Sequence[int] | None = 0
    priors: Priors | None = None
    chains: int = 1
    heteroskedastic: bool = False
    logdet: LogDetMethod = field(default="auto", metadata={"doc": "log-determinant method"})
    grid: int = DEFAULT_GRID_POINTS
    rhat_threshold: float = RHAT_THRESHOLD

    def __post_init__(self) -> None:
        if self.priors is not None and not isinstance(self.priors, Priors):
            raise InputTypeError(
                f"priors= takes a naeringsmiljo.sampling.Priors, got {type(self.priors).__name__}."
            )
        # Checks draws, burn, thin, chains here, at the call, rather than inside the sampler.
        self.settings()

    def settings(self) -> SamplerSettings:
        """The draws, burn-in, thinning, chains and seed, checked."""
        return SamplerSettings(self.draws, self.burn, self.thin, self.chains, self.seed)

    def resolved_priors(self) -> Priors:
        """The priors, ``Priors()`` when none were given."""
        return self.priors if self.priors is not None else Priors()


_Results = TypeVar("_Results", bound=PosteriorResults)


class _HasBeta(Protocol):
    @property
    def beta(self) -> np.ndarray: ...


def coefficient_columns(names: Sequence[str], chains: Sequence[_HasBeta]) -> dict[str, np.ndarray]:
    """The draws of each coefficient in ``names`` (the columns of every chain's ``beta``),
    pooled over the chains in order."""
    return {name: np.concatenate([c.beta[:, j] for c in chains]) for j, name in enumerate(names)}


def posterior_frame(columns: dict[str, np.ndarray], settings: SamplerSettings) -> pd.DataFrame:
    """The pooled draws of every chain, indexed by ``(chain, draw)``."""
    index = pd.MultiIndex.from_product(
        [range(settings.chains), range(settings.kept)], names=["chain", "draw"]
    )
    return pd.DataFrame(columns, index=index)


def checked_mixing(results: _Results, threshold: float) -> _Results:
    """Mark a sample whose R-hat exceeds ``threshold`` as not converged, and warn."""
    unmixed = results.unmixed
    if unmixed:
        message = f"R-hat above {threshold}: {', '.join(unmixed)}"
        record = replace(results.record, converged=False, message=message)
        results = replace(results, record=record)
        results.warn_if_unmixed()
    return results
