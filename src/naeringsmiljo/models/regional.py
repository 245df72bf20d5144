"""Actors nested in regions whose effects follow a spatial autoregressive process.

Smith & LeSage (2004), "A Bayesian probit model with spatial dependencies" (LeSage's
``semip_g``): actor ``i`` in region ``r(i)``,

.. math::

    z_i = x_i'\\beta + \\theta_{r(i)} + \\varepsilon_i, \\qquad
    \\theta = \\rho W \\theta + u, \\quad u \\sim N(0, \\sigma_\\theta^2 I),

with ``y_i = 1(z_i > 0)`` (:class:`RegionalProbit`, ``sigma^2 = 1``) or ``y_i = z_i``
(:class:`RegionalLinear`). ``x_i`` holds the actor's own regressors and the milieu measures
of its region; ``W`` is over the regions. The model is the package's microdata schema (actors in
regions, an outcome per actor) estimated as one model, instead of aggregating the actors to
regional shares.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from naeringsmiljo._options import check_choice
from naeringsmiljo.design import regional
from naeringsmiljo.design.outcomes import Family, check_family_outcome
from naeringsmiljo.design.regional import RegionalDesign
from naeringsmiljo.estimators import parse_options
from naeringsmiljo.estimators.bayes_regional import fit_regional
from naeringsmiljo.results.latent import RegionalPosteriorResults
from naeringsmiljo.sampling import BayesOptions
from naeringsmiljo.weights.spatial_weights import SpatialWeights


class RegionalModel:
    """Base class: actors in regions, fitted by Gibbs sampling (``fit(method="bayes")``)."""

    family: ClassVar[Family] = "gaussian"
    description: ClassVar[str] = ""

    def __init__(self, spec: RegionalDesign) -> None:
        check_family_outcome(self.family, spec.y, spec.ids, spec.y_name)
        self.spec = spec

    @property
    def name(self) -> str:
        return type(self).__name__

    @classmethod
    def from_formula(
        cls, formula: str, actors: pd.DataFrame, w: SpatialWeights, *, region: str = "region"
    ) -> RegionalModel:
        """Specify the model by a formula over the actors and the weights over the regions.

        Parameters
        ----------
        formula : str
            For example ``"innovated ~ log_size + local_share + related_variety"``: actor-level
            and region-level regressors, each a column of ``actors``.
        actors : pandas.DataFrame
            One row per actor (ids in the index), with the column ``region``.
        w : SpatialWeights
            Weights over the regions; its ids are the region codes of ``actors[region]``.
        region : str
            The column of ``actors`` holding each actor's region.

        Raises
        ------
        IdMismatchError
            When actors sit in regions that ``w`` does not have (named in the message).
        OutcomeError
            For :class:`RegionalProbit`, when the outcome is not 0/1 (the actors named).

        Examples
        --------
        >>> from naeringsmiljo import RegionalProbit
        >>> from naeringsmiljo.simulate import simulate_milieu
        >>> sim = simulate_milieu(seed=1, n_actors=3000)
        >>> model = RegionalProbit.from_formula(sim.firm_formula, sim.firms, sim.weights)
        >>> model.spec.nobs, model.spec.n_units
        (2540, 356)
        """
        return cls(regional.from_formula(formula, actors, w, region=region))

    def fit(self, *, method: str = "bayes", **options: Any) -> RegionalPosteriorResults:
        """Sample the posterior (options of :class:`~naeringsmiljo.sampling.BayesOptions`:
        ``draws``, ``burn``, ``thin``, ``seed``, ``priors``, ``chains``, ``logdet``, ``grid``,
        ``rhat_threshold``; the inverse-gamma prior of ``priors`` serves both variances)."""
        check_choice("method", method, ["bayes"])
        return fit_regional(
            self.name, self.spec, self.family, parse_options(BayesOptions, options, "bayes")
        )

    def __repr__(self) -> str:
        return (
            f"<{self.name}: {self.spec.formula}, {self.spec.nobs} actors in "
            f"{self.spec.n_units} regions>"
        )


class RegionalProbit(RegionalModel):
    """Probit of actors in regions with autoregressive regional effects (Smith & LeSage 2004)."""

    family = "binary"
    description = "y = 1(z > 0), z = X beta + theta[region] + e, theta = rho W theta + u"


class RegionalLinear(RegionalModel):
    """Linear model of actors in regions with autoregressive regional effects."""

    family = "gaussian"
    description = "y = X beta + theta[region] + e, theta = rho W theta + u"
