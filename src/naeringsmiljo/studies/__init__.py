"""Monte Carlo studies and specification sweeps as seeded tasks, run locally or on Dask.

:class:`Study` runs replications of a data-generating process at each point of a design and
fits named models to each draw; :class:`Sweep` fits every model with every weights matrix and
formula to one data set, keeps the fitted results and compares them (tables side by side,
likelihood-ratio and common-factor tests between nested fits). Both run in this process, on a
local process pool or on a Dask cluster (``run(backend="dask")``,
``pip install 'naeringsmiljo[distributed]'``) with the same results, stream finished tasks to a
Parquet store and resume from it.

Examples
--------
>>> import naeringsmiljo as nm
>>> from naeringsmiljo.studies import Study, knn_process
>>> study = Study(
...     dgp=knn_process("SAR", n=50, rho=0.5, design_seed=3),
...     models={"ML": (nm.SAR, "y ~ x1 + x2", {"method": "ml"}),
...             "S2SLS": (nm.SAR, "y ~ x1 + x2", {"method": "gmm"})},
...     replications=10, seed=2026)
>>> results = study.run(progress=False)           # or backend="dask", workers=2
>>> summary = results.summary()
>>> summary.loc[summary.parameter == "rho", ["model", "replications", "failures"]].values.tolist()
[['ML', 10, 0], ['S2SLS', 10, 0]]
"""

from naeringsmiljo.studies.processes import (
    KnnDesign,
    SACProcess,
    SARProcess,
    SDMProcess,
    SEMProcess,
    knn_design,
    knn_process,
)
from naeringsmiljo.studies.runner import CONNECT_TIMEOUT, RunOutcome
from naeringsmiljo.studies.study import Study, StudyResults
from naeringsmiljo.studies.summary import monte_carlo_summary
from naeringsmiljo.studies.sweep import Sweep, SweepResults
from naeringsmiljo.studies.tasks import ModelSpec, task_seed

__all__ = [
    "CONNECT_TIMEOUT",
    "KnnDesign",
    "ModelSpec",
    "RunOutcome",
    "SACProcess",
    "SARProcess",
    "SDMProcess",
    "SEMProcess",
    "Study",
    "StudyResults",
    "Sweep",
    "SweepResults",
    "knn_design",
    "knn_process",
    "monte_carlo_summary",
    "task_seed",
]
