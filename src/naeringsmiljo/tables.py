r"""Regression tables: several fitted models side by side, as text, Markdown or LaTeX.

:func:`regression_table` lays out estimates with standard errors, t statistics or p-values in
parentheses beneath them, optional significance stars, optional blocks of direct, indirect and
total impacts and of spatial diagnostics, and fit statistics (n, log-likelihood, AIC). Rows are
the union of the models' parameters in the order Intercept, regressors, their spatial lags
``W_<name>``, ``rho``, ``lambda``; a cell is blank where a model lacks the parameter.

Numbers are printed with a fixed number of decimals and ASCII minus signs (``$-$`` in LaTeX),
and a rounded negative zero is printed as zero, so the same results always give the same bytes.

Examples
--------
>>> import naeringsmiljo as nm
>>> data = nm.datasets.columbus()
>>> w = nm.datasets.columbus_weights("anselin").row_standardize()
>>> fits = {
...     name: nm.MODELS[name].from_formula("CRIME ~ INC + HOVAL", data, w).fit()
...     for name in ("OLS", "SAR", "SEM")
... }
>>> print(nm.regression_table(fits, stars=True))
=====================================================
                    OLS          SAR          SEM
-----------------------------------------------------
Intercept         68.619***    45.079***    59.893***
                  (4.735)      (7.177)      (5.366)
INC               -1.597***    -1.032***    -0.941***
                  (0.334)      (0.305)      (0.331)
HOVAL             -0.274**     -0.266***    -0.302***
                  (0.103)      (0.088)      (0.090)
rho                             0.431***
                               (0.118)
lambda                                       0.562***
                                            (0.134)
-----------------------------------------------------
N                 49           49           49
Log-likelihood  -187.377     -182.390     -183.380
AIC              382.754      374.781      376.761
=====================================================
Standard errors in parentheses.
* p<0.1, ** p<0.05, *** p<0.01

The same table for a paper (``\usepackage{booktabs}`` in the preamble; save the string to a
file and ``\input`` it):

>>> tex = nm.regression_table(fits, format="latex", caption="Crime in Columbus", label="tab:crime")
>>> print("\n".join(tex.splitlines()[:12]))
\begin{table}[htbp]
\centering
\caption{Crime in Columbus}
\label{tab:crime}
\begin{tabular}{lccc}
\toprule
 & OLS & SAR & SEM \\
\midrule
Intercept & 68.619 & 45.079 & 59.893 \\
 & (4.735) & (7.177) & (5.366) \\
INC & $-$1.597 & $-$1.032 & $-$0.941 \\
 & (0.334) & (0.305) & (0.331) \\
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from naeringsmiljo._options import TableFormat, TableStat, check_choice
from naeringsmiljo.design.cross_section import INTERCEPT, LAG_PREFIX
from naeringsmiljo.exceptions import SpecificationError
from naeringsmiljo.inference.diagnostics import residual_dependence_lm, residual_moran
from naeringsmiljo.results.display import Table
from naeringsmiljo.results.spatial import SPATIAL_PARAMETERS, SpatialResults

IMPACT_EFFECTS = ("direct", "indirect", "total")
#: The diagnostics key of Moran's I of each model's own residuals.
RESIDUAL_MORAN = "moran_resid"
#: The diagnostics key of the LM test of the dependence a lag or an error model leaves.
RESIDUAL_LM = "lm_resid"
#: Tests of each model's own fit, computed from the results under every column.
_OWN_DIAGNOSTICS = {RESIDUAL_MORAN: residual_moran, RESIDUAL_LM: residual_dependence_lm}
#: Row labels of those tests whose name differs by model (LM-error under SAR, LM-lag under SEM).
_OWN_LABELS = {RESIDUAL_LM: "LM (residuals)"}

_STAT_NOTES: dict[str, str] = {
    "se": "Standard errors in parentheses.",
    "t": "t statistics in parentheses.",
    "p": "p-values in parentheses.",
}

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_MARKDOWN_SPECIALS = frozenset("\\`*_|")


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIALS.get(c, c) for c in text)


def _markdown_escape(text: str) -> str:
    return "".join("\\" + c if c in _MARKDOWN_SPECIALS else c for c in text)


@dataclass(frozen=True)
class _Label:
    """A row or column label: plain text, with an optional verbatim LaTeX rendering."""

    text: str
    latex: str | None = None

    def render(self, fmt: TableFormat) -> str:
        if fmt == "latex":
            return self.latex if self.latex is not None else _latex_escape(self.text)
        if fmt == "markdown":
            return _markdown_escape(self.text)
        return self.text


_FIT_STAT_LABELS: dict[str, _Label] = {
    "nobs": _Label("N"),
    "loglik": _Label("Log-likelihood"),
    "aic": _Label("AIC"),
    "bic": _Label("BIC"),
    "r2": _Label("R^2", "$R^2$"),
    "sigma2": _Label("sigma^2", r"$\sigma^2$"),
}
_GREEK: dict[str, str] = {"rho": r"$\rho$", "lambda": r"$\lambda$"}


@dataclass(frozen=True)
class _Cell:
    """One table cell: a formatted number (or a word when ``numeric`` is false) and its stars."""

    text: str = ""
    stars: int = 0
    numeric: bool = True

    def render(self, fmt: TableFormat) -> str:
        if fmt == "latex":
            body = self.text.replace("-", "$-$") if self.numeric else _latex_escape(self.text)
            return body + (f"$^{{{'*' * self.stars}}}$" if self.stars else "")
        if fmt == "markdown":
            return _markdown_escape(self.text + "*" * self.stars)
        return self.text + "*" * self.stars


@dataclass(frozen=True)
class _Row:
    """A labelled row of cells, or (``cells`` None) a title spanning the table."""

    label: _Label
    cells: tuple[_Cell, ...] | None


@dataclass(frozen=True)
class _Table:
    header: tuple[tuple[_Label, ...], ...]
    blocks: tuple[tuple[_Row, ...], ...]
    notes: tuple[_Label, ...]
    caption: str | None
    label: str | None

    @property
    def n_columns(self) -> int:
        return len(self.header[0])


@dataclass(frozen=True)
class _Entry:
    """An estimate of one model: value, the statistic shown beneath it, its p-value."""

    estimate: float
    stat: float | None = None
    pvalue: float | None = None
    fixed: bool = False


# ---------------------------------------------------------------------- numbers
def _number(value: Any, digits: int) -> str:
    """Deterministic text of a number: integers as such, floats with ``digits`` decimals."""
    if value is None:
        return ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    x = float(value)
    if not math.isfinite(x):
        return "n/a"
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


def _optional_float(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def _count_stars(pvalue: float | None, levels: tuple[float, ...]) -> int:
    if pvalue is None or not math.isfinite(pvalue):
        return 0
    return sum(pvalue < level for level in levels)


def _star_legend(levels: tuple[float, ...]) -> _Label:
    parts = [(i + 1, level) for i, level in enumerate(levels)]
    return _Label(
        ", ".join(f"{'*' * n} p<{level:g}" for n, level in parts),
        ", ".join(f"$^{{{'*' * n}}}$ $p<{level:g}$" for n, level in parts),
    )


def _entry_rows(
    label: _Label,
    entries: Sequence[_Entry | None],
    *,
    bracket: str,
    stars: tuple[float, ...] | None,
    digits: int,
) -> list[_Row]:
    """The estimate row and, unless every cell would be blank, the statistic row beneath it."""
    values, stats = [], []
    for entry in entries:
        if entry is None:
            values.append(_Cell())
            stats.append(_Cell())
            continue
        n_stars = 0 if stars is None or entry.fixed else _count_stars(entry.pvalue, stars)
        values.append(_Cell(_number(entry.estimate, digits), n_stars))
        if entry.fixed:
            stats.append(_Cell("(fixed)", numeric=False))
        elif entry.stat is None:
            stats.append(_Cell())
        else:
            stats.append(_Cell(bracket[0] + _number(entry.stat, digits) + bracket[1]))
    rows = [_Row(label, tuple(values))]
    if any(cell.text for cell in stats):
        rows.append(_Row(_Label(""), tuple(stats)))
    return rows


# ---------------------------------------------------------------------- row order and labels
def _parameter_order(seen: list[str], order: Sequence[str] | None) -> list[str]:
    """Intercept, regressors, lags in the regressors' order, rho, lambda; ``order`` first."""
    spatial = [p for p in SPATIAL_PARAMETERS if p in seen]
    lags = [n for n in seen if n.startswith(LAG_PREFIX) and n not in spatial]
    plain = [n for n in seen if n != INTERCEPT and n not in lags and n not in spatial]
    position = {name: i for i, name in enumerate(plain)}
    lags.sort(key=lambda n: position.get(n[len(LAG_PREFIX) :], len(plain)))
    default = [INTERCEPT] * (INTERCEPT in seen) + plain + lags + spatial
    if order is None:
        return default
    unknown = [n for n in order if n not in seen]
    if unknown:
        raise SpecificationError(
            f"order names parameters no model has: {unknown}; available: {default}."
        )
    first = list(dict.fromkeys(order))
    return first + [n for n in default if n not in first]


def _parameter_label(name: str, rename: Mapping[str, str]) -> _Label:
    if name in rename:
        return _Label(rename[name])
    base = name[len(LAG_PREFIX) :]
    if name.startswith(LAG_PREFIX) and base in rename:
        return _Label(LAG_PREFIX + rename[base])
    return _Label(name, _GREEK.get(name))


def _union(names: Iterable[Iterable[str]]) -> list[str]:
    return list(dict.fromkeys(n for group in names for n in group))


# ---------------------------------------------------------------------- blocks
def _coefficient_block(
    fits: list[Any],
    stat: TableStat | None,
    stars: tuple[float, ...] | None,
    digits: int,
    rename: Mapping[str, str],
    order: Sequence[str] | None,
) -> list[_Row]:
    frames = [
        pd.DataFrame({"estimate": r.params, "se": r.std_errors, "t": r.tstats, "p": r.pvalues})
        for r in fits
    ]
    fixed = [tuple(getattr(r, "fixed", ())) for r in fits]
    rows: list[_Row] = []
    for name in _parameter_order(_union(f.index for f in frames), order):
        entries = [
            _Entry(
                estimate=float(frame.at[name, "estimate"]),
                stat=None if stat is None else float(frame.at[name, stat]),
                pvalue=float(frame.at[name, "p"]),
                fixed=name in fixed_names,
            )
            if name in frame.index
            else None
            for frame, fixed_names in zip(frames, fixed, strict=True)
        ]
        rows += _entry_rows(
            _parameter_label(name, rename), entries, bracket="()", stars=stars, digits=digits
        )
    return rows


def _as_frame(value: Any) -> pd.DataFrame | None:
    return None if value is None else pd.DataFrame(value)


def _without_spillovers(fit: Any) -> bool:
    """Whether the model has neither a lag of y nor lags of X, so no indirect impacts."""
    terms = getattr(getattr(fit, "spec", None), "terms", None)
    return terms is not None and terms.lag is None and terms.durbin is None


def _impact_blocks(
    fits: list[Any],
    impact_kwargs: Mapping[str, Any],
    stat: TableStat | None,
    stars: tuple[float, ...] | None,
    digits: int,
    rename: Mapping[str, str],
) -> list[list[_Row]]:
    """One block per effect; standard errors, z values and p-values are used when present.

    The indirect impacts of a model without a lag of y and without lags of X (OLS, SEM) are
    zero by construction, not estimated, and are left blank.
    """
    impacts = [r.impacts(**impact_kwargs) if hasattr(r, "impacts") else None for r in fits]
    no_spillover = [_without_spillovers(r) for r in fits]
    if all(imp is None for imp in impacts):
        raise SpecificationError("impacts=True, but none of the results has an impacts() method.")
    estimates = [None if imp is None else pd.DataFrame(imp.estimates) for imp in impacts]
    std_errors = [_as_frame(getattr(imp, "std_errors", None)) for imp in impacts]
    zvalues = [_as_frame(getattr(imp, "zvalues", None)) for imp in impacts]
    pvalues = [_as_frame(getattr(imp, "pvalues", None)) for imp in impacts]
    regressors = _union(est.index for est in estimates if est is not None)

    def value(frame: pd.DataFrame | None, name: str, effect: str) -> float | None:
        if frame is None or name not in frame.index or effect not in frame.columns:
            return None
        return _optional_float(frame.at[name, effect])

    def shown(i: int, name: str, effect: str) -> float | None:
        if stat == "se":
            return value(std_errors[i], name, effect)
        if stat == "p":
            return value(pvalues[i], name, effect)
        if stat == "t":
            z = value(zvalues[i], name, effect)
            se = value(std_errors[i], name, effect)
            if z is None and se:
                z = value(estimates[i], name, effect) / se  # type: ignore[operator]
            return z
        return None

    blocks = []
    for effect in IMPACT_EFFECTS:
        rows = [_Row(_Label(f"{effect.capitalize()} impacts"), None)]
        for name in regressors:
            entries = [
                None
                if (effect == "indirect" and no_spillover[i])
                or (estimate := value(est, name, effect)) is None
                else _Entry(estimate, shown(i, name, effect), value(pvalues[i], name, effect))
                for i, est in enumerate(estimates)
            ]
            rows += _entry_rows(
                _parameter_label(name, rename), entries, bracket="()", stars=stars, digits=digits
            )
        blocks.append(rows)
    return blocks


def _has_spatial_parameter(fit: Any) -> bool:
    """Whether the fit estimated a lag of y or of the error (so OLS-based tests are not its own)."""
    terms = getattr(getattr(fit, "spec", None), "terms", None)
    return bool(getattr(terms, "parametric", ()))


def _diagnostics_block(
    fits: list[Any], keys: Sequence[str], digits: int, rename: Mapping[str, str]
) -> tuple[list[_Row], bool]:
    """Statistic with its p-value in brackets beneath; ``n/a`` for an inapplicable test.

    A test that a results object computes at the OLS estimate of its specification
    (``SpatialDiagnostics.at_ols_estimate``: Moran's I of the OLS residuals, the LM tests) is
    left blank under a model with a spatial parameter: it tests the OLS fit, not that model.
    ``"moran_resid"`` is Moran's I of each model's own residuals
    (:func:`naeringsmiljo.inference.diagnostics.residual_moran`), shown under every model.
    Also returns whether any cell was left blank, for the table's note.
    """
    raw = [r.spatial_diagnostics() if hasattr(r, "spatial_diagnostics") else None for r in fits]
    found_tests: list[dict[str, Any] | None] = []
    for fit, diag in zip(fits, raw, strict=True):
        own = None if diag is None else dict(diag)
        if isinstance(fit, SpatialResults):
            computed = {k: test(fit) for k, test in _OWN_DIAGNOSTICS.items() if k in keys}
            own = {**(own or {}), **computed} if computed else own
        found_tests.append(own)
    if all(t is None for t in found_tests):
        raise SpecificationError(
            "diagnostics were asked for, but no results has spatial_diagnostics()."
        )
    available = _union(t for t in found_tests if t is not None)
    if any(isinstance(fit, SpatialResults) for fit in fits):
        available += [k for k in _OWN_DIAGNOSTICS if k not in available]
    unknown = [k for k in keys if k not in available]
    if unknown:
        raise SpecificationError(f"Unknown diagnostics {unknown}; available: {available}.")
    tests: list[dict[str, Any] | None] = []
    blanked = False
    for fit, diag, own in zip(fits, raw, found_tests, strict=True):
        if own is not None and _has_spatial_parameter(fit):
            own = dict(own)
            for key in getattr(diag, "at_ols_estimate", ()):
                blanked = blanked or key in keys
                own.pop(key)
        tests.append(own)
    rows: list[_Row] = []
    for key in keys:
        found = [t[key] for t in found_tests if t is not None and key in t]
        name = rename.get(key, _OWN_LABELS.get(key) or getattr(found[0], "name", None) or key)
        entries: list[_Entry | None] = []
        for t in tests:
            test = None if t is None else t.get(key)
            if test is None:
                entries.append(None)
                continue
            statistic = _optional_float(getattr(test, "statistic", None))
            entries.append(
                _Entry(
                    math.nan if statistic is None else statistic,
                    stat=_optional_float(getattr(test, "pvalue", None)),
                )
            )
        rows += _entry_rows(_Label(str(name)), entries, bracket="[]", stars=None, digits=digits)
    return rows, blanked


def _fit_stat_block(fits: list[Any], keys: Sequence[str], digits: int) -> list[_Row]:
    rows = []
    for key in keys:
        if not any(hasattr(r, key) for r in fits):
            raise SpecificationError(f"No results has the fit statistic {key!r}.")
        cells = tuple(_Cell(_number(getattr(r, key, None), digits)) for r in fits)
        rows.append(_Row(_FIT_STAT_LABELS.get(key, _Label(key)), cells))
    return rows


# ---------------------------------------------------------------------- renderers
def _split_decimal(cell: str) -> tuple[str, str]:
    point = cell.find(".")
    return (cell, "") if point < 0 else (cell[:point], cell[point:])


def _render_text(table: _Table) -> str:
    """Fixed width, decimal points aligned within each column."""
    rows = [row for block in table.blocks for row in block]
    cells = [row.cells for row in rows if row.cells is not None]
    label_width = max(len(row.label.text) for row in rows if row.cells is not None)
    label_width = max([label_width] + [len(line[0].text) for line in table.header])
    layouts = []
    for j in range(1, table.n_columns):
        # numbers are aligned on the decimal point; words such as "(fixed)" are centred
        parts = [
            _split_decimal(line[j - 1].render("text")) for line in cells if line[j - 1].numeric
        ]
        words = [len(line[j - 1].render("text")) for line in cells if not line[j - 1].numeric]
        left = max((len(p[0]) for p in parts), default=0)
        right = max((len(p[1]) for p in parts), default=0)
        width = max([left + right] + words + [len(line[j].text) for line in table.header])
        layouts.append((left, right, width, (width - left - right) // 2))

    def cell(j: int, c: _Cell) -> str:
        left, right, width, pad = layouts[j - 1]
        text = c.render("text")
        if not c.numeric:
            return text.center(width)
        head, tail = _split_decimal(text)
        return (" " * pad + head.rjust(left) + tail.ljust(right)).ljust(width)

    total = label_width + sum(2 + layout[2] for layout in layouts)
    lines = [] if table.caption is None else [table.caption]
    lines.append("=" * total)
    for line in table.header:
        heads = [line[j].text.center(layouts[j - 1][2]) for j in range(1, table.n_columns)]
        lines.append("  ".join([line[0].text.ljust(label_width), *heads]).rstrip())
    for block in table.blocks:
        lines.append("-" * total)
        for row in block:
            if row.cells is None:
                lines.append(row.label.text)
                continue
            texts = [cell(j, c) for j, c in enumerate(row.cells, start=1)]
            lines.append("  ".join([row.label.text.ljust(label_width), *texts]).rstrip())
    lines.append("=" * total)
    lines += [note.text for note in table.notes]
    return "\n".join(lines)


def _render_markdown(table: _Table) -> str:
    """A GitHub pipe table; header lines after the first become the first body rows."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    head, *more = table.header
    lines = [] if table.caption is None else [f"**{_markdown_escape(table.caption)}**", ""]
    lines.append(line([h.render("markdown") for h in head]))
    lines.append(line([":---"] + ["---:"] * (table.n_columns - 1)))
    lines += [line([h.render("markdown") for h in header]) for header in more]
    for block in table.blocks:
        for row in block:
            if row.cells is None:
                cells = [f"*{row.label.render('markdown')}*"] + [""] * (table.n_columns - 1)
            else:
                cells = [row.label.render("markdown")] + [c.render("markdown") for c in row.cells]
            lines.append(line(cells))
    if table.notes:
        lines += ["", *(note.render("markdown") for note in table.notes)]
    return "\n".join(lines)


def _render_latex(table: _Table) -> str:
    """A booktabs ``tabular``, in a ``table`` float when a caption or label is given."""
    k = table.n_columns

    def line(cells: Sequence[str]) -> str:
        return " & ".join(cells) + r" \\"

    body = [rf"\begin{{tabular}}{{l{'c' * (k - 1)}}}", r"\toprule"]
    body += [line([h.render("latex") for h in header]) for header in table.header]
    for block in table.blocks:
        body.append(r"\midrule")
        for row in block:
            if row.cells is None:
                body.append(rf"\multicolumn{{{k}}}{{l}}{{\emph{{{row.label.render('latex')}}}}} \\")
            else:
                body.append(
                    line([row.label.render("latex")] + [c.render("latex") for c in row.cells])
                )
    body.append(r"\bottomrule")
    body += [
        rf"\multicolumn{{{k}}}{{l}}{{\footnotesize {note.render('latex')}}} \\"
        for note in table.notes
    ]
    body.append(r"\end{tabular}")
    if table.caption is None and table.label is None:
        return "\n".join(body)
    wrapper = [r"\begin{table}[htbp]", r"\centering"]
    if table.caption is not None:
        wrapper.append(rf"\caption{{{_latex_escape(table.caption)}}}")
    if table.label is not None:
        wrapper.append(rf"\label{{{table.label}}}")
    return "\n".join(wrapper + body + [r"\end{table}"])


def _render_html(table: _Table) -> str:
    """An HTML ``<table>`` for notebooks: labels left, numbers right, notes in the footer."""

    def cells(tag: str, texts: Sequence[str], attrs: str = "") -> str:
        return "".join(f"<{tag}{attrs}>{text}</{tag}>" for text in texts)

    right = ' style="text-align:right"'
    lines = ["<table>"]
    if table.caption is not None:
        lines.append(f"<caption>{html.escape(table.caption)}</caption>")
    lines.append("<thead>")
    for header in table.header:
        lines.append(f"<tr>{cells('th', [html.escape(h.text) for h in header])}</tr>")
    lines.append("</thead>")
    for block in table.blocks:
        lines.append("<tbody>")
        for row in block:
            label = html.escape(row.label.text)
            if row.cells is None:
                lines.append(f'<tr><td colspan="{table.n_columns}"><em>{label}</em></td></tr>')
                continue
            texts = [html.escape(c.render("text")) for c in row.cells]
            lines.append(f"<tr><td>{label}</td>{cells('td', texts, right)}</tr>")
        lines.append("</tbody>")
    if table.notes:
        notes = "<br>".join(html.escape(note.text) for note in table.notes)
        lines.append(f'<tfoot><tr><td colspan="{table.n_columns}">{notes}</td></tr></tfoot>')
    lines.append("</table>")
    return "\n".join(lines)


_RENDERERS = {"text": _render_text, "markdown": _render_markdown, "latex": _render_latex}


# ---------------------------------------------------------------------- entry point
def _columns(
    results: SpatialResults | Sequence[SpatialResults] | Mapping[str, SpatialResults],
    names: Sequence[str] | None,
) -> tuple[list[str], list[Any]]:
    fits: list[Any]
    if isinstance(results, Mapping):
        if names is not None:
            raise SpecificationError(
                "Give column labels either as the keys of a dict or as names=."
            )
        labels, fits = [str(k) for k in results], list(results.values())
    else:
        fits = [results] if hasattr(results, "params") else list(results)
        labels = [f"({i})" for i in range(1, len(fits) + 1)] if names is None else list(names)
    if not fits:
        raise SpecificationError("regression_table needs at least one results object.")
    if len(labels) != len(fits):
        raise SpecificationError(f"{len(labels)} column labels for {len(fits)} results.")
    return labels, fits


def regression_table(
    results: SpatialResults | Sequence[SpatialResults] | Mapping[str, SpatialResults],
    *,
    stat: TableStat | None = "se",
    stars: bool = False,
    star_levels: Sequence[float] = (0.1, 0.05, 0.01),
    digits: int = 3,
    impacts: bool = False,
    impact_kwargs: Mapping[str, Any] | None = None,
    diagnostics: Sequence[str] | None = None,
    fit_stats: Sequence[str] = ("nobs", "loglik", "aic"),
    names: Sequence[str] | None = None,
    rename: Mapping[str, str] | None = None,
    order: Sequence[str] | None = None,
    format: TableFormat = "text",
    caption: str | None = None,
    label: str | None = None,
) -> Table:
    r"""Several fitted models side by side in one table.

    Parameters
    ----------
    results : SpatialResults, list of SpatialResults, or dict
        The models, one per column; a dict maps column labels to results.
    stat : {"se", "t", "p"} or None
        Shown in parentheses beneath each estimate: standard error, t (z) statistic or p-value;
        None shows the estimates alone.
    stars : bool
        Mark estimates by their p-values: one star for ``p < star_levels[0]``, two for
        ``p < star_levels[1]``, and so on; a legend line is added. Parameters held fixed get none.
    star_levels : sequence of float
        Decreasing significance levels in (0, 1).
    digits : int
        Decimals of every non-integer number.
    impacts : bool
        Add blocks of direct, indirect and total impacts of each regressor, from
        ``results.impacts(**impact_kwargs)``. When the impacts carry ``std_errors``,
        ``zvalues`` or ``pvalues`` (simulated inference), those are shown beneath and used for
        the stars.
    impact_kwargs : mapping, optional
        Keyword arguments of ``results.impacts``.
    diagnostics : sequence of str, optional
        Keys of the mapping returned by ``results.spatial_diagnostics()``: each test's statistic
        with its p-value in brackets beneath, ``n/a`` for a test that does not apply. These
        tests are computed at the OLS estimate of each specification (except
        ``anselin_kelejian``), so they are shown only under models without ``rho`` or
        ``lambda``, with a note; ``"moran_resid"``, Moran's I of each model's own residuals
        under randomisation, is shown under every model, and ``"lm_resid"``, the LM test of
        the dependence a lag or an error model leaves
        (:func:`~naeringsmiljo.inference.diagnostics.residual_dependence_lm`), under SAR, SDM,
        SEM and SDEM.
    fit_stats : sequence of str
        Attributes of the results shown at the bottom (``"nobs"``, ``"loglik"``, ``"aic"``,
        ``"bic"``, ``"r2"``, ``"sigma2"``, or any other).
    names : sequence of str, optional
        Column labels (default ``(1)``, ``(2)``, ...; not with a dict). A second header line with
        the model names is shown unless the labels are those names.
    rename : mapping, optional
        Display labels of parameters, impacts rows and diagnostics; renaming a regressor also
        renames its lag ``W_<name>`` unless that has its own entry.
    order : sequence of str, optional
        Parameters shown first, in this order; the others follow in the default order.
    format : {"text", "markdown", "latex"}
        Fixed-width text; a GitHub pipe table; or a booktabs ``tabular`` (needs
        ``\usepackage{booktabs}``) with every label escaped, wrapped in a ``table`` float when
        ``caption`` or ``label`` is given.
    caption : str, optional
        Table caption (the first line in text, bold above the table in Markdown).
    label : str, optional
        LaTeX ``\label`` key (ignored by the other formats).

    Returns
    -------
    Table
        The table as a :class:`str` in ``format``, identical byte for byte for identical
        inputs; it shows as an HTML table in a notebook (``_repr_html_``).

    Raises
    ------
    ValueError
        For an unknown option, mismatched labels, parameters in ``order`` that no model has,
        diagnostics or fit statistics that no results provides.
    """
    check_choice("stat", stat, TableStat | None)
    check_choice("format", format, TableFormat)
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or digits < 0:
        raise SpecificationError(f"digits must be a non-negative integer, got {digits!r}.")
    levels = tuple(float(level) for level in star_levels)
    if stars and (
        not levels
        or not all(0 < level < 1 for level in levels)
        or any(a <= b for a, b in pairwise(levels))
    ):
        raise SpecificationError(
            f"star_levels must decrease strictly within (0, 1), got {star_levels}."
        )
    labels, fits = _columns(results, names)
    rename = dict(rename or {})
    star_arg = levels if stars else None

    blocks = [_coefficient_block(fits, stat, star_arg, digits, rename, order)]
    if impacts:
        blocks += _impact_blocks(fits, dict(impact_kwargs or {}), stat, star_arg, digits, rename)
    blanked = False
    if diagnostics:
        rows, blanked = _diagnostics_block(fits, diagnostics, digits, rename)
        blocks.append(rows)
    if fit_stats:
        blocks.append(_fit_stat_block(fits, fit_stats, digits))

    models = [str(getattr(r, "model", "")) for r in fits]
    header = [tuple(_Label(text) for text in ["", *labels])]
    if models != labels:
        header.append(tuple(_Label(text) for text in ["", *models]))
    notes = [] if stat is None else [_Label(_STAT_NOTES[stat])]
    if diagnostics:
        notes.append(_Label("Diagnostics: test statistic, p-value in brackets."))
    if blanked:
        notes.append(
            _Label(
                "Moran's I (error) and the LM tests are those of the OLS residuals, shown under "
                "models without rho or lambda only."
            )
        )
    if diagnostics and RESIDUAL_MORAN in diagnostics:
        notes.append(
            _Label("Moran's I (residuals): z of each model's own residuals, under randomisation.")
        )
    if diagnostics and RESIDUAL_LM in diagnostics:
        notes.append(
            _Label(
                "LM (residuals): score test of the error dependence a lag model leaves (SAR, "
                "SDM) or of the lag an error model leaves (SEM, SDEM); n/a under other models."
            )
        )
    if stars:
        notes.append(_star_legend(levels))
    table = _Table(
        header=tuple(header),
        blocks=tuple(tuple(block) for block in blocks),
        notes=tuple(notes),
        caption=caption,
        label=label,
    )
    return Table(_RENDERERS[format](table), _render_html(table))
