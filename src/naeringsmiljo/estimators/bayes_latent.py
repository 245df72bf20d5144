"""Bayesian spatial probit and Tobit: the latent-variable Gibbs sampler behind ``method="bayes"``.

Fits the models of the ``binary`` and ``censored`` families (:class:`SARProbit`,
:class:`SEMProbit`, :class:`SARTobit`) by the sampler of
:mod:`naeringsmiljo.estimators._latent` (LeSage & Pace 2009, ch. 10; LeSage, Pace, Lam,
Campanella & Liu 2011): the latent outcome drawn from its truncated multivariate normal through
the sparse precision matrix, the spatial parameter on a grid of log-determinants, beta and
(Tobit) sigma^2 from their conjugate conditionals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from naeringsmiljo._options import LogDetMethod
from naeringsmiljo.estimators._latent import (
    LatentDraws,
    LatentPriors,
    latent_setup,
    sample_latent,
)
from naeringsmiljo.estimators.base import FitProblem, register
from naeringsmiljo.exceptions import OptionError, SpecificationError
from naeringsmiljo.weights.logdet import make_logdet
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: Up to this many units the log-determinant grid comes from dense eigenvalues (exact at every
#: point); above, from the exact sparse method at the knots of a spline (stated error).
GRID_EIGEN_LIMIT = 1000


@dataclass(frozen=True)
class LatentBayesOptions:
    """Options of the latent Gibbs sampler.

    ``draws`` retained draws after ``burn`` discarded iterations, keeping every ``thin``-th;
    ``seed`` makes the chain reproducible (the same seed gives identical draws); ``priors`` as
    :class:`~naeringsmiljo.estimators._latent.LatentPriors` (default: flat beta, uniform
    spatial parameter, ``1 / sigma^2``); ``grid_step`` the spacing of the grid of the spatial
    parameter; ``sweeps`` the Gibbs passes over the latent vector per iteration (LeSage's
    ``m``; one suffices when each pass starts at the previous draw, LeSage & Pace 2009,
    s. 10.1.5); ``logdet`` the method of the log-determinants above ``GRID_EIGEN_LIMIT`` units.
    """

    draws: int = 2000
    burn: int = 500
    thin: int = 1
    seed: int | np.random.SeedSequence = 0
    priors: LatentPriors = field(default_factory=LatentPriors)
    grid_step: float = 0.001
    sweeps: int = 1
    logdet: LogDetMethod = "auto"


def check_chain_options(draws: int, burn: int, thin: int) -> None:
    """Refuse a chain that keeps nothing or whose burn-in is not smaller than its draws."""
    if draws < 1 or thin < 1 or burn < 0:
        raise OptionError(
            f"draws and thin are at least 1 and burn at least 0; got draws={draws}, "
            f"thin={thin}, burn={burn}."
        )
    if burn >= draws:
        raise OptionError(
            f"burn={burn} is not smaller than draws={draws}: the burn-in is the start of a "
            "chain, not most of it."
        )


def logdet_grid(
    weights: SpatialWeights, step: float, method: LogDetMethod
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """The grid of the spatial parameter inside its interval and ``ln|I - a W|`` on it."""
    low, high = weights.parameter_interval()
    grid = np.arange(low + step, high - step / 2, step)
    if method in ("auto", "eigen") and weights.n <= GRID_EIGEN_LIMIT:
        eig = weights.eigenvalues()
        values = np.array([np.sum(np.log(1 - a * eig)).real for a in grid])
    else:
        exact = make_logdet(weights, "spline" if method == "auto" else method)
        values = np.array([exact.value(a) for a in grid])
    return grid, values, (low, high)


@dataclass(frozen=True)
class LatentPosterior:
    """The draws of a latent sampler with what produced them."""

    draws: LatentDraws
    kind: str
    outcome: str
    spatial_name: str
    options: LatentBayesOptions
    seconds: float = 0.0


@register
class LatentBayes:
    """Gibbs sampler of the probit and Tobit spatial models (``fit(method="bayes")``)."""

    name: ClassVar[str] = "bayes"
    options_type: ClassVar[type] = LatentBayesOptions
    families: ClassVar[tuple[str, ...]] = ("binary", "censored")

    def check(self, problem: FitProblem) -> None:
        terms = problem.spec.terms
        if len(problem.spatial_params) != 1 or terms.combined is not None:
            raise SpecificationError(
                f"{problem.name}: the latent sampler fits one spatial term (the lag of y or "
                "the error) with one weights matrix."
            )
        if problem.spec.endog:
            raise SpecificationError("The latent sampler takes no endogenous regressors.")

    def sample(self, problem: FitProblem, options: LatentBayesOptions) -> LatentPosterior:
        """Run the chain and return its draws."""
        import time

        check_chain_options(options.draws, options.burn, options.thin)
        spec = problem.spec
        kind_term = "y" if "rho" in problem.spatial_params else "error"
        weights = spec.term_weights(kind_term)
        y = np.asarray(spec.y, dtype=float)
        if problem.family == "binary":
            lower = np.where(y > 0, 0.0, -np.inf)
            upper = np.where(y > 0, np.inf, 0.0)
            fixed: float | None = 1.0
            outcome = "probit"
        else:
            lower = np.where(y > 0, y, -np.inf)
            upper = np.where(y > 0, y, 0.0)
            fixed = None
            outcome = "tobit"
        grid, values, interval = logdet_grid(weights, options.grid_step, options.logdet)
        kind = "lag" if kind_term == "y" else "error"
        setup = latent_setup(
            kind,
            spec.x,
            weights.sparse,
            lower,
            upper,
            grid,
            values,
            options.priors,
            interval=interval,
            fixed_sigma2=fixed,
        )
        start = time.perf_counter()
        draws = sample_latent(
            setup,
            options.priors,
            draws=options.draws,
            burn=options.burn,
            thin=options.thin,
            rng=np.random.default_rng(options.seed),
            sweeps=options.sweeps,
        )
        return LatentPosterior(
            draws,
            kind,
            outcome,
            problem.spatial_params[0],
            options,
            time.perf_counter() - start,
        )
