"""Draws of the parameters, the common input of every simulation-based quantity.

Impacts and any later simulated quantity are computed from a matrix of parameter draws (one row a
draw): draws from the asymptotic normal distribution ``N(theta_hat, V)`` for ML and GMM fits
(:func:`normal_draws`), the stored posterior draws for samplers. One seed convention
(:func:`seed_streams`) keeps every simulated number reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeedStreams:
    """A seed and its two independent child streams: Monte Carlo traces, and parameter draws."""

    seed: int | tuple[int, ...]
    traces: np.random.SeedSequence
    draws: np.random.SeedSequence


def seed_streams(seed: int | Sequence[int] | None) -> SeedStreams:
    """The streams of ``numpy.random.SeedSequence(seed)``; None draws fresh entropy, recorded.

    The seed is returned as an int (or a tuple for a sequence such as ``(study, replication)``)
    so that passing it on reproduces the same streams.
    """
    sequence = np.random.SeedSequence(seed)
    traces, draws = sequence.spawn(2)
    if seed is None:
        recorded: int | tuple[int, ...] = int(sequence.entropy)  # type: ignore[arg-type]
    elif isinstance(seed, int | np.integer):
        recorded = int(seed)
    else:
        recorded = tuple(int(s) for s in seed)
    return SeedStreams(recorded, traces, draws)


def normal_draws(
    mean: np.ndarray, cov: np.ndarray, size: int, stream: np.random.SeedSequence
) -> np.ndarray:
    """``size`` draws from ``N(mean, cov)`` by the Cholesky factor of the free parameters' block.

    Parameters held fixed (zero variance) stay at their values. Cholesky, unlike an
    eigen-decomposition, has no sign ambiguity, so the draws of a seed are the same everywhere.
    """
    rng = np.random.default_rng(stream)
    free = np.flatnonzero(np.diag(cov) > 0)
    block = 0.5 * (cov[np.ix_(free, free)] + cov[np.ix_(free, free)].T)
    factor = np.linalg.cholesky(block)
    sample = np.tile(mean, (size, 1))
    sample[:, free] += rng.standard_normal((size, free.size)) @ factor.T
    return sample
