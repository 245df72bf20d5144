"""Shared fixtures: the Columbus data and its two contiguity matrices; hypothesis profiles.

Hypothesis profiles: ``"ci"`` (the default: 10 examples, derandomised, so that every run draws
the same examples) and ``"slow"`` (200 examples), chosen with hypothesis's own option
``pytest --hypothesis-profile=slow`` or the environment variable
``NAERINGSMILJO_HYPOTHESIS_PROFILE=slow``. Neither keeps an example database, so nothing is
written into the repository.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import settings

from naeringsmiljo import SpatialWeights, datasets

FORMULA = "CRIME ~ INC + HOVAL"

# deadline=None: an example fits several models (tens of milliseconds each, more on a busy
# machine), and a timing failure would say nothing about the property.
settings.register_profile("ci", max_examples=10, deadline=None, derandomize=True, database=None)
settings.register_profile("slow", max_examples=200, deadline=None, database=None)
settings.load_profile(os.environ.get("NAERINGSMILJO_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def columbus() -> pd.DataFrame:
    return datasets.columbus()


@pytest.fixture(scope="session")
def w_anselin() -> SpatialWeights:
    """Anselin's (1988) contiguity (R spdep COL.nb), row-standardised: behind the published tables."""
    return datasets.columbus_weights("anselin").row_standardize()


@pytest.fixture(scope="session")
def w_queen() -> SpatialWeights:
    """Queen contiguity (libpysal columbus.gal), row-standardised: behind spreg's numbers."""
    return datasets.columbus_weights("queen").row_standardize()
