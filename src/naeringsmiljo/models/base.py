"""Spatial regression models: one base class, and each model a few declarative lines.

Every model is a restriction of the general nesting spatial model (Elhorst 2014, s. 2.3)

.. math::

    y = \\rho W_1 y + X\\beta + W_3 X\\theta + u, \\qquad u = \\lambda W_2 u + \\varepsilon,

declared by its spatial terms (:mod:`naeringsmiljo.design.terms`): which of the lag of y and the
lag of the error it has, and whether the regressors are lagged by default (``durbin``). Each term
takes its weights: ``w`` for all of them unless ``w_error=`` (the error term) or ``w_durbin=``
(the lags of X) say otherwise. Durbin terms belong to the design, so
``SAR.from_formula(..., durbin=["x"])`` is a valid SDM with a subset of lags.

The model orchestrates: ``fit(method=..., **options)`` finds the estimator in the registry
(:mod:`naeringsmiljo.estimators`), validates the options by name and hands it the model.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar

import pandas as pd

from naeringsmiljo._options import (
    DynamicLags,
    FitMethod,
    IslandPolicy,
    LagConvention,
    MissingPolicy,
    PanelEffects,
    check_choice,
)
from naeringsmiljo.design import cross_section, panel
from naeringsmiljo.design.base import Design
from naeringsmiljo.design.cross_section import Durbin
from naeringsmiljo.design.outcomes import Family, check_family_outcome
from naeringsmiljo.design.terms import Combine, TermKind
from naeringsmiljo.estimators import parse_options, resolve
from naeringsmiljo.exceptions import InputTypeError, SpecificationError
from naeringsmiljo.results.spatial import SpatialResults
from naeringsmiljo.weights.spatial_weights import SpatialWeights


class SpatialModel:
    """Base class: builds the design, hands ``fit`` to an estimator from the registry.

    Parameters
    ----------
    spec : Design
        Validated data and weights; build it with :meth:`from_formula` or :meth:`from_arrays`.
    """

    #: The parametric spatial terms: ``"y"`` (``rho W y``) and/or ``"error"`` (``lambda W u``).
    terms: ClassVar[tuple[TermKind, ...]] = ()
    default_durbin: ClassVar[bool] = False
    #: ``fit``'s default: ML for models with spatial parameters; for OLS and SLX, least squares
    #: with the classical ``n - k`` covariance (the same estimates as ML, the usual inference).
    default_method: ClassVar[FitMethod] = "ml"
    #: The outcome family: the distribution of y given the design (estimators check it).
    family: ClassVar[Family] = "gaussian"
    description: ClassVar[str] = ""

    def __init__(self, spec: Design) -> None:
        if not hasattr(spec, "terms") or not hasattr(spec, "lag"):
            raise InputTypeError("Build models with from_formula() or from_arrays().")
        check_family_outcome(self.family, spec.y, spec.ids, spec.y_name)
        self.spec = spec

    @property
    def name(self) -> str:
        return type(self).__name__

    #: Derived from ``terms`` for every subclass: whether the model has rho / lambda.
    has_rho: ClassVar[bool] = False
    has_lambda: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.has_rho = "y" in cls.terms
        cls.has_lambda = "error" in cls.terms

    @classmethod
    def _check_weights(
        cls,
        w: SpatialWeights | Mapping[str, SpatialWeights],
        w_error: SpatialWeights | None,
        combine: Combine | None,
    ) -> Combine:
        if w_error is not None and "error" not in cls.terms:
            raise SpecificationError(
                f"{cls.__name__} has no error term; w_error= applies to SEM, SDEM, SAC and GNS."
            )
        if not isinstance(w, Mapping):
            if combine is not None:
                raise SpecificationError(
                    "combine= says how several weights matrices enter the model; give them as "
                    'w={"geo": W1, "collab": W2}.'
                )
            return "convex"
        check_choice("combine", combine, Combine | None)
        if len(cls.terms) == 2 and w_error is None:
            raise SpecificationError(
                f"{cls.__name__} combines the matrices of w= in its lag of y; give the error "
                "term's weights with w_error= (one matrix)."
            )
        return combine or "convex"

    @classmethod
    def from_formula(
        cls,
        formula: str,
        data: pd.DataFrame,
        w: SpatialWeights | Mapping[str, SpatialWeights],
        *,
        w_error: SpatialWeights | None = None,
        w_durbin: SpatialWeights | None = None,
        combine: Combine | None = None,
        durbin: Durbin | None = None,
        id_column: str | None = None,
        missing: MissingPolicy = "raise",
        islands: IslandPolicy = "raise",
        endog: Sequence[str] = (),
        instruments: Sequence[str] = (),
        effects: PanelEffects | None = None,
        lag_convention: LagConvention = "lag_then_demean",
        dynamic: DynamicLags | None = None,
    ) -> SpatialModel:
        """Specify the model by a Wilkinson formula (formulaic).

        Parameters
        ----------
        formula : str
            For example ``"CRIME ~ INC + HOVAL"``; an intercept is included unless removed.
        data : pandas.DataFrame
            Units in rows, identified by the index or by ``id_column``.
        w : SpatialWeights or mapping of str to SpatialWeights
            Weights whose ids are exactly the units of ``data`` (any order; aligned by id): the
            weights of every spatial term unless given separately below. Several named,
            row-standardised matrices, ``{"geo": W1, "collab": W2}`` (2 to 4), make the model's
            lag of y (SAR, SDM, SAC, GNS) or error (SEM, SDEM) combine them as ``combine`` says,
            and lag X with each of them (SDM, SDEM, SLX). A libpysal ``W`` or ``Graph`` is
            taken here and below in place of a SpatialWeights (converted with its ids by
            :meth:`SpatialWeights.from_libpysal`); a bare numpy or scipy matrix is refused,
            having no ids (wrap it with ``SpatialWeights.from_sparse(matrix, ids=...)``).
        w_error : SpatialWeights, optional
            Weights of the error term (``lambda W_2 u``) when they differ from ``w``: SAC and GNS
            with different matrices for the lag and the error (Anselin 1988, ch. 6).
        w_durbin : SpatialWeights, optional
            Weights of the lags of X (``W_3 X theta``) when they differ from ``w``.
        combine : {"convex", "separate"}, optional
            With several matrices in ``w``: ``"convex"`` (default) lags by
            ``W_c = sum_m gamma_m W_m`` with the mix ``gamma`` on the simplex, estimated
            (parameters ``rho`` and ``gamma_<name>``; Debarsy & LeSage 2018), and the lags of
            X enter as ``W_c X theta``; ``"separate"`` gives each matrix its own parameter,
            ``sum_m rho_m W_m y`` (``rho_<name>``; a higher-order lag, Lee & Liu 2010), and
            each matrix its own lags of X (``W_<name>_<x>``).
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
            Units without neighbours (in any of the weights) raise
            :class:`~naeringsmiljo.exceptions.IslandError`, are kept (their spatial lags are
            zero), or are dropped.
        endog, instruments : list of str, optional
            Regressors of the formula that are endogenous, and the data columns that instrument
            them (with their spatial lags), for ``fit(method="gmm")``.
        effects : {"none", "entity", "time", "twoways", "random"}, optional
            Makes the model a spatial panel (also implied by data indexed by a two-level
            ``MultiIndex`` (entity, time), then with ``"none"`` by default, as linearmodels'
            ``PanelOLS``): ``w`` is over the entities, the lags are ``(I_T ⊗ W)``, and the
            fixed effects are removed by the within transformation (ML on demeaned data,
            Elhorst 2014, ch. 3), or the entity effects are random (SAR, SDM, SEM, SDEM; ML of
            the error-components model). See :mod:`naeringsmiljo.design.panel` and
            ``docs/panels.md``.
        dynamic : {"time", "space", "spacetime"}, optional
            A dynamic panel (Yu, de Jong & Lee 2008): ``y_{t-1}`` (coefficient ``tau``),
            ``W y_{t-1}`` (``eta``) or both on the right-hand side, with fixed or no effects
            and the likelihood conditional on the first period; for OLS, SLX, SAR and SDM.
            ``fit(bias_correction=True)`` then also removes the ``O(1/T)`` bias of the
            dynamics, with the delta-method covariance of the corrected estimate
            (``correction_cov="delta"``; ``"ml"`` for the ML estimate's);
            ``fit(bias_correction="score")`` solves the score equations less their exact
            fixed-T mean instead (Yang 2018; consistent at fixed T). See ``docs/panels.md``.
        lag_convention : {"lag_then_demean", "demean_then_lag"}
            With time effects: ``Q(W y)`` (the exact transform, default) or ``W(Q y)`` (R
            splm).

        Raises
        ------
        IdMismatchError
            If the ids of the data and of any weights differ (the message names the argument
            and the ids).

        Examples
        --------
        >>> from naeringsmiljo import SAR, datasets
        >>> data, w = datasets.columbus(), datasets.columbus_weights("anselin")
        >>> res = SAR.from_formula("CRIME ~ INC + HOVAL", data, w.row_standardize()).fit()
        >>> round(float(res.params["rho"]), 5)
        0.43102
        """
        if (
            effects is not None
            or dynamic is not None
            or (isinstance(data, pd.DataFrame) and isinstance(data.index, pd.MultiIndex))
        ):
            return cls._panel(
                formula,
                data,
                w,
                effects="none" if effects is None else effects,
                durbin=durbin,
                missing=missing,
                islands=islands,
                lag_convention=lag_convention,
                dynamic=dynamic,
                unsupported={
                    "w_error": w_error,
                    "w_durbin": w_durbin,
                    "combine": combine,
                    "id_column": id_column,
                    "endog": list(endog) or None,
                    "instruments": list(instruments) or None,
                },
            )
        how = cls._check_weights(w, w_error, combine)
        spec = cross_section.from_formula(
            formula,
            data,
            w,
            kinds=cls.terms,
            w_error=w_error,
            w_durbin=w_durbin,
            combine=how,
            durbin=cls.default_durbin if durbin is None else durbin,
            id_column=id_column,
            missing=missing,
            islands=islands,
            endog=endog,
            instruments=instruments,
        )
        cls._check_durbin_weights(spec, w_durbin)
        return cls(spec)

    @classmethod
    def _panel(
        cls,
        formula: str,
        data: pd.DataFrame,
        w: Any,
        *,
        effects: PanelEffects,
        durbin: Durbin | None,
        missing: MissingPolicy,
        islands: IslandPolicy,
        lag_convention: LagConvention,
        unsupported: Mapping[str, Any],
        dynamic: DynamicLags | None = None,
    ) -> SpatialModel:
        """The model on a panel design (:func:`naeringsmiljo.design.panel.from_formula`)."""
        check_choice("effects", effects, PanelEffects)
        given = [name for name, value in unsupported.items() if value is not None]
        if given:
            raise SpecificationError(
                f"{given} are not available for spatial panels: a panel has one weights "
                "matrix over its entities, identified by the first level of the data's index."
            )
        if isinstance(w, Mapping):
            raise SpecificationError("A spatial panel takes one weights matrix, not several.")
        if effects == "random" and len(cls.terms) != 1:
            raise SpecificationError(
                f"Random effects are estimated for models with one spatial term (SAR, SDM, "
                f"SEM, SDEM); {cls.__name__} has {len(cls.terms)}."
            )
        if dynamic is not None and "error" in cls.terms:
            raise SpecificationError(
                f"Dynamic panels are estimated for OLS, SLX, SAR and SDM; {cls.__name__} has a "
                "spatial error term."
            )
        spec = panel.from_formula(
            formula,
            data,
            w,
            kinds=cls.terms,
            effects=effects,
            durbin=cls.default_durbin if durbin is None else durbin,
            missing=missing,
            islands=islands,
            lag_convention=lag_convention,
            dynamic=dynamic,
        )
        return cls(spec)

    @classmethod
    def from_arrays(
        cls,
        y: Any,
        x: Any,
        w: SpatialWeights | Mapping[str, SpatialWeights],
        *,
        w_error: SpatialWeights | None = None,
        w_durbin: SpatialWeights | None = None,
        combine: Combine | None = None,
        ids: Sequence[Hashable] | pd.Index | None = None,
        durbin: Durbin | None = None,
        add_intercept: bool = True,
        missing: MissingPolicy = "raise",
        islands: IslandPolicy = "raise",
    ) -> SpatialModel:
        """Specify the model by arrays or pandas objects (ids from ``ids`` or their index).

        ``w`` (one matrix or several), ``w_error``, ``w_durbin`` and ``combine`` as in
        :meth:`from_formula`.
        """
        how = cls._check_weights(w, w_error, combine)
        spec = cross_section.from_arrays(
            y,
            x,
            w,
            kinds=cls.terms,
            w_error=w_error,
            w_durbin=w_durbin,
            combine=how,
            ids=ids,
            durbin=cls.default_durbin if durbin is None else durbin,
            add_intercept=add_intercept,
            missing=missing,
            islands=islands,
        )
        cls._check_durbin_weights(spec, w_durbin)
        return cls(spec)

    @classmethod
    def _check_durbin_weights(cls, spec: Design, w_durbin: SpatialWeights | None) -> None:
        if w_durbin is not None and spec.terms.durbin is None:
            raise SpecificationError(
                f"w_durbin= gives the weights of the lags of X, but this {cls.__name__} has none; "
                "lag regressors with durbin=."
            )

    # ------------------------------------------------------------------ estimation
    @property
    def spatial_params(self) -> list[str]:
        """The spatial parameters of the model, from its terms (among ``rho`` and ``lambda``)."""
        return self.spec.terms.parameters

    @property
    def param_names(self) -> list[str]:
        return list(self.spec.exog_names) + self.spatial_params

    def fit(self, *, method: str | None = None, **options: Any) -> SpatialResults:
        """Estimate the model with the estimator ``method`` and its ``options``.

        Parameters
        ----------
        method : {"ml", "ols", "gmm", "s2sls", "gm_error", "gs2sls", "bayes"}, optional
            The estimator (:data:`naeringsmiljo.estimators.ESTIMATORS`). Maximum likelihood is
            the default for models with spatial parameters; ``"ols"``, the default for OLS and
            SLX, gives the same estimates with the classical covariance (divisor ``n - k``,
            t distribution). ``"gmm"`` chooses the moment estimator that fits the model:
            spatial 2SLS for SAR/SDM, a GM error estimator for SEM/SDEM, GS2SLS for SAC/GNS.
        **options
            The chosen estimator's options, by name; an option it does not take, or a value
            outside its choices, is an error that lists the valid ones.

            ``"ml"``: ``logdet`` (``"auto"``, ``"eigen"``, ``"lu"``, ``"cholesky"``,
            ``"pardiso"``, ``"chebyshev"``, ``"monte_carlo"``, ``"spline"``: how
            ``ln|I - v W|`` is evaluated, exactly or with a stated error reported in
            ``record.logdet_error``; ``"auto"`` takes eigenvalues up to 1,000 units, PARDISO
            above 20,000 when installed, otherwise Cholesky where W allows it and LU), ``cov``
            (``"information"``, the inverse analytic information matrix, without ``n x n``
            matrices above ``DENSE_MATRIX_LIMIT`` units; ``"hessian"``; ``"sandwich"``, the
            quasi-ML covariance robust to heteroskedastic (or, with
            ``Sandwich(innovations="iid")``, to non-normal) innovations, dense up to
            ``DENSE_MATRIX_LIMIT`` units; or an estimator object such as
            ``InformationMatrix(path="sparse", probes=100, seed=1)``; the assumptions of each are
            in ``docs/inference.md``),
            ``fixed`` (spatial parameters held at given values, e.g. ``{"rho": 0.0}``),
            ``bias_correction`` (fixed-effects panels: the Lee & Yu 2010 transformation
            approach instead of the direct one; ``"bootstrap"`` and, for dynamic panels,
            ``"score"``; ``docs/panels.md``), ``correction_cov``
            (a dynamic panel's Yu-de Jong-Lee correction: ``"delta"``, the default, or
            ``"ml"``). Panels with
            ``effects="random"`` take ``cov="information"`` (the expected information of the
            lag model; for the error model the GLS block of beta and the observed
            information of lambda, phi, sigma^2) or ``cov="hessian"`` (observed).

            ``"s2sls"``: ``w_lags`` (instrument lags beyond those in the model, default 2,
            R's; spreg's is 1), ``cov`` (``"hom"``, ``"het"``, ``"hac"``), ``df_correction``
            (divisor ``n - k`` as R's ``stsls``), ``hac_kernel`` (from
            :func:`naeringsmiljo.inference.covariance.hac_kernel`).

            ``"gm_error"``: ``variant`` (``"het"``, Arraiz et al. 2010; ``"hom"``, Drukker,
            Egger & Prucha 2013; ``"kp99"``, Kelejian & Prucha 1999, no s.e. for lambda),
            ``max_iter``.

            ``"gs2sls"``: ``variant`` (``"het"`` or ``"kp99"``, R's ``gstsls``), ``w_lags``,
            ``max_iter``, and for ``"kp99"`` the second-step 2SLS ``cov``, ``df_correction``,
            ``hac_kernel``.

            ``"bayes"``: Gibbs sampling (LeSage & Pace 2009, ch. 5; ``docs/bayes.md``):
            ``draws``, ``burn``, ``thin``, ``seed``, ``chains``, ``priors``
            (:class:`naeringsmiljo.Priors`), ``heteroskedastic``, ``logdet``, ``grid``,
            ``rhat_threshold`` (:class:`naeringsmiljo.sampling.BayesOptions`).

        Returns
        -------
        SpatialResults
            :class:`~naeringsmiljo.results.posterior.PosteriorResults` for ``method="bayes"``.
        """
        method = self.default_method if method is None else method
        estimator = resolve(method, self)
        return estimator.fit(self, parse_options(estimator.options_type, options, estimator.name))

    def __repr__(self) -> str:
        return f"<{self.name}: {self.spec.formula or 'arrays'}, n={self.spec.nobs}>"
