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

_MODEL_NAMES = {"none": "Pooled OLS", "entity": "Within (entity)", "time": "Within (time)",
                "twoways": "Within (two-way)", "random": "Random effects"}  # fmt: skip
_ABSORBED = {"entity": " + EntityEffects", "time": " + TimeEffects",
             "twoways": " + EntityEffects + TimeEffects"}  # fmt: skip


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
