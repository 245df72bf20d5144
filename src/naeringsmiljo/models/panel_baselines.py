"""Non-spatial panel baselines through linearmodels: pooled OLS, fixed and random effects.

The column a spatial panel table compares against, and the residuals the panel LM tests
(:mod:`naeringsmiljo.inference.panel_diagnostics`) start from. The estimation is linearmodels'
(``PooledOLS``, ``PanelOLS``, ``RandomEffects``); this module only chooses the specification,
checks the frame and returns a small typed result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from naeringsmiljo._options import PanelEffects, check_choice
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.inference.diagnostics import TestResult

_MODEL_NAMES = {"none": "Pooled OLS", "entity": "Within (entity)", "time": "Within (time)",
                "twoways": "Within (two-way)", "random": "Random effects"}  # fmt: skip
_ABSORBED = {"entity": " + EntityEffects", "time": " + TimeEffects",
             "twoways": " + EntityEffects + TimeEffects"}  # fmt: skip
#: The kinds of fixed effects each specification sweeps out (the pooled model keeps a constant).
_SWEPT = {"none": frozenset(), "entity": frozenset({"entity"}), "time": frozenset({"time"}),
          "twoways": frozenset({"entity", "time"})}  # fmt: skip


@dataclass(frozen=True)
class PanelBaseline:
    """A non-spatial panel regression fitted by linearmodels.

    Attributes
    ----------
    effects : str
        ``"none"``, ``"entity"``, ``"time"``, ``"twoways"`` or ``"random"``.
    params, std_errors : pandas.Series
        Coefficients and their standard errors (linearmodels' ``"unadjusted"`` covariance:
        ``s^2 (X'X)^{-1}`` on the transformed data, with the degrees of freedom the fixed effects
        absorb subtracted).
    residuals : pandas.Series
        Indexed like the data by (entity, time). Pooled: ``y - X b``. Fixed effects: the
        residuals of the transformed (demeaned) regression, ``Q y - Q X b``, the residuals the
        LM tests of a fixed-effects panel use. Random effects: the composite residuals
        ``y - X b``.
    n_entities, n_periods : int
        N and T.
    fit : object
        linearmodels' results object, for everything else it reports.

    Notes
    -----
    It has the attributes :func:`naeringsmiljo.tables.regression_table` reads (``model``,
    ``params``, ``std_errors``, ``tstats``, ``pvalues`` from the normal distribution, ``nobs``,
    ``loglik``, ``r2``, ``sigma2``), so it can be the non-spatial column of a panel table.
    """

    effects: str
    params: pd.Series
    std_errors: pd.Series
    residuals: pd.Series
    n_entities: int
    n_periods: int
    fit: Any

    @property
    def nobs(self) -> int:
        """N T."""
        return self.n_entities * self.n_periods

    @property
    def model(self) -> str:
        """The column heading of a regression table."""
        return _MODEL_NAMES[self.effects]

    @property
    def tstats(self) -> pd.Series:
        return self.params / self.std_errors

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(
            2.0 * stats.norm.sf(np.abs(self.tstats.to_numpy())), index=self.params.index
        )

    @property
    def loglik(self) -> float:
        """Gaussian log-likelihood of the (transformed) regression, as linearmodels reports it."""
        return float(self.fit.loglik)

    @property
    def r2(self) -> float:
        """linearmodels' R^2 (within R^2 for fixed effects)."""
        return float(self.fit.rsquared)

    @property
    def sigma2(self) -> float:
        return float(self.fit.s2)


def _check_frame(data: pd.DataFrame) -> None:
    index = data.index
    if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
        raise SpecificationError(
            "A panel frame is indexed by a two-level (entity, time) MultiIndex; got "
            f"{type(index).__name__} with {index.nlevels} level(s)."
        )
    duplicated = index[index.duplicated()]
    if len(duplicated):
        raise SpecificationError(
            f"{len(duplicated)} duplicated (entity, time) pairs, e.g. {list(duplicated[:5])}."
        )


def panel_baseline(
    formula: str,
    data: pd.DataFrame,
    *,
    effects: PanelEffects = "none",
) -> PanelBaseline:
    """Fit the non-spatial panel regression ``formula`` with linearmodels.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"`` in formulaic syntax (``np.log(gsp)`` for a transformation); an
        intercept is added for ``"none"`` and ``"random"`` and absorbed by fixed effects.
    data : pandas.DataFrame
        Long frame indexed by the (entity, time) MultiIndex.
    effects : {"none", "entity", "time", "twoways", "random"}, default "none"
        Pooled OLS, fixed effects (the within estimator, Baltagi 2021, ch. 2-3) or random
        entity effects by feasible GLS with the Swamy & Arora (1972) variance components.

    Returns
    -------
    PanelBaseline

    Raises
    ------
    SpecificationError
        When the frame is not indexed by (entity, time) or repeats a pair.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> from naeringsmiljo.models.panel_baselines import panel_baseline
    >>> fit = panel_baseline(
    ...     "np.log(gsp) ~ np.log(pcap) + np.log(pc) + np.log(emp) + unemp",
    ...     datasets.produc(), effects="entity")
    >>> round(float(fit.params["np.log(emp)"]), 4)
    0.7682
    """
    from linearmodels.panel import PanelOLS, PooledOLS, RandomEffects

    check_choice("effects", effects, PanelEffects)
    _check_frame(data)
    fit: Any
    lhs, _, rhs = formula.partition("~")
    if not rhs.strip():
        raise SpecificationError(f"The formula {formula!r} has no right-hand side.")
    if effects in _ABSORBED:
        model = PanelOLS.from_formula(f"{lhs}~ {rhs.strip()}{_ABSORBED[effects]}", data)
        fit = model.fit(cov_type="unadjusted")
        residuals = fit.idiosyncratic.iloc[:, 0]
    else:
        estimator = PooledOLS if effects == "none" else RandomEffects
        fit = estimator.from_formula(f"{lhs}~ 1 + {rhs.strip()}", data).fit(cov_type="unadjusted")
        residuals = fit.resids
    entities = data.index.get_level_values(0)
    periods = data.index.get_level_values(1)
    return PanelBaseline(
        effects=effects,
        params=fit.params,
        std_errors=fit.std_errors,
        residuals=residuals.rename("residual"),
        n_entities=int(np.unique(entities).size),
        n_periods=int(np.unique(periods).size),
        fit=fit,
    )


def _gaussian_loglik(ssr: float, nobs: int) -> float:
    """Concentrated Gaussian log-likelihood at ``sigma^2 = e'e / n``."""
    return -0.5 * nobs * (np.log(2.0 * np.pi) + np.log(ssr / nobs) + 1.0)


def fixed_effects_lr(restricted: PanelBaseline, unrestricted: PanelBaseline) -> TestResult:
    r"""Likelihood-ratio test of the joint significance of the fixed effects one model adds.

    Both fits are least squares of the same outcome on the same regressors, ``unrestricted``
    sweeping out the fixed effects of ``restricted`` and more (pooled within entity, time or
    two-way effects; entity or time effects within two-way effects). With the Gaussian
    log-likelihood concentrated at ``sigma^2 = e'e / NT``,

    .. math:: LR = 2(\ell_u - \ell_r) = N T \ln(e_r'e_r / e_u'e_u),

    referred to a chi-squared distribution with as many degrees of freedom as the added effects
    have free parameters: ``N - 1`` entity effects, ``T - 1`` time effects. This is the test of
    Elhorst (2014, s. 3.6.2), who reports it with ``N`` and ``T`` degrees of freedom (46 and 30
    on the cigarette panel); the statistic is the same.

    Parameters
    ----------
    restricted, unrestricted : PanelBaseline
        Fits by :func:`panel_baseline` with ``effects`` in ``"none"``, ``"entity"``, ``"time"``,
        ``"twoways"``, the effects of ``restricted`` a proper subset of those of ``unrestricted``.

    Returns
    -------
    TestResult
        ``df`` the number of free parameters of the added effects.

    Raises
    ------
    SpecificationError
        When either fit has random effects, the effects are not nested, or the two fits differ in
        their sample or slope coefficients' names.

    Examples
    --------
    >>> from naeringsmiljo import datasets
    >>> from naeringsmiljo.models.panel_baselines import fixed_effects_lr, panel_baseline
    >>> formula = "np.log(gsp) ~ np.log(pcap) + np.log(pc) + np.log(emp) + unemp"
    >>> time = panel_baseline(formula, datasets.produc(), effects="time")
    >>> both = panel_baseline(formula, datasets.produc(), effects="twoways")
    >>> fixed_effects_lr(time, both).df  # 48 states: 47 free entity effects
    47
    """
    for label, fit in (("restricted", restricted), ("unrestricted", unrestricted)):
        if fit.effects not in _SWEPT:
            raise SpecificationError(
                f"The {label} fit has effects={fit.effects!r}; the LR test of fixed effects "
                "compares least-squares fits with effects 'none', 'entity', 'time' or 'twoways'."
            )
    added = _SWEPT[unrestricted.effects] - _SWEPT[restricted.effects]
    if not _SWEPT[restricted.effects] < _SWEPT[unrestricted.effects]:
        raise SpecificationError(
            f"effects={restricted.effects!r} is not nested in effects={unrestricted.effects!r}: "
            "the unrestricted fit must sweep out every effect of the restricted one and more."
        )
    if (restricted.n_entities, restricted.n_periods) != (
        unrestricted.n_entities,
        unrestricted.n_periods,
    ):
        raise SpecificationError(
            "The two fits are on different panels: "
            f"{restricted.n_entities} x {restricted.n_periods} and "
            f"{unrestricted.n_entities} x {unrestricted.n_periods} (N x T)."
        )
    slopes_r = set(restricted.params.index) - {"Intercept", "const"}
    slopes_u = set(unrestricted.params.index)
    if slopes_r != slopes_u:
        raise SpecificationError(
            f"The two fits have different regressors: {sorted(slopes_r ^ slopes_u)} "
            "appear in only one of them."
        )
    df = (unrestricted.n_entities - 1) * ("entity" in added) + (unrestricted.n_periods - 1) * (
        "time" in added
    )
    nobs = unrestricted.nobs
    ssr_r = float(np.sum(restricted.residuals.to_numpy() ** 2))
    ssr_u = float(np.sum(unrestricted.residuals.to_numpy() ** 2))
    statistic = max(2.0 * (_gaussian_loglik(ssr_u, nobs) - _gaussian_loglik(ssr_r, nobs)), 0.0)
    which = " and ".join(sorted(added))
    return TestResult(
        f"LR {which} fixed effects",
        statistic,
        int(df),
        float(stats.chi2.sf(statistic, df)),
        f"the {which} fixed effects are jointly zero",
        "chi2",
    )
