"""The one results class shared by every model and every frequentist estimator."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from naeringsmiljo._options import (
    ImpactsHorizon,
    ImpactsInference,
    ImpactsMethod,
    PredictionKind,
    TraceMethod,
    check_alpha,
    check_choice,
)
from naeringsmiljo.design.base import Design
from naeringsmiljo.design.cross_section import new_regressors
from naeringsmiljo.design.terms import LAG_PREFIX, PARAMETERS
from naeringsmiljo.exceptions import (
    FormulaError,
    IdMismatchError,
    InputTypeError,
    MissingDataError,
    ParameterSpaceError,
    SpecificationError,
)
from naeringsmiljo.inference.channels import ChannelInference
from naeringsmiljo.inference.covariance import IVInference, MLInference
from naeringsmiljo.inference.draws import normal_draws, seed_streams
from naeringsmiljo.inference.dynamic import long_run
from naeringsmiljo.inference.impacts import Impacts, compute_impacts
from naeringsmiljo.inference.panel_effects import recover_fixed_effects
from naeringsmiljo.inference.prediction import (
    Coefficients,
    ModelShape,
    predict_in_sample,
    predict_out_of_sample,
    simulate_scenario,
    unit_impacts,
)
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.display import Summary
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: Names of the spatial parameters of the terms, in the order of the parameter vector.
SPATIAL_PARAMETERS = tuple(p for p in PARAMETERS.values() if p is not None)


@dataclass(frozen=True)
class SpatialResults:
    """Estimates, inference and fit statistics of a fitted model.

    Every pandas object is indexed by parameter name (``Intercept``, the regressors, ``W_<name>``
    for lagged regressors, ``rho``, ``lambda``) or, for residuals and fitted values, by unit id.

    Attributes
    ----------
    model : str
        Model name (``"SAR"``, ``"SDM"``, ...).
    params : pandas.Series
        Point estimates.
    cov : pandas.DataFrame
        Covariance of the estimates.
    sigma2 : float
        Variance of the innovations (ML: ``e'e/n``; OLS: ``e'e/(n-k)``).
    loglik : float
        Gaussian log-likelihood at the estimates, with all constants.
    spec : Design
        The data and the weights of the spatial terms the model was fitted on.
    record : FitRecord
        What the estimator did (method, log-determinant, interval, optimiser, convergence).
    cov_type : str
        Name of the covariance estimator.
    fixed : tuple of str
        Spatial parameters held at given values instead of estimated (zero variance).
    df_resid : int or None
        Residual degrees of freedom when inference uses the t distribution (OLS), else None
        (asymptotic normal inference).
    innovations : numpy.ndarray
        The estimated innovations ``e = (I - lambda W_2)((I - rho W_1) y - X beta)``.
    family : str
        The outcome family the model declared (``"gaussian"``).
    ml : MLInference or None
        For ML fits: the likelihood at the estimate, which parameters are free, and how the
        information matrix was computed (switch covariances with :meth:`with_cov`).
    iv : IVInference or None
        For spatial 2SLS and the Kelejian-Prucha GS2SLS: the 2SLS pieces their covariances need.
    variant : str or None
        The moment conditions of a GM error or GS2SLS fit (``"het"``, ``"hom"``, ``"kp99"``).
    vertex_tests : pandas.DataFrame or None
        For a convex combination of several weights matrices: the likelihood-ratio test of each
        matrix alone (``loglik_alone``, ``LR``, ``pvalue`` from the chi-bar-square
        distribution with ``weights``; see
        :func:`naeringsmiljo.estimators.ml_channels.vertex_tests`).
    """

    model: str
    params: pd.Series
    cov: pd.DataFrame
    sigma2: float
    loglik: float
    spec: Design
    record: FitRecord
    cov_type: str
    innovations: np.ndarray
    df_resid: int | None = None
    sigma2_se: float | None = None
    fixed: tuple[str, ...] = ()
    family: str = "gaussian"
    ml: MLInference | ChannelInference | None = None
    iv: IVInference | None = None
    variant: str | None = None
    vertex_tests: pd.DataFrame | None = None
    #: Panels: the Lee-Yu (2010) transformation approach was used (``fit(bias_correction=True)``),
    #: ``"bootstrap"``: its estimates corrected by the iterative bootstrap, or ``"score"``: the
    #: adjusted-score M-estimator of a dynamic panel.
    bias_correction: bool | str = False
    #: Dynamic panels with the Yu-de Jong-Lee correction: the covariance of the corrected
    #: estimate, ``"delta"`` (the delta method through the correction map) or ``"ml"`` (that
    #: of the ML estimate); None where the correction was not applied.
    correction_cov: str | None = None
    #: Panels with random effects: the variance ratio ``phi = sigma2_mu / sigma2_e`` is in
    #: ``params``; this records the random-effects structure of the error (None otherwise).
    random_effects: str | None = None

    # ------------------------------------------------------------------ inference
    @property
    def nobs(self) -> int:
        return self.spec.nobs

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors (square roots of the diagonal of :attr:`cov`).

        NaN for a parameter held fixed (:attr:`fixed`): it was not estimated, so its t
        statistic, p-value and interval are NaN too, and the summary shows it as fixed.
        """
        se = pd.Series(
            np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index, name="std_error"
        )
        se[list(self.fixed)] = np.nan
        return se

    @property
    def tstats(self) -> pd.Series:
        """Estimates divided by their standard errors (z statistics for ML)."""
        return (self.params / self.std_errors).rename("tstat")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values, from the t distribution with :attr:`df_resid` or the normal."""
        t = np.abs(self.tstats.to_numpy())
        p = 2 * (stats.t.sf(t, self.df_resid) if self.df_resid else stats.norm.sf(t))
        return pd.Series(p, index=self.params.index, name="pvalue")

    def conf_int(self, alpha: float = 0.05, *, level: float | None = None) -> pd.DataFrame:
        """Confidence intervals of coverage ``1 - alpha`` (columns ``lower``, ``upper``).

        ``alpha`` is the significance level, as in statsmodels: ``conf_int(alpha=0.1)`` gives
        90% intervals. An ``alpha`` of 0.5 or more (an interval covering half the time or less)
        is refused as the likely mix-up of ``alpha`` and coverage, and so is ``level=``.

        Raises
        ------
        OptionError
            For ``alpha`` outside ``(0, 0.5)``, or ``level=`` given.
        """
        tail = check_alpha(alpha, level) / 2
        q = stats.t.ppf(1 - tail, self.df_resid) if self.df_resid else stats.norm.ppf(1 - tail)
        half = q * self.std_errors
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    # ------------------------------------------------------------------ statsmodels names
    @property
    def bse(self) -> pd.Series:
        """Standard errors (:attr:`std_errors`, statsmodels' name)."""
        return self.std_errors

    @property
    def tvalues(self) -> pd.Series:
        """t (z) statistics (:attr:`tstats`, statsmodels' name)."""
        return self.tstats

    @property
    def llf(self) -> float:
        """Log-likelihood (:attr:`loglik`, statsmodels' name); NaN for moment estimators."""
        return self.loglik

    @property
    def rsquared(self) -> float:
        """R-squared (:attr:`r2`, statsmodels' name)."""
        return self.r2

    # ------------------------------------------------------------------ fit statistics
    @property
    def n_params(self) -> int:
        """Number of estimated parameters, counting ``sigma^2`` (R spatialreg's convention)."""
        return len(self.params) - len(self.fixed) + 1

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 p`` with ``p`` counting sigma^2 and the spatial parameters (as R does)."""
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """``-2 loglik + p ln(n)``."""
        return -2.0 * self.loglik + self.n_params * np.log(self.nobs)

    @property
    def resid(self) -> pd.Series:
        """Residuals: the estimated innovations ``e``, indexed by unit id."""
        return pd.Series(self.innovations, index=self.spec.ids, name="resid")

    @property
    def fitted(self) -> pd.Series:
        """Fitted values ``y - e`` (for SAR, ``rho W y + X beta``), indexed by unit id."""
        return pd.Series(self.spec.y - self.innovations, index=self.spec.ids, name="fitted")

    @cached_property
    def r2(self) -> float:
        """``1 - e'e / sum (y - mean y)^2`` with ``e`` the innovations (Elhorst 2014, s. 2.7).

        For OLS this is the usual R-squared; for spatial models it measures how much of the
        variation the model explains including the spatial terms (spatialreg reports none;
        Elhorst's Table 2.2 uses this one). For a fixed-effects panel ``y`` is the
        within-transformed outcome (the within R-squared); for random effects the innovations
        are those of the transformed (GLS) model and ``y`` is raw, a pseudo R-squared.
        """
        y = self.spec.y
        dev = y - y.mean()
        return float(1.0 - (self.innovations @ self.innovations) / (dev @ dev))

    # ------------------------------------------------------------------ derived objects
    def impacts(
        self,
        method: ImpactsMethod = "auto",
        *,
        inference: ImpactsInference | None = "simulation",
        draws: int = 1000,
        seed: int | Sequence[int] | None = 0,
        order: int = 100,
        traces: TraceMethod = "auto",
        probes: int = 50,
        multiplier: Any = None,
        horizon: ImpactsHorizon = "short",
    ) -> Impacts:
        """Direct, indirect and total impacts of each regressor, with inference.

        Implements LeSage & Pace (2009, s. 2.7): the mean diagonal (direct) and mean row sum
        (total) of ``S_r = (I - rho W)^{-1}(beta_r I + theta_r W)``; see
        :func:`naeringsmiljo.inference.impacts.compute_impacts` for the details.

        Parameters
        ----------
        method : {"auto", "exact", "eigen", "trace"}
            ``"exact"``: dense inverse of ``I - rho W`` per draw (small n). ``"eigen"``:
            eigenvalues of W, once (and eigenvectors when its row sums differ; small n).
            ``"trace"``: power series in rho of ``tr(W^k)/n`` truncated at ``order``, row sums by
            sparse solves; no dense ``n x n`` matrix (large n). ``"auto"``: eigen up to 1,000
            units (exact if the eigenvectors are ill-conditioned), trace above. Models without
            rho use the closed form whatever the method.
        inference : {"simulation", "delta"} or None
            Simulation from the asymptotic normal distribution of the estimates, with draws whose
            rho leaves the parameter interval discarded (counted in ``draws_discarded``); the
            delta method; or point estimates only. Models without rho get exact analytic
            standard errors (their impacts are linear in the coefficients).
        draws : int
            Number of parameter draws.
        seed : int, tuple of int or None, default 0
            Seed of the draws and of Monte Carlo traces (``numpy.random.SeedSequence``
            entropy). The fixed default makes every call reproducible; pass other seeds to vary
            the draws, or None for fresh entropy (recorded in ``Impacts.seed``).
        order : int
            Truncation order of the trace series, and highest order of ``Impacts.by_order``.
        traces : {"auto", "exact", "monte_carlo"}
            Traces of ``W^k`` for the trace method: exact (up to 2,000 units under ``"auto"``)
            or Monte Carlo estimates with ``probes`` probe vectors.
        probes : int
            Probe vectors of the Monte Carlo traces.
        multiplier : optional
            A prebuilt evaluator from :func:`naeringsmiljo.inference.impacts.make_multiplier` for these
            weights, to reuse its eigenvalues or traces across calls (``method``, ``traces`` and
            ``probes`` are then ignored).
        horizon : {"short", "long"}
            Dynamic panels: the impacts within the period, of
            ``(I - rho W)^{-1}(beta I + theta W)`` (the default), or at the steady state, of
            ``((1 - tau) I - (rho + eta) W)^{-1}(beta I + theta W)`` (Debarsy, Ertur & LeSage
            2012; Elhorst 2014, s. 4.4), with simulated inference from the same draws of the
            parameters (draws of an unstable process are discarded and counted, see
            :func:`naeringsmiljo.inference.dynamic.long_run`).

        Returns
        -------
        Impacts

        Raises
        ------
        ParameterSpaceError
            If rho lies outside the interval where ``I - rho W`` is invertible.
        """
        check_choice("method", method, ImpactsMethod, context="(impacts method)")
        check_choice("inference", inference, ImpactsInference | None)
        check_choice("traces", traces, TraceMethod)
        check_choice("horizon", horizon, ImpactsHorizon)
        seed = seed_streams(seed).seed
        if horizon == "long":
            return self._long_run_impacts(
                method, inference, draws, seed, order, traces, probes, multiplier
            )
        if self.spec.terms.combined is not None or any(t.combined for t in self.spec.terms):
            return self._channel_impacts(inference, draws, seed)
        sample = None
        if inference == "simulation" and "rho" in self.params.index:
            sample = self.parameter_draws(draws, seed=seed)
        return compute_impacts(
            self.params,
            self.spec.regressor_names,
            LAG_PREFIX,
            self._impact_weights(),
            self.model,
            method,
            cov=self.cov,
            inference=inference,
            draws=draws,
            seed=seed,
            order=order,
            traces=traces,
            probes=probes,
            multiplier=multiplier,
            df_resid=self.df_resid,
            sample=sample,
        )

    def _long_run_impacts(
        self,
        method: ImpactsMethod,
        inference: ImpactsInference | None,
        draws: int,
        seed: int | tuple[int, ...],
        order: int,
        traces: TraceMethod,
        probes: int,
        multiplier: Any,
    ) -> Impacts:
        """Long-run impacts of a dynamic panel: the short-run computation at the long-run
        parameters (:func:`naeringsmiljo.inference.dynamic.long_run`) and their draws."""
        if not getattr(self.spec, "dynamic_names", ()):
            raise SpecificationError(
                "Long-run impacts are those of a dynamic panel (dynamic= in from_formula); this "
                "model has no lags of the outcome."
            )
        if inference == "delta":
            raise SpecificationError(
                "Long-run impacts take inference='simulation' (or None), not the delta method."
            )
        sample = self.parameter_draws(draws, seed=seed) if inference is not None else None
        params, transformed, unstable = long_run(self.params, sample, self.spec.weights)
        cov = None
        if transformed is not None:
            finite = transformed[np.isfinite(transformed).all(axis=1)]
            if len(finite) < 2:
                raise ParameterSpaceError(
                    f"{unstable} of {draws} parameter draws make the process unstable; the "
                    "long-run impacts have no simulated distribution."
                )
            cov = pd.DataFrame(
                np.cov(finite, rowvar=False), index=params.index, columns=params.index
            )
        result = compute_impacts(
            params,
            self.spec.regressor_names,
            LAG_PREFIX,
            self._impact_weights(),
            f"{self.model} (long run)",
            method,
            cov=cov,
            inference=inference,
            draws=draws,
            seed=seed,
            order=order,
            traces=traces,
            probes=probes,
            multiplier=multiplier,
            sample=transformed,
        )
        if unstable:
            note = f"{unstable} draw(s) of an unstable process (no long run) discarded"
            result = replace(result, notes=(*result.notes, note))
        return result

    def _channel_impacts(
        self, inference: ImpactsInference | None, draws: int, seed: int | tuple[int, ...]
    ) -> Any:
        """Impacts of a model with combined weights, with the indirect impact by channel."""
        from naeringsmiljo.inference.channels import channel_impacts

        terms = self.spec.terms
        if terms.lag is not None and not isinstance(self.ml, ChannelInference):
            raise SpecificationError(
                "Impacts of a lag of y that combines several matrices are computed from its ML "
                "fit (method='ml')."
            )
        if inference not in (None, "simulation"):
            raise SpecificationError(
                "Impacts with combined weights use inference='simulation' or None."
            )
        lik = self.ml.lik if isinstance(self.ml, ChannelInference) else None
        channel_term = next(t for t in terms if t.combined)
        channels = channel_term.channel_names
        regressors = self.spec.regressor_names
        names = list(self.params.index)
        beta_idx = [names.index(r) for r in regressors]
        lag = terms.lag
        lag_names = lag.parameter_names if lag is not None else []
        lag_idx = [names.index(p) for p in lag_names]
        durbin = terms.durbin
        convex = channel_term.combine == "convex"
        if durbin is not None and durbin.combined and not convex:
            theta_idx = [
                [
                    names.index(f"{LAG_PREFIX}{c}_{r}") if f"{LAG_PREFIX}{c}_{r}" in names else -1
                    for r in regressors
                ]
                for c in channels
            ]
        elif durbin is not None:
            theta_idx = [
                [names.index(LAG_PREFIX + r) if LAG_PREFIX + r in names else -1 for r in regressors]
            ]
        else:
            theta_idx = []
        mix_idx = [names.index("gamma_" + c) for c in channels] if convex else []
        if lag is not None and not lag.combined:
            raise SpecificationError(
                "Impacts with combined weights need the combination in the lag of y."
            )

        def coefficient(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            beta = values[beta_idx]
            m = len(channels)
            gamma = values[mix_idx] if convex else np.ones(m)
            delta = lag.coefficients(values[lag_idx]) if lag is not None else np.zeros(m)
            theta = np.zeros((m, len(regressors)))
            if len(theta_idx) == m and not convex:
                for j, row in enumerate(theta_idx):
                    theta[j] = [values[i] if i >= 0 else 0.0 for i in row]
            elif theta_idx:
                common = np.array([values[i] if i >= 0 else 0.0 for i in theta_idx[0]])
                theta = gamma[:, None] * common[None, :]
            return beta, theta, delta

        sample = self.parameter_draws(draws, seed=seed) if inference == "simulation" else None
        return channel_impacts(
            coefficient, self.params, sample, lik, regressors, channels, self.model, seed
        )

    def fixed_effects(self) -> pd.DataFrame:
        """The fixed effects of a panel fit with their standard errors.

        A frame indexed by ``(effect, id)`` with ``estimate``, ``std_error``, ``zstat`` and
        ``pvalue``: the entity effects, the period effects, and for two-way effects a constant
        with both sets centred on zero (Elhorst 2014, s. 3.2); see
        :func:`naeringsmiljo.inference.panel_effects.recover_fixed_effects`.

        Examples
        --------
        >>> import naeringsmiljo as nm
        >>> data, w = nm.datasets.produc(), nm.datasets.produc_weights().row_standardize()
        >>> res = nm.SAR.from_formula(
        ...     "np.log(gsp) ~ np.log(pcap) + np.log(pc) + np.log(emp) + unemp", data, w,
        ...     effects="entity").fit()
        >>> res.fixed_effects().loc["entity"].shape
        (48, 4)
        """
        return recover_fixed_effects(self.spec, self.params, self.cov, self.sigma2)

    def _impact_weights(self) -> Any:
        return impact_weights(self.spec)

    def parameter_draws(self, draws: int, *, seed: int | Sequence[int] | None = 0) -> np.ndarray:
        """Draws of the parameter vector from ``N(params, cov)``, one row per draw.

        The draws every simulation-based quantity (impacts) is computed from; a posterior
        results class returns its posterior draws instead. Parameters held fixed (zero
        variance) stay at their values. ``seed`` is the entropy of
        ``numpy.random.SeedSequence``; the draws use its second child stream, as
        :func:`naeringsmiljo.inference.impacts.compute_impacts` does.
        """
        if int(draws) != draws or draws < 2:
            raise SpecificationError(f"draws must be an integer of at least 2, got {draws!r}.")
        if isinstance(self.ml, ChannelInference):
            return self.ml.draws(self.params.to_numpy(), int(draws), seed_streams(seed).draws)
        return normal_draws(
            self.params.to_numpy(), self.cov.to_numpy(), int(draws), seed_streams(seed).draws
        )

    def with_covariance(self, cov: pd.DataFrame, cov_type: str) -> SpatialResults:
        """A new results object with another covariance; the estimates are not refitted."""
        return replace(self, cov=cov, cov_type=cov_type)

    def with_cov(
        self, kind: Any, *, df_correction: bool = False, kernel: Any = None
    ) -> SpatialResults:
        """The same estimates with another covariance estimator, without refitting.

        ML fits: ``"information"``, ``"hessian"``, ``"sandwich"``, or an estimator object such
        as ``InformationMatrix(path="sparse")``. Spatial 2SLS fits (and the
        second step of the Kelejian-Prucha GS2SLS): ``"hom"``, ``"het"``, ``"hac"`` (with
        ``kernel`` from :func:`naeringsmiljo.inference.covariance.hac_kernel`). The GM error estimators'
        covariances belong to their moment variant; refit with another ``variant`` instead.
        """
        names = list(self.params.index)
        if self.ml is not None:
            switched = self.ml.with_estimator(kind)
            k = len(names)
            full = switched.covariance()
            return replace(
                self,
                cov=pd.DataFrame(full[:k, :k], index=names, columns=names),
                cov_type=switched.label,
                sigma2_se=float(np.sqrt(full[k, k])),
                ml=switched,
            )
        if self.iv is not None:
            block = self.iv.covariance(kind, df_correction=df_correction, kernel=kernel)
            k = block.shape[0]
            cov = self.cov.to_numpy().copy()
            cov[:k, :k] = block
            label = f"2SLS, {kind}" + (" (divisor n-k)" if df_correction else "")
            return replace(self, cov=pd.DataFrame(cov, index=names, columns=names), cov_type=label)
        if self.bias_correction in ("bootstrap", "score"):
            loaded = (
                f" (bias_correction={self.bias_correction!r}: the ML covariances are of the ML "
                "estimate, not of the corrected one)"
            )
        elif self.record.method == "ml":
            loaded = (
                " (results loaded from a file keep no likelihood when it did not pickle, as on "
                "PARDISO factorisations)"
            )
        else:
            loaded = ""
        raise SpecificationError(
            f"The covariance of this {self.model} fit ({self.record.method}) cannot be "
            f"switched{loaded}; refit with the desired options."
        )

    def to_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Estimates, standard errors, t statistics, p-values and ``1 - alpha`` bounds."""
        ci = self.conf_int(alpha)
        return pd.DataFrame(
            {
                "estimate": self.params,
                "std_error": self.std_errors,
                "tstat": self.tstats,
                "pvalue": self.pvalues,
                "lower": ci["lower"],
                "upper": ci["upper"],
            }
        )

    def summary(self) -> Summary:
        """Text summary: model, formula, weights, sample, estimator, convergence and estimates.

        A :class:`~naeringsmiljo.results.display.Summary`: a string that prints as the text
        and shows as preformatted text in a notebook. The log-likelihood, AIC and BIC lines
        are left out for the moment estimators, which have no likelihood.
        """
        spec, rec = self.spec, self.record
        lines = [
            f"{self.model} regression results",
            "=" * 78,
            f"Dependent variable:  {spec.y_name}",
            f"Formula:             {spec.formula or '(arrays)'}",
            *self._weights_lines(),
            f"Observations:        {self.nobs}"
            + (
                f" ({len(spec.dropped)} dropped: {', '.join(f'{k} {len(v)}' for k, v in spec.drop_reasons.items())})"
                if len(spec.dropped)
                else ""
            ),
            *self._panel_lines(),
            f"Method:              {rec.method}"
            + (f", log-determinant {rec.logdet}" if rec.logdet else "")
            + (f" (stated error {rec.logdet_error:.1e})" if rec.logdet_error else ""),
        ]
        if len(set(rec.intervals.values())) > 1:
            width = max(21, *(len(name) + 14 for name in rec.intervals))
            lines += [
                f"Interval of {name}:".ljust(width) + f"({low:.6f}, {high:.6f})"
                for name, (low, high) in rec.intervals.items()
            ]
        elif rec.interval is not None:
            lines.append(f"Parameter interval:  ({rec.interval[0]:.6f}, {rec.interval[1]:.6f})")
        lines += [
            f"Optimiser:           {rec.optimizer}",
            f"Convergence:         {'yes' if rec.converged else 'NO'}: {rec.message}",
            *[
                f"On the boundary:     {name} (not an interior maximum; the standard errors "
                "do not apply)"
                for name in rec.boundary
            ],
            f"Covariance:          {self.cov_type}",
            *(
                [
                    f"Log-likelihood:      {self.loglik:.4f}    AIC: {self.aic:.4f}    BIC: {self.bic:.4f}"
                ]
                if math.isfinite(self.loglik)
                else []
            ),
            f"sigma^2:             {self.sigma2:.6g}    R^2: {self.r2:.4f}",
            "-" * 78,
            self._estimates_table(),
            "=" * 78,
        ]
        if self.vertex_tests is not None:
            table = self.vertex_tests[["loglik_alone", "LR", "pvalue"]]
            lines += [
                "Each matrix alone (LR test, chi-bar-square p-value):",
                table.to_string(float_format="{:.4f}".format),
                "=" * 78,
            ]
        return Summary("\n".join(lines))

    def _estimates_table(self) -> str:
        """The estimates as text, with the parameters held fixed shown as such."""
        frame = self.to_frame()
        text = frame.map("{:.6f}".format).astype(object)
        text.loc[list(self.fixed), ["std_error", "tstat", "pvalue", "lower", "upper"]] = ""
        text.loc[list(self.fixed), "std_error"] = "(fixed)"
        return text.to_string(justify="right")

    def _panel_lines(self) -> list[str]:
        """Entities, periods and effects of a panel; the Lee-Yu correction; none for a
        cross-section."""
        spec = self.spec
        effects = getattr(spec, "effects", None)
        if effects is None:
            return []
        lines = [
            (
                f"Panel:               {spec.n_units} entities x {spec.n_periods} periods, "
                f"effects={effects!r}"
            )
        ]
        if effects in ("time", "twoways"):
            convention = getattr(spec, "lag_convention", "")
            lines.append(
                "Lag convention:      "
                + ("Q(W y), the exact transform" if convention == "lag_then_demean" else "W(Q y)")
            )
        if effects in ("entity", "time", "twoways"):
            lines.append(
                "Lee-Yu correction:   "
                + (
                    "no (direct approach; sigma^2 biased for small T)"
                    if not self.bias_correction
                    else "yes (transformation approach, Lee & Yu 2010)"
                    + {
                        "bootstrap": "; iterative bootstrap bias correction (Everaert & Pozzi "
                        "2007)",
                        "score": "; adjusted score, consistent at fixed T (Yang 2018)",
                    }.get(str(self.bias_correction), "")
                )
            )
        dynamic = getattr(spec, "dynamic_names", ())
        if dynamic:
            lags = {"tau": "tau y_{t-1}", "eta": "eta W y_{t-1}"}
            corrected = self.bias_correction is True and effects in ("entity", "twoways")
            lines.append(
                f"Dynamic:             {', '.join(lags[name] for name in dynamic)}; first period "
                "conditioned on; "
                + (
                    "score adjusted by its exact fixed-T mean"
                    if self.bias_correction == "score"
                    else "Yu-de Jong-Lee correction: " + ("yes" if corrected else "no")
                )
                + {
                    "delta": " (covariance: delta method through the correction)",
                    "ml": " (covariance: that of the uncorrected ML estimate)",
                }.get(self.correction_cov or "", "")
            )
        if self.random_effects is not None:
            lines.append(f"Error components:    {self.random_effects}")
        return lines

    def _weights_lines(self) -> list[str]:
        terms = list(self.spec.terms)
        if not terms or all(t.weights.equals(self.spec.weights) for t in terms):
            return [f"Weights:             {self.spec.weights.describe()}"]
        return ["Spatial terms:"] + [f"  {t.describe()}" for t in terms]

    def __repr__(self) -> str:
        fit = f"loglik={self.loglik:.4f}" if math.isfinite(self.loglik) else self.record.method
        return f"<SpatialResults {self.model}: n={self.nobs}, {fit}>"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write these results to ``path``; :func:`naeringsmiljo.load` reads them back.

        The file is a pickle with a format version, without caches: the weights keep their
        matrix and ids, and an ML fit keeps no likelihood (its log-determinant
        factorisations), so loaded ML results cannot switch covariance with
        :meth:`with_cov` (refit for that). Estimates, covariance, summaries, tables,
        impacts and diagnostics are as before saving.
        """
        from naeringsmiljo.results.storage import save_results

        save_results(self, path)

    def spatial_diagnostics(self, w: Any = None) -> Any:
        """Moran's I and the LM tests at the OLS estimate of this model's specification.

        Returns a :class:`naeringsmiljo.inference.diagnostics.SpatialDiagnostics` mapping keyed ``moran``,
        ``lm_error``, ``lm_lag``, ``rlm_error``, ``rlm_lag``, ``sarma``, ``lm_wx``, ``rlm_wx``.
        The tests are defined at the OLS estimate of the same design (including any ``W_x``),
        whatever model was fitted; a SAR/SDM fitted by spatial 2SLS also gets
        ``anselin_kelejian`` from its own residuals. See
        :func:`naeringsmiljo.inference.diagnostics.spatial_diagnostics`.

        Parameters
        ----------
        w : SpatialWeights, optional
            Weights for the tests (aligned by id); by default the model's own.
        """
        from naeringsmiljo.inference.diagnostics import spatial_diagnostics

        if self.spec.n_periods != 1:
            raise SpecificationError(
                "These are the cross-section tests (Anselin 1988); a panel's residuals are "
                "stacked over periods and need the panel forms of the tests (Anselin, Le Gallo & "
                "Jayet 2008; Debarsy & Ertur 2010)."
            )
        return spatial_diagnostics(self, w)

    # ------------------------------------------------------------------ prediction
    def _prediction_setup(self, what: str) -> tuple[ModelShape, np.ndarray, float, float]:
        """The model's shape, beta (of ``spec.x``), rho and lambda; refuses what is not covered."""
        terms = self.spec.terms
        if terms.combined is not None or any(t.combined for t in terms):
            raise SpecificationError(
                f"{what} of a model with combined weights (w={{...}}) is not available."
            )
        if self.spec.n_periods != 1:
            raise SpecificationError(f"{what} is available for cross-sections only.")
        beta = self.params[self.spec.exog_names].to_numpy(dtype=np.float64)
        rho = float(self.params["rho"]) if terms.lag is not None else 0.0
        lam = float(self.params["lambda"]) if terms.error is not None else 0.0
        shape = ModelShape(self.model, terms.lag is not None, terms.error is not None)
        return shape, beta, rho, lam

    def predict(
        self,
        *,
        kind: PredictionKind,
        newdata: pd.DataFrame | None = None,
        w: SpatialWeights | None = None,
    ) -> pd.Series:
        """Predictions of the outcome, in sample or for new units (R spatialreg's ``predict``).

        The predictors of Goulard, Laurent & Thomas-Agnan (2017), with the definitions of R
        spatialreg's ``predict.Sarlm`` (see :mod:`naeringsmiljo.inference.prediction` and
        ``docs/prediction.md``):

        ``"trend"``
            ``X beta``, with ``W X theta`` for Durbin models (every model).
        ``"TC"``
            The reduced form ``(I - rho W)^{-1} X beta``: the expected outcome given X (models
            with rho).
        ``"TS"``
            Trend and signal, in sample: the fitted values ``rho W y + X beta``, or
            ``X beta + lambda W (y - X beta)`` for SEM/SDEM (not SAC/GNS).
        ``"BP"``
            The best predictor, using the observed outcomes of the other units: in sample each
            unit given all the others, for new units the new given the fitted (models with rho).

        For SAC and GNS, ``"TC"`` and ``"BP"`` use rho alone, as spatialreg does (which warns
        that they were developed for the lag model). For OLS and SLX every kind equals
        ``"trend"``.

        Parameters
        ----------
        kind : {"trend", "TC", "TS", "BP"}
            The predictor; required (none is right for every purpose). Out of sample: trend,
            TC and BP (trend only for SEM/SDEM).
        newdata : pandas.DataFrame, optional
            New units, indexed by id (none of them fitted), with the columns the formula needs
            (the outcome is not needed). Without it, the fitted units are predicted.
        w : SpatialWeights, optional
            With ``newdata``: the weights of the fitted and the new units together, exactly
            those ids (aligned by id), with the transform they should have over all units
            (row-standardise the full matrix). The lagged regressors of Durbin models, TC and
            BP use them. Not needed for ``"trend"`` of a model without lagged regressors.

        Returns
        -------
        pandas.Series
            By unit id, named ``kind``.

        Raises
        ------
        SpecificationError
            If ``kind`` is not defined for the model (the message names the kinds that are),
            ``newdata`` repeats fitted ids, ``w`` is missing, or the model's terms use
            different weights.
        IdMismatchError
            If the ids of ``w`` are not the fitted and the new ids.

        Examples
        --------
        >>> from naeringsmiljo import SAR, datasets
        >>> data, w = datasets.columbus(), datasets.columbus_weights("anselin").row_standardize()
        >>> res = SAR.from_formula("CRIME ~ INC + HOVAL", data, w).fit()
        >>> res.predict(kind="BP").round(3).iloc[:2].tolist()
        [13.317, 20.901]
        """
        check_choice("kind", kind, PredictionKind)
        shape, beta, rho, lam = self._prediction_setup("Prediction")
        spec = self.spec
        if newdata is None:
            if w is not None:
                raise SpecificationError(
                    "w= is for new units (newdata=); in sample the fitted weights are used."
                )
            return predict_in_sample(
                kind,
                shape,
                spec.y,
                spec.x,
                beta,
                rho,
                lam,
                spec.term_weights("y").sparse,
                spec.term_weights("error").sparse,
                spec.ids,
            )
        shape.check(kind, in_sample=False)
        if not isinstance(newdata, pd.DataFrame):
            raise InputTypeError(
                f"newdata must be a pandas DataFrame, got {type(newdata).__name__}."
            )
        fitted = newdata.index.intersection(spec.ids)
        if len(fitted):
            raise SpecificationError(
                f"newdata contain {len(fitted)} fitted unit(s) ({list(fitted[:10])}); predict "
                "them in sample (without newdata=)."
            )
        n_base = len(spec.exog_names) - len(spec.lagged)
        base = spec.exog_names[:n_base]
        x_new = new_regressors(spec.formula, newdata, base)
        if w is None:
            if kind != "trend" or spec.lagged:
                raise SpecificationError(
                    f"kind={kind!r} for new units needs w=, the weights of the fitted and the "
                    "new units."
                )
            return predict_out_of_sample(
                kind, shape, spec.y, np.vstack([spec.x, x_new]), beta, rho, None, newdata.index
            )
        if not isinstance(w, SpatialWeights):
            raise InputTypeError(f"w must be a SpatialWeights, got {type(w).__name__}.")
        for term in self.spec.terms:
            if not term.weights.equals(spec.weights):
                raise SpecificationError(
                    "Prediction for new units takes one matrix of all units (w=); this model's "
                    f"{term.kind!r} term has weights of its own."
                )
        try:
            w_all = w.reorder(spec.ids.append(newdata.index))
        except IdMismatchError as err:
            raise IdMismatchError(
                f"w must cover exactly the fitted and the new units: {err}",
                missing_in_weights=err.missing_in_weights,
                missing_in_data=err.missing_in_data,
            ) from None
        x_base = np.vstack([spec.x[:, :n_base], x_new])
        lagged = [base.index(name) for name in spec.lagged]
        x_all = np.column_stack([x_base, w_all.sparse @ x_base[:, lagged]])
        return predict_out_of_sample(
            kind, shape, spec.y, x_all, beta, rho, w_all.sparse, newdata.index
        )

    def _scenario_coefficients(self, columns: Sequence[str]) -> Coefficients:
        names = list(self.params.index)
        return Coefficients(
            beta=np.array([names.index(c) for c in columns], dtype=np.intp),
            theta=np.array(
                [names.index(LAG_PREFIX + c) if LAG_PREFIX + c in names else -1 for c in columns],
                dtype=np.intp,
            ),
            rho=names.index("rho") if self.spec.terms.lag is not None else -1,
        )

    def scenario(
        self,
        changes: pd.DataFrame | Mapping[str, pd.Series],
        *,
        draws: int = 1000,
        seed: int | Sequence[int] | None = 0,
        alpha: float = 0.05,
    ) -> pd.DataFrame:
        """The effect of a policy scenario (a change of regressors) on every unit's expected y.

        ``(I - rho W)^{-1}(dX beta + W dX theta)`` (LeSage & Pace 2009, s. 2.7): the change
        ``dX`` works through the spatial multiplier (SAR, SDM, SAC, GNS) or locally and on the
        neighbours through ``W dX theta`` only (SEM, SDEM, SLX; the error term does not move
        the mean). Intervals come from :meth:`parameter_draws` (draws whose rho leaves the
        parameter interval are discarded, as for simulated impacts).

        Parameters
        ----------
        changes : pandas.DataFrame or mapping of str to pandas.Series
            Changes of regressors (columns named as in :attr:`params`, not lagged) by unit id;
            units not listed do not change. ``{"INC": pd.Series({5: 1.0, 6: 1.0})}`` raises
            INC by 1 in units 5 and 6.
        draws : int
            Parameter draws for the intervals.
        seed : int, tuple of int or None, default 0
            Entropy of the draws (the default makes every call reproducible).
        alpha : float
            The intervals cover ``1 - alpha``.

        Returns
        -------
        pandas.DataFrame
            By unit id (every fitted unit): ``effect`` at the estimates, ``std_error`` (the
            standard deviation over the draws), ``lower`` and ``upper`` (percentiles of the
            draws). ``attrs`` holds ``draws`` kept, ``discarded`` and ``seed``.

        Raises
        ------
        IdMismatchError
            If ``changes`` name units that were not fitted.
        FormulaError
            If ``changes`` name a column that is not a regressor of the model.
        """
        alpha = check_alpha(alpha)
        self._prediction_setup("A scenario")
        self._impact_weights()  # refuses a lag of X with weights of its own
        frame = pd.DataFrame(dict(changes)) if isinstance(changes, Mapping) else changes
        if not isinstance(frame, pd.DataFrame):
            raise InputTypeError(
                f"changes must be a DataFrame or a dict of Series, got {type(changes).__name__}."
            )
        valid = self.spec.regressor_names
        unknown = [str(c) for c in frame.columns if c not in valid]
        if unknown:
            raise FormulaError(
                f"changes name {unknown}, which are not regressors of the model; regressors: "
                f"{valid}."
            )
        absent = frame.index.difference(self.spec.ids, sort=False)
        if len(absent):
            raise IdMismatchError(
                f"changes name {len(absent)} unit(s) that were not fitted: {list(absent[:10])}.",
                missing_in_data=tuple(absent),
            )
        columns = [str(c) for c in frame.columns]
        delta = frame.reindex(self.spec.ids).fillna(0.0).to_numpy(dtype=np.float64)
        if not np.isfinite(delta).all():
            raise MissingDataError("changes contain infinite values.")
        seed = seed_streams(seed).seed
        sample = self.parameter_draws(draws, seed=seed)
        lag = self.spec.terms.lag
        result = simulate_scenario(
            delta,
            self.params.to_numpy(),
            sample,
            self._scenario_coefficients(columns),
            self.spec.term_weights("y").sparse,
            self.spec.term_weights("x").sparse,
            lag.weights.parameter_interval() if lag is not None else (-np.inf, np.inf),
            self.spec.ids,
            alpha,
            seed,
        )
        out = result.frame
        out.attrs.update(draws=result.draws, discarded=result.discarded, seed=result.seed)
        return out

    def unit_impacts(self) -> pd.DataFrame:
        """Direct, indirect and total impact of each regressor on each unit, for maps.

        For ``S_r = (I - rho W)^{-1}(beta_r I + theta_r W)`` (LeSage & Pace 2009, s. 2.7):
        direct = the diagonal ``[S_r]_ii``, total = the row sum (the effect on unit ``i`` of
        raising ``x_r`` by one in every unit), indirect = total minus direct. Their means over
        units are the summary impacts of :meth:`impacts`. Point estimates; sparse solves only.

        Returns
        -------
        pandas.DataFrame
            By unit id, columns ``(regressor, "direct" | "indirect" | "total")``.
        """
        self._prediction_setup("Unit impacts")
        self._impact_weights()
        names = self.spec.regressor_names
        where = self._scenario_coefficients(names)
        beta, theta, rho = where.of(self.params.to_numpy())
        return unit_impacts(
            names,
            beta,
            theta,
            rho,
            self.spec.term_weights("y").sparse,
            self.spec.term_weights("x").sparse,
            self.spec.ids,
        )


def impact_weights(spec: Design) -> SpatialWeights:
    """The weights of the impacts' multiplier: the lag of y's, else those of the lags of X."""
    terms = spec.terms
    if terms.lag is not None:
        if terms.durbin is not None and not terms.durbin.weights.equals(terms.lag.weights):
            raise SpecificationError(
                "Impacts of a model whose lags of X use other weights than the lag of y "
                "(w_durbin=) are not available: the multiplier (I - rho W_1)^{-1} W_3 mixes "
                "two matrices; compute them from results.params."
            )
        return terms.lag.weights
    return terms.durbin.weights if terms.durbin is not None else spec.weights
