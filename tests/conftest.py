"""Shared fixtures: the Columbus data and its two contiguity matrices."""

from __future__ import annotations

import pandas as pd
import pytest

from naeringsmiljo import SpatialWeights, datasets

FORMULA = "CRIME ~ INC + HOVAL"


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
