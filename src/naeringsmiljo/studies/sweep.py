"""Specification sweeps: every model with every weights matrix and formula on one data set, and
the comparisons of the fits (tables side by side, likelihood-ratio and common-factor tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd

from naeringsmiljo._options import StudyBackend, TableFormat, check_choice
from naeringsmiljo.exceptions import InputTypeError, SpecificationError
from naeringsmiljo.inference.diagnostics import (
    TestResult,
    common_factor_lr,
    common_factor_wald,
    likelihood_ratio,
)
from naeringsmiljo.results.display import Table
from naeringsmiljo.results.spatial import SpatialResults
from naeringsmiljo.studies.runner import CONNECT_TIMEOUT, Plan, RunOutcome, execute
from naeringsmiljo.studies.study import DRAW_COLUMNS
from naeringsmiljo.studies.summary import render
from naeringsmiljo.studies.tasks import (
    SweepPayload,
    check_unique,
    model_specs,
    prepare_weights,
    run_sweep_task,
    token,
)
from naeringsmiljo.tables import regression_table
from naeringsmiljo.weights.spatial_weights import SpatialWeights

#: A fit of a sweep: (weights name, formula, model name).
SweepKey = tuple[str, str, str]

#: Columns of :meth:`SweepResults.tests`.
TEST_COLUMNS = {
    "w": "str",
    "formula": "str",
    "test": "str",
    "restricted": "str",
    "unrestricted": "str",
    "statistic": "float64",
    "df": "Int64",
    "pvalue": "float64",
    "null": "str",
    "reason": "str",
}

#: The fit statistics of a sweep's table.
SWEEP_FIT_STATS = ("nobs", "loglik", "aic", "bic")


class Sweep:
    """A specification sweep: every model with every weights matrix and formula on one data set.

    Each task fits one model with one formula and one weights matrix and sends back its rows of
    the tidy frame and the fitted :class:`~naeringsmiljo.results.spatial.SpatialResults`, the
    same bit for bit on every backend. :meth:`run` returns a :class:`SweepResults`: the fits
    (``results``), their comparison tables (``table()``, ``overview()``) and the
    likelihood-ratio and common-factor tests between nested fits (``tests()``).

    Parameters
    ----------
    data : pandas.DataFrame
        The data, indexed by unit id.
    w : dict of str to SpatialWeights
        The weights matrices by name.
    models : dict
        ``{"name": ModelClass}`` or ``{"name": (ModelClass, fit_options)}``.
    formulas : sequence of str
        The formulas; every model is fitted with each.

    Examples
    --------
    >>> import naeringsmiljo as nm
    >>> from naeringsmiljo.studies import Sweep
    >>> data = nm.datasets.columbus()
    >>> w = {"rook": nm.datasets.columbus_weights("anselin").row_standardize()}
    >>> sweep = Sweep(data, w=w, models={"SAR": nm.SAR, "SEM": nm.SEM, "SDM": nm.SDM},
    ...               formulas=["CRIME ~ INC + HOVAL"])
    >>> results = sweep.run(progress=False)
    >>> results.fits[["model", "loglik"]].round(3).values.tolist()
    [['SAR', -182.39], ['SEM', -183.38], ['SDM', -181.394]]
    >>> results.results["rook", "CRIME ~ INC + HOVAL", "SDM"].model
    'SDM'
    >>> tests = results.tests()
    >>> print(tests[["test", "restricted", "unrestricted", "df"]].to_string(index=False))
                    test restricted unrestricted  df
                      LR        SAR          SDM   2
      Common factor (LR)        SEM          SDM   2
    Common factor (Wald)                     SDM   2
    >>> print(results.table(stat=None))
    ============================================
                      SAR       SEM       SDM
    --------------------------------------------
    Intercept         45.079    59.893    42.822
    INC               -1.032    -0.941    -0.914
    HOVAL             -0.266    -0.302    -0.294
    W_INC                                 -0.520
    W_HOVAL                                0.246
    rho                0.431               0.426
    lambda                       0.562
    --------------------------------------------
    N                 49        49        49
    Log-likelihood  -182.390  -183.380  -181.394
    AIC              374.781   376.761   376.787
    BIC              384.240   386.220   390.030
    ============================================
    """

    def __init__(
        self,
        data: pd.DataFrame,
        w: Mapping[str, SpatialWeights],
        models: Mapping[str, Any],
        formulas: Sequence[str],
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise InputTypeError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
        if not isinstance(w, Mapping) or not w:
            raise InputTypeError("w must be a non-empty dict {'name': SpatialWeights}.")
        for name, matrix in w.items():
            if not isinstance(matrix, SpatialWeights):
                raise InputTypeError(
                    f"w[{name!r}] must be a SpatialWeights, got {type(matrix).__name__}."
                )
        if isinstance(formulas, str) or not formulas:
            raise InputTypeError("formulas must be a non-empty list of formula strings.")
        check_unique(list(formulas), "formulas")
        self.data = data
        self.weights = {str(k): v for k, v in w.items()}
        self.formulas = tuple(formulas)
        self.models = tuple(s for f in self.formulas for s in model_specs(models, formula=f))
        check_unique(list(models), "models")

    def _plan(self) -> Plan:
        keys = tuple((w, s.formula, s.name) for w in self.weights for s in self.models)
        fingerprint = {
            "kind": "sweep",
            "data": token(self.data),
            "weights": {name: token(m) for name, m in self.weights.items()},
            "models": [dict(s.describe(), name=s.name) for s in self.models],
        }
        dtypes = {"w": "str", "formula": "str", "model": "str"}
        dtypes |= {k: v for k, v in DRAW_COLUMNS.items() if k not in ("replication", "model")}
        dtypes |= {"nobs": "float64", "aic": "float64", "bic": "float64"}
        payload = SweepPayload(self.data, self.weights, self.models)
        return Plan(run_sweep_task, payload, keys, ("w", "formula", "model"), fingerprint, dtypes)

    def run(
        self,
        backend: StudyBackend = "local",
        address: str | None = None,
        workers: int | None = None,
        store: str | os.PathLike[str] | None = None,
        progress: bool = True,
        *,
        chunksize: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> SweepResults:
        """Fit every combination; the arguments are those of :meth:`Study.run`.

        With ``store``, the fitted results are pickled beside the Parquet files, so that a
        rerun returns them without fitting again (open only a store you wrote yourself).
        """
        for matrix in self.weights.values():
            prepare_weights(matrix)
        outcome = execute(
            self._plan(),
            backend=backend,
            address=address,
            workers=workers,
            store=store,
            progress=progress,
            chunksize=chunksize,
            connect_timeout=connect_timeout,
        )
        return SweepResults(outcome)


@dataclass(frozen=True)
class SweepResults:
    """The results of a sweep: the tidy frame, the fitted results and their comparisons.

    Attributes
    ----------
    outcome : RunOutcome
        The rows of every task, the fitted results, how the run went.
    """

    outcome: RunOutcome

    @property
    def draws(self) -> pd.DataFrame:
        """``w``, ``formula``, ``model``, ``parameter``, ``estimate``, ``std_error``,
        ``converged``, ``seconds``, ``error``, ``message``, ``nobs``, ``loglik``, ``aic``,
        ``bic``."""
        return self.outcome.draws

    @property
    def tasks(self) -> pd.DataFrame:
        """The tasks computed by this run (not those read from the store): ``w``, ``formula``,
        ``model``, ``seconds``, ``setups`` and ``worker``."""
        return self.outcome.tasks

    @property
    def fits(self) -> pd.DataFrame:
        """One row per fit: its weights, formula and model, fit statistics and any error."""
        columns = ["w", "formula", "model", "nobs", "loglik", "aic", "bic", "converged", "error"]
        return self.draws.drop_duplicates(["w", "formula", "model"])[columns].reset_index(drop=True)

    @property
    def results(self) -> Mapping[SweepKey, SpatialResults]:
        """The fitted results by ``(weights name, formula, model name)``, in the sweep's order:
        weights slowest, then formula, then model. A fit that failed has none (its error is in
        :attr:`fits`)."""
        return MappingProxyType(self.outcome.fitted)

    def _groups(self) -> Iterator[tuple[str, str, dict[str, SpatialResults]]]:
        """The fits by weights matrix and formula, each a dict by model name in sweep order."""
        groups: dict[tuple[str, str], dict[str, SpatialResults]] = {}
        for (w, formula, model), fit in self.outcome.fitted.items():
            groups.setdefault((w, formula), {})[model] = fit
        for (w, formula), fits in groups.items():
            yield w, formula, fits

    def table(
        self,
        format: TableFormat = "text",
        *,
        impacts: bool = False,
        fit_stats: Sequence[str] = SWEEP_FIT_STATS,
        caption: str | None = None,
        label: str | None = None,
        **options: Any,
    ) -> Table:
        r"""The fits side by side: one :func:`~naeringsmiljo.tables.regression_table` per
        weights matrix and formula, with the models as columns.

        A weights matrix and a formula make a panel: the models fitted with them are the
        columns, so that a panel compares like with like and stays narrow; several panels follow
        each other, each captioned with its weights and formula (``"W rook: CRIME ~ INC"``,
        after ``caption`` when given; LaTeX labels ``<label>-1``, ``<label>-2``, ...). Failed
        fits are left out (see :attr:`fits`).

        Parameters
        ----------
        format : {"text", "markdown", "latex"}
            As in :func:`~naeringsmiljo.tables.regression_table`.
        impacts : bool
            Add the direct, indirect and total impacts of each fit.
        fit_stats : sequence of str
            Rows at the bottom; by default N, log-likelihood, AIC and BIC.
        caption, label : str, optional
            Caption and LaTeX label (of each panel, numbered when there are several).
        **options
            Other keywords of :func:`~naeringsmiljo.tables.regression_table` (``stat``,
            ``stars``, ``digits``, ``impact_kwargs``, ``diagnostics``, ``rename``, ``order``).

        Returns
        -------
        Table
            The panels as one string, separated by blank lines; an HTML table per panel in a
            notebook.
        """
        check_choice("format", format, TableFormat)
        groups = list(self._groups())
        if not groups:
            raise SpecificationError("No fit of the sweep succeeded; see .fits for the errors.")
        texts, pages = [], []
        for i, (w, formula, fits) in enumerate(groups, start=1):
            panel, key = caption, label
            if len(groups) > 1:
                where = f"W {w}: {formula}"
                panel = where if caption is None else f"{caption}. {where}"
                key = None if label is None else f"{label}-{i}"
            table = regression_table(
                fits,
                format=format,
                impacts=impacts,
                fit_stats=fit_stats,
                caption=panel,
                label=key,
                **options,
            )
            texts.append(str(table))
            pages.append(table.html)
        return Table("\n\n".join(texts), "\n".join(pages))

    def overview(self, format: TableFormat = "markdown", digits: int = 3) -> str:
        """One line per fit: log-likelihood, AIC, BIC and the spatial parameters (standard
        errors in parentheses), by weights matrix, formula and model, failed fits included with
        their error. Read from :attr:`draws` alone (the table of earlier versions)."""
        spatial = [p for p in ("rho", "lambda") if p in set(self.draws["parameter"])]
        header = ["W", "Formula", "Model", "N", "Log-lik.", "AIC", "BIC", *spatial]
        body = []
        for (w, formula, model), group in self.draws.groupby(["w", "formula", "model"], sort=False):
            first = group.iloc[0]
            if first["error"]:
                body.append([w, formula, model, "", first["error"], "", "", *[""] * len(spatial)])
                continue
            cells = [w, formula, model, str(int(first["nobs"]))]
            cells += [f"{first[s]:.{digits}f}" for s in ("loglik", "aic", "bic")]
            by_name = group.set_index("parameter")
            for p in spatial:
                if p in by_name.index:
                    est, se = by_name.loc[p, "estimate"], by_name.loc[p, "std_error"]
                    cells.append(f"{est:.{digits}f} ({se:.{digits}f})")
                else:
                    cells.append("")
            body.append(cells)
        note = "Standard errors in parentheses; AIC and BIC from the Gaussian log-likelihood."
        return render(header, body, format=format, note=note)

    def tests(self) -> pd.DataFrame:
        """Likelihood-ratio and common-factor tests between the fits with the same weights and
        formula.

        ``"LR"``: :func:`~naeringsmiljo.inference.diagnostics.likelihood_ratio` for every pair
        of fits where one is nested in the other (its parameters a subset of the other's, with
        fewer free ones, on the same data): OLS in SAR, SEM, SLX and the rest; SAR in SDM and
        SAC; SEM in SDEM and SAC; SDM, SDEM and SAC in GNS; a model with a parameter held fixed
        in the same model with it free. ``"Common factor (LR)"``: SEM against SDM
        (:func:`~naeringsmiljo.inference.diagnostics.common_factor_lr`); ``"Common factor
        (Wald)"``: the restriction tested on the SDM alone
        (:func:`~naeringsmiljo.inference.diagnostics.common_factor_wald`, no restricted fit).
        A test that does not apply (a fit not by ML, a restriction the SDM cannot express)
        has a NaN statistic and its ``reason``.

        Returns
        -------
        pandas.DataFrame
            One row per test: ``w``, ``formula``, ``test``, ``restricted`` and ``unrestricted``
            (model names of the sweep), ``statistic``, ``df``, ``pvalue``, ``null``, ``reason``
            (empty when the test applies).
        """
        rows = [
            {"w": w, "formula": formula, "test": test}
            | {"restricted": restricted, "unrestricted": unrestricted}
            | {"statistic": result.statistic, "df": result.df, "pvalue": result.pvalue}
            | {"null": result.null, "reason": result.reason or ""}
            for w, formula, fits in self._groups()
            for test, restricted, unrestricted, result in _nested_tests(fits)
        ]
        return pd.DataFrame(rows, columns=list(TEST_COLUMNS)).astype(TEST_COLUMNS)


def _nested_tests(fits: Mapping[str, SpatialResults]) -> list[tuple[str, str, str, TestResult]]:
    """The tests of :meth:`SweepResults.tests` among fits with one weights matrix and formula:
    ``(test, restricted, unrestricted, result)``."""
    tests = []
    for small, r in fits.items():
        for large, u in fits.items():
            if _may_nest(r, u):
                try:
                    tests.append(("LR", small, large, likelihood_ratio(r, u)))
                except SpecificationError:  # not nested after all (other data or weights)
                    continue
    for large, sdm in fits.items():
        if not _is_durbin_lag(sdm):
            continue
        for small, sem in fits.items():
            if _is_error_model(sem):
                try:
                    result = common_factor_lr(sdm, sem)
                except SpecificationError:  # an SEM with other regressors than the SDM's
                    continue
                tests.append(("Common factor (LR)", small, large, result))
        tests.append(("Common factor (Wald)", "", large, common_factor_wald(sdm)))
    return tests


def _may_nest(restricted: SpatialResults, unrestricted: SpatialResults) -> bool:
    return restricted is not unrestricted and (
        set(restricted.params.index) <= set(unrestricted.params.index)
        and restricted.n_params < unrestricted.n_params
    )


def _is_durbin_lag(fit: SpatialResults) -> bool:
    """An SDM: a lag of y, lags of X, no lag of the error."""
    names = set(fit.params.index)
    return "rho" in names and "lambda" not in names and bool(fit.spec.lagged)


def _is_error_model(fit: SpatialResults) -> bool:
    """An SEM: a lag of the error, no lag of y, no lags of X."""
    names = set(fit.params.index)
    return "lambda" in names and "rho" not in names and not fit.spec.lagged
