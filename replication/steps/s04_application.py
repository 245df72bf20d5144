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
5. Geography or collaboration: the second outcome, ``innovations_mixed``, was drawn with the
   convex combination ``W_c = gamma W_geo + (1 - gamma) W_collab`` (``truth.json``, ``mixed``:
   ``gamma`` 0.6 on geography, ``rho`` 0.6), ``W_collab`` the row-standardised collaboration
   network rebuilt from the ties. SAR and SDM with ``w={"geo": ..., "collab": ...}`` by exact
   ML (Debarsy & LeSage 2018): ``rho`` and ``gamma`` with 95% intervals, the likelihood-ratio
   test of each matrix alone with its chi-bar-square p-value, and the impacts with the indirect
   impact split by the matrix of the spillover's first step (100 draws in the fast run, 1,000 in
   the full one), against the true values. The true ``rho`` and ``gamma`` must lie inside their
   95% intervals and every impact within 3.23 standard errors of its true value, a Bonferroni
   band over the 40 impacts (``bound`` checks of ``replication/expected/s04.json``).
6. The milieu over the years: ``data/simulated/panel.csv`` holds the 356 municipalities in
   2015-2022 (actors entering and exiting, ties active in their years, each year's measures)
   with an outcome drawn from a two-way fixed-effects SDM whose parameters are in
   ``truth.json`` (``panel``). The two-way FE SDM of innovation on the measures by ML, direct
   and with the Lee & Yu (2010) correction, and the corrected model's impacts with simulated
   standard errors (1,000 draws in the fast run, 10,000 in the full one), against the truth:
   every true ``rho``, ``beta`` and ``theta`` inside its 95% interval and every impact within
   2.87 standard errors of its true value, a Bonferroni band over the 12 impacts (``bound``
   checks).

7. Firms in regions: the probit of Smith & LeSage (2004), ``RegionalProbit``, of the simulated
   firms' ``innovated`` flag (17,092 firms) on the firm's ``log_size`` and its municipality's
   ``local_share`` and ``related_variety``, with regional effects ``theta = rho W theta + u``
   over the municipalities (``W`` as in 1). The flag is redrawn from the committed actors with
   the simulation's function and seed stream (identical to ``simulate_milieu(2024).firms``).
   Gibbs sampling with 2 chains of 4,000 iterations, 1,000 burn-in each (fast: 600 and 200):
   posterior means, s.d., 95% intervals, R-hat and bulk ESS from ArviZ. The true ``beta``,
   ``rho`` and ``sigma2_theta`` must lie inside their 95% intervals (``bound`` checks, both
   modes).

Outputs: the tables ``application_ols_diagnostics``, ``application_models``,
``application_impacts``, ``application_weights``, ``application_truth``, ``application_mix``,
``application_panel``, ``application_panel_impacts``, ``application_regional`` and the macros ``macros_application`` (numbers quoted in the text), and the figure
``impacts_plot``.
"""

from __future__ import annotations

import inspect
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import naeringsmiljo as nm
from naeringsmiljo import diagnostics
from naeringsmiljo.exceptions import MixingWarning
from naeringsmiljo.simulate import (
    DEFAULT_FIRM_BETA,
    INNOVATED_STREAM,
    collaboration_network,
    draw_firm_innovation,
    simulate_milieu,
)
from replication.latex import tabular
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
#: Draws of the impacts of the mixed models: each draw needs two complex sparse LU
#: factorisations (the exact traces of (I - rho W_c)^{-1} W_m), about 0.1 s here.
MIX_DRAWS = {"fast": 100, "full": 1_000}
MIX_MODELS = ("SAR", "SDM")
CHANNELS = ("geo", "collab")
MIX_EFFECTS = ("direct", "indirect", "geo", "collab", "total")
MIX_EFFECT_LABELS = {
    "direct": "direct",
    "indirect": "indirect",
    "geo": r"\quad via geography",
    "collab": r"\quad via collaboration",
    "total": "total",
}
#: The criterion for the mix: the true rho and gamma inside their 95% intervals.
MIX_LEVEL = 0.95
#: Impacts against the truth: within 3.23 standard errors, the two-sided 5% band of a Bonferroni
#: correction over the 40 impacts of the two models (norm.ppf(1 - 0.05 / 80) = 3.227). A band
#: of 2.58 for each would be left by at least one impact with probability up to
#: 1 - 0.99^40 = 33% for a correct estimator (the impacts of a model are correlated, so less);
#: it is left here by one, the geographic channel of unrelated variety in the SAR (z = -2.94
#: with 1,000 draws), whose three factors rho, gamma and beta are all estimated below the truth.
MIX_IMPACT_Z = 3.23
#: The panel's impacts against the truth: within 2.87 standard errors, the two-sided 5% band of a
#: Bonferroni correction over the 12 impacts (norm.ppf(1 - 0.05 / 24) = 2.865).
PANEL_IMPACT_Z = 2.87
#: The panel's parameters: the criterion, the truth inside the 95% interval.
PANEL_LEVEL = 0.95


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


def mixed_weights(milieu: Milieu, truth: dict[str, Any]) -> dict[str, nm.SpatialWeights]:
    """The two matrices of ``innovations_mixed``: the geographic weights and the row-standardised
    collaboration network rebuilt from the ties (islands linked to their geographic
    neighbours; ``naeringsmiljo.simulate.collaboration_network``)."""
    geo = geographic_weights(truth)
    return {"geo": geo, "collab": collaboration_network(milieu.actors, milieu.ties, geo)}


def true_mixed_impacts(truth: dict[str, Any], w: dict[str, nm.SpatialWeights]) -> pd.DataFrame:
    """Impacts of the true mixed SAR, with the indirect impact by channel, from dense inverses.

    With ``S = (I - rho W_c)^{-1}`` and row-standardised matrices: direct ``beta tr(S)/n``,
    total ``beta / (1 - rho)``, and the indirect impact whose first step runs through ``W_m``:
    ``rho gamma_m beta (1/(1 - rho) - tr(S W_m)/n)`` (the columns sum to the indirect impact).
    """
    mixed = truth["mixed"]
    rho, gamma = float(mixed["rho"]), mixed["gamma"]
    dense = {c: w[c].sparse.toarray() for c in CHANNELS}
    n = dense["geo"].shape[0]
    inverse = np.linalg.inv(np.eye(n) - rho * sum(gamma[c] * dense[c] for c in CHANNELS))
    direct_multiplier = float(np.trace(inverse) / n)
    total_multiplier = 1.0 / (1.0 - rho)
    rows = {}
    for name in DESIGN:
        beta = float(truth["beta"][name])
        row = {
            "direct": beta * direct_multiplier,
            "indirect": beta * (total_multiplier - direct_multiplier),
            "total": beta * total_multiplier,
        }
        for c in CHANNELS:
            first_step = float(np.trace(inverse @ dense[c]) / n)
            row[c] = rho * gamma[c] * beta * (total_multiplier - first_step)
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")[list(MIX_EFFECTS)]


def mixed_impact_frames(impacts: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimates and standard errors of a ChannelImpacts in the columns of MIX_EFFECTS."""
    estimates = pd.concat([impacts.estimates, impacts.channels], axis=1)[list(MIX_EFFECTS)]
    errors = pd.concat([impacts.std_errors, impacts.channel_std_errors], axis=1)
    return estimates, errors[list(MIX_EFFECTS)]


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


def mix_table(
    truth: dict[str, Any],
    fits: dict[str, nm.SpatialResults],
    impacts: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    true_effects: pd.DataFrame,
    draws: int,
) -> str:
    """Geography or collaboration: the mix, the tests of each matrix alone, impacts by channel."""
    mixed = truth["mixed"]
    true_params = {
        "rho": mixed["rho"],
        "gamma_geo": mixed["gamma"]["geo"],
        "gamma_collab": mixed["gamma"]["collab"],
    }
    labels = {
        "rho": r"$\rho$",
        "gamma_geo": r"$\gamma_{\mathrm{geo}}$",
        "gamma_collab": r"$\gamma_{\mathrm{collab}}$",
    }
    body: list[list[str] | str] = [r"\multicolumn{6}{l}{\emph{A. The mix}} \\"]
    for name, label in labels.items():
        cells = [label, latex_number(true_params[name])]
        interval = ["", ""]
        for j, m in enumerate(MIX_MODELS):
            res = fits[m]
            cells += [
                latex_number(float(res.params[name])),
                f"({latex_number(float(res.std_errors[name]))})",
            ]
            low, high = res.conf_int(alpha=1 - MIX_LEVEL).loc[name]
            interval[j] = rf"\multicolumn{{2}}{{r}}{{[{latex_number(low)}, {latex_number(high)}]}}"
        body.append(cells)
        if name == "gamma_geo":
            body.append(rf"\quad 95\% interval & & {interval[0]} & {interval[1]} \\")
    body += [
        r"\addlinespace",
        r"\multicolumn{6}{l}{\emph{B. One matrix alone: LR statistic [$p$-value]}} \\",
    ]
    vertices = (
        ("geo", r"Geography ($\gamma_{\mathrm{geo}} = 1$)"),
        ("collab", r"Collaboration ($\gamma_{\mathrm{geo}} = 0$)"),
    )
    for channel, label in vertices:
        cells = [label, ""]
        for m in MIX_MODELS:
            test = fits[m].vertex_tests.loc[channel]
            cells += [latex_number(float(test["LR"]), 2), f"[{_pvalue(float(test['pvalue']))}]"]
        body.append(cells)
    body += [r"\addlinespace", r"\multicolumn{6}{l}{\emph{C. Impacts}} \\"]
    for i, name in enumerate(DESIGN):
        if i:
            body.append(r"\addlinespace")
        body.append(rf"\multicolumn{{6}}{{l}}{{{SHORT[name]}}} \\")
        for effect in MIX_EFFECTS:
            cells = [
                rf"\quad {MIX_EFFECT_LABELS[effect]}",
                latex_number(true_effects.at[name, effect]),
            ]
            for m in MIX_MODELS:
                estimates, errors = impacts[m]
                cells += [
                    latex_number(float(estimates.at[name, effect])),
                    f"({latex_number(float(errors.at[name, effect]))})",
                ]
            body.append(cells)
    header = [["", "True", "SAR", "(s.e.)", "SDM", "(s.e.)"]]
    note = (
        "Outcome \\texttt{innovations\\_mixed}, drawn with $W_c = \\gamma W_{\\mathrm{geo}} + "
        "(1 - \\gamma) W_{\\mathrm{collab}}$ (true $\\gamma = "
        f"{mixed['gamma']['geo']:g}$ on geography, $\\rho = {mixed['rho']:g}$): "
        "$W_{\\mathrm{geo}}$ the row-standardised 6 nearest neighbours, "
        "$W_{\\mathrm{collab}}$ the row-standardised counts of ties between municipalities. "
        "Exact ML over $(\\rho, \\gamma)$ \\citep{debarsy2018}; standard errors from the "
        "information matrix, that of $\\gamma_{\\mathrm{collab}} = 1 - \\gamma_{\\mathrm{geo}}$ "
        "by the delta method. B: the likelihood-ratio statistic of the fit with one matrix alone "
        "against the combination; $\\gamma$ then lies on the boundary of $[0, 1]$, so the "
        "statistic follows a chi-bar-square distribution, here an equal mixture of a point mass "
        "at zero and $\\chi^2_1$, and the $p$-value is half that of $\\chi^2_1$. C: indirect "
        "impacts split by the matrix through which the first step of the spillover runs, "
        "$\\rho\\gamma_m \\beta_r (1/(1-\\rho) - \\mathrm{tr}((I - \\rho W_c)^{-1} W_m)/n)$ "
        "in the SAR, with $\\gamma_m(\\rho\\beta_r + \\theta_r)$ in place of "
        "$\\rho\\gamma_m\\beta_r$ in the SDM; the two parts sum to the indirect impact. Standard errors of the impacts from "
        f"{latex_count(draws)} draws of the estimates' asymptotic distribution. True: the "
        "mixed SAR of \\texttt{truth.json} (true $\\theta = 0$ in the SDM)."
    )
    return noted_tabular("lrrrrr", header, body, note)


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


def fit_mix(
    ctx: Any, data: pd.DataFrame, milieu: Milieu, truth: dict[str, Any], mode: str
) -> tuple[dict[str, float], dict[str, str]]:
    """Step 5: SAR and SDM of ``innovations_mixed`` with the convex combination of the
    geographic and collaboration weights; the table ``application_mix``, its checked numbers and
    its macros."""
    w = mixed_weights(milieu, truth)
    frame = data.assign(innovations_mixed=milieu.outcomes["innovations_mixed"])
    formula = truth["mixed"]["formula"]
    fits = {m: nm.MODELS[m].from_formula(formula, frame, w=w).fit() for m in MIX_MODELS}
    draws = MIX_DRAWS[mode]
    rng = ctx.rng("s04_application.mix")
    seeds = {m: int(rng.integers(2**63)) for m in MIX_MODELS}
    impacts = {
        m: mixed_impact_frames(fits[m].impacts(draws=draws, seed=seeds[m])) for m in MIX_MODELS
    }
    true_effects = true_mixed_impacts(truth, w)
    ctx.write_table("application_mix", mix_table(truth, fits, impacts, true_effects, draws))

    mixed = truth["mixed"]
    true_params = {"rho": mixed["rho"], **{f"gamma_{c}": mixed["gamma"][c] for c in CHANNELS}}
    numbers: dict[str, float] = {}
    for m in MIX_MODELS:
        res, key = fits[m], f"s04.mix.{m.lower()}"
        for name, value in res.params.items():
            numbers[f"{key}.{name}"] = float(value)
            numbers[f"{key}.se.{name}"] = float(res.std_errors[name])
        numbers[f"{key}.loglik"] = float(res.loglik)
        # Where the truth lies in the 95% interval: -1 at its lower end, +1 at its upper end.
        interval = res.conf_int(alpha=1 - MIX_LEVEL)
        for name, value in true_params.items():
            low, high = interval.loc[name]
            numbers[f"{key}.ci_position.{name}"] = float(
                (value - (low + high) / 2) / ((high - low) / 2)
            )
        for channel in CHANNELS:
            test = res.vertex_tests.loc[channel]
            numbers[f"{key}.alone.{channel}.lr"] = float(test["LR"])
            numbers[f"{key}.alone.{channel}.pvalue"] = float(test["pvalue"])
        estimates, errors = impacts[m]
        for name in DESIGN:
            for effect in MIX_EFFECTS:
                est, se = float(estimates.at[name, effect]), float(errors.at[name, effect])
                numbers[f"{key}.impact.{name}.{effect}"] = est
                numbers[f"s04.{mode}.mix_impact_se.{m.lower()}.{name}.{effect}"] = se
                numbers[f"{key}.impact_z.{name}.{effect}"] = (
                    est - float(true_effects.at[name, effect])
                ) / se
    for name in DESIGN:
        for effect in MIX_EFFECTS:
            numbers[f"s04.mix.true_impact.{name}.{effect}"] = float(true_effects.at[name, effect])

    sar, sar_impacts = fits["SAR"], impacts["SAR"][0]
    low, high = sar.conf_int(alpha=1 - MIX_LEVEL).loc["gamma_geo"]
    alone = sar.vertex_tests
    geo_share = float((sar_impacts["geo"] / sar_impacts["indirect"]).mean())
    true_share = float((true_effects["geo"] / true_effects["indirect"]).mean())
    max_z = max(abs(v) for k, v in numbers.items() if ".impact_z." in k)
    values = {
        "AppMixDraws": latex_count(draws),
        "AppMixGammaTrue": f"{mixed['gamma']['geo']:g}",
        "AppMixRhoTrue": f"{mixed['rho']:g}",
        "AppMixGammaSAR": _macro_number(float(sar.params["gamma_geo"])),
        "AppMixGammaSARse": _macro_number(float(sar.std_errors["gamma_geo"])),
        "AppMixGammaLow": _macro_number(float(low)),
        "AppMixGammaHigh": _macro_number(float(high)),
        "AppMixGammaSDM": _macro_number(float(fits["SDM"].params["gamma_geo"])),
        "AppMixRhoSAR": _macro_number(float(sar.params["rho"])),
        "AppMixRhoSARse": _macro_number(float(sar.std_errors["rho"])),
        "AppMixLRgeo": _macro_number(float(alone.at["geo", "LR"]), 2),
        "AppMixPgeo": _relation(float(alone.at["geo", "pvalue"])),
        "AppMixLRcollab": _macro_number(float(alone.at["collab", "LR"]), 2),
        "AppMixPcollab": _relation(float(alone.at["collab", "pvalue"])),
        "AppMixGeoShare": f"{100 * geo_share:.0f}\\%",
        "AppMixGeoShareTrue": f"{100 * true_share:.0f}\\%",
        "AppMixMaxImpactZ": _macro_number(max_z, 2),
        "AppMixImpactBand": f"{MIX_IMPACT_Z:.2f}",
    }
    return numbers, values


def read_panel(root: Path) -> pd.DataFrame:
    """The simulated years: one row per municipality and year, indexed by (region, year)."""
    path = Path(root) / "data" / "simulated" / "panel.csv"
    return pd.read_csv(path, dtype={"region": str}).set_index(["region", "year"])


def true_panel_impacts(truth: dict[str, Any], w: nm.SpatialWeights) -> pd.DataFrame:
    """Impacts of the true two-way FE SDM from a dense inverse: with
    ``S_k = (I - rho W)^{-1} (beta_k I + theta_k W)``, direct ``tr(S_k)/N``, total the mean row
    sum of ``S_k`` (LeSage & Pace 2009, s. 2.7)."""
    panel = truth["panel"]
    dense = w.sparse.toarray()
    inverse = np.linalg.inv(np.eye(w.n) - panel["rho"] * dense)
    rows = {}
    for name in DESIGN:
        s = inverse @ (panel["beta"][name] * np.eye(w.n) + panel["theta"][f"W_{name}"] * dense)
        direct, total = float(np.trace(s)) / w.n, float(s.sum()) / w.n
        rows[name] = {"direct": direct, "indirect": total - direct, "total": total}
    return pd.DataFrame.from_dict(rows, orient="index")[list(EFFECTS)]


def realised_panel_variance(
    truth: dict[str, Any], data: pd.DataFrame, w: nm.SpatialWeights
) -> float:
    """The variance of the innovations actually drawn, after the two-way transformation.

    ``eps_t = y_t - rho W y_t - X_t beta - W X_t theta - mu - xi_t`` from the true parameters
    and effects of ``truth.json``, then demeaned by region and year and divided by
    ``(N - 1)(T - 1)``: the target of the Lee-Yu corrected sigma^2 in this one draw.
    """
    panel = truth["panel"]
    regions = pd.Index(w.ids)
    wide = {c: data[c].unstack("year").reindex(regions).to_numpy() for c in data.columns}
    sparse = w.sparse
    eps = wide["innovations"] - panel["rho"] * (sparse @ wide["innovations"])
    for name in DESIGN:
        eps = (
            eps
            - panel["beta"][name] * wide[name]
            - panel["theta"][f"W_{name}"] * (sparse @ wide[name])
        )
    eps = eps - pd.Series(panel["region_effects"]).reindex(regions).to_numpy()[:, None]
    eps = eps - np.asarray(list(panel["year_effects"].values()))[None, :]
    demeaned = eps - eps.mean(axis=0) - eps.mean(axis=1)[:, None] + eps.mean()
    n, t = eps.shape
    return float((demeaned**2).sum() / ((n - 1) * (t - 1)))


def panel_table(truth: dict[str, Any], fits: dict[str, nm.SpatialResults]) -> str:
    """True parameters and the direct and Lee-Yu corrected ML estimates (s.e. beneath)."""
    panel = truth["panel"]
    true = {**panel["beta"], **panel["theta"], "rho": panel["rho"]}
    header = [["", "True", "ML", "ML, Lee--Yu"]]
    body: list[list[str] | str] = []
    for name in fits["direct"].params.index:
        label = LABELS.get(name) or f"$W\\times$ {SHORT[name.removeprefix('W_')]}"
        estimates = [latex_number(float(fits[k].params[name])) for k in fits]
        errors = [f"({latex_number(float(fits[k].std_errors[name]))})" for k in fits]
        if name == "rho":
            body.append(r"\addlinespace")
        body.append([label, latex_number(float(true[name])), *estimates])
        body.append(["", "", *errors])
    body.append(r"\addlinespace")
    body.append(
        [r"$\sigma^2$", latex_number(panel["sigma"] ** 2, 4)]
        + [latex_number(float(fits[k].sigma2), 4) for k in fits]
    )
    return tabular("lrrr", header, body)


def panel_impacts_table(
    impacts: nm.Impacts, true_effects: pd.DataFrame, intervals: pd.DataFrame
) -> str:
    """True impacts and the corrected model's estimates with standard errors and 95% intervals."""
    header = [["Regressor", "Effect", "True", "Estimate", "(s.e.)", r"95\% interval"]]
    body: list[list[str] | str] = []
    for i, name in enumerate(DESIGN):
        if i:
            body.append(r"\addlinespace")
        for j, effect in enumerate(EFFECTS):
            low, high = intervals.loc[f"{name}.{effect}"]
            body.append(
                [
                    SHORT[name] if j == 0 else "",
                    effect,
                    latex_number(float(true_effects.at[name, effect])),
                    latex_number(float(impacts.estimates.at[name, effect])),
                    f"({latex_number(float(impacts.std_errors.at[name, effect]))})",
                    f"[{latex_number(float(low))}, {latex_number(float(high))}]",
                ]
            )
    return tabular("llrrrr", header, body)


def fit_panel(
    ctx: Any, truth: dict[str, Any], w: nm.SpatialWeights, mode: str
) -> tuple[dict[str, float], dict[str, str]]:
    """Step 6: the two-way FE SDM of the simulated years, direct and Lee-Yu corrected ML, with
    impacts against the truth; the tables ``application_panel`` and
    ``application_panel_impacts``, their checked numbers and macros."""
    data = read_panel(ctx.root)
    model = nm.SDM.from_formula(truth["panel"]["formula"], data, w, effects="twoways")
    fits = {"direct": model.fit(), "lee_yu": model.fit(bias_correction=True)}
    corrected = fits["lee_yu"]
    draws = DRAWS[mode]
    seed = int(ctx.rng("s04_application.panel").integers(2**63))
    impacts = corrected.impacts(inference="simulation", draws=draws, seed=seed)
    true_effects = true_panel_impacts(truth, w)
    ctx.write_table("application_panel", panel_table(truth, fits))

    panel = truth["panel"]
    true_params = {**panel["beta"], **panel["theta"], "rho": panel["rho"]}
    numbers: dict[str, float] = {}
    for key, res in fits.items():
        for name, value in res.params.items():
            numbers[f"s04.panel.{key}.{name}"] = float(value)
            numbers[f"s04.panel.{key}.se.{name}"] = float(res.std_errors[name])
        numbers[f"s04.panel.{key}.sigma2"] = float(res.sigma2)
        numbers[f"s04.panel.{key}.loglik"] = float(res.loglik)
    # Where the truth lies in the corrected model's 95% interval: -1 and +1 are its ends.
    interval = corrected.conf_int(alpha=1 - PANEL_LEVEL)
    for name, value in true_params.items():
        low, high = interval.loc[name]
        numbers[f"s04.panel.lee_yu.ci_position.{name}"] = float(
            (value - (low + high) / 2) / ((high - low) / 2)
        )
    half = 1.959964 * impacts.std_errors
    bounds = {}
    for name in DESIGN:
        for effect in EFFECTS:
            est, se = (
                float(impacts.estimates.at[name, effect]),
                float(impacts.std_errors.at[name, effect]),
            )
            true = float(true_effects.at[name, effect])
            bounds[f"{name}.{effect}"] = (est - half.at[name, effect], est + half.at[name, effect])
            numbers[f"s04.panel.impact.{name}.{effect}"] = est
            numbers[f"s04.{mode}.panel_impact_se.{name}.{effect}"] = se
            numbers[f"s04.panel.impact_z.{name}.{effect}"] = (est - true) / se
            numbers[f"s04.panel.true_impact.{name}.{effect}"] = true
    intervals = pd.DataFrame.from_dict(bounds, orient="index", columns=["low", "high"])
    ctx.write_table(
        "application_panel_impacts", panel_impacts_table(impacts, true_effects, intervals)
    )
    realised = realised_panel_variance(truth, data, w)
    numbers["s04.panel.realised_sigma2"] = realised
    n_regions = data.index.get_level_values("region").nunique()
    n_years = data.index.get_level_values("year").nunique()
    max_z = max(abs(v) for k, v in numbers.items() if ".impact_z." in k)
    values = {
        "AppPanelRegions": str(n_regions),
        "AppPanelYears": str(n_years),
        "AppPanelFirstYear": str(int(data.index.get_level_values("year").min())),
        "AppPanelLastYear": str(int(data.index.get_level_values("year").max())),
        "AppPanelRhoTrue": f"{panel['rho']:g}",
        "AppPanelRho": _macro_number(float(corrected.params["rho"])),
        "AppPanelRhoSe": _macro_number(float(corrected.std_errors["rho"])),
        "AppPanelRhoDirect": _macro_number(float(fits["direct"].params["rho"])),
        "AppPanelSigmaTrue": _macro_number(panel["sigma"] ** 2, 4),
        "AppPanelSigmaDirect": _macro_number(float(fits["direct"].sigma2), 4),
        "AppPanelSigma": _macro_number(float(corrected.sigma2), 4),
        "AppPanelSigmaRealised": _macro_number(realised, 4),
        "AppPanelMaxCI": _macro_number(
            max(abs(v) for k, v in numbers.items() if ".ci_position." in k), 2
        ),
        "AppPanelMaxImpactZ": _macro_number(max_z, 2),
        "AppPanelImpactBand": f"{PANEL_IMPACT_Z:.2f}",
        "AppPanelDraws": latex_count(draws),
    }
    return numbers, values


def _relation(p: float) -> str:
    """A p-value with its relation sign, for ``$p \\Macro$`` in the text."""
    return "\\ensuremath{<0.001}" if p < 0.001 else f"\\ensuremath{{={p:.3f}}}"


def _macro_number(value: float, digits: int = 3) -> str:
    """A number usable both in running text and inside math mode."""
    return f"\\ensuremath{{{latex_number(value, digits).strip('$')}}}"


def macros(values: dict[str, str]) -> str:
    """``\\newcommand`` definitions of the numbers quoted in the text."""
    lines = ["% Numbers of the application quoted in the text; written by s04_application."]
    lines += [f"\\newcommand{{\\{name}}}{{{value}}}" for name, value in sorted(values.items())]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------- firms in regions (sub-step 6)

#: The firms' innovation probit (Smith & LeSage 2004) on the simulated firms' ``innovated``.
FIRM_FORMULA = "innovated ~ log_size + local_share + related_variety"
FIRM_LABELS = {
    "Intercept": "Intercept",
    "log_size": "Log size (firm)",
    "local_share": "Local share (municipality)",
    "related_variety": "Related variety (municipality)",
    "rho": r"$\rho$ (regional effects)",
    "sigma2_theta": r"$\sigma^2_\theta$",
}
#: Gibbs iterations per chain, burn-in and chains. Each iteration (17,092 truncated normal
#: draws and one sparse solve over the 356 regional effects) takes about 15 ms here, so the full
#: run's 2 x 4,000 iterations take about two minutes. The intercept and the coefficients of the
#: regional measures mix slowly (they compete with the regional effects): their R-hat and ESS
#: are reported; the fast run's short chains are not expected to have mixed.
FIRM_DRAWS = {
    "fast": {"draws": 600, "burn": 200, "chains": 2},
    "full": {"draws": 4_000, "burn": 1_000, "chains": 2},
}
#: The criterion: the true beta, rho and sigma2_theta inside their 95% intervals.
FIRM_LEVEL = 0.95


def firm_truth() -> dict[str, float]:
    """The true parameters of ``innovated``: the simulation's defaults (``truth.json`` records
    the seed; ``simulate_milieu``'s ``firm_rho`` and ``firm_sigma_theta`` keep their defaults)."""
    defaults = inspect.signature(simulate_milieu).parameters
    return {
        **{name: float(value) for name, value in DEFAULT_FIRM_BETA.items()},
        "rho": float(defaults["firm_rho"].default),
        "sigma2_theta": float(defaults["firm_sigma_theta"].default) ** 2,
    }


def firm_data(
    milieu: Milieu, data: pd.DataFrame, w: nm.SpatialWeights, truth: dict[str, Any]
) -> pd.DataFrame:
    """The simulated firms with their ``innovated`` flag, one row per firm (index ``actor_id``).

    Redrawn from the committed actors and the measures recomputed by step 3 with the
    simulation's own function and seed stream (``SeedSequence([seed, INNOVATED_STREAM])``), which
    gives exactly ``simulate_milieu(seed).firms``: the flag's draws are independent of every
    other draw of the simulation.
    """
    params = firm_truth()
    firms, _ = draw_firm_innovation(
        milieu.actors,
        data,
        w,
        pd.Series({k: params[k] for k in DEFAULT_FIRM_BETA}, name="beta"),
        params["rho"],
        math.sqrt(params["sigma2_theta"]),
        np.random.default_rng(np.random.SeedSequence([int(truth["seed"]), INNOVATED_STREAM])),
    )
    return firms.set_index("actor_id")


def regional_table(res: Any, true_params: dict[str, float], settings: dict[str, int]) -> str:
    """Posterior of the firms-in-regions probit against the truth, with R-hat and ESS."""
    interval = res.conf_int(alpha=1 - FIRM_LEVEL)
    diagnostics = res.diagnostics
    body: list[list[str] | str] = []
    for name, label in FIRM_LABELS.items():
        if name == "rho":
            body.append(r"\addlinespace")
        low, high = interval.loc[name]
        body.append(
            [
                label,
                latex_number(true_params[name]),
                latex_number(float(res.params[name])),
                latex_number(float(res.std_errors[name])),
                f"[{latex_number(float(low))}, {latex_number(float(high))}]",
                latex_number(float(diagnostics.at[name, "rhat"])),
                latex_count(round(float(diagnostics.at[name, "ess_bulk"]))),
            ]
        )
    header = [["", "True", "Mean", "s.d.", "95\\% interval", "$\\hat R$", "ESS"]]
    kept = settings["chains"] * (settings["draws"] - settings["burn"])
    note = (
        "Outcome \\texttt{innovated} of the "
        f"{latex_count(res.nobs)} simulated firms in {latex_count(res.spec.n_units)} "
        "municipalities, drawn as $1(x_i'\\beta + \\theta_{r(i)} + \\varepsilon_i > 0)$, "
        "$\\varepsilon_i \\sim N(0, 1)$, with regional effects "
        "$\\theta = \\rho W \\theta + u$, $u \\sim N(0, \\sigma^2_\\theta I)$, $W$ the "
        "row-standardised 6 nearest municipalities \\citep{smith2004}. Gibbs sampler: "
        f"{settings['chains']} chains of {latex_count(settings['draws'])} iterations, the "
        f"first {latex_count(settings['burn'])} discarded ({latex_count(kept)} draws kept); "
        "flat prior on $\\beta$, $1/\\sigma^2_\\theta$ on the variance, a Beta(1.01, 1.01) "
        "prior on $\\rho$. Mean and s.d.\\ of the posterior, equal-tailed 95\\% interval, "
        "rank-normalised split $\\hat R$ and bulk effective sample size from ArviZ."
    )
    return noted_tabular("lrrrcrr", header, body, note)


def fit_regional_probit(
    ctx: Any,
    milieu: Milieu,
    data: pd.DataFrame,
    w: nm.SpatialWeights,
    truth: dict[str, Any],
    mode: str,
) -> tuple[dict[str, float], dict[str, str]]:
    """Sub-step 6: the firms-in-regions probit of ``innovated``; the table
    ``application_regional``, its checked numbers and its macros."""
    firms = firm_data(milieu, data, w, truth)
    settings = FIRM_DRAWS[mode]
    seed = int(ctx.rng("s04_application.regional").integers(2**63))
    model = nm.RegionalProbit.from_formula(FIRM_FORMULA, firms, w)
    with warnings.catch_warnings():
        # short chains have not mixed: R-hat and ESS are reported in the table instead
        warnings.simplefilter("ignore", MixingWarning)
        res = model.fit(seed=seed, **settings)
    true_params = firm_truth()
    ctx.write_table("application_regional", regional_table(res, true_params, settings))

    interval = res.conf_int(alpha=1 - FIRM_LEVEL)
    diagnostics = res.diagnostics
    numbers: dict[str, float] = {}
    for name, value in true_params.items():
        low, high = interval.loc[name]
        # Where the truth lies in the 95% interval: -1 at its lower end, +1 at its upper end.
        numbers[f"s04.regional.ci_position.{name}"] = float(
            (value - (low + high) / 2) / ((high - low) / 2)
        )
        key = f"s04.{mode}.regional"
        numbers[f"{key}.mean.{name}"] = float(res.params[name])
        numbers[f"{key}.sd.{name}"] = float(res.std_errors[name])
    numbers[f"s04.{mode}.regional.max_rhat"] = float(diagnostics["rhat"].max())
    numbers[f"s04.{mode}.regional.min_ess"] = float(diagnostics["ess_bulk"].min())
    numbers["s04.regional.innovated_share"] = float(firms["innovated"].mean())
    values = {
        "AppFirms": latex_count(res.nobs),
        "AppFirmRhoTrue": f"{true_params['rho']:g}",
        "AppFirmRho": _macro_number(float(res.params["rho"])),
        "AppFirmRhoLow": _macro_number(float(interval.at["rho", "lower"])),
        "AppFirmRhoHigh": _macro_number(float(interval.at["rho", "upper"])),
        "AppFirmSigmaTrue": _macro_number(true_params["sigma2_theta"], 2),
        "AppFirmSigma": _macro_number(float(res.params["sigma2_theta"])),
        "AppFirmMaxRhat": _macro_number(float(diagnostics["rhat"].max())),
        "AppFirmMinESS": latex_count(round(float(diagnostics["ess_bulk"].min()))),
        "AppFirmDraws": latex_count(settings["chains"] * (settings["draws"] - settings["burn"])),
    }
    return numbers, values


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

    mix_numbers, mix_macros = fit_mix(ctx, data, milieu, truth, mode)
    panel_numbers, panel_macros = fit_panel(ctx, truth, w, mode)
    firm_numbers, firm_macros = fit_regional_probit(ctx, milieu, data, w, truth, mode)

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
                **mix_macros,
                **panel_macros,
                **firm_macros,
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
    numbers.update(mix_numbers)
    numbers.update(panel_numbers)
    numbers.update(firm_numbers)
    return numbers
