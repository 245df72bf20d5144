"""Regression tables: every printed number is the rounded attribute it stands for.

The tables are parsed back (Markdown and LaTeX cells, text tokens) and each number is compared
with the results object it came from, so a mislabelled row, a shifted column or a wrong statistic
fails. Impacts inference and spatial diagnostics are exercised with small stand-in objects that
have the attributes :func:`regression_table` reads.
"""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import naeringsmiljo as nm
from naeringsmiljo import regression_table
from tools import require_executable

FORMULA = "CRIME ~ INC + HOVAL"
MODELS = ("OLS", "SAR", "SEM", "SDM")
DIGITS = 3
# A number printed with DIGITS decimals is within half a unit of the last digit of the value; the
# factor covers the binary representation of the decimal text.
ROUNDING_ATOL = 0.5 * 10.0**-DIGITS * (1 + 1e-9)
PARAMETER_ORDER = ["Intercept", "INC", "HOVAL", "W_INC", "W_HOVAL", "rho", "lambda"]
NUMBER = re.compile(r"^([(\[]?)(-?\d+(?:\.\d+)?)([)\]]?)(\**)$")


@pytest.fixture(scope="module")
def fits(columbus, w_anselin) -> dict[str, nm.SpatialResults]:
    return {m: nm.MODELS[m].from_formula(FORMULA, columbus, w_anselin).fit() for m in MODELS}


# ---------------------------------------------------------------------- parsers
def markdown_rows(table: str) -> list[list[str]]:
    """Cells of every pipe-table line, unescaped."""
    rows = []
    for line in table.splitlines():
        if line.startswith("|") and not re.fullmatch(r"(\| :?-+:? )+\|", line):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            rows.append([re.sub(r"\\(.)", r"\1", c.strip()) for c in cells])
    return rows


def latex_rows(table: str) -> list[list[str]]:
    """Cells of every ``&``-separated row, with LaTeX minus signs, stars and escapes undone."""
    rows = []
    for line in table.splitlines():
        if " & " in line and line.endswith(r" \\"):
            cells = line[: -len(r" \\")].split(" & ")
            cells = [c.replace("$-$", "-").replace("$\\rho$", "rho") for c in cells]
            cells = [c.replace("$\\lambda$", "lambda") for c in cells]
            cells = [re.sub(r"\$\^\{(\**)\}\$", r"\1", c) for c in cells]
            rows.append([re.sub(r"\\([_&%$#{}])", r"\1", c).strip() for c in cells])
    return rows


def parse(cell: str) -> tuple[float, str, int]:
    """Value, bracket (``""``, ``"("`` or ``"["``) and number of stars of a numeric cell."""
    match = NUMBER.match(cell)
    assert match, f"not a number: {cell!r}"
    opening, number, closing, stars = match.groups()
    assert {"": "", "(": ")", "[": "]"}[opening] == closing
    return float(number), opening, len(stars)


def assert_printed(cell: str, value: float, bracket: str = "") -> int:
    """``cell`` shows ``value`` rounded to DIGITS decimals; returns its number of stars."""
    number, opening, stars = parse(cell)
    assert opening == bracket, cell
    assert number == float(f"{value:.{DIGITS}f}"), (cell, value)
    np.testing.assert_allclose(number, value, rtol=0, atol=ROUNDING_ATOL)
    return stars


def body(rows: list[list[str]], labels: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    """The first row of each label with the statistic row beneath it (or an empty list)."""
    out = {}
    for i, row in enumerate(rows):
        if row[0] in labels and row[0] not in out:
            below = rows[i + 1][1:] if i + 1 < len(rows) and rows[i + 1][0] == "" else []
            out[row[0]] = (row[1:], below)
    return out


def expected_stars(p: float, levels: tuple[float, ...] = (0.1, 0.05, 0.01)) -> int:
    return sum(p < level for level in levels)


# ---------------------------------------------------------------------- stand-ins
class WithExtras:
    """A real results object plus the features other modules are adding (impacts inference,
    spatial diagnostics), with the attribute names :func:`regression_table` looks for."""

    def __init__(self, base: nm.SpatialResults, impacts: Any = None, tests: Any = None) -> None:
        self._base, self._impacts, self._tests = base, impacts, tests
        self.impact_calls: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)

    def impacts(self, **kwargs: Any) -> Any:
        self.impact_calls.append(kwargs)
        return self._impacts if self._impacts is not None else self._base.impacts()

    def spatial_diagnostics(self) -> dict[str, Any]:
        return self._tests


@dataclass(frozen=True)
class StandInImpacts:
    estimates: pd.DataFrame
    std_errors: pd.DataFrame
    zvalues: pd.DataFrame
    pvalues: pd.DataFrame


@dataclass(frozen=True)
class StandInTest:
    statistic: float
    df: int
    pvalue: float
    name: str
    reason: str = ""


@dataclass(frozen=True)
class StandInStdErrors:
    estimates: pd.DataFrame
    std_errors: pd.DataFrame


class WithoutDiagnostics(WithExtras):
    """A results object that certainly has no ``spatial_diagnostics``."""

    def __getattribute__(self, name: str) -> Any:
        if name == "spatial_diagnostics":
            raise AttributeError(name)
        return super().__getattribute__(name)

    def __getattr__(self, name: str) -> Any:
        if name == "spatial_diagnostics":  # not even through the wrapped results object
            raise AttributeError(name)
        return super().__getattr__(name)


def impacts_with_inference(res: nm.SpatialResults) -> StandInImpacts:
    est = res.impacts().estimates
    se = est.abs() / 2.5 + 0.01  # arbitrary but distinct from the estimates
    z = est / se
    p = pd.DataFrame(2 * stats.norm.sf(np.abs(z)), index=est.index, columns=est.columns)
    return StandInImpacts(est, se, z, p)


# ---------------------------------------------------------------------- numbers
@pytest.mark.parametrize("fmt", ["markdown", "latex"])
@pytest.mark.parametrize("stat", ["se", "t", "p"])
def test_every_number_is_the_rounded_attribute(fits, fmt, stat) -> None:
    table = regression_table(fits, stat=stat, stars=True, format=fmt)
    rows = markdown_rows(table) if fmt == "markdown" else latex_rows(table)
    assert rows[0] == ["", *MODELS]
    labels = [r[0] for r in rows if r[0]]
    assert labels == [*PARAMETER_ORDER, "N", "Log-likelihood", "AIC"]
    found = body(rows, labels)
    attribute = {"se": "std_errors", "t": "tstats", "p": "pvalues"}[stat]
    for j, model in enumerate(MODELS):
        res = fits[model]
        for name in PARAMETER_ORDER:
            values, below = found[name]
            if name not in res.params.index:
                assert values[j] == "" and below[j] == ""
                continue
            stars = assert_printed(values[j], float(res.params[name]))
            assert stars == expected_stars(float(res.pvalues[name]))
            assert_printed(below[j], float(getattr(res, attribute)[name]), "(")
        assert found["N"][0][j] == str(res.nobs)
        assert_printed(found["Log-likelihood"][0][j], res.loglik)
        assert_printed(found["AIC"][0][j], res.aic)


def test_text_shows_the_same_numbers_as_markdown(fits) -> None:
    text = regression_table(fits, stars=True, impacts=True)
    markdown = markdown_rows(regression_table(fits, stars=True, impacts=True, format="markdown"))
    lines = [ln for ln in text.splitlines()[2:] if ln and set(ln) - set("=-")]
    tokens = [ln.split() for ln in lines if NUMBER.match(ln.split()[-1])]
    expected = [[c for c in row if c] for row in markdown[1:] if any(row[1:])]
    assert tokens == expected


def test_columns_are_decimal_aligned_in_text(fits) -> None:
    lines = regression_table(fits, stars=True).splitlines()
    intercept = next(ln for ln in lines if ln.startswith("Intercept"))
    below = lines[lines.index(intercept) + 1]
    points = [m.start() for m in re.finditer(r"\.", intercept)]
    assert len(points) == len(MODELS)
    assert points == [m.start() for m in re.finditer(r"\.", below)]


def test_stars_follow_the_given_levels(fits) -> None:
    levels = (0.2, 0.001)
    table = regression_table(fits, stars=True, star_levels=levels, format="markdown")
    found = body(markdown_rows(table), PARAMETER_ORDER)
    counts = set()
    for j, model in enumerate(MODELS):
        res = fits[model]
        for name in res.params.index:
            stars = parse(found[name][0][j])[2]
            assert stars == expected_stars(float(res.pvalues[name]), levels)
            counts.add(stars)
    assert counts == {0, 1, 2}  # the check covers every number of stars
    assert table.splitlines()[-1] == r"\* p<0.2, \*\* p<0.001"
    assert "*" not in regression_table(fits, format="markdown").replace(r"\|", "")


def test_fixed_parameter_gets_no_stars_and_no_standard_error(columbus, w_anselin) -> None:
    res = nm.SAR.from_formula(FORMULA, columbus, w_anselin).fit(fixed={"rho": 0.2})
    found = body(markdown_rows(regression_table(res, stars=True, format="markdown")), ["rho"])
    values, below = found["rho"]
    assert values == ["0.200"] and below == ["(fixed)"]


def test_rounded_negative_zero_prints_as_zero(fits) -> None:
    res = fits["OLS"]
    tiny = replace(res, params=res.params * 0 - 1e-6)
    found = body(markdown_rows(regression_table(tiny, format="markdown")), ["INC"])
    assert found["INC"][0] == ["0.000"]


def test_digits_and_stat_none(fits) -> None:
    table = regression_table(fits, stat=None, digits=5, format="markdown")
    rows = markdown_rows(table)
    assert all(r[0] for r in rows[1:])  # no statistic rows
    assert "parentheses" not in table
    inc = body(rows, ["INC"])["INC"][0]
    for j, model in enumerate(MODELS):
        assert inc[j] == f"{fits[model].params['INC']:.5f}"


def test_identical_across_calls(fits) -> None:
    for fmt in ("text", "markdown", "latex"):
        kw = {"stars": True, "impacts": True, "format": fmt, "caption": "Crime", "label": "t:1"}
        first = regression_table(fits, **kw).encode()
        assert regression_table(dict(fits), **kw).encode() == first


# ---------------------------------------------------------------------- formats
def test_markdown_has_one_cell_per_column_on_every_row(fits) -> None:
    table = regression_table(fits, stars=True, impacts=True, caption="a | b", format="markdown")
    lines = [ln for ln in table.splitlines() if ln.startswith("|")]
    assert len(lines) > 20
    for line in lines:
        assert len(re.findall(r"(?<!\\)\|", line)) == len(MODELS) + 2, line
    assert lines[1] == "| :--- |" + " ---: |" * len(MODELS)
    assert table.splitlines()[0] == r"**a \| b**"
    assert r"W\_INC" in table


def strip_escapes(tex: str) -> str:
    return re.sub(r"\\[_&%$#{}]", "", tex)


def test_latex_is_a_complete_booktabs_tabular(fits) -> None:
    tex = regression_table(fits, stars=True, impacts=True, format="latex")
    lines = tex.splitlines()
    assert lines[0] == r"\begin{tabular}{lcccc}" and lines[-1] == r"\end{tabular}"
    rules = [ln for ln in lines if ln in (r"\toprule", r"\midrule", r"\bottomrule")]
    assert rules[0] == r"\toprule" and rules[-1] == r"\bottomrule"
    assert rules.count(r"\midrule") == 5  # header | coefficients | 3 impacts | fit statistics
    assert lines.index(r"\toprule") < lines.index(r"\midrule") < lines.index(r"\bottomrule")
    bare = strip_escapes(tex)
    depth = 0
    for char in bare:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    assert "_" not in bare  # every underscore escaped
    assert r"W\_INC" in tex and r"W\_HOVAL" in tex
    for line in lines:
        assert bare.count("$") % 2 == 0
        if line.endswith(r"\\") and not line.startswith(r"\multicolumn"):
            assert strip_escapes(line).count("&") == len(MODELS), line
    assert r"\multicolumn{5}{l}{\emph{Direct impacts}} \\" in lines


def test_latex_float_and_escaped_labels(fits) -> None:
    tex = regression_table(
        [fits["SAR"]],
        names=["50% & more"],
        rename={"INC": "income_$"},
        caption="Crime #1",
        label="tab:crime",
        format="latex",
    )
    lines = tex.splitlines()
    assert lines[:4] == [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\caption{Crime \#1}",
        r"\label{tab:crime}",
    ]
    assert lines[-2:] == [r"\end{tabular}", r"\end{table}"]
    assert r" & 50\% \& more \\" in lines
    assert any(ln.startswith(r"income\_\$ & ") for ln in lines)
    assert any(ln.startswith(r"$\rho$ & ") for ln in lines)
    assert r"\begin{table}" not in regression_table(fits, format="latex")


def test_latex_compiles(fits, tmp_path) -> None:
    require_executable("pdflatex")  # a failure in CI, where .ci/run installs TeX
    table = regression_table(
        fits, stars=True, impacts=True, format="latex", caption="Crime", label="tab:c"
    )
    (tmp_path / "table.tex").write_text(table)
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
        "\\input{table}\n\\end{document}\n"
    )
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]


def test_text_layout(fits) -> None:
    text = regression_table(list(fits.values()), names=list("abcd"), caption="Crime", stars=True)
    lines = text.splitlines()
    assert lines[0] == "Crime"
    assert set(lines[1]) == {"="} and lines[1] == lines[-3]
    assert lines[2].split() == list("abcd")
    assert lines[3].split() == list(MODELS)  # model names beneath differing labels
    assert lines[-2:] == ["Standard errors in parentheses.", "* p<0.1, ** p<0.05, *** p<0.01"]
    assert all(len(ln) <= len(lines[1]) for ln in lines[1:-2])
    assert all(ln == ln.rstrip() for ln in lines)


# ---------------------------------------------------------------------- blocks
def test_impacts_block_matches_the_impacts(fits) -> None:
    table = regression_table(fits, impacts=True, format="markdown")
    rows = markdown_rows(table)
    for effect in ("direct", "indirect", "total"):
        start = rows.index([f"*{effect.capitalize()} impacts*", *[""] * len(MODELS)])
        section = body(rows[start + 1 : start + 5], ["INC", "HOVAL"])
        for j, model in enumerate(MODELS):
            imp = fits[model].impacts()
            for name in ("INC", "HOVAL"):
                values, below = section[name]
                if effect == "indirect" and model in ("OLS", "SEM"):
                    assert values[j] == ""  # zero by construction, not an estimate
                    continue
                assert_printed(values[j], float(imp.estimates.at[name, effect]))
                if getattr(imp, "std_errors", None) is None:
                    assert below == []


def test_impacts_inference_from_stand_in(fits) -> None:
    wrapped = {m: WithExtras(r, impacts=impacts_with_inference(r)) for m, r in fits.items()}
    kwargs = {"inference": "simulation", "draws": 50, "seed": 1}
    for stat, attribute in (("se", "std_errors"), ("t", "zvalues"), ("p", "pvalues")):
        table = regression_table(
            wrapped, stat=stat, stars=True, impacts=True, impact_kwargs=kwargs, format="markdown"
        )
        rows = markdown_rows(table)
        start = rows.index(["*Total impacts*", *[""] * len(MODELS)])
        section = body(rows[start + 1 : start + 5], ["INC", "HOVAL"])
        for j, model in enumerate(MODELS):
            imp = wrapped[model]._impacts
            for name in ("INC", "HOVAL"):
                values, below = section[name]
                stars = assert_printed(values[j], float(imp.estimates.at[name, "total"]))
                assert stars == expected_stars(float(imp.pvalues.at[name, "total"]))
                assert_printed(below[j], float(getattr(imp, attribute).at[name, "total"]), "(")
    assert all(w.impact_calls == [kwargs] * 3 for w in wrapped.values())


def test_real_impacts_inference(fits) -> None:
    kwargs = {"inference": "delta"}
    table = regression_table(fits, impacts=True, impact_kwargs=kwargs, format="markdown")
    rows = markdown_rows(table)
    start = rows.index(["*Direct impacts*", *[""] * len(MODELS)])
    section = body(rows[start + 1 : start + 5], ["INC", "HOVAL"])
    for j, model in enumerate(MODELS):
        imp = fits[model].impacts(**kwargs)
        for name in ("INC", "HOVAL"):
            values, below = section[name]
            assert_printed(values[j], float(imp.estimates.at[name, "direct"]))
            assert_printed(below[j], float(imp.std_errors.at[name, "direct"]), "(")


def test_impacts_t_from_standard_errors_when_no_zvalues(fits) -> None:
    imp = impacts_with_inference(fits["SAR"])
    partial = WithExtras(fits["SAR"], impacts=StandInStdErrors(imp.estimates, imp.std_errors))
    rows = markdown_rows(regression_table(partial, stat="t", impacts=True, format="markdown"))
    start = rows.index(["*Direct impacts*", ""])
    below = body(rows[start + 1 :], ["INC"])["INC"][1]
    expected = imp.estimates.at["INC", "direct"] / imp.std_errors.at["INC", "direct"]
    assert_printed(below[0], float(expected), "(")


def test_diagnostics_rows_from_stand_in(fits) -> None:
    tests_ols = {
        "lm_lag": StandInTest(8.898, 1, 0.00285, "LM lag"),
        "lm_error": StandInTest(5.723, 1, 0.01675, "LM error"),
    }
    tests_sar = {"lm_error": StandInTest(math.nan, 1, math.nan, "LM error", "has rho")}
    table = regression_table(
        {
            "OLS": WithExtras(fits["OLS"], tests=tests_ols),
            "SAR": WithExtras(fits["SAR"], tests=tests_sar),
            "SEM": WithoutDiagnostics(fits["SEM"]),
        },
        diagnostics=["lm_lag", "lm_error"],
        rename={"lm_error": "LM (error)"},
        format="markdown",
    )
    found = body(markdown_rows(table), ["LM lag", "LM (error)"])
    assert_printed(found["LM lag"][0][0], 8.898)
    assert_printed(found["LM lag"][1][0], 0.00285, "[")
    assert found["LM lag"][0][1:] == ["", ""] and found["LM lag"][1][1:] == ["", ""]
    assert_printed(found["LM (error)"][0][0], 5.723)
    assert_printed(found["LM (error)"][1][0], 0.01675, "[")
    assert found["LM (error)"][0][1:] == ["n/a", ""]
    assert "p-value in brackets" in table
    labels = [r[0] for r in markdown_rows(table) if r[0]]
    assert labels.index("lambda") < labels.index("LM lag") < labels.index("N")


def test_real_spatial_diagnostics(fits) -> None:
    res = fits["OLS"]
    available = dict(res.spatial_diagnostics())
    keys = list(available)
    assert {"lm_lag", "lm_error"} <= set(keys)
    table = regression_table([res], diagnostics=keys, format="markdown")
    found = body(markdown_rows(table), [getattr(available[k], "name", None) or k for k in keys])
    for key in keys:
        test = available[key]
        values, below = found[getattr(test, "name", None) or key]
        if test.statistic is None or not math.isfinite(test.statistic):
            assert values == ["n/a"]
        else:
            assert_printed(values[0], float(test.statistic))
            assert_printed(below[0], float(test.pvalue), "[")


def test_fit_statistics_by_name(fits) -> None:
    table = regression_table(fits, fit_stats=("bic", "r2", "sigma2"), format="markdown")
    found = body(markdown_rows(table), ["BIC", "R^2", "sigma^2"])
    for j, model in enumerate(MODELS):
        assert_printed(found["BIC"][0][j], fits[model].bic)
        assert_printed(found["R^2"][0][j], fits[model].r2)
        assert_printed(found["sigma^2"][0][j], fits[model].sigma2)
    assert "Log-likelihood" not in table


def test_fit_statistic_missing_from_a_model_is_blank(fits) -> None:
    gmm_like = WithExtras(fits["SAR"])
    gmm_like.hansen_j = 1.2345
    table = regression_table(
        [fits["OLS"], gmm_like], fit_stats=("nobs", "hansen_j"), format="markdown"
    )
    found = body(markdown_rows(table), ["N", "hansen_j"])
    assert found["N"][0] == ["49", "49"]
    assert found["hansen_j"][0] == ["", "1.234"] or found["hansen_j"][0] == ["", "1.235"]
    assert_printed(found["hansen_j"][0][1], 1.2345)


# ---------------------------------------------------------------------- labels and order
def test_names_rename_and_order(fits) -> None:
    table = regression_table(
        list(fits.values()),
        names=["(a)", "(b)", "(c)", "(d)"],
        rename={"INC": "Income", "HOVAL": "House value", "W_HOVAL": "Lagged house value"},
        order=["rho", "HOVAL"],
        format="markdown",
    )
    rows = markdown_rows(table)
    assert rows[0] == ["", "(a)", "(b)", "(c)", "(d)"]
    assert rows[1] == ["", *MODELS]
    labels = [r[0] for r in rows[2:] if r[0]]
    assert labels[:6] == [
        "rho",
        "House value",
        "Intercept",
        "Income",
        "W_Income",
        "Lagged house value",
    ]
    found = body(rows, ["rho", "W_Income"])
    assert_printed(found["rho"][0][1], float(fits["SAR"].params["rho"]))
    assert_printed(found["W_Income"][0][3], float(fits["SDM"].params["W_INC"]))


def test_default_column_labels_and_single_results(fits) -> None:
    rows = markdown_rows(regression_table(list(fits.values()), format="markdown"))
    assert rows[0] == ["", "(1)", "(2)", "(3)", "(4)"] and rows[1] == ["", *MODELS]
    single = markdown_rows(regression_table(fits["SEM"], format="markdown"))
    assert single[0] == ["", "(1)"] and single[1] == ["", "SEM"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stat": "z"}, "stat='z' is not one of"),
        ({"format": "html"}, "format='html' is not one of"),
        ({"digits": -1}, "digits"),
        ({"stars": True, "star_levels": (0.01, 0.05)}, "star_levels"),
        ({"stars": True, "star_levels": (1.5,)}, "star_levels"),
        ({"order": ["GDP"]}, "order"),
        ({"fit_stats": ("aicc",)}, "aicc"),
        ({"diagnostics": ["lm_lag"]}, "spatial_diagnostics"),
    ],
)
def test_bad_options_raise(fits, kwargs, message) -> None:
    plain = [WithoutDiagnostics(fits["OLS"])]
    with pytest.raises(ValueError, match=message):
        regression_table(plain, **kwargs)


def test_bad_columns_raise(fits) -> None:
    with pytest.raises(ValueError, match="either"):
        regression_table(fits, names=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="2 column labels for 4"):
        regression_table(list(fits.values()), names=["a", "b"])
    with pytest.raises(ValueError, match="at least one"):
        regression_table([])
    tests = {"lm_lag": StandInTest(1.0, 1, 0.3, "LM lag")}
    with pytest.raises(ValueError, match="Unknown diagnostics"):
        regression_table([WithExtras(fits["OLS"], tests=tests)], diagnostics=["lm_sarma"])


def test_a_fixed_parameter_is_centred_under_its_estimate(columbus, w_anselin) -> None:
    fixed = nm.SAR.from_formula("CRIME ~ INC + HOVAL", columbus, w_anselin).fit(fixed={"rho": 0.3})
    lines = nm.regression_table([fixed]).splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("rho"))
    estimate, word = lines[row].index("0.300"), lines[row + 1].index("(fixed)")
    # the word covers the estimate's column instead of being pushed right by the decimal layout
    assert word <= estimate and word + len("(fixed)") >= estimate + len("0.300")


def test_residual_lm_under_lag_and_error_models_only(columbus, w_anselin) -> None:
    fits = [
        m.from_formula("CRIME ~ INC + HOVAL", columbus, w_anselin).fit()
        for m in (nm.OLS, nm.SAR, nm.SEM, nm.SAC)
    ]
    text = nm.regression_table(fits, diagnostics=["lm_resid"])
    row = next(line for line in text.splitlines() if line.startswith("LM (residuals)"))
    # n/a under OLS and SAC; R spatialreg lagsarlm's 0.3195 under SAR; the lag test under SEM
    assert row.split()[2:] == ["n/a", "0.320", "1.764", "n/a"]
