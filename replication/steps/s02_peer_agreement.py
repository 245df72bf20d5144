"""Step 2. Agreement with peer software on Columbus, for every model and both weights.

Each entry is the largest relative difference ``|ours - peer| / |peer|`` over the coefficients
(including rho and lambda), over the standard errors, and of the log-likelihood.

* R spatialreg 1.2-6: the stored output of ``tests/reference/r/generate_columbus.R``
  (``tests/reference/r/columbus_spatialreg.json``; no R needed). ML for OLS, SLX, SAR, SEM, SDM,
  SDEM, SAC and GNS; ``stsls`` (instruments ``[X, WX, W^2X]``, divisor n - k), ``gstsls``
  (Kelejian & Prucha 1999 moments, divisor n - k) and ``GMerrorsar`` (coefficients only: R
  scales its covariance by a different sigma^2, see ``tests/test_gmm.py``).
* spreg, run live: ``ML_Lag``, ``ML_Error``, ``GM_Lag`` (``w_lags=1``), ``GM_Error_Het`` and
  ``GM_Combo_Het`` (``w_lags=1``; both one iteration, spreg's default).

The bounds that each difference must respect are in ``replication/expected/s02.json``: the
peers stop their searches for rho/lambda short of the maximiser (about 1e-7 relative, see
``/tests/reference/r/README.md``), which sets the scale of the agreement.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np

import naeringsmiljo as nm
from replication.context import Context
from replication.latex import escape, sci, tabular

FORMULA = "CRIME ~ INC + HOVAL"
WEIGHTS = ("anselin", "queen")
ML_MODELS = ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS")
R_GMM = {
    # R function: (our model, fit options, compare standard errors)
    "stsls": ("SAR", {"method": "gmm", "df_correction": True}, "STSLS", True),
    "gstsls": ("SAC", {"method": "gmm", "variant": "kp99", "df_correction": True}, "GSTSLS", True),
    "GMerrorsar": ("SEM", {"method": "gmm", "variant": "kp99"}, "GMerrorsar", False),
}
SPREG = {
    # spreg class: (our model, fit options)
    "ML_Lag": ("SAR", {}),
    "ML_Error": ("SEM", {}),
    "GM_Lag": ("SAR", {"method": "gmm", "w_lags": 1}),
    "GM_Error_Het": ("SEM", {"method": "gmm", "variant": "het"}),
    "GM_Combo_Het": ("SAC", {"method": "gmm", "w_lags": 1}),
}


def max_rel(ours: np.ndarray, peer: np.ndarray) -> float:
    ours, peer = np.ravel(np.asarray(ours, float)), np.ravel(np.asarray(peer, float))
    return float(np.max(np.abs(ours - peer) / np.abs(peer)))


def fit(model: str, weights: str, **options) -> nm.SpatialResults:
    w = nm.datasets.columbus_weights(weights).row_standardize()
    return nm.MODELS[model].from_formula(FORMULA, nm.datasets.columbus(), w).fit(**options)


def against_r(reference: dict) -> dict[tuple[str, str, str], float]:
    out = {}
    for weights in WEIGHTS:
        for model in ML_MODELS:
            ref = reference[weights][model]
            res = fit(model, weights)
            peer = dict(ref["coefficients_canonical"])
            peer |= {p: ref[p] for p in ("rho", "lambda") if ref.get(p) is not None}
            names = list(peer)
            out[weights, model, "coef"] = max_rel(res.params[names], [peer[n] for n in names])
            vnames = ref["vcov"]["names_canonical"]
            se = np.sqrt(np.diag(np.array(ref["vcov"]["matrix"])))
            out[weights, model, "se"] = max_rel(res.std_errors[vnames], se)
            out[weights, model, "loglik"] = max_rel(res.loglik, ref["loglik"])
        for label, (model, options, key, with_se) in R_GMM.items():
            ref = reference[weights][key]
            res = fit(model, weights, **options)
            peer = dict(ref["coefficients_canonical"])
            names = [n for n in res.params.index if peer.get(n) is not None]
            out[weights, label, "coef"] = max_rel(res.params[names], [peer[n] for n in names])
            if with_se:
                se = {n: v for n, v in ref["std_errors_canonical"].items() if v is not None}
                out[weights, label, "se"] = max_rel(res.std_errors[list(se)], list(se.values()))
    return out


def _libpysal_w(weights: str):
    import libpysal

    binary = nm.datasets.columbus_weights(weights)
    csr = binary.sparse
    ids = list(binary.ids)
    neighbors = {
        ids[r]: [ids[c] for c in csr.indices[csr.indptr[r] : csr.indptr[r + 1]]]
        for r in range(binary.n)
    }
    lw = libpysal.weights.W(neighbors, id_order=ids)
    lw.transform = "r"
    return lw


def against_spreg() -> dict[tuple[str, str, str], float]:
    import spreg

    out = {}
    for weights in WEIGHTS:
        lw = _libpysal_w(weights)
        data = nm.datasets.columbus().loc[list(lw.id_order)]
        y = data[["CRIME"]].to_numpy()
        x = data[["INC", "HOVAL"]].to_numpy()
        for name, (model, options) in SPREG.items():
            kwargs = {"w_lags": 1} if name in ("GM_Lag", "GM_Combo_Het") else {}
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")  # spreg's own notes, printed and warned
                peer = getattr(spreg, name)(y, x, w=lw, **kwargs)
            res = fit(model, weights, **options)
            betas = np.ravel(peer.betas)
            k = peer.vm.shape[0]
            out[weights, name, "coef"] = max_rel(res.params.to_numpy()[: len(betas)], betas)
            se = np.sqrt(np.diag(peer.vm))
            out[weights, name, "se"] = max_rel(res.std_errors.to_numpy()[:k], se)
            if name.startswith("ML_"):
                out[weights, name, "loglik"] = max_rel(res.loglik, peer.logll)
    return out


def latex(r: dict, sp: dict | None) -> str:
    body: list = []
    blocks = [("R spatialreg 1.2-6 (stored output)", r, list(ML_MODELS) + list(R_GMM))]
    if sp is not None:
        blocks.append(("spreg (run live)", sp, list(SPREG)))
    for i, (title, values, names) in enumerate(blocks):
        if i:
            body.append(r"\addlinespace")
        body.append([rf"\multicolumn{{7}}{{l}}{{\textit{{{title}}}}}"])
        for name in names:
            row = [escape(name)]
            for weights in WEIGHTS:
                for what in ("coef", "se", "loglik"):
                    v = values.get((weights, name, what))
                    row.append("" if v is None else sci(v))
            body.append(row)
    header = [
        ["", r"\multicolumn{3}{c}{Anselin (\texttt{COL.nb})}",
         r"\multicolumn{3}{c}{queen (\texttt{columbus.gal})}"],
        [r"\cmidrule(lr){2-4}\cmidrule(lr){5-7} Estimator", "coef.", "s.e.", "log-lik.",
         "coef.", "s.e.", "log-lik."],
    ]  # fmt: skip
    note = (
        r"Largest relative difference $|\text{ours} - \text{peer}| / |\text{peer}|$ over the "
        r"coefficients (with $\rho$, $\lambda$), the standard errors, and of the log-likelihood; "
        r"Columbus crime, CRIME $\sim$ INC + HOVAL, row-standardised weights. The peers stop "
        r"their one-dimensional searches about $10^{-7}$ short of the maximiser; we solve the "
        r"score equation. R \texttt{GMerrorsar}: coefficients only (its covariance uses another "
        r"$\sigma^2$)."
    )
    return tabular("lrrrrrr", header, body, note=note)


def run(ctx: Context) -> dict[str, float]:
    reference = json.loads(
        (ctx.root / "tests" / "reference" / "r" / "columbus_spatialreg.json").read_text()
    )
    r = against_r(reference)
    try:
        sp = against_spreg()
    except ModuleNotFoundError:
        sp = None  # spreg is optional; its rows are then missing and reported as not produced
    ctx.write_table("peer_agreement", latex(r, sp))
    numbers = {f"s02.r.{w}.{m}.{what}": v for (w, m, what), v in r.items()}
    numbers |= {f"s02.spreg.{w}.{m}.{what}": v for (w, m, what), v in (sp or {}).items()}
    return numbers
