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
from naeringsmiljo.inference.latent_impacts import EXACT_LIMIT, latent_impacts
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

    @property
    def sigma2(self) -> float:
        """Posterior mean of ``sigma^2`` (1 for the probit: the scale that identifies it)."""
        if "sigma2" not in self.sample.columns:
            return 1.0
        return float(self.sample["sigma2"].mean())

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
        rows = len(self.sample)
        chosen = np.arange(rows)
        if draws is not None and draws < rows:
            rng = np.random.default_rng(np.random.SeedSequence(seed))
            chosen = np.sort(rng.choice(rows, size=int(draws), replace=False))
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
        simulated = np.stack([result.direct, result.indirect, result.total], axis=2)
        estimates = pd.DataFrame(simulated.mean(axis=0), index=regressors, columns=COLUMNS)
        std_errors = pd.DataFrame(
            simulated.std(axis=0, ddof=1), index=regressors, columns=COLUMNS
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
        recorded = seed if seed is None or isinstance(seed, int) else tuple(seed)
        return Impacts(
            estimates=estimates,
            model=self.model,
            method=result.method,
            std_errors=std_errors,
            inference="simulation",
            draws=int(chosen.size),
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

    @property
    def sigma2(self) -> float:
        """Posterior mean of the actors' error variance (1 for the probit)."""
        if "sigma2" not in self.sample.columns:
            return 1.0
        return float(self.sample["sigma2"].mean())

    def impacts(self, *args: object, **kwargs: object) -> Impacts:
        """Not defined: the regional effects are a latent process, not a lag of the outcome,
        so a change in one actor's regressors moves no other actor's outcome; the coefficients
        are the effects on the latent index."""
        from naeringsmiljo.exceptions import SpecificationError

        raise SpecificationError(
            f"{self.model} has no spatial multiplier: its regional effects follow "
            "theta = rho W theta + u, which no regressor enters, so there are no spillovers to "
            "decompose; read the coefficients (effects on the latent index)."
        )
