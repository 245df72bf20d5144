r"""Monte Carlo summaries of a study's draws, with their Monte Carlo standard errors.

For an estimate :math:`\hat\theta_r` of :math:`\theta` in replications :math:`r = 1..R`, with
standard error :math:`s_r` (Morris, White & Crowther 2019, table 6):

.. math::

    \text{bias} = \bar{\hat\theta} - \theta, \quad
    \text{MCSE} = \sqrt{\widehat{\operatorname{var}}(\hat\theta) / R};
    \qquad
    \text{RMSE} = \sqrt{\text{MSE}}, \quad
    \text{MCSE(MSE)} = \sqrt{\textstyle\sum_r ((\hat\theta_r - \theta)^2 - \text{MSE})^2
    / (R (R - 1))}, \quad \text{MCSE(RMSE)} = \text{MCSE(MSE)} / (2\,\text{RMSE});

and for a rate :math:`p` (coverage of the interval :math:`\hat\theta_r \pm z s_r`, rejection
rate of the Wald test of :math:`\theta = \theta_0`) :math:`\sqrt{p (1 - p) / R}`. The size is
the rejection rate at the true value (one minus the coverage), the power the rejection rate at
the null value (0 unless given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from naeringsmiljo._options import TableFormat, check_choice
from naeringsmiljo.exceptions import SpecificationError


def monte_carlo_summary(
    draws: pd.DataFrame,
    truth: Mapping[int, Mapping[str, float]],
    *,
    design_columns: Sequence[str] = (),
    null: Mapping[str, float] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Bias, RMSE, coverage, size and power of each estimate, with Monte Carlo standard errors.

    Parameters
    ----------
    draws : pandas.DataFrame
        A study's tidy frame (``design``, ``replication``, ``model``, ``parameter``,
        ``estimate``, ``std_error``, ``converged``, ``error``).
    truth : mapping of int to mapping
        The true value of each parameter, by design point; parameters without one are left out.
    design_columns : sequence of str
        The columns that describe a design point, carried into the summary.
    null : mapping, optional
        The value of each parameter under the null of the power calculation (default 0).
    level : float, default 0.95
        Confidence level of the intervals; the tests have size ``1 - level``.

    Returns
    -------
    pandas.DataFrame
        One row per design point, model and parameter: ``truth``, ``replications`` (finite
        estimates), ``failures`` (tasks of the model that raised, by any error),
        ``not_converged``, ``mean``, ``sd``, ``mean_se``, ``bias``, ``rmse``, ``coverage``,
        ``size``, ``power`` and ``<statistic>_mcse`` for each of the last five.
    """
    if not 0 < level < 1:
        raise SpecificationError(f"level must lie in (0, 1), got {level}.")
    z = float(norm.ppf(0.5 + level / 2))
    null = dict(null or {})
    failed = draws[draws["error"] != ""]
    failures = failed.groupby(["design", "model"], sort=False).size()
    fitted = draws[draws["error"] == ""]
    rows = []
    for (point, model, parameter), group in fitted.groupby(
        ["design", "model", "parameter"], sort=False
    ):
        values = truth.get(int(point), {})
        if parameter not in values:
            continue
        theta = float(values[parameter])
        estimate = group["estimate"].to_numpy(dtype=np.float64)
        se = group["std_error"].to_numpy(dtype=np.float64)
        finite = np.isfinite(estimate)
        with_se = finite & np.isfinite(se) & (se > 0)
        row: dict[str, Any] = {c: group[c].iloc[0] for c in design_columns}
        row |= {
            "design": int(point),
            "model": model,
            "parameter": parameter,
            "truth": theta,
            "replications": int(finite.sum()),
            "failures": int(failures.get((point, model), 0)),
            "not_converged": int((~group["converged"].to_numpy(dtype=bool)).sum()),
        }
        row |= _moments(estimate[finite], se[with_se], theta)
        row |= _rate("coverage", np.abs(estimate[with_se] - theta) <= z * se[with_se])
        row |= _rate("size", np.abs(estimate[with_se] - theta) > z * se[with_se])
        theta0 = float(null.get(parameter, 0.0))
        row |= _rate("power", np.abs(estimate[with_se] - theta0) > z * se[with_se])
        rows.append(row)
    columns = [*design_columns, "design", "model", "parameter", "truth", "replications"]
    columns += ["failures", "not_converged", "mean", "sd", "mean_se", "bias", "bias_mcse"]
    columns += ["rmse", "rmse_mcse", "coverage", "coverage_mcse", "size", "size_mcse"]
    columns += ["power", "power_mcse"]
    return pd.DataFrame(rows, columns=columns)


def lr_summary(
    draws: pd.DataFrame,
    tests: Mapping[str, tuple[str, str, int]],
    *,
    design_columns: Sequence[str] = (),
    level: float = 0.95,
) -> pd.DataFrame:
    """Rejection rates of likelihood-ratio tests between pairs of models fitted to each draw.

    For each named test ``(unrestricted, restricted, df)``, replication ``r`` gives
    ``LR_r = 2 (loglik_unrestricted - loglik_restricted)``, rejected when it exceeds the
    ``level`` quantile of chi-square with ``df`` degrees of freedom. The rejection rate is the
    test's size where the restriction holds in the process, its power where it does not.

    Returns
    -------
    pandas.DataFrame
        One row per design point and test: ``unrestricted``, ``restricted``, ``df``,
        ``replications`` (draws where both fits gave a finite log-likelihood), ``mean_lr``,
        ``rejection`` and ``rejection_mcse``.
    """
    if not 0 < level < 1:
        raise SpecificationError(f"level must lie in (0, 1), got {level}.")
    fitted = draws[draws["error"] == ""]
    # One log-likelihood per fit (it repeats on each parameter's row).
    fits = fitted.drop_duplicates(["design", "replication", "model"])
    models = set(fits["model"])
    rows = []
    for name, spec in tests.items():
        if len(spec) != 3:
            raise SpecificationError(
                f"LR test {name!r} must be (unrestricted model, restricted model, df), got {spec}."
            )
        unrestricted, restricted, df = spec
        unknown = [m for m in (unrestricted, restricted) if m not in models]
        if unknown:
            raise SpecificationError(
                f"LR test {name!r} names models without fits: {unknown}; the models are "
                f"{sorted(models)}."
            )
        critical = float(chi2.ppf(level, df))
        for point, group in fits.groupby("design", sort=True):
            by_model = group.set_index(["model", "replication"])["loglik"]
            pair = pd.concat(
                [by_model.loc[unrestricted], by_model.loc[restricted]], axis=1, join="inner"
            ).to_numpy(dtype=np.float64)
            pair = pair[np.isfinite(pair).all(axis=1)]
            lr = 2.0 * (pair[:, 0] - pair[:, 1])
            row: dict[str, Any] = {c: group[c].iloc[0] for c in design_columns}
            row |= {
                "design": int(point),
                "test": name,
                "unrestricted": unrestricted,
                "restricted": restricted,
                "df": int(df),
                "replications": len(lr),
                "mean_lr": float(lr.mean()) if len(lr) else float("nan"),
            }
            row |= _rate("rejection", lr > critical)
            rows.append(row)
    columns = [*design_columns, "design", "test", "unrestricted", "restricted", "df"]
    columns += ["replications", "mean_lr", "rejection", "rejection_mcse"]
    return pd.DataFrame(rows, columns=columns)


def _moments(estimate: np.ndarray, se: np.ndarray, theta: float) -> dict[str, float]:
    r = len(estimate)
    if r < 2:
        nan = float("nan")
        keys = ("mean", "sd", "mean_se", "bias", "bias_mcse", "rmse", "rmse_mcse")
        return dict.fromkeys(keys, nan) | {"mean": float(estimate.mean()) if r else nan}
    error = estimate - theta
    mse = float(np.mean(error**2))
    mse_mcse = float(np.sqrt(np.sum((error**2 - mse) ** 2) / (r * (r - 1))))
    rmse = float(np.sqrt(mse))
    return {
        "mean": float(estimate.mean()),
        "sd": float(estimate.std(ddof=1)),
        "mean_se": float(se.mean()) if len(se) else float("nan"),
        "bias": float(error.mean()),
        "bias_mcse": float(estimate.std(ddof=1) / np.sqrt(r)),
        "rmse": rmse,
        "rmse_mcse": mse_mcse / (2.0 * rmse) if rmse > 0 else float("nan"),
    }


def _rate(name: str, hits: np.ndarray) -> dict[str, float]:
    r = len(hits)
    if not r:
        return {name: float("nan"), f"{name}_mcse": float("nan")}
    p = float(hits.mean())
    return {name: p, f"{name}_mcse": float(np.sqrt(p * (1.0 - p) / r))}


# ---------------------------------------------------------------------- tables

#: Columns of the summary table and their headers: value, Monte Carlo standard error.
TABLE_STATISTICS = {"bias": "Bias", "rmse": "RMSE", "coverage": "Coverage", "power": "Power"}


def summary_table(
    summary: pd.DataFrame,
    *,
    design_columns: Sequence[str] = (),
    format: TableFormat = "markdown",
    digits: int = 3,
) -> str:
    """The summary as a table: each statistic with its Monte Carlo standard error beneath in
    parentheses (as a regression table shows standard errors), and the failures."""
    check_choice("format", format, TableFormat)
    header = [*design_columns, "Model", "Parameter", "Truth", "R", "Failed"]
    header += list(TABLE_STATISTICS.values())
    body: list[list[str]] = []
    for _, row in summary.iterrows():
        first = [str(row[c]) for c in design_columns]
        first += [str(row["model"]), str(row["parameter"]), _fmt(row["truth"], digits)]
        first += [str(row["replications"]), str(row["failures"])]
        first += [_fmt(row[s], digits) for s in TABLE_STATISTICS]
        second = [""] * (len(design_columns) + 5)
        second += [f"({_fmt(row[f'{s}_mcse'], digits)})" for s in TABLE_STATISTICS]
        body += [first, second]
    note = (
        "Monte Carlo standard errors in parentheses. R: replications with an estimate; Failed: "
        "replications whose fit raised an error."
    )
    return render(header, body, format=format, note=note)


def _fmt(value: Any, digits: int) -> str:
    value = float(value)
    if not np.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    return "0." + "0" * digits if text.lstrip("-") == "0." + "0" * digits else text


def _latex_escape(text: str) -> str:
    for char, escaped in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&")):
        text = text.replace(char, escaped)
    return text.replace("$-$", "-")


def render(header: list[str], body: list[list[str]], *, format: TableFormat, note: str) -> str:
    """A plain table as text, a GitHub pipe table or a booktabs ``tabular``."""
    check_choice("format", format, TableFormat)
    if format == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join([*lines, "", note])
    if format == "latex":
        numeric = ["r" if _is_number(body, j) else "l" for j in range(len(header))]
        lines = [rf"\begin{{tabular}}{{{''.join(numeric)}}}", r"\toprule"]
        lines.append(" & ".join(_latex_escape(h) for h in header) + r" \\")
        lines.append(r"\midrule")
        for cells in body:
            cells = [_latex_escape(c).replace("-", "$-$") if c[:1] == "-" else _latex_escape(c)
                     for c in cells]  # fmt: skip
            lines.append(" & ".join(cells) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}", "", "% " + note]
        return "\n".join(lines)
    widths = [max([len(h), *(len(c[j]) for c in body)]) for j, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) for cells in body]
    return "\n".join([*lines, "", note])


def _is_number(body: list[list[str]], j: int) -> bool:
    for cells in body:
        text = cells[j].strip("()")
        if text in ("", "n/a"):
            continue
        try:
            float(text)
        except ValueError:
            return False
    return True
