"""Step 4: the Norwegian application on the simulated milieu economy.

The outcome is the municipality's ``innovations`` of ``data/simulated/outcomes.csv``, drawn from
a spatial-lag model with known parameters (``truth.json``): ``rho`` 0.4, the coefficients of
the four milieu measures, ``sigma`` 0.5, and ``W`` the row-standardised 6 nearest
municipalities. The regressors are recomputed from the microdata by step 3: co-location (log
number of actors), collaboration intensity (local share of ties) and diversity (related and
unrelated variety).

1. OLS with the spatial diagnostics (Moran's I, LM and robust LM, SARMA, and the LM tests of
   omitted ``WX`` of Koley & Bera 2024), then SLX, SAR, SEM, SDM and SDEM by ML, with the
   likelihood-ratio tests between them.
2. Direct, indirect and total impacts of the SAR, SDM and SDEM fits, with standard errors
   simulated from the asymptotic distribution of the estimates (1,000 draws in the fast run,
   10,000 in the full one; seeds from the run's context), against the true impacts.
3. SAR fitted under geographic weights (6 nearest neighbours, queen contiguity with the
   islands linked to their nearest municipality) and under the collaboration network between
   municipalities (``SpatialWeights.from_collaboration``, counts and intensities).
4. The true parameters against the SAR and SDM estimates.

Outputs: the tables ``application_ols_diagnostics``, ``application_models``,
``application_impacts``, ``application_weights``, ``application_truth`` and the macros
``macros_application`` (numbers quoted in the text), and the figure ``impacts_plot``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import naeringsmiljo as nm
from naeringsmiljo import diagnostics
from replication.steps.s03_measures import (
    DESIGN,
    Milieu,
    latex_count,
    latex_number,
    load_milieu,
    noted_tabular,
    region_measures,
)

FORMULA = "innovations ~ " + " + ".join(DESIGN)
MODELS = ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM")
IMPACT_MODELS = ("SAR", "SDM", "SDEM")
EFFECTS = ("direct", "indirect", "total")
LABELS = {
    "Intercept": "Intercept",
    "log_actors": "Log actors (co-location)",
    "local_share": "Local share (collaboration)",
    "related_variety": "Related variety",
    "unrelated_variety": "Unrelated variety",
    "rho": r"$\rho$",
    "lambda": r"$\lambda$",
}
SHORT = {
    "log_actors": "Log actors",
    "local_share": "Local share",
    "related_variety": "Related variety",
    "unrelated_variety": "Unrelated variety",
}
DIAGNOSTICS = (
    ("moran", "Moran's $I$ (standard deviate)"),
    ("lm_error", "LM error"),
    ("lm_lag", "LM lag"),
    ("rlm_error", "Robust LM error"),
    ("rlm_lag", "Robust LM lag"),
    ("sarma", "LM SARMA"),
    ("lm_wx", "LM $WX$ (Koley \\& Bera)"),
    ("rlm_wx", "Robust LM $WX$ (Koley \\& Bera)"),
)
DRAWS = {"fast": 1_000, "full": 10_000}


def read_truth(root: Path) -> dict[str, Any]:
    """The simulation's seed, design and true parameters."""
    return json.loads((Path(root) / "data" / "simulated" / "truth.json").read_text("utf-8"))


def geographic_weights(truth: dict[str, Any]) -> nm.SpatialWeights:
    """The weights of the simulation: the ``k`` nearest municipalities, row-standardised."""
    return nm.datasets.norway_weights("knn", k=int(truth["k"])).row_standardize()


def application_data(milieu: Milieu) -> pd.DataFrame:
    """The outcome and the milieu measures recomputed from the microdata, by municipality."""
    frame = region_measures(milieu)[list(DESIGN)].fillna(0.0)
    frame.insert(0, "innovations", milieu.outcomes["innovations"])
    return frame


def fit_models(data: pd.DataFrame, w: nm.SpatialWeights) -> dict[str, nm.SpatialResults]:
    """OLS, SLX, SAR, SEM, SDM and SDEM of the outcome on the measures; ML for the spatial ones."""
    return {m: nm.MODELS[m].from_formula(FORMULA, data, w).fit() for m in MODELS}


def true_impacts(truth: dict[str, Any], w: nm.SpatialWeights) -> pd.DataFrame:
    """Impacts of the true spatial-lag model: ``beta_k`` times the mean diagonal and row sum of
    ``(I - rho W)^{-1}`` (LeSage & Pace 2009, s. 2.7)."""
    inverse = np.linalg.inv(np.eye(w.n) - truth["rho"] * w.sparse.toarray())
    direct_multiplier = float(np.trace(inverse) / w.n)
    total_multiplier = float(inverse.sum() / w.n)
    rows = {}
    for name in DESIGN:
        beta = float(truth["beta"][name])
        rows[name] = {
            "direct": beta * direct_multiplier,
            "indirect": beta * (total_multiplier - direct_multiplier),
            "total": beta * total_multiplier,
        }
    return pd.DataFrame.from_dict(rows, orient="index")[list(EFFECTS)]


# ---------------------------------------------------------------------- LaTeX helpers


def _pvalue(p: float) -> str:
    if not math.isfinite(p):
        return "--"
    return "$<0.001$" if p < 0.001 else f"{p:.3f}"


# ---------------------------------------------------------------------- tables


def diagnostics_table(
    ols: nm.SpatialResults, fits: dict[str, nm.SpatialResults]
) -> tuple[str, dict[str, Any]]:
    """OLS spatial diagnostics and the likelihood-ratio tests between the ML fits."""
    tests = ols.spatial_diagnostics()
    body: list[list[str] | str] = [r"\multicolumn{4}{l}{\emph{A. Tests at the OLS estimate}} \\"]
    for key, label in DIAGNOSTICS:
        test = tests[key]
        df = "N(0,1)" if test.df is None else str(test.df)
        body.append([label, latex_number(test.statistic), df, _pvalue(test.pvalue)])
    lr = {
        "SAR against SDM ($\\theta = 0$)": diagnostics.likelihood_ratio(fits["SAR"], fits["SDM"]),
        "SLX against SDM ($\\rho = 0$)": diagnostics.likelihood_ratio(fits["SLX"], fits["SDM"]),
        "SEM against SDEM ($\\theta = 0$)": diagnostics.likelihood_ratio(fits["SEM"], fits["SDEM"]),
        "SLX against SDEM ($\\lambda = 0$)": diagnostics.likelihood_ratio(
            fits["SLX"], fits["SDEM"]
        ),
        "Common factor, SEM against SDM": diagnostics.common_factor_lr(fits["SDM"], fits["SEM"]),
    }
    body += [r"\addlinespace", r"\multicolumn{4}{l}{\emph{B. Likelihood-ratio tests (ML)}} \\"]
    for label, test in lr.items():
        body.append([label, latex_number(test.statistic), str(test.df), _pvalue(test.pvalue)])
    note = (
        "356 municipalities; $W$: row-standardised 6 nearest neighbours. Moran's $I$ of the OLS "
        "residuals as its standard deviate (two-sided); the LM tests after \\citet{anselin1996} "
        "and \\citet{koley2024}; chi-squared degrees of freedom in the second column."
    )
    table = noted_tabular("lrrr", [["Test", "Statistic", "df", "$p$-value"]], body, note)
    return table, {"tests": tests, "lr": lr}


def models_table(fits: dict[str, nm.SpatialResults]) -> str:
    """The six fits side by side (regression_table, booktabs)."""
    return nm.regression_table(
        {m: fits[m] for m in MODELS},
        stat="se",
        digits=3,
        fit_stats=("nobs", "loglik", "aic"),
        rename={
            **{k: v for k, v in LABELS.items() if not v.startswith("$")},
            **{f"W_{k}": f"W*{v}" for k, v in SHORT.items()},
            "rho": "rho (W*y)",
            "lambda": "lambda (W*u)",
        },
        format="latex",
    )


def impacts_table(impacts: dict[str, nm.Impacts], truth: pd.DataFrame, draws: int) -> str:
    """True impacts and the estimated ones (standard errors beneath) by model."""
    header = [["Regressor", "Effect", "True", *IMPACT_MODELS]]
    body: list[list[str] | str] = []
    for i, name in enumerate(DESIGN):
        if i:
            body.append(r"\addlinespace")
        for j, effect in enumerate(EFFECTS):
            label = SHORT[name] if j == 0 else ""
            estimates = [latex_number(impacts[m].estimates.at[name, effect]) for m in IMPACT_MODELS]
            errors = [
                f"({latex_number(impacts[m].std_errors.at[name, effect])})" for m in IMPACT_MODELS
            ]
            body.append([label, effect, latex_number(truth.at[name, effect]), *estimates])
            body.append(["", "", "", *errors])
    note = (
        "Impacts as in \\citet{lesage2009}: mean diagonal (direct) and mean row sum (total) of "
        "the matrix of partial derivatives; indirect = total $-$ direct. Standard errors in "
        f"parentheses, from {latex_count(draws)} draws of the estimates' asymptotic normal "
        "distribution. True: the simulation's SAR parameters and weights."
    )
    return noted_tabular("llrrrr", header, body, note)


def weights_comparison(
    data: pd.DataFrame, ols: nm.SpatialResults, milieu: Milieu, truth: dict[str, Any]
) -> tuple[str, dict[str, dict[str, float]]]:
    """SAR under geographic and collaboration weights: links, islands, Moran, rho, fit."""
    regions = milieu.municipalities.index
    candidates = {
        "6 nearest neighbours (true)": ("knn6", geographic_weights(truth)),
        "Queen contiguity, islands to nearest": (
            "queen",
            nm.datasets.norway_weights("queen", islands="knn"),
        ),
        "Collaboration ties (count)": (
            "collab_count",
            nm.SpatialWeights.from_collaboration(
                milieu.actors, milieu.ties, value="count", regions=regions
            ),
        ),
        "Collaboration ties (intensity)": (
            "collab_intensity",
            nm.SpatialWeights.from_collaboration(
                milieu.actors, milieu.ties, value="intensity", regions=regions
            ),
        ),
    }
    body: list[list[str] | str] = []
    numbers: dict[str, dict[str, float]] = {}
    for label, (key, raw) in candidates.items():
        # Islands are refused rather than silently given a zero lag: a municipality without any
        # tie to another would need its own treatment, and none has one in these data.
        islands = len(raw.islands)
        w = raw.row_standardize()
        moran = diagnostics.moran_test(ols.spec.y, ols.spec.x, w.reorder(ols.spec.ids).sparse)
        sar = nm.SAR.from_formula(FORMULA, data, w, islands="raise").fit()
        rho, se = float(sar.params["rho"]), float(sar.std_errors["rho"])
        numbers[key] = {
            "links": float(raw.nnz),
            "islands": float(islands),
            "moran": float(moran.moran_i),
            "rho": rho,
            "rho_se": se,
            "loglik": float(sar.loglik),
            "aic": float(sar.aic),
        }
        body.append(
            [
                label,
                latex_count(raw.nnz),
                str(islands),
                latex_number(moran.moran_i),
                latex_number(rho),
                f"({latex_number(se)})",
                latex_number(sar.loglik, 2),
                latex_number(sar.aic, 2),
            ]
        )
    header = [
        ["Weights", "Links", "Islands", "Moran's $I$", r"$\hat\rho$", "(s.e.)", "Log-lik.", "AIC"]
    ]
    note = (
        "SAR by ML of the same design under each row-standardised matrix. Moran's $I$ of the OLS "
        "residuals. Collaboration weights: ties between actors of two municipalities, counted "
        "(count) or per possible pair of actors (intensity), symmetric; every municipality has "
        "ties to another, so none is an island. The outcome was simulated with the first matrix."
    )
    return noted_tabular("lrrrrrrr", header, body, note), numbers


def truth_table(
    truth: dict[str, Any], fits: dict[str, nm.SpatialResults]
) -> tuple[str, pd.DataFrame]:
    """True parameters against the SAR and SDM estimates."""
    names = ["Intercept", *DESIGN, *(f"W_{k}" for k in DESIGN), "rho", "sigma2"]
    true = {**truth["beta"], **{f"W_{k}": 0.0 for k in DESIGN}}
    true["rho"], true["sigma2"] = truth["rho"], truth["sigma"] ** 2
    rows = []
    for name in names:
        row = {"parameter": name, "true": float(true[name])}
        for m in ("SAR", "SDM"):
            res = fits[m]
            if name == "sigma2":
                row[m], row[f"{m}_se"] = float(res.sigma2), float(res.sigma2_se or math.nan)
            elif name in res.params.index:
                row[m], row[f"{m}_se"] = float(res.params[name]), float(res.std_errors[name])
            else:
                row[m], row[f"{m}_se"] = math.nan, math.nan
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("parameter")
    body: list[list[str] | str] = []
    for name, row in frame.iterrows():
        base = name.removeprefix("W_")
        label = LABELS.get(name, SHORT.get(base, name))
        if name.startswith("W_"):
            label = f"$W\\times$ {SHORT[base]}"
        if name == "sigma2":
            label = r"$\sigma^2$"
        cells = [label, latex_number(row["true"])]
        for m in ("SAR", "SDM"):
            if math.isfinite(row[m]):
                cells += [latex_number(row[m]), f"({latex_number(row[f'{m}_se'])})"]
            else:
                cells += ["", ""]
        body.append(cells)
    header = [["Parameter", "True", "SAR", "(s.e.)", "SDM", "(s.e.)"]]
    note = (
        "True: \\texttt{data/simulated/truth.json} (the SAR that generated the outcome, so the "
        "true $\\theta$ of the SDM is zero). ML estimates with the information-matrix standard "
        "errors, 6-nearest-neighbour weights."
    )
    return noted_tabular("lrrrrr", header, body, note), frame


def impacts_plot(impacts: dict[str, nm.Impacts], truth: pd.DataFrame) -> Any:
    """Point estimates with 95 % intervals, by regressor and effect, with the true values."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(DESIGN), figsize=(10.0, 3.4), sharey=True)
    offsets = np.linspace(-0.22, 0.22, len(IMPACT_MODELS))
    markers = ("o", "s", "D")
    for ax, name in zip(axes, DESIGN, strict=True):
        positions = np.arange(len(EFFECTS))
        for offset, marker, m in zip(offsets, markers, IMPACT_MODELS, strict=True):
            est = impacts[m].estimates.loc[name, list(EFFECTS)].to_numpy(dtype=float)
            se = impacts[m].std_errors.loc[name, list(EFFECTS)].to_numpy(dtype=float)
            ax.errorbar(
                positions + offset, est, yerr=1.96 * se, fmt=marker, ms=4, capsize=2, label=m
            )
        ax.scatter(
            positions,
            truth.loc[name, list(EFFECTS)],
            marker="_",
            s=300,
            color="black",
            label="true",
            zorder=3,
        )
        ax.axhline(0.0, color="grey", linewidth=0.5)
        ax.set_xticks(positions, list(EFFECTS))
        ax.set_title(SHORT[name], fontsize=10)
    axes[0].set_ylabel("impact")
    axes[-1].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _macro_number(value: float, digits: int = 3) -> str:
    """A number usable both in running text and inside math mode."""
    return f"\\ensuremath{{{latex_number(value, digits).strip('$')}}}"


def macros(values: dict[str, str]) -> str:
    """``\\newcommand`` definitions of the numbers quoted in the text."""
    lines = ["% Numbers of the application quoted in the text; written by s04_application."]
    lines += [f"\\newcommand{{\\{name}}}{{{value}}}" for name, value in sorted(values.items())]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- the step


def run(ctx: Any) -> dict[str, float]:
    """Fit, test and tabulate the application; return the checked numbers."""
    truth = read_truth(ctx.root)
    milieu = load_milieu(ctx.root)
    data = application_data(milieu)
    w = geographic_weights(truth)
    fits = fit_models(data, w)
    ols = fits["OLS"]

    table, tests = diagnostics_table(ols, fits)
    ctx.write_table("application_ols_diagnostics", table)
    ctx.write_table("application_models", models_table(fits))

    mode = "fast" if ctx.fast else "full"
    draws = DRAWS[mode]
    rng = ctx.rng("s04_application.impacts")
    seeds = {m: int(rng.integers(2**63)) for m in IMPACT_MODELS}
    impacts = {
        m: fits[m].impacts(inference="simulation", draws=draws, seed=seeds[m])
        for m in IMPACT_MODELS
    }
    true_effects = true_impacts(truth, w)
    ctx.write_table("application_impacts", impacts_table(impacts, true_effects, draws))
    ctx.save_figure("impacts_plot", impacts_plot(impacts, true_effects))

    table, by_weights = weights_comparison(data, ols, milieu, truth)
    ctx.write_table("application_weights", table)
    table, compared = truth_table(truth, fits)
    ctx.write_table("application_truth", table)

    sar = fits["SAR"]
    best = min(by_weights, key=lambda key: by_weights[key]["aic"])
    sar_z = ((compared["SAR"] - compared["true"]) / compared["SAR_se"]).abs().max()
    ctx.write_table(
        "macros_application",
        macros(
            {
                "AppMunicipalities": str(int(ols.nobs)),
                "AppActors": latex_count(len(milieu.actors)),
                "AppTies": latex_count(len(milieu.ties)),
                "AppDraws": latex_count(draws),
                "AppRhoTrue": f"{truth['rho']:g}",
                "AppRhoSAR": _macro_number(float(sar.params["rho"])),
                "AppRhoSARse": _macro_number(float(sar.std_errors["rho"])),
                "AppRhoCollab": _macro_number(by_weights["collab_count"]["rho"]),
                "AppMoranZ": _macro_number(tests["tests"]["moran"].statistic, 2),
                "AppMaxAbsZ": _macro_number(float(sar_z), 1),
                "AppBestWeights": {
                    "knn6": "the 6 nearest neighbours",
                    "queen": "queen contiguity",
                    "collab_count": "the collaboration counts",
                    "collab_intensity": "the collaboration intensities",
                }[best],
            }
        ),
    )

    numbers: dict[str, float] = {}
    for m in MODELS:
        res = fits[m]
        for name, value in res.params.items():
            numbers[f"s04.{m.lower()}.{name}"] = float(value)
        numbers[f"s04.{m.lower()}.loglik"] = float(res.loglik)
    for key, test in tests["tests"].items():
        if test.applies:
            numbers[f"s04.diag.{key}"] = float(test.statistic)
    numbers["s04.lr.common_factor"] = float(tests["lr"]["Common factor, SEM against SDM"].statistic)
    for m in IMPACT_MODELS:
        for name in DESIGN:
            for effect in EFFECTS:
                numbers[f"s04.impact.{m.lower()}.{name}.{effect}"] = float(
                    impacts[m].estimates.at[name, effect]
                )
                numbers[f"s04.{mode}.impact_se.{m.lower()}.{name}.{effect}"] = float(
                    impacts[m].std_errors.at[name, effect]
                )
    for name in DESIGN:
        for effect in EFFECTS:
            numbers[f"s04.true_impact.{name}.{effect}"] = float(true_effects.at[name, effect])
    for key, values in by_weights.items():
        for stat in ("rho", "loglik", "aic", "moran"):
            numbers[f"s04.weights.{key}.{stat}"] = values[stat]
    numbers["s04.sar.sigma2"] = float(sar.sigma2)
    numbers["s04.sar.max_abs_z_vs_truth"] = float(sar_z)
    return numbers
