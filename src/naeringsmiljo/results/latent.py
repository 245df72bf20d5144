"""Posterior results of the spatial probit and Tobit models.

:class:`LatentPosteriorResults` is a :class:`~naeringsmiljo.results.posterior.PosteriorResults`
whose impacts are marginal effects on the probabilities (probit) or on the expected outcome
(Tobit), not the coefficients: ``diag(g(eta)) S(rho)^{-1} beta_r`` averaged over the units
(:mod:`naeringsmiljo.inference.latent_impacts`; LeSage & Pace 2009, s. 10.1.6 and 10.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from naeringsmiljo.design.terms import LAG_PREFIX
from naeringsmiljo.inference.impacts import Impacts
from naeringsmiljo.inference.latent_impacts import (
    EXACT_LIMIT,
    LatentImpactDraws,
    latent_impacts,
    regional_impacts,
)
from naeringsmiljo.results.posterior import PosteriorResults

COLUMNS = ["direct", "indirect", "total"]


@dataclass(frozen=True)
class LatentPosteriorResults(PosteriorResults):
    """Posterior of a spatial probit or Tobit model.

    Beyond the fields of :class:`PosteriorResults`:

    Attributes
    ----------
    outcome : str
        ``"probit"`` or ``"tobit"``.
    kind : str
        ``"lag"`` (``rho W z``) or ``"error"`` (``lambda W u``).
    latent_mean : pandas.Series or None
        Posterior mean of the latent outcome ``z`` by unit.
    """

    outcome: str = "probit"
    kind: str = "lag"
    latent_mean: pd.Series | None = None

    def impacts(  # type: ignore[override]
        self,
        *,
        draws: int | None = 1000,
        seed: int | Sequence[int] | None = 0,
        grid_points: int = 9,
        probes: int = 100,
    ) -> Impacts:
        """Average direct, indirect and total marginal effects with posterior intervals.

        For each posterior draw, the mean over units of the diagonal (direct) and of the row
        sums (total) of ``diag(g(eta)) S(rho)^{-1} beta_r``, ``eta = S(rho)^{-1} X beta`` the
        latent mean, ``g = phi`` (probit, effects on ``Pr(y = 1)``) or ``Phi(. / sigma)``
        (Tobit, effects on ``E[y]``); the SEM probit has direct effects only,
        ``phi(x_i beta / s_i) beta_r / s_i`` with ``s_i`` the latent standard deviation
        (:mod:`naeringsmiljo.inference.latent_impacts`). ``estimates`` are posterior means,
        ``std_errors`` posterior s.d., ``conf_int`` equal-tailed posterior intervals.

        Parameters
        ----------
        draws : int or None
            Posterior draws used (chosen at random with ``seed``; all when None).
        seed : int or sequence of int
            Seed of that choice and of the probes.
        grid_points : int
            Chebyshev points of the spatial parameter over the range of the draws, through
            which the solves are interpolated by a polynomial.
        probes : int
            Rademacher probes of the diagonal estimates above ``EXACT_LIMIT`` units.
        """
        spec = self.spec
        regressors = [
            name for name in spec.regressor_names if not name.startswith(LAG_PREFIX)
        ]
        names = list(spec.exog_names)
        columns = np.array([names.index(r) for r in regressors])
        chosen = _chosen_draws(len(self.sample), draws, seed)
        kept = self.sample.iloc[chosen]
        beta = kept[names].to_numpy()
        spatial = kept["rho" if self.kind == "lag" else "lambda"].to_numpy()
        sigma2 = (
            kept["sigma2"].to_numpy() if "sigma2" in kept.columns else np.ones(chosen.size)
        )
        weights = spec.term_weights("y" if self.kind == "lag" else "error")
        result = latent_impacts(
            self.kind,  # type: ignore[arg-type]
            self.outcome,  # type: ignore[arg-type]
            np.asarray(spec.x, dtype=float),
            weights.sparse,
            beta,
            spatial,
            sigma2,
            columns,
            grid_points=grid_points,
            probes=probes,
            seed=np.random.SeedSequence(seed),
        )
        target = "Pr(y = 1)" if self.outcome == "probit" else "E[y]"
        weight = {
            "probit": "phi(eta)",
            "tobit": "Phi(eta / sigma)",
            "poisson": "exp(eta + sigma^2 s^2 / 2)",
        }[self.outcome]
        notes = [
            f"marginal effects on {target}: means over units of the diagonal (direct) and row "
            f"sums (total) of diag({weight}) S(rho)^-1 beta_r, eta = S(rho)^-1 X beta "
            "(LeSage & Pace 2009, s. 10.1.6)"
            if self.kind == "lag"
            else "SEM probit: no spillovers; direct = mean of phi(x_i beta / s_i) beta_r / s_i, "
            "s_i the latent s.d.",
            f"S(rho)^-1 at {grid_points} Chebyshev points of the range of the draws, "
            "interpolated by the polynomial through them; "
            + (
                "exact at the points (dense inverses)"
                if spec.nobs <= EXACT_LIMIT
                else f"sparse LU solves, diagonals by {probes} Rademacher probes"
            ),
            "estimates: posterior means of the impacts of the draws",
        ]
        return _posterior_impacts(result, regressors, self.model, seed, notes)


def _chosen_draws(rows: int, draws: int | None, seed: int | Sequence[int] | None) -> np.ndarray:
    """Positions of the posterior draws used for impacts: ``draws`` of them at random, or all."""
    if draws is None or draws >= rows:
        return np.arange(rows)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return np.sort(rng.choice(rows, size=int(draws), replace=False))


def _posterior_impacts(
    result: LatentImpactDraws,
    regressors: list[str],
    model: str,
    seed: int | Sequence[int] | None,
    notes: list[str],
) -> Impacts:
    """:class:`Impacts` from impacts per posterior draw: posterior means and s.d."""
    simulated = np.stack([result.direct, result.indirect, result.total], axis=2)
    estimates = pd.DataFrame(simulated.mean(axis=0), index=regressors, columns=COLUMNS)
    std_errors = pd.DataFrame(simulated.std(axis=0, ddof=1), index=regressors, columns=COLUMNS)
    recorded = seed if seed is None or isinstance(seed, int) else tuple(seed)
    return Impacts(
        estimates=estimates,
        model=model,
        method=result.method,
        std_errors=std_errors,
        inference="simulation",
        draws=int(result.direct.shape[0]),
        seed=recorded,
        notes=tuple(notes),
        simulated=simulated,
        draws_from="the posterior",
    )


@dataclass(frozen=True)
class RegionalPosteriorResults(PosteriorResults):
    """Posterior of actors nested in regions with autoregressive regional effects.

    ``params`` are the posterior means of the actor-level coefficients, ``rho`` (of the
    regional effects) and ``sigma2_theta`` (the variance of their innovations); for the linear
    model ``sigma2`` (of the actors' errors) is auxiliary. Beyond the fields of
    :class:`PosteriorResults`:

    Attributes
    ----------
    regional_effects : pandas.Series
        Posterior means of the regional effects ``theta`` by region id.
    outcome : str
        ``"probit"`` or ``"linear"``.
    """

    regional_effects: pd.Series | None = None
    outcome: str = "probit"

    def impacts(  # type: ignore[override]
        self,
        *,
        draws: int | None = 1000,
        seed: int | Sequence[int] | None = 0,
        probes: int = 100,
    ) -> Impacts:
        """Average marginal effects on ``Pr(y = 1)`` with posterior intervals (the probit).

        With the regional effects integrated out, ``Pr(y_i = 1) = Phi(x_i'beta / s_i)``,
        ``s_i^2 = 1 + sigma2_theta [(B'B)^{-1}]_{r(i) r(i)}``, ``B = I - rho W`` (Smith & LeSage
        2004). A regressor, the milieu measure of a region included, enters the latent index of
        its own actors only: a change in region ``q``'s measure moves the probability of the
        firms of ``q`` by ``phi(x_i'beta / s_i) beta_r / s_i`` and of no other firm, because
        ``W`` acts on the unobserved regional effects, not on the regressors or the outcome.
        ``rho`` and ``sigma2_theta`` enter through the scale ``s_i``. The direct impact is the
        mean of that derivative over the actors; the indirect impact is zero (as in the SEM
        probit) and the total equals the direct. Computed for each posterior draw
        (:func:`naeringsmiljo.inference.latent_impacts.regional_impacts`): ``estimates`` are
        posterior means, ``std_errors`` posterior s.d., ``conf_int`` posterior intervals.

        Parameters
        ----------
        draws : int or None
            Posterior draws used (chosen at random with ``seed``; all when None).
        seed : int or sequence of int
            Seed of that choice and of the probes.
        probes : int
            Rademacher probes of that diagonal above ``EXACT_LIMIT`` regions.

        Raises
        ------
        SpecificationError
            For the linear model, whose coefficients are the effects on ``E[y]`` (no
            spillovers, nothing to decompose).
        """
        from naeringsmiljo.exceptions import SpecificationError

        if self.outcome != "probit":
            raise SpecificationError(
                f"{self.model} has no spatial multiplier: its regional effects follow "
                "theta = rho W theta + u, which no regressor enters, so the coefficients are the "
                "effects on E[y] and there are no spillovers to decompose."
            )
        spec = self.spec
        names = list(spec.exog_names)
        regressors = [name for name in names if name != "Intercept"]
        columns = np.array([names.index(r) for r in regressors], dtype=int)
        kept = self.sample.iloc[_chosen_draws(len(self.sample), draws, seed)]
        weights = spec.weights
        result = regional_impacts(
            np.asarray(spec.x, dtype=float),
            np.asarray(spec.region),  # type: ignore[attr-defined]
            weights.sparse,
            kept[names].to_numpy(),
            kept["rho"].to_numpy(),
            kept["sigma2_theta"].to_numpy(),
            columns,
            probes=probes,
            seed=np.random.SeedSequence(seed),
        )
        notes = [
            (
                "marginal effects on Pr(y = 1) with the regional effects integrated out "
                "(Smith & LeSage 2004): direct = mean over actors of "
                "phi(x_i beta / s_i) beta_r / s_i, s_i^2 = 1 + sigma2_theta [(B'B)^-1]_r(i)r(i); "
                "no spillovers (W acts on the regional effects only): indirect = 0"
            ),
            "diag((B'B)^-1) at each distinct rho of the draws: "
            + ("exact" if weights.n <= EXACT_LIMIT else f"{probes} Rademacher probes"),
            "estimates: posterior means of the impacts of the draws",
        ]
        return _posterior_impacts(result, regressors, self.model, seed, notes)
