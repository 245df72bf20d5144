"""Exact (or stated-error) maximum likelihood for the Gaussian spatial models.

Builds the concentrated likelihood from the design and the model's spatial terms (each term's
log-determinant from its own weights), maximises it with the searches of
:mod:`naeringsmiljo.estimators.ml_search`, and computes the covariance with an estimator from
:mod:`naeringsmiljo.inference.covariance`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from naeringsmiljo._options import DENSE_MATRIX_LIMIT, LogDetMethod, closest
from naeringsmiljo._progress import fit_progress, progress_bar
from naeringsmiljo.design.terms import TermKind
from naeringsmiljo.estimators.base import FitProblem, register
from naeringsmiljo.estimators.ml_bootstrap import (
    BOOTSTRAP_STARTS,
    BootstrapCorrection,
    PanelProcess,
    bootstrap_correction,
    check_bootstrap,
)
from naeringsmiljo.estimators.ml_channels import fit_channels
from naeringsmiljo.estimators.ml_random import fit_random_effects
from naeringsmiljo.estimators.ml_score import ScoreEstimate, adjusted_score_fit
from naeringsmiljo.estimators.ml_search import (
    VALUES_SEARCH,
    boundary_message,
    fit_fixed,
    fit_one_parameter,
    fit_two_parameters,
    flat_directions,
    flat_message,
    on_boundary,
)
from naeringsmiljo.exceptions import (
    ConvergenceWarning,
    OptionError,
    ParameterSpaceError,
    SpecificationError,
)
from naeringsmiljo.inference.covariance import (
    CovarianceEstimator,
    MLInference,
    MLProblem,
    covariance_estimator,
)
from naeringsmiljo.inference.dynamic import (
    CorrectionMap,
    DynamicCoefficients,
    spectrum,
    stability_modulus,
)
from naeringsmiljo.inference.dynamic import bias_correction as ydjl_correction
from naeringsmiljo.likelihood.gaussian import ConcentratedLikelihood, MLEstimate
from naeringsmiljo.records import FitRecord
from naeringsmiljo.results.spatial import SpatialResults
from naeringsmiljo.weights.logdet import LogDeterminant, make_logdet
from naeringsmiljo.weights.spatial_weights import (
    DENSE_EIGEN_LIMIT,
    LANCZOS_EIGEN_LIMIT,
    BoundsMethod,
    SpatialWeights,
)


@dataclass(frozen=True)
class MLOptions:
    """Options of ``fit(method="ml")``.

    Attributes
    ----------
    logdet : str
        How ``ln|I - v W|`` is evaluated (:func:`naeringsmiljo.weights.logdet.make_logdet`).
    cov : str or covariance estimator
        ``"information"``, ``"hessian"``, ``"sandwich"`` or an estimator object.
    fixed : mapping, optional
        Spatial parameters held at given values instead of estimated.
    progress : bool
        Show a progress bar of the likelihood evaluations (each a log-determinant, a sparse
        factorisation at large n) on a terminal.
    bias_correction : {False, True, "bootstrap", "score"}
        Fixed-effects panels: True takes the Lee & Yu (2010) transformation approach instead
        of the direct one (:meth:`naeringsmiljo.design.panel.PanelDesign.likelihood_shape`),
        which removes the incidental-parameter bias of sigma^2 (entity effects) and of every
        parameter (time effects), plus the analytic Yu-de Jong-Lee correction of a dynamic
        panel. ``"bootstrap"`` corrects the transformation approach's ML estimates by the
        iterative bootstrap of Everaert & Pozzi (2007) instead
        (:mod:`naeringsmiljo.estimators.ml_bootstrap`), with the bootstrap covariance.
        ``"score"`` (dynamic panels with entity or two-way effects) solves the likelihood's
        score equations less their exact fixed-T mean instead, the M-estimator of Yang (2018),
        consistent at fixed T (:mod:`naeringsmiljo.estimators.ml_score`), with its sandwich
        covariance. Default False, the estimates of spreg and R splm.
    replications : int, optional
        ``bias_correction="bootstrap"``: samples per bootstrap evaluation (default 200).
    seed : int, optional
        ``bias_correction="bootstrap"``: the seed of the bootstrap draws (required).
    bootstrap_start : {"observed", "stationary"}
        ``bias_correction="bootstrap"`` of a dynamic panel: the first period of the simulated
        samples, the observed one (default) or a draw from the process after a burn-in from
        its steady state, with the pre-sample regressors' variation drawn independently of
        the sample's (:mod:`naeringsmiljo.estimators.ml_bootstrap`; closer to unbiased for
        ``tau`` when the process ran long before the sample).
    correction_cov : {"delta", "ml"}, optional
        ``bias_correction=True`` on a dynamic panel with entity or two-way effects: the
        covariance of the Yu-de Jong-Lee corrected estimate. ``"delta"`` (the default there)
        is the delta method's ``J V J'``, ``J`` the Jacobian of the correction map at the ML
        estimate (:class:`naeringsmiljo.inference.dynamic.CorrectionMap`) and ``V`` the ML
        covariance; ``"ml"`` is ``V`` itself, as Yu, de Jong & Lee (2008) report it, whose
        intervals of ``tau`` and ``sigma^2`` under-cover at small T
        (``benchmarks/results/panel_dynamic.md``). Given where no such correction is applied,
        an :class:`~naeringsmiljo.exceptions.OptionError`.
    """

    logdet: LogDetMethod = field(default="auto", metadata={"doc": "log-determinant method"})
    cov: str | CovarianceEstimator = "information"
    fixed: Mapping[str, float] | None = None
    progress: bool = False
    bias_correction: Literal[False, True, "bootstrap", "score"] = False
    replications: int | None = None
    seed: int | None = None
    bootstrap_start: Literal["observed", "stationary"] = "observed"
    correction_cov: Literal["delta", "ml"] | None = None


def refined_interval(
    weights: SpatialWeights, interval: tuple[float, float], value: float
) -> tuple[float, float]:
    """The parameter interval of ``weights`` from tighter eigenvalue bounds, where ``value``
    (an estimate or a fixed value) reaches an end of ``interval``.

    The default bounds are exact up to ``DENSE_EIGEN_LIMIT`` units, safe Lanczos bounds (a few
    per cent inside the true interval for kNN weights) up to ``LANCZOS_EIGEN_LIMIT`` and the
    norm bound above (the upper end is exact for row-standardised weights at every size). The
    exact interval (dense eigenvalues, up to ``DENSE_MATRIX_LIMIT`` units) or the Lanczos one
    replaces ``interval`` when it is wider at the end nearer to ``value``; otherwise
    ``interval`` is returned unchanged.
    """
    if weights.n <= DENSE_EIGEN_LIMIT:
        return interval
    method: BoundsMethod = "dense" if weights.n <= DENSE_MATRIX_LIMIT else "lanczos"
    if method == "lanczos" and weights.n <= LANCZOS_EIGEN_LIMIT:
        return interval
    low, high = weights.parameter_interval(method)
    if abs(value - interval[0]) <= abs(value - interval[1]):
        wider = low < interval[0] * (1 + 1e-9)
        return (low, interval[1]) if wider else interval
    wider = high > interval[1] * (1 + 1e-9)
    return (interval[0], high) if wider else interval


@register
class MaximumLikelihood:
    """The concentrated-likelihood ML estimator of every Gaussian model of the package."""

    name: ClassVar[str] = "ml"
    options_type: ClassVar[type] = MLOptions
    families: ClassVar[tuple[str, ...]] = ("gaussian",)

    def check(self, problem: FitProblem) -> None:
        if problem.spec.endog:
            raise SpecificationError("Endogenous regressors need method='gmm'.")

    def fit(self, problem: FitProblem, options: MLOptions) -> SpatialResults:
        spec = problem.spec
        bootstrap = options.bias_correction == "bootstrap"
        if bootstrap:
            replications, seed = check_bootstrap(spec, options.replications, options.seed)
            if options.fixed:
                raise SpecificationError(
                    "bias_correction='bootstrap' estimates every parameter; drop fixed=."
                )
            if options.bootstrap_start not in BOOTSTRAP_STARTS:
                raise OptionError(
                    f"bootstrap_start={options.bootstrap_start!r}; give one of "
                    f"{', '.join(repr(s) for s in BOOTSTRAP_STARTS)}.",
                    option="bootstrap_start",
                    value=options.bootstrap_start,
                )
        elif options.replications is not None or options.seed is not None:
            raise OptionError(
                "replications= and seed= are options of bias_correction='bootstrap'.",
                option="seed" if options.seed is not None else "replications",
                value=options.seed if options.seed is not None else options.replications,
            )
        correction_cov = _correction_cov(spec, options)
        score = options.bias_correction == "score"
        if score:
            _check_score(spec, options)
        if getattr(spec, "effects", None) == "random":
            return fit_random_effects(problem, options.cov, bool(options.bias_correction))
        fixed = dict(options.fixed or {})
        unknown = sorted(set(fixed) - set(problem.spatial_params))
        if unknown:
            raise OptionError(
                f"{problem.name} cannot fix {unknown}; its spatial parameters: "
                f"{problem.spatial_params}."
                + "".join(closest(u, problem.spatial_params) for u in unknown),
                option="fixed",
                value=unknown,
                allowed=tuple(problem.spatial_params),
            )
        if spec.terms.combined is not None:
            if options.logdet not in ("auto", "lu", "monte_carlo"):
                raise SpecificationError(
                    "A term that combines several matrices is fitted with exact sparse LU "
                    "log-determinants (logdet='auto' or 'lu') or the trace series "
                    f"(logdet='monte_carlo'), not {options.logdet!r}."
                )
            if not isinstance(options.cov, str):
                raise SpecificationError("Give the covariance of a combined-weights fit by name.")
            if options.logdet == "monte_carlo":
                return fit_channels(problem, options.cov, fixed, "monte_carlo")
            return fit_channels(problem, options.cov, fixed)
        estimator = covariance_estimator(options.cov)
        if estimator.name == "sandwich" and fixed:
            raise SpecificationError(
                "The sandwich covariance is not defined with fixed parameters."
            )
        terms = spec.terms.parametric
        term_weights = {t.parameter: t.weights for t in terms if t.parameter is not None}
        intervals = {name: w.parameter_interval() for name, w in term_weights.items()}
        for name, value in fixed.items():
            low, high = intervals[name]
            if not low < value < high:
                intervals[name] = refined_interval(term_weights[name], intervals[name], value)
            low, high = intervals[name]
            if not low < value < high:
                raise ParameterSpaceError(
                    f"{name} = {value} lies outside the interval {(low, high)} where "
                    f"I - {name} W is invertible."
                )
        lik, problem_weights = self._likelihood(
            problem, options.logdet, fixed, bool(options.bias_correction)
        )
        bar = progress_bar(
            total=None,
            desc=f"{problem.name} by ML: likelihood evaluations",
            unit="evaluation",
            enabled=options.progress,
        )
        lik.tick = bar.update
        try:
            est = self._estimate(problem, lik, intervals, fixed)
            # A safe interval that is narrower than the true one (Lanczos bounds above
            # DENSE_EIGEN_LIMIT units) is refined only when the estimate reaches its end.
            estimates = {"rho": est.rho, "lambda": est.lam}
            refined = {
                name: refined_interval(term_weights[name], intervals[name], estimates[name])
                for name in est.record.boundary
            }
            if any(refined[name] != intervals[name] for name in refined):
                intervals |= refined
                est = self._estimate(problem, lik, intervals, fixed)
        finally:
            lik.tick = None  # the results keep the likelihood, not the bar
            bar.close()
        for logdet in {id(lik.logdet): lik.logdet, id(lik.error_logdet): lik.error_logdet}.values():
            release = getattr(logdet, "release_factor", None)
            if release is not None:  # the results keep the likelihood, not the factor's memory
                release()
        if not est.record.converged:
            warnings.warn(f"{problem.name}: {est.record.message}", ConvergenceWarning, stacklevel=4)
        names = problem.param_names
        ml_problem = MLProblem(
            lik,
            est,
            "rho" in problem.spatial_params,
            "lambda" in problem.spatial_params,
            *problem_weights,
        )
        free = np.ones(ml_problem.size, dtype=bool)
        for name in fixed:
            free[names.index(name)] = False
        with fit_progress(options.progress):  # bars of the covariance's probes, if asked
            inference = MLInference.evaluate(ml_problem, free, estimator)
        full = inference.covariance()
        k = len(names)
        spatial_values = {"rho": est.rho, "lambda": est.lam}
        values = np.concatenate([est.beta, [spatial_values[p] for p in problem.spatial_params]])
        sigma2, record = est.sigma2, est.record
        cov_type = inference.label
        adjusted: BootstrapCorrection | ScoreEstimate | None = None
        if bootstrap:
            adjusted = self._bootstrap(
                problem,
                lik,
                intervals,
                np.append(values, sigma2),
                replications,
                seed,
                options.bootstrap_start,
            )
        elif score:
            adjusted = self._adjusted_score(
                problem, lik, np.append(values, sigma2), full, intervals.get("rho")
            )
        if adjusted is not None:  # estimates and covariance replaced by the correction's
            values, sigma2, full = adjusted.estimate[:k], float(adjusted.estimate[k]), adjusted.cov
            cov_type = adjusted.label
            record = replace(
                record,
                converged=record.converged and adjusted.converged,
                message=f"{record.message}; {adjusted.message}",
            )
            if not adjusted.converged:
                warnings.warn(
                    f"{problem.name}: {adjusted.message}", ConvergenceWarning, stacklevel=4
                )
        if correction_cov is not None:  # the analytic correction of a dynamic panel
            correction_map = CorrectionMap(
                inference,
                estimator,
                tuple(names),
                spec.weights,
                spec.likelihood_shape(True)[2],  # type: ignore[attr-defined]
            )
            ml_theta = np.append(values, sigma2)
            corrected_theta = correction_map(ml_theta)
            values, sigma2 = corrected_theta[:k], float(corrected_theta[k])
            if correction_cov == "delta":
                jacobian = correction_map.jacobian(ml_theta, np.sqrt(np.diag(full)))
                inference = inference.with_jacobian(
                    jacobian, "delta method through the Yu-de Jong-Lee correction"
                )
                full, cov_type = inference.covariance(), inference.label
        if getattr(spec, "dynamic", None) is not None:
            record = _check_stability(problem, values, record)
        return SpatialResults(
            model=problem.name,
            params=pd.Series(values, index=names, name="estimate"),
            cov=pd.DataFrame(full[:k, :k], index=names, columns=names),
            sigma2=sigma2,
            loglik=est.loglik,
            spec=spec,
            record=record,
            cov_type=cov_type,
            innovations=est.innovations,
            sigma2_se=float(np.sqrt(full[k, k])),
            fixed=tuple(fixed),
            family=problem.family,
            # a corrected fit has no ML covariance of its estimate to switch to
            ml=None if adjusted is not None else inference,
            bias_correction=options.bias_correction,
            correction_cov=correction_cov,
        )

    @staticmethod
    def _bootstrap(
        problem: FitProblem,
        lik: ConcentratedLikelihood,
        intervals: dict[str, tuple[float, float]],
        ml: np.ndarray,
        replications: int,
        seed: int,
        start: str = "observed",
    ) -> BootstrapCorrection:
        """The iterative bootstrap correction of the ML estimates ``ml`` (with ``sigma^2``
        last): each simulated sample is fitted with the data's likelihood (the same
        observations count, log-determinant and search) on its own ``y`` and ``X``."""
        names = problem.param_names

        def refit(y: np.ndarray, x: np.ndarray) -> np.ndarray:
            est = MaximumLikelihood._estimate(problem, replace(lik, y=y, x=x), intervals, {})
            spatial = {"rho": est.rho, "lambda": est.lam}
            return np.concatenate(
                [est.beta, [spatial[p] for p in problem.spatial_params], [est.sigma2]]
            )

        process = PanelProcess(
            problem.spec,  # type: ignore[arg-type]
            names,
            intervals.get("rho"),
            start,
        )
        return bootstrap_correction(process, refit, ml, replications, seed)

    @staticmethod
    def _adjusted_score(
        problem: FitProblem,
        lik: ConcentratedLikelihood,
        ml: np.ndarray,
        cov: np.ndarray,
        interval: tuple[float, float] | None,
    ) -> ScoreEstimate:
        """The adjusted-score M-estimate of a dynamic panel from the transformation approach's
        data (``lik``: the within-transformed outcome, its lag and regressors), started at the
        Yu-de Jong-Lee corrected estimate (its first-order approximation), then at the ML
        estimate ``ml`` (``sigma^2`` last; ``cov`` its covariance), with ``rho`` inside
        ``interval``."""
        spec = problem.spec
        deflated = spec.likelihood_shape(True)[2]  # type: ignore[attr-defined]
        names = problem.param_names
        shift = ydjl_correction(pd.Series(ml[:-1], index=names), cov, spec.weights, deflated)
        return adjusted_score_fit(
            lik.y,
            lik.wy,
            lik.x,
            names,
            spectrum(spec.weights, deflated),
            spec.n_periods,
            lik.n,
            [(ml + shift)[:-1], ml[:-1]],
            spec.weights,
            deflated,
            interval if interval is not None else (-np.inf, np.inf),
        )

    @staticmethod
    def _likelihood(
        problem: FitProblem,
        method: LogDetMethod,
        fixed: Mapping[str, float],
        bias_correction: bool = False,
    ) -> tuple[ConcentratedLikelihood, tuple]:
        """The concentrated likelihood of the model's terms, and the weights of its matrices.

        One log-determinant per distinct weights matrix; the joint search over two free
        parameters asks for exact derivatives (``derivatives=True``).
        """
        spec = problem.spec
        lag, error = spec.terms.lag, spec.terms.error
        derivatives = len([p for p in problem.spatial_params if p not in fixed]) == 2
        first = lag if lag is not None else error
        shape = getattr(spec, "likelihood_shape", None)
        if shape is None and bias_correction:
            raise SpecificationError(
                "bias_correction=True is the Lee-Yu correction of fixed-effects panels; this "
                "model is a cross-section."
            )
        nobs, multiplicity, deflated = (
            shape(bias_correction) if shape is not None else (None, 1, False)
        )
        if deflated and spec.n_units > DENSE_MATRIX_LIMIT:
            raise SpecificationError(
                "The Lee-Yu transformation approach with time effects is available up to "
                f"{DENSE_MATRIX_LIMIT} entities (its information matrix is dense); the bias it "
                "corrects is of order 1/N."
            )
        within = getattr(spec, "within_operator", None)
        project = within() if within is not None else None
        if first is None:
            lik = ConcentratedLikelihood(
                spec.y,
                spec.x,
                spec.weights.sparse,
                None,
                lag=spec.lag_operator("x"),  # stacked periods: (I_T ⊗ W), not W
                nobs=nobs,
                project=project,
            )
            return lik, (spec.weights,)
        logdet: LogDeterminant = make_logdet(first.weights, method, derivatives=derivatives)
        kind: TermKind = "y" if lag is not None else "error"
        own_error = lag is not None and error is not None and not spec.terms.shared_weights
        lik = ConcentratedLikelihood(
            spec.y,
            spec.x,
            first.weights.sparse,
            logdet,
            w_error=error.weights.sparse if own_error else None,  # type: ignore[union-attr]
            error_logdet=(
                make_logdet(error.weights, method, derivatives=derivatives)  # type: ignore[union-attr]
                if own_error
                else None
            ),
            multiplicity=multiplicity,
            lag=spec.lag_operator(kind),
            lag_error=spec.lag_operator("error") if own_error else None,
            nobs=nobs,
            deflated=deflated,
            project=project,
        )
        weights = (first.weights, error.weights) if own_error else (first.weights,)  # type: ignore[union-attr]
        return lik, weights

    @staticmethod
    def _estimate(
        problem: FitProblem,
        lik: ConcentratedLikelihood,
        intervals: dict[str, tuple[float, float]],
        fixed: dict[str, float],
    ) -> MLEstimate:
        params = problem.spatial_params
        if not params:  # the likelihood's own count of observations (Lee-Yu for panels)
            return lik.estimate(0.0, 0.0, FitRecord(method="ml"))
        free = [p for p in params if p not in fixed]
        if len(free) == 2:
            est = fit_two_parameters(lik, intervals["rho"], error_interval=intervals["lambda"])
        elif len(free) == 1:
            other = fixed.get("lambda" if free[0] == "rho" else "rho", 0.0)
            est = fit_one_parameter(lik, free[0], intervals[free[0]], other=other)
        else:
            est = fit_fixed(
                lik, fixed.get("rho", 0.0), fixed.get("lambda", 0.0), intervals[params[0]]
            )
        record = replace(est.record, interval=intervals[params[0]], intervals=intervals)
        if free:
            record = MaximumLikelihood._check_maximum(lik, est, free, intervals, record)
        return replace(est, record=record)

    @staticmethod
    def _check_maximum(
        lik: ConcentratedLikelihood,
        est: MLEstimate,
        free: list[str],
        intervals: dict[str, tuple[float, float]],
        record: FitRecord,
    ) -> FitRecord:
        """The record of an estimate on the boundary or on a flat likelihood: not converged.

        A free spatial parameter within ``BOUNDARY_RTOL`` of an end of its interval is on the
        boundary (:func:`~naeringsmiljo.estimators.ml_search.on_boundary`); an interior root of
        the score where the likelihood has no negative curvature in some direction is a flat
        likelihood (:func:`~naeringsmiljo.estimators.ml_search.flat_directions`). The flatness
        check takes ``2 p`` score evaluations, skipped when the log-determinant's derivative is
        a costly factorisation (PARDISO: large n, where a flat likelihood needs exact symmetry).
        """
        at = {"rho": est.rho, "lambda": est.lam}
        values = {p: at[p] for p in free}
        boundary = on_boundary(values, intervals)
        if boundary:
            return replace(
                record,
                converged=False,
                boundary=boundary,
                message=boundary_message(values, intervals, boundary),
            )
        searched = [lik.logdet if p == "rho" else lik.error_logdet for p in free]
        if (
            not record.converged
            or record.optimizer.startswith(VALUES_SEARCH)  # checked its own curvature
            or not all(getattr(logdet, "cheap_derivative", True) for logdet in searched)
        ):
            return record
        index = [0 if p == "rho" else 1 for p in free]

        def score(theta: np.ndarray) -> np.ndarray:
            point = dict(at)
            point.update(zip(free, (float(t) for t in theta), strict=True))
            return np.asarray(lik.score(point["rho"], point["lambda"]))[index]

        theta = np.array([values[p] for p in free])
        if not flat_directions(score, theta, [intervals[p] for p in free], lik.n):
            return record
        return replace(record, converged=False, message=flat_message(free, list(theta)))


def _correction_cov(spec: object, options: MLOptions) -> Literal["delta", "ml"] | None:
    """The covariance of the Yu-de Jong-Lee correction, None where it is not applied.

    The analytic correction is applied with ``bias_correction=True`` to a dynamic panel with
    entity or two-way effects (:func:`naeringsmiljo.inference.dynamic.bias_correction`);
    ``correction_cov`` defaults to ``"delta"`` there and is an error anywhere else.
    """
    applied = (
        options.bias_correction is True
        and getattr(spec, "dynamic", None) is not None
        and getattr(spec, "effects", None) in ("entity", "twoways")
    )
    if applied:
        return options.correction_cov or "delta"
    if options.correction_cov is not None:
        raise OptionError(
            f"correction_cov={options.correction_cov!r} chooses the covariance of the "
            "Yu-de Jong-Lee correction, applied by bias_correction=True to a dynamic panel "
            "(dynamic=) with effects='entity' or 'twoways'; this fit applies none "
            f"(bias_correction={options.bias_correction!r}, "
            f"dynamic={getattr(spec, 'dynamic', None)!r}, "
            f"effects={getattr(spec, 'effects', None)!r}). Drop correction_cov=.",
            option="correction_cov",
            value=options.correction_cov,
            allowed=("delta", "ml"),
        )
    return None


def _check_score(spec: object, options: MLOptions) -> None:
    """``bias_correction="score"`` needs a dynamic panel with entity or two-way effects and
    every parameter free."""
    effects = getattr(spec, "effects", None)
    if getattr(spec, "dynamic", None) is None or effects not in ("entity", "twoways"):
        raise SpecificationError(
            "bias_correction='score' is the adjusted-score estimator of a dynamic panel "
            "(dynamic=) with effects='entity' or 'twoways', where conditioning on the first "
            f"period biases the score; this model has dynamic={getattr(spec, 'dynamic', None)!r}"
            f", effects={effects!r}. Static fixed-effects panels: bias_correction=True."
        )
    if options.fixed:
        raise SpecificationError("bias_correction='score' estimates every parameter; drop fixed=.")
    if not (isinstance(options.cov, str) and options.cov == "information"):
        raise OptionError(
            "bias_correction='score' reports the sandwich of its adjusted score; cov= "
            f"({options.cov!r}) chooses among ML covariances and does not apply.",
            option="cov",
            value=options.cov,
        )


def _check_stability(problem: FitProblem, values: np.ndarray, record: FitRecord) -> FitRecord:
    """The record of a dynamic panel's estimate, not converged when it is not stable.

    An unstable estimate (``tau + eta + rho >= 1`` for row-standardised W) lies outside the
    parameter space of the model: not converged, with a :class:`ConvergenceWarning`. The
    estimate checked is the reported one (after any bias correction).
    """
    weights = problem.spec.weights
    c = DynamicCoefficients.of(values, problem.param_names)
    modulus = float(stability_modulus(c.tau, c.eta, c.rho, weights)[0])
    if modulus < 1.0:
        return record
    message = (
        f"the estimated process is not stable: the largest eigenvalue modulus of "
        f"(I - rho W)^-1 (tau I + eta W) is {modulus:.6g} >= 1 (tau + eta + rho < 1 is needed "
        "with row-standardised W), outside the parameter space of the dynamic model"
    )
    warnings.warn(f"{problem.name}: {message}", ConvergenceWarning, stacklevel=5)
    if not record.converged:  # keep what else went wrong (an adjusted score without a root)
        message = f"{record.message}; {message}"
    return replace(record, converged=False, message=message)
