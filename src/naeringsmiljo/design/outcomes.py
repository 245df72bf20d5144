"""Outcome families: what values the outcome of a model may take.

A Gaussian model takes any real outcome. A binary (probit) model takes 0 and 1 only; a censored
(Tobit) model takes outcomes censored from below at zero, so none is negative and some are
zero; a count (Poisson) model takes non-negative integers. A model checks its outcome against its family when it is built, so that a 0/1 model
never sees a 2 and a Tobit never sees a negative value.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from naeringsmiljo.design.base import describe_ids
from naeringsmiljo.exceptions import OutcomeError

Family = Literal["gaussian", "binary", "censored", "count"]
"""The outcome family a model declares; estimators state which families they can fit."""


def check_family_outcome(family: str, y: np.ndarray, ids: pd.Index, y_name: str) -> None:
    """Raise :class:`OutcomeError` naming the observations whose outcome ``family`` refuses."""
    if family == "binary":
        bad = ~((y == 0) | (y == 1))
        if bad.any():
            rows = ids[bad]
            raise OutcomeError(
                f"A probit outcome is 0 or 1; {y_name!r} is not at {len(rows)} observation(s): "
                f"{describe_ids(rows)} (values {np.unique(y[bad])[:5].tolist()}).",
                rows=tuple(rows),
            )
    elif family == "count":
        bad = ~((y >= 0) & (y == np.round(y)))
        if bad.any():
            rows = ids[bad]
            raise OutcomeError(
                f"A count outcome is a non-negative integer; {y_name!r} is not at {len(rows)} "
                f"observation(s): {describe_ids(rows)}.",
                rows=tuple(rows),
            )
    elif family == "censored":
        bad = y < 0
        if bad.any():
            rows = ids[bad]
            raise OutcomeError(
                f"A Tobit outcome is censored from below at 0; {y_name!r} is negative at "
                f"{len(rows)} observation(s): {describe_ids(rows)}.",
                rows=tuple(rows),
            )
        if not (y == 0).any():
            raise OutcomeError(
                f"No observation of {y_name!r} is censored (none is 0): fit a Gaussian model."
            )
