"""Spatial regression models: one base class, and each model a few declarative lines.

Every model is a restriction of the general nesting spatial model (Elhorst 2014, s. 2.3)

.. math::

    y = \\rho W y + X\\beta + W X\\theta + u, \\qquad u = \\lambda W u + \\varepsilon,

fixed by three class attributes: whether it has ``rho``, whether it has ``lambda``, and whether
the regressors are lagged by default (``durbin``). Durbin terms belong to the specification, so
``SAR.from_formula(..., durbin=["x"])`` is a valid SDM with a subset of lags.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from naeringsmiljo import specification
from naeringsmiljo._options import FitMethod, IslandPolicy, LogDetMethod, MissingPolicy
from naeringsmiljo.covariance import (
    COVARIANCES,
    CovarianceEstimator,
    IVProblem,
    MLProblem,
    covariance_from_information,
    evaluate_information,
    iv_covariance,
    least_squares_covariance,
)
from naeringsmiljo.estimation import gmm
from naeringsmiljo.estimation.gmm import GMMVariant
from naeringsmiljo.estimation.ml import (
    ConcentratedLikelihood,
    FitRecord,
    MLEstimate,
    fit_fixed,
    fit_least_squares,
    fit_one_parameter,
    fit_two_parameters,
)
from naeringsmiljo.exceptions import ConvergenceWarning, ParameterSpaceError
from naeringsmiljo.results import SpatialResults
from naeringsmiljo.specification import Durbin, Specification
from naeringsmiljo.weights.logdet import make_logdet
from naeringsmiljo.weights.spatial_weights import SpatialWeights


class SpatialModel:
    """Base class: builds the specification, dispatches ``fit`` to an estimator.

    Parameters
    ----------
    spec : Specification
        Validated data and weights; build it with :meth:`from_formula` or :meth:`from_arrays`.
    """

    has_rho: ClassVar[bool] = False
    has_lambda: ClassVar[bool] = False
    default_durbin: ClassVar[bool] = False
    #: ``fit``'s default: ML for models with spatial parameters; for OLS and SLX, least squares
    #: with the classical ``n - k`` covariance (the same estimates as ML, the usual inference).
    default_method: ClassVar[FitMethod] = "ml"
    description: ClassVar[str] = ""

    def __init__(self, spec: Specification) -> None:
        if not isinstance(spec, Specification):
            raise TypeError("Build models with from_formula() or from_arrays().")
        self.spec = spec

    @property
    def name(self) -> str:
        return type(self).__name__

    @classmethod
    def from_formula(
        cls,
        formula: str,
        data: pd.DataFrame,
        w: SpatialWeights,
        *,
        durbin: Durbin | None = None,
        id_column: str | None = None,
        missing: MissingPolicy = "raise",
        islands: IslandPolicy = "raise",
        endog: Sequence[str] = (),
        instruments: Sequence[str] = (),
    ) -> SpatialModel:
        """Specify the model by a Wilkinson formula (formulaic).

        Parameters
        ----------
        formula : str
            For example ``"CRIME ~ INC + HOVAL"``; an intercept is included unless removed.
        data : pandas.DataFrame
            Units in rows, identified by the index or by ``id_column``.
        w : SpatialWeights
            Weights whose ids are exactly the units of ``data`` (any order; aligned by id).
        durbin : bool or list of str, optional
            Regressors that also enter lagged as ``W_<name>``: ``True`` for every non-constant
            regressor, a list for a subset, ``False`` for none. The model's default otherwise
            (lagged for SLX, SDM, SDEM, GNS).
        id_column : str, optional
            Column of ``data`` with the unit ids (default: the index).
        missing : {"raise", "drop"}
            NaN or infinite values raise :class:`~naeringsmiljo.exceptions.MissingDataError`
            naming the rows, or drop those units from the data and the weights (the transform is
            re-applied and the dropped ids are recorded in the results).
        islands : {"raise", "keep", "drop"}
            Units without neighbours raise :class:`~naeringsmiljo.exceptions.IslandError`, are
            kept (their spatial lags are zero), or are dropped.
        endog, instruments : list of str, optional
            Regressors of the formula that are endogenous, and the data columns that instrument
            them (with their spatial lags), for ``fit(method="gmm")``.

        Examples
        --------
        >>> from naeringsmiljo import SAR, datasets
        >>> data, w = datasets.columbus(), datasets.columbus_weights("anselin")
        >>> res = SAR.from_formula("CRIME ~ INC + HOVAL", data, w.row_standardize()).fit()
        >>> round(float(res.params["rho"]), 5)
        0.43102
        """
        spec = specification.from_formula(
            formula,
            data,
            w,
            durbin=cls.default_durbin if durbin is None else durbin,
            id_column=id_column,
            missing=missing,
            islands=islands,
            endog=endog,
            instruments=instruments,
        )
        return cls(spec)

    @classmethod
    def from_arrays(
        cls,
        y: Any,
        x: Any,
        w: SpatialWeights,
        *,
        ids: Sequence[Hashable] | pd.Index | None = None,
        durbin: Durbin | None = None,
        add_intercept: bool = True,
        missing: MissingPolicy = "raise",
        islands: IslandPolicy = "raise",
    ) -> SpatialModel:
        """Specify the model by arrays or pandas objects (ids from ``ids`` or their index)."""
        spec = specification.from_arrays(
            y,
            x,
            w,
            ids=ids,
            durbin=cls.default_durbin if durbin is None else durbin,
            add_intercept=add_intercept,
            missing=missing,
            islands=islands,
        )
        return cls(spec)

    # ------------------------------------------------------------------ estimation
    @property
    def spatial_params(self) -> list[str]:
        """The spatial parameters of the model, among ``rho`` and ``lambda``."""
        return ["rho"] * self.has_rho + ["lambda"] * self.has_lambda

    @property
    def param_names(self) -> list[str]:
        return list(self.spec.exog_names) + self.spatial_params

    def fit(
        self,
        *,
        method: FitMethod | None = None,
        logdet: LogDetMethod = "auto",
        cov: str | CovarianceEstimator | None = None,
        fixed: Mapping[str, float] | None = None,
        variant: GMMVariant | None = None,
        w_lags: int = 2,
        max_iter: int = 1,
        df_correction: bool = False,
        hac_kernel: Any = None,
    ) -> SpatialResults:
        """Estimate the model.

        Parameters
        ----------
        method : {"ml", "ols"}, optional
            Maximum likelihood, the default for models with spatial parameters. ``"ols"``, the
            default for OLS and SLX, gives the same estimates with the classical covariance
            (divisor ``n - k``, t distribution); ``"ml"`` gives them the ML covariance (divisor n).
        logdet : {"auto", "eigen", "lu", "cholesky", "pardiso", "chebyshev", "monte_carlo", "spline"}
            How ``ln|I - rho W|`` is evaluated (:func:`naeringsmiljo.weights.logdet.make_logdet`):
            exactly by dense eigenvalues, sparse LU, sparse Cholesky (W similar to a symmetric
            matrix) or MKL PARDISO's parallel LU (optional, ``naeringsmiljo[fast]``), or
            approximately with a stated error that the results report (``record.logdet_error``).
            ``"auto"``: eigenvalues up to 1,000 units; PARDISO above 20,000 units when installed
            (one spatial parameter searched: the search then needs only a few exact values,
            see :func:`naeringsmiljo.estimation.ml.fit_one_parameter`); otherwise Cholesky where
            W allows it and LU.
        cov : str, optional
            ML: ``"information"`` (default; inverse analytic information matrix), ``"hessian"``
            (inverse numerical Hessian) or ``"sandwich"`` (quasi-ML), or an estimator object
            such as ``InformationMatrix(path="sparse", probes=100, seed=1)``; the information
            matrix is computed without ``n x n`` matrices above ``DENSE_MATRIX_LIMIT`` units
            (see :class:`naeringsmiljo.covariance.InformationMatrix`). Spatial 2SLS: ``"hom"``
            (default), ``"het"`` (White) or ``"hac"`` (Kelejian & Prucha 2007, needs
            ``hac_kernel``). GM error and GS2SLS estimators carry the covariance of their
            ``variant``.
        fixed : mapping, optional
            Spatial parameters held at given values instead of estimated, e.g. ``{"rho": 0.0}``
            (ML only; for likelihood-ratio tests and profiles); they get zero variance.
        variant : {"het", "hom", "kp99"}, optional
            GMM for models with lambda: heteroskedasticity-robust moments of Arraiz et al. (2010)
            (default), homoskedastic ones of Drukker, Egger & Prucha (2013), or the original
            three moments of Kelejian & Prucha (1999) (no standard error for lambda). SAC and GNS
            are fitted by heteroskedasticity-robust GS2SLS.
        w_lags : int, default 2
            GMM instruments: spatial lags of X up to this order beyond those in the model
            (``[X, WX, W^2X]`` for SAR with 2, R's default; spreg's default is 1).
        max_iter : int, default 1
            Rounds of re-estimation in the two-step GMM error estimators (spreg's default 1).
        df_correction : bool, default False
            Spatial 2SLS covariance with divisor ``n - k`` (R ``stsls``) instead of ``n`` (spreg).
        hac_kernel : scipy sparse array, optional
            Kernel matrix for ``cov="hac"``, from :func:`naeringsmiljo.covariance.hac_kernel`.

        Returns
        -------
        SpatialResults
        """
        fixed = dict(fixed or {})
        unknown = sorted(set(fixed) - set(self.spatial_params))
        if unknown:
            raise ValueError(
                f"{self.name} cannot fix {unknown}; its spatial parameters: {self.spatial_params}."
            )
        method = self.default_method if method is None else method
        if method == "ols":
            return self._fit_least_squares()
        if method == "gmm":
            if fixed:
                raise ValueError("fixed= is available for ML fits only.")
            return self._fit_gmm(variant, w_lags, max_iter, cov or "hom", df_correction, hac_kernel)
        if method != "ml":
            raise ValueError(f"Unknown method {method!r}; use 'ml', 'gmm' or 'ols'.")
        if self.spec.endog:
            raise ValueError("Endogenous regressors need method='gmm'.")
        cov = cov or "information"
        if isinstance(cov, str) and cov not in COVARIANCES:
            raise ValueError(f"Unknown covariance {cov!r}; available: {sorted(COVARIANCES)}.")
        if cov == "sandwich" and fixed:
            raise ValueError("The sandwich covariance is not defined with fixed parameters.")
        return self._fit_ml(logdet, cov, fixed)

    def _fit_least_squares(self) -> SpatialResults:
        if self.has_rho or self.has_lambda:
            raise ValueError(f"method='ols' is inconsistent for {self.name}; use method='ml'.")
        spec = self.spec
        est = fit_least_squares(spec.y, spec.x)
        cov, s2 = least_squares_covariance(spec.x, est.innovations)
        names = spec.exog_names
        return SpatialResults(
            model=self.name,
            params=pd.Series(est.beta, index=names, name="estimate"),
            cov=pd.DataFrame(cov, index=names, columns=names),
            sigma2=s2,
            loglik=est.loglik,
            spec=spec,
            record=FitRecord(method="ols", message="closed-form least squares"),
            cov_type="classical OLS, s^2 = e'e/(n-k)",
            innovations=est.innovations,
            df_resid=spec.nobs - len(names),
        )

    def _fit_ml(
        self, logdet: LogDetMethod, cov: str | CovarianceEstimator, fixed: dict[str, float]
    ) -> SpatialResults:
        spec = self.spec
        spatial = bool(self.spatial_params)
        interval = spec.weights.parameter_interval() if spatial else None
        for name, value in fixed.items():
            if not interval[0] < value < interval[1]:  # type: ignore[index]
                raise ParameterSpaceError(
                    f"{name} = {value} lies outside the interval {interval} where I - {name} W is invertible."
                )
        free_spatial = [p for p in self.spatial_params if p not in fixed]
        lik = ConcentratedLikelihood(
            spec.y,
            spec.x,
            spec.weights.sparse,
            make_logdet(spec.weights, logdet, derivatives=len(free_spatial) == 2)
            if spatial
            else None,
        )
        est = self._estimate(lik, interval, fixed)
        release = getattr(lik.logdet, "release_factor", None)
        if release is not None:  # the results keep the likelihood, not the factor's memory
            release()
        if not est.record.converged:
            warnings.warn(f"{self.name}: {est.record.message}", ConvergenceWarning, stacklevel=3)
        problem = MLProblem(lik, est, self.has_rho, self.has_lambda, spec.weights)
        estimator = COVARIANCES[cov]() if isinstance(cov, str) else cov
        information = evaluate_information(estimator, problem)
        free = np.ones(problem.size, dtype=bool)
        names = self.param_names
        for name in fixed:
            free[names.index(name)] = False
        full = covariance_from_information(information.matrix, free)
        k = len(names)
        spatial_values = {"rho": est.rho, "lambda": est.lam}
        values = np.concatenate([est.beta, [spatial_values[p] for p in self.spatial_params]])
        return SpatialResults(
            model=self.name,
            params=pd.Series(values, index=names, name="estimate"),
            cov=pd.DataFrame(full[:k, :k], index=names, columns=names),
            sigma2=est.sigma2,
            loglik=est.loglik,
            spec=spec,
            record=est.record,
            cov_type=information.label,
            innovations=est.innovations,
            sigma2_se=float(np.sqrt(full[k, k])),
            fixed=tuple(fixed),
            extra={
                "ml_problem": problem,
                "free": free,
                "information_accuracy": information.accuracy,
            },
        )

    def _fit_gmm(
        self,
        variant: GMMVariant | None,
        w_lags: int,
        max_iter: int,
        cov: str,
        df_correction: bool,
        hac_kernel: Any,
    ) -> SpatialResults:
        spec = self.spec
        w = spec.weights.sparse
        if not self.spatial_params:
            raise ValueError(f"{self.name} has no spatial parameter; use method='ols'.")
        interval = spec.weights.parameter_interval()
        bounds = (max(interval[0], -0.99999), min(interval[1], 0.99999))
        needs_h = self.has_rho or bool(spec.endog)
        h = None
        if needs_h:
            h, _ = gmm.instrument_matrix(
                spec.x,
                spec.exog_names,
                w,
                w_lags=w_lags,
                endog=spec.endog,
                external=spec.instruments,
                lagged=spec.lagged,
            )
        z = np.column_stack([spec.x, w @ spec.y]) if self.has_rho else spec.x
        extra: dict[str, Any] = {}
        if self.has_rho and not self.has_lambda:
            if variant is not None:
                raise ValueError(f"variant= applies to models with lambda, not {self.name}.")
            est = gmm.s2sls(spec.y, z, h)  # type: ignore[arg-type]
            problem = IVProblem(h, z, est.resid)  # type: ignore[arg-type]
            covariance = iv_covariance(problem, cov, df_correction=df_correction, kernel=hac_kernel)
            cov_type = f"2SLS, {cov}" + (" (divisor n-k)" if df_correction else "")
            extra = {"iv_problem": problem}
        elif (self.has_rho or spec.endog) and variant == "kp99":
            est = gmm.gs2sls_kp99(spec.y, z, h, w, bounds=bounds)  # type: ignore[arg-type]
            k = z.shape[1]
            problem = IVProblem(h, est.extra["z"], est.innovations)  # type: ignore[arg-type]
            covariance = est.cov
            covariance[:k, :k] = iv_covariance(
                problem, cov, df_correction=df_correction, kernel=hac_kernel
            )
            cov_type = f"second-step 2SLS, {cov}" + (" (divisor n-k)" if df_correction else "")
            cov_type += "; none for lambda"
            extra = {"iv_problem": problem}
        else:
            variant = variant or "het"
            if cov != "hom" or df_correction or hac_kernel is not None:
                raise ValueError(
                    "The GM error and heteroskedasticity-robust GS2SLS estimators carry the "
                    "covariance of their variant; choose it with variant='het'|'hom'|'kp99'."
                )
            if self.has_rho or spec.endog:
                if variant != "het":
                    raise ValueError(
                        f"{self.name} is estimated by GS2SLS with variant='het' (Arraiz et al. "
                        "2010) or variant='kp99' (Kelejian & Prucha 1998), not 'hom'."
                    )
                est = gmm.gs2sls_het(spec.y, z, h, w, bounds=bounds, max_iter=max_iter)  # type: ignore[arg-type]
            else:
                est = gmm.gm_error(
                    spec.y, spec.x, w, variant=variant, bounds=bounds, max_iter=max_iter
                )
            covariance = est.cov
            cov_type = {
                "het": "heteroskedasticity-robust GMM",
                "hom": "homoskedastic GMM",
                "kp99": "FGLS for beta (sigma^2 = e'e/n); none for lambda",
            }[variant]
        names = self.param_names
        values = np.concatenate([est.coefficients] + ([[est.lam]] if est.lam is not None else []))
        if variant is not None:
            extra["variant"] = variant
        record = FitRecord(
            method="gmm",
            interval=interval,
            optimizer=est.description
            + (f"; w_lags={w_lags}" if needs_h else "")
            + (f"; {est.iterations} iteration(s)" if est.iterations else ""),
            message="closed-form moments (exact roots)",
        )
        return SpatialResults(
            model=self.name,
            params=pd.Series(values, index=names, name="estimate"),
            cov=pd.DataFrame(covariance, index=names, columns=names),
            sigma2=est.sigma2,
            loglik=float("nan"),
            spec=spec,
            record=record,
            cov_type=cov_type,
            innovations=est.innovations,
            extra=extra,
        )

    def _estimate(
        self,
        lik: ConcentratedLikelihood,
        interval: tuple[float, float] | None,
        fixed: dict[str, float],
    ) -> MLEstimate:
        if interval is None:
            return replace(fit_least_squares(lik.y, lik.x), record=FitRecord(method="ml"))
        free = [p for p in self.spatial_params if p not in fixed]
        if len(free) == 2:
            return fit_two_parameters(lik, interval)
        if len(free) == 1:
            other = fixed.get("lambda" if free[0] == "rho" else "rho", 0.0)
            return fit_one_parameter(lik, free[0], interval, other=other)
        return fit_fixed(lik, fixed.get("rho", 0.0), fixed.get("lambda", 0.0), interval)

    def __repr__(self) -> str:
        return f"<{self.name}: {self.spec.formula or 'arrays'}, n={self.spec.nobs}>"


class OLS(SpatialModel):
    """Linear regression without spatial terms (the benchmark of every specification search)."""

    default_method = "ols"
    description = "y = X beta + e"


class SLX(SpatialModel):
    """Spatial lag of X (Halleck Vega & Elhorst 2015): ``y = X beta + W X theta + e``."""

    default_durbin = True
    default_method = "ols"
    description = "y = X beta + W X theta + e"


class SAR(SpatialModel):
    """Spatial autoregressive (spatial lag) model (Anselin 1988, ch. 6): ``y = rho W y + X beta + e``."""

    has_rho = True
    description = "y = rho W y + X beta + e"


class SDM(SpatialModel):
    """Spatial Durbin model (LeSage & Pace 2009, s. 2.2): ``y = rho W y + X beta + W X theta + e``."""

    has_rho = True
    default_durbin = True
    description = "y = rho W y + X beta + W X theta + e"


class SEM(SpatialModel):
    """Spatial error model (Anselin 1988, ch. 6): ``y = X beta + u, u = lambda W u + e``."""

    has_lambda = True
    description = "y = X beta + u, u = lambda W u + e"


class SDEM(SpatialModel):
    """Spatial Durbin error model (LeSage & Pace 2009): ``y = X beta + W X theta + u, u = lambda W u + e``."""

    has_lambda = True
    default_durbin = True
    description = "y = X beta + W X theta + u, u = lambda W u + e"


class SAC(SpatialModel):
    """Spatial autoregressive combined model (Kelejian & Prucha 1998; LeSage & Pace 2009 'SAC').

    ``y = rho W y + X beta + u, u = lambda W u + e``.
    """

    has_rho = True
    has_lambda = True
    description = "y = rho W y + X beta + u, u = lambda W u + e"


class GNS(SpatialModel):
    """General nesting spatial model (Elhorst 2014, s. 2.3).

    ``y = rho W y + X beta + W X theta + u, u = lambda W u + e``; weakly identified in practice
    (Elhorst 2014, s. 2.7), but the nest that every other model restricts.
    """

    has_rho = True
    has_lambda = True
    default_durbin = True
    description = "y = rho W y + X beta + W X theta + u, u = lambda W u + e"


MODELS: dict[str, type[SpatialModel]] = {
    cls.__name__: cls for cls in (OLS, SLX, SAR, SDM, SEM, SDEM, SAC, GNS)
}
