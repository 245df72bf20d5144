"""Step 8. Fit time at the small and middle sizes, and the moment estimators at large n, each
against its peer in the same run.

Runs two of the project's benchmarks on the standard problem of step 6 (n random points, the 10
nearest neighbours row-standardised, three regressors, ``y = (I - 0.5 W)^{-1}(X beta + e)``):

* ``benchmarks/speed.py``: the SAR and SEM ML fits with standard errors, first fit on freshly
  built weights, beside one sparse LU factorisation of ``I - 0.5 W`` and spreg
  ``ML_Lag``/``ML_Error`` with ``method="LU"``, each in its own process; full mode n = 1,000
  and 3,000 (spreg's dense covariance takes minutes at 10,000, see step 6), fast mode n = 1,000;
* ``benchmarks/gmm_large.py``: spatial 2SLS, the GM error models (het, hom, KP99) and
  heteroskedasticity-robust GS2SLS beside one sparse product ``W @ x`` and spreg's
  ``GM_Lag``, ``GM_Error_Het``, ``GM_Error_Hom``, ``GM_Error`` and ``GM_Combo_Het``; full mode
  n = 100,000, fast mode n = 10,000.

Timings are reported, not checked. Checked: ``|delta|`` of our ML estimate against the exact
score root (within 1e-8, the search's stopping rule) and the largest difference of our moment
estimates from spreg's (within 1e-5: both are exact roots of the same moments; spreg's
iterated weighting matrix differs in rounding).
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from replication.context import Context
from replication.latex import escape, num, sci, tabular

FAST_ML_SIZES = (1_000,)
FULL_ML_SIZES = (1_000, 3_000)
FAST_GMM_SIZES = (10_000,)
FULL_GMM_SIZES = (100_000,)
#: Seconds after which one fit is stopped and reported as timed out.
TIMEOUT = 900.0


def load_benchmark(root: Path, name: str) -> ModuleType:
    path = root / "benchmarks" / f"{name}.py"
    sys.path.insert(0, str(path.parent))  # the benchmarks import their shared problem (scale.py)
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def measure_ml(root: Path, sizes: tuple[int, ...]) -> list:
    speed = load_benchmark(root, "speed")
    with tempfile.TemporaryDirectory() as tmp:
        args = speed.parse(
            ["--sizes", *map(str, sizes), "--out", tmp, "--timeout", str(TIMEOUT)]
        )
        return speed.run(args)


def measure_gmm(root: Path, sizes: tuple[int, ...]) -> list[dict]:
    gmm = load_benchmark(root, "gmm_large")
    return [row for n in sizes for row in gmm.run(n, True)]


def _ratio(a: float | None, b: float | None) -> str:
    return "" if a is None or b is None or b == 0 else num(a / b, 1)


def _n(n: int) -> str:
    return f"{n:,}".replace(",", "{,}")


def latex(ml: list, gmm: list[dict]) -> str:
    body: list = [[r"\multicolumn{7}{l}{\textit{ML with standard errors, first fit}}"]]
    for r in ml:
        spreg = num(r.spreg, 2) if r.spreg is not None else escape(r.spreg_status)
        body.append(
            [
                _n(r.n),
                r.model,
                num(r.first, 3),
                _ratio(r.first, r.lu) + " LU",
                spreg,
                _ratio(r.spreg, r.first),
                "" if r.delta is None else sci(r.delta),
            ]
        )
    body.append(r"\addlinespace")
    body.append([r"\multicolumn{7}{l}{\textit{Moment estimators, first fit}}"])
    for r in gmm:
        body.append(
            [
                _n(r["n"]),
                escape(r["estimator"]),
                num(r["ours"], 3),
                f"{r['ours'] / r['wx']:,.0f}".replace(",", "{,}") + " $Wx$",
                "" if r["spreg"] is None else num(r["spreg"], 2),
                _ratio(r["spreg"], r["ours"]),
                "" if r["diff"] is None else sci(r["diff"]),
            ]
        )
    header = [["$n$", "Model", "Seconds", "Ratio to unit", r"\code{spreg} s", "spreg / ours",
               r"$|\Delta|$"]]  # fmt: skip
    note = (
        r"First fits on freshly built weights, beside one sparse LU factorisation of "
        r"$I - 0.5W$ (ML) or one sparse product $Wx$ (moments) and spreg in the same run "
        r"(\texttt{benchmarks/speed.py}, \texttt{benchmarks/gmm\_large.py}). ML: $|\Delta|$ "
        r"against the exact score root; moments: largest difference from spreg's estimates."
    )
    return tabular("rlrrrrr", header, body, note=note)


def run(ctx: Context) -> dict[str, float]:
    ml = measure_ml(ctx.root, FAST_ML_SIZES if ctx.fast else FULL_ML_SIZES)
    gmm = measure_gmm(ctx.root, FAST_GMM_SIZES if ctx.fast else FULL_GMM_SIZES)
    ctx.write_table("performance_small", latex(ml, gmm))
    numbers = {
        f"s08.{r.model}.n{r.n}.abs_error": float(r.delta) for r in ml if r.delta is not None
    }
    for r in gmm:
        if r["diff"] is not None:
            key = r["estimator"].replace(" ", "_")
            numbers[f"s08.{key}.n{r['n']}.spreg_diff"] = float(r["diff"])
    return numbers
