"""Peak memory of a large SAR fit against that of one PARDISO factorisation, each in its own process.

The standard problem of ``benchmarks/scale.py`` (kNN-10, row-standardised, rho = 0.5) at n
units (default 1,000,000). One child factorises ``I - 0.5 W`` with MKL PARDISO (analysis and
one numerical factorisation: what the fit cannot do without); another fits SAR with the
defaults (standard errors included). Each reports the rise of its peak resident memory
(``VmHWM``) over its own baseline after the data are loaded, so the ratio is the fit's peak over
the factor's. Runs above a few GB must hold the machine's big-memory lock::

    flock /tmp/naer-bigmem.lock python benchmarks/speed_memory.py --n 1000000

Results go to ``benchmarks/results/speed_memory.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scale import _row_standardised, high_water_mb, make_problem


def child(what: str, data_path: str) -> dict:
    with np.load(data_path) as npz:
        data = {key: npz[key] for key in npz.files}
    from naeringsmiljo import SAR, SpatialWeights
    from naeringsmiljo.weights.logdet import PardisoLogDet

    matrix = _row_standardised(data["neighbours"])
    weights = SpatialWeights.from_sparse(matrix, transform="r")
    base = high_water_mb()
    start = time.perf_counter()
    out: dict = {}
    if what == "factor":
        solver = PardisoLogDet(matrix)
        solver.value(0.5)
        out["factor_nonzeros"] = int(solver.factor_nonzeros)
    else:
        res = SAR.from_arrays(data["y"], data["x"], weights).fit()
        out["rho"] = float(res.params["rho"])
        out["search"] = res.record.optimizer
    out["seconds"] = time.perf_counter() - start
    out["rise_mb"] = high_water_mb() - base
    out["w_mb"] = (matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes) / 2**20
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--child", choices=["factor", "fit"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.data)))
        return 0
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "data.npz"
        np.savez(data_path, **make_problem(args.n))
        for what in ("factor", "fit"):
            command = [sys.executable, __file__, "--child", what, "--data", str(data_path)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            results[what] = json.loads(done.stdout.strip().splitlines()[-1])
    factor, fit = results["factor"], results["fit"]
    text = (
        "# Peak memory of a SAR fit against one PARDISO factorisation\n\n"
        f"`python benchmarks/speed_memory.py --n {args.n}`; rise of the peak resident memory "
        "over each process's baseline with the data loaded.\n\n"
        "| n | CSR of W (MB) | factor non-zeros | factorisation rise (MB) | fit rise (MB) | "
        "fit / factorisation | fit (s) | search |\n|---|---|---|---|---|---|---|---|\n"
        f"| {args.n:,} | {fit['w_mb']:.0f} | {factor['factor_nonzeros']:,} | "
        f"{factor['rise_mb']:.0f} | {fit['rise_mb']:.0f} | "
        f"{fit['rise_mb'] / factor['rise_mb']:.2f} | {fit['seconds']:.1f} | {fit['search']} |\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed_memory.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
