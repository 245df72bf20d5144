"""Results of the samplers: posterior means, standard deviations, intervals and the draws.

:class:`PosteriorResults` satisfies the results protocol (:mod:`naeringsmiljo.results.base`):
``params`` are posterior means, ``std_errors`` posterior standard deviations, ``conf_int``
equal-tailed or highest-posterior-density intervals, ``parameter_draws`` the posterior draws,
from which ``impacts`` are computed by the same function as for the frequentist fits
(:func:`naeringsmiljo.inference.impacts.compute_impacts`). Convergence diagnostics (R-hat, the
effective sample size, Monte Carlo standard errors) come from ArviZ (Vehtari, Gelman, Simpson,
Carpenter & Buerkner 2021); an R-hat above the threshold is a
:class:`~naeringsmiljo.exceptions.MixingWarning` and a line of the summary.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from naeringsmiljo._options import ImpactsMethod, TraceMethod, check_alpha, check_choice
from naeringsmiljo.design.base import Design
from naeringsmiljo.design.terms import LAG_PREFIX
from naeringsmiljo.exceptions import MixingWarning, SpecificationError
from naeringsmiljo.inference.channels import channel_impacts
from naeringsmiljo.inference.impacts import Impacts, compute_impacts
from naeringsmiljo.likelihood.channels import ChannelLikelihood, TermMap
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.display import Summary
from naeringsmiljo.results.spatial import impact_weights

IntervalKind = Literal["equal-tailed", "hpd"]


@dataclass(frozen=True)
class PosteriorResults:
    """A posterior sample of a fitted model, summarised.

    Attributes
    ----------
    model : str
        Model name.
    sample : pandas.DataFrame
        The kept draws, one column per parameter (the coefficients, the spatial parameters and
        ``sigma2``), indexed by ``(chain, draw)``.
    spec : Design
        The data and weights the model was fitted on.
    record : FitRecord
        What the sampler did (``method="bayes"``, log-determinant grid and its stated error,
        ``converged`` False when an R-hat exceeds :attr:`rhat_threshold`).
    family : str
        The outcome family.
    priors : object
        The priors used (:class:`naeringsmiljo.sampling.Priors` for the Gaussian models).
    settings : object
        Draws, burn-in, thinning, chains and the seed
        (:class:`naeringsmiljo.sampling.SamplerSettings`).
    rhat_threshold : float
        R-hat above which a parameter is reported as not mixed.
    unit_variances : pandas.Series or None
        Posterior means of the unit variances ``v_i`` of the heteroskedastic variant, by id.
    notes : tuple of str
        What the summary should say about how the sample was drawn.
    """

    model: str
    sample: pd.DataFrame
    spec: Design
    record: FitRecord
    priors: Any
    settings: Any
    family: str = "gaussian"
    rhat_threshold: float = 1.01
    unit_variances: pd.Series | None = None
    notes: tuple[str, ...] = ()
    auxiliary: tuple[str, ...] = field(default=("sigma2",))

    # ------------------------------------------------------------------ the protocol
    @property
    def param_names(self) -> list[str]:
        """Names of the model parameters (without ``sigma2`` and other auxiliary draws)."""
        return [c for c in self.sample.columns if c not in self.auxiliary]

    @cached_property
    def params(self) -> pd.Series:
        """Posterior means of the parameters."""
        return self.sample[self.param_names].mean().rename("posterior_mean")

    @cached_property
    def cov(self) -> pd.DataFrame:
        """Posterior covariance of the parameters."""
        return self.sample[self.param_names].cov()

    @property
    def std_errors(self) -> pd.Series:
        """Posterior standard deviations."""
        return self.sample[self.param_names].std(ddof=1).rename("posterior_sd")

    @property
    def tstats(self) -> pd.Series:
        """Posterior mean over posterior s.d. (what a regression table prints in brackets)."""
        return (self.params / self.std_errors).rename("mean_over_sd")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided posterior tail probabilities ``2 min(P(theta > 0), P(theta < 0))``.

        Not p-values: the posterior probability beyond zero, doubled, so that a regression
        table's stars mark coefficients whose equal-tailed credible interval of the starred
        level excludes zero.
        """
        sample = self.sample[self.param_names]
        above = (sample > 0).mean()
        return (2 * np.minimum(above, 1 - above)).rename("tail_probability")

    @property
    def sigma2(self) -> float:
        """Posterior mean of ``sigma^2``; 1 where the model fixes it (a probit's scale, which
        identifies the model, is not sampled)."""
        if "sigma2" not in self.sample.columns:
            return 1.0
        return float(self.sample["sigma2"].mean())

    @property
    def nobs(self) -> int:
        return self.spec.nobs

    @property
    def n_chains(self) -> int:
        return int(self.sample.index.get_level_values("chain").nunique())

    def draws_array(self, name: str) -> np.ndarray:
        """The draws of ``name`` as ``(chains, draws)``."""
        return self.sample[name].to_numpy().reshape(self.n_chains, -1)

    def conf_int(
        self,
        alpha: float = 0.05,
        *,
        level: float | None = None,
        kind: IntervalKind = "equal-tailed",
    ) -> pd.DataFrame:
        """Credible intervals of probability ``1 - alpha`` (columns ``lower``, ``upper``).

        ``kind="equal-tailed"``: the ``alpha/2`` and ``1 - alpha/2`` posterior quantiles;
        ``kind="hpd"``: the shortest interval holding ``1 - alpha`` of the draws (ArviZ's
        ``hdi``). ``alpha`` as in :meth:`SpatialResults.conf_int` (``level=`` is refused).
        """
        alpha = check_alpha(alpha, level)
        check_choice("kind", kind, IntervalKind, context="(interval)")
        names = self.param_names + list(self.auxiliary)
        if kind == "equal-tailed":
            bounds = self.sample[names].quantile([alpha / 2, 1 - alpha / 2]).T
            bounds.columns = ["lower", "upper"]
            return bounds.loc[self.param_names]
        import arviz as az

        rows = [
            az.hdi(self.sample[name].to_numpy(), hdi_prob=1 - alpha) for name in self.param_names
        ]
        return pd.DataFrame(rows, index=self.param_names, columns=["lower", "upper"])

    def to_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Posterior mean, s.d., equal-tailed bounds, Monte Carlo s.e., bulk ESS and R-hat."""
        ci = self.conf_int(alpha)
        diag = self.diagnostics
        return pd.DataFrame(
            {
                "mean": self.params,
                "sd": self.std_errors,
                "lower": ci["lower"],
                "upper": ci["upper"],
                "mcse": diag["mcse"].loc[self.param_names],
                "ess_bulk": diag["ess_bulk"].loc[self.param_names],
                "rhat": diag["rhat"].loc[self.param_names],
            }
        )

    def parameter_draws(self, draws: int | None = None, *, seed: int | Sequence[int] | None = 0) -> np.ndarray:
        """The posterior draws of the parameters, one row per draw (columns as :attr:`params`).

        All kept draws when ``draws`` is None or not smaller than their number; otherwise
        ``draws`` of them chosen at random without replacement with ``seed``.
        """
        values = self.sample[self.param_names].to_numpy()
        if draws is None or draws >= values.shape[0]:
            return values
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        return values[np.sort(rng.choice(values.shape[0], size=int(draws), replace=False))]

    # ------------------------------------------------------------------ ArviZ
    def to_arviz(self) -> Any:
        """The draws as an ArviZ ``InferenceData`` (group ``posterior``, dims ``chain, draw``)."""
        import arviz as az

        names = self.param_names + list(self.auxiliary)
        return az.from_dict(
            posterior={name: self.draws_array(name) for name in names},
            attrs={"model": self.model, "method": self.record.method},
        )

    @cached_property
    def diagnostics(self) -> pd.DataFrame:
        """R-hat (rank-normalised split R-hat), bulk and tail ESS and Monte Carlo s.e. of the mean,
        from ArviZ. With one chain the R-hat is that of its two halves taken as chains."""
        import arviz as az

        names = self.param_names + list(self.auxiliary)
        rows = {}
        for name in names:
            values = self.draws_array(name)
            halves = values
            if values.shape[0] == 1:
                half = values.shape[1] // 2
                halves = values[:, : 2 * half].reshape(2, half)
            # ArviZ returns a scalar or, for the Monte Carlo standard error when numba is
            # installed, an array of one element: squeezed to the scalar either way
            rows[name] = {
                "rhat": float(np.squeeze(az.rhat(halves))),
                "ess_bulk": float(np.squeeze(az.ess(values, method="bulk"))),
                "ess_tail": float(np.squeeze(az.ess(values, method="tail"))),
                "mcse": float(np.squeeze(az.mcse(values, method="mean"))),
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    @property
    def unmixed(self) -> list[str]:
        """Parameters whose R-hat exceeds :attr:`rhat_threshold`."""
        rhat = self.diagnostics["rhat"]
        return [str(name) for name in rhat.index[rhat > self.rhat_threshold]]

    def warn_if_unmixed(self) -> None:
        """Issue a :class:`MixingWarning` naming the parameters with R-hat above the threshold."""
        bad = self.unmixed
        if bad:
            rhat = self.diagnostics["rhat"]
            listed = ", ".join(f"{name} ({rhat[name]:.3f})" for name in bad)
            warnings.warn(
                f"{self.model}: R-hat above {self.rhat_threshold} for {listed}: the chain has not "
                "mixed; use more draws, a longer burn-in or several chains.",
                MixingWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------------ impacts
    def impacts(
        self,
        method: ImpactsMethod = "auto",
        *,
        draws: int | None = None,
        seed: int | Sequence[int] | None = 0,
        order: int = 100,
        traces: TraceMethod = "auto",
        probes: int = 50,
        multiplier: Any = None,
    ) -> Impacts:
        """Direct, indirect and total impacts with their posterior distribution.

        The impacts of every kept posterior draw (LeSage & Pace 2009, s. 5.6), computed by
        :func:`naeringsmiljo.inference.impacts.compute_impacts` from :meth:`parameter_draws`;
        ``estimates`` are the posterior means of the impacts, ``std_errors`` their posterior
        s.d., and ``conf_int`` their equal-tailed posterior intervals. Models without rho
        have impacts linear in the coefficients: their s.d. are exact functions of the
        posterior covariance, with normal intervals. A convex combination of matrices in the lag
        of y gives :class:`~naeringsmiljo.inference.channels.ChannelImpacts` (with the indirect
        impact by channel) at the posterior means, with the s.d. of the draws' impacts.

        Parameters
        ----------
        method, order, traces, probes, multiplier :
            As :meth:`naeringsmiljo.results.spatial.SpatialResults.impacts`.
        draws : int, optional
            Use this many of the posterior draws (all by default).
        seed : int or sequence of int
            Seed of the choice of draws and of Monte Carlo traces.
        """
        sample = self.parameter_draws(draws, seed=seed)
        if self.spec.terms.combined is not None:
            return self._channel_impacts(sample, seed)
        result = compute_impacts(
            self.params,
            self.spec.regressor_names,
            LAG_PREFIX,
            impact_weights(self.spec),
            self.model,
            method,
            cov=self.cov,
            inference="simulation",
            seed=seed,
            order=order,
            traces=traces,
            probes=probes,
            multiplier=multiplier,
            sample=sample,
        )
        if result.simulated is None:
            return replace(result, draws_from="the posterior")
        mean = result.simulated.mean(axis=0)
        estimates = pd.DataFrame(
            mean, index=result.estimates.index, columns=result.estimates.columns
        )
        return replace(
            result,
            estimates=estimates,
            draws_from="the posterior",
            notes=(*result.notes, "estimates: posterior means of the impacts of the draws"),
        )

    def _channel_impacts(self, sample: np.ndarray, seed: int | Sequence[int] | None) -> Any:
        """Impacts of SAR with a convex combination in the lag of y, with the indirect impact
        by channel (:func:`naeringsmiljo.inference.channels.channel_impacts`), from the draws;
        the estimates are at the posterior means of the parameters."""
        term = self.spec.terms.combined
        if term is None or term.kind != "y" or term.combine != "convex":
            raise SpecificationError(
                "Impacts of a posterior are available for a convex combination in the lag of y."
            )
        names = self.param_names
        regressors = self.spec.regressor_names
        beta_idx = [names.index(r) for r in regressors]
        rho_idx = names.index("rho")
        mix_idx = [names.index(f"gamma_{c}") for c in term.channel_names]
        m = len(mix_idx)
        lik = ChannelLikelihood(
            self.spec.y,
            self.spec.x,
            [w.sparse for _, w in term.channels],
            [],
            TermMap("convex", m),
            None,
        )

        def coefficient(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            delta = values[rho_idx] * values[mix_idx]
            return values[beta_idx], np.zeros((m, len(regressors))), delta

        recorded = None if seed is None else (int(seed) if isinstance(seed, int) else tuple(seed))
        return channel_impacts(
            coefficient, self.params, sample, lik, regressors, term.channel_names, self.model,
            recorded,
        )

    # ------------------------------------------------------------------ display
    def summary(self) -> Summary:
        """Text summary: model, data, sampler, priors, convergence diagnostics and estimates."""
        spec, rec, settings = self.spec, self.record, self.settings
        diag = self.diagnostics
        lines = [
            f"{self.model} posterior (Bayesian) results",
            "=" * 78,
            f"Dependent variable:  {spec.y_name}",
            f"Formula:             {spec.formula or '(arrays)'}",
            f"Weights:             {spec.weights.describe()}",
            f"Observations:        {self.nobs}",
            f"Method:              {rec.method}: {rec.optimizer}",
            f"Log-determinant:     {rec.logdet}"
            + (
                f" (stated error {rec.logdet_error:.1e} where the draws fell)"
                if rec.logdet_error
                else " (exact)"
            ),
            f"Draws:               {settings.draws} per chain, burn-in {settings.burn}, thin "
            f"{settings.thin}, {settings.chains} chain(s), {len(self.sample)} kept, seed "
            f"{settings.seed}",
            f"Priors:              {describe_priors(self.priors)}",
            *[f"Note:                {note}" for note in self.notes],
            f"sigma^2:             {self.sigma2:.6g} (posterior mean)",
            f"R-hat:               max {diag['rhat'].max():.4f}, threshold {self.rhat_threshold}",
        ]
        if self.unmixed:
            lines.append(
                "WARNING:             not mixed (R-hat above threshold): "
                + ", ".join(self.unmixed)
            )
        lines += [
            f"ESS (bulk):          min {diag['ess_bulk'].min():.0f}",
            "-" * 78,
            self.to_frame().to_string(float_format="{:.6f}".format),
            "=" * 78,
        ]
        return Summary("\n".join(lines))

    def __repr__(self) -> str:
        return f"<PosteriorResults {self.model}: n={self.nobs}, {len(self.sample)} draws>"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def describe_priors(priors: Any) -> str:
    """One line describing the priors of a Gaussian spatial model."""
    describe = getattr(priors, "describe", None)
    return str(describe()) if callable(describe) else repr(priors)
