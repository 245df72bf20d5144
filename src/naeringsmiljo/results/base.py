"""The results protocol: what frequentist and posterior results both give.

Tables, impacts and studies rely only on this protocol, so a posterior results class (means and
standard deviations of draws) and :class:`~naeringsmiljo.results.spatial.SpatialResults`
(estimates and asymptotic standard errors) are interchangeable where they meet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from naeringsmiljo.design.base import Design
from naeringsmiljo.records import FitRecord


@runtime_checkable
class EstimationResults(Protocol):
    """A fitted model.

    ``params`` are point estimates (posterior means for samplers), ``std_errors`` their
    standard errors (posterior standard deviations); ``parameter_draws`` returns draws of the
    parameter vector (from ``N(params, cov)``, or the posterior), from which every simulated
    quantity, the impacts first, is computed by one function. ``family`` is the outcome family
    the model declared.
    """

    model: str
    params: pd.Series
    cov: pd.DataFrame
    spec: Design
    record: FitRecord
    family: str

    @property
    def std_errors(self) -> pd.Series: ...

    @property
    def nobs(self) -> int: ...

    def conf_int(self, alpha: float = 0.05, *, level: float | None = None) -> pd.DataFrame: ...

    def to_frame(self, alpha: float = 0.05) -> pd.DataFrame: ...

    def summary(self) -> str: ...  # a str, or a subclass such as Summary

    def impacts(self, *args: Any, **kwargs: Any) -> Any: ...

    def parameter_draws(
        self, draws: int, *, seed: int | Sequence[int] | None = 0
    ) -> np.ndarray: ...
