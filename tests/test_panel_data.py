"""The US state panels of data/panels (datasets.produc, datasets.cigar) and their weights.

Reference facts: Produc is 48 states x 17 years (1970-1986) and Cigar 46 states x 30 years
(1963-1992) (Millo & Piras 2012; Elhorst 2014, ch. 3); the stored files equal a fresh build
from the registry packages (data/panels/build.py).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from naeringsmiljo import datasets

ROOT = Path(__file__).resolve().parents[1]


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("panels_build", ROOT / "data" / "panels" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stored_files_equal_a_fresh_build():
    frames = _build_module().build()
    folder = ROOT / "data" / "panels"
    for name, fresh in frames.items():
        stored = pd.read_csv(folder / name)
        # The CSV round trip keeps every value exactly (shortest repr of a double).
        pd.testing.assert_frame_equal(
            stored, fresh, check_dtype=False, check_column_type=False, check_exact=True
        )


@pytest.mark.parametrize(
    ("loader", "n", "t", "first", "last", "columns"),
    [
        (datasets.produc, 48, 17, 1970, 1986, 9),
        (datasets.cigar, 46, 30, 1963, 1992, 7),
    ],
)
def test_balanced_long_frame_indexed_by_state_and_year(loader, n, t, first, last, columns):
    frame = loader()
    assert frame.shape == (n * t, columns)
    assert list(frame.index.names) == ["state", "year"]
    assert frame.index.is_unique and frame.index.is_monotonic_increasing
    assert frame.index.unique("state").size == n
    years = frame.index.unique("year")
    assert years.tolist() == list(range(first, last + 1))
    assert not frame.isna().any().any()


@pytest.mark.parametrize(
    ("frame_loader", "weights_loader", "links"),
    [
        (datasets.produc, datasets.produc_weights, 214),
        (datasets.cigar, datasets.cigar_weights, 188),
    ],
)
def test_weights_are_binary_symmetric_contiguity_over_the_entities(
    frame_loader, weights_loader, links
):
    w = weights_loader()
    states = frame_loader().index.unique("state")
    assert w.ids.equals(states)
    assert w.nnz == links
    assert w.is_symmetric
    assert np.all(w.sparse.data == 1.0)
    assert w.sparse.diagonal().sum() == 0.0
    assert len(w.islands) == 0
    row_sums = np.asarray(w.row_standardize().sparse.sum(axis=1)).ravel()
    np.testing.assert_allclose(row_sums, 1.0, rtol=0, atol=1e-14)  # rounding of 1/k sums


def test_produc_neighbours_are_the_states_that_share_a_border():
    w = datasets.produc_weights()
    neighbours = w.sparse[[w.ids.get_loc("NEW_YORK")]].indices
    assert sorted(w.ids[neighbours]) == [
        "CONNECTICUT", "MASSACHUSETTS", "NEW_JERSEY", "PENNSYLVANIA", "VERMONT",
    ]  # fmt: skip
    # Four Corners: Utah and New Mexico, Arizona and Colorado touch at one point (queen links).
    utah = w.sparse[[w.ids.get_loc("UTAH")]].indices
    assert "NEW_MEXICO" in w.ids[utah]


def test_cigar_weights_link_neighbouring_state_codes():
    # Codes are alphabetical over the 50 states and DC: 1 Alabama, 10 Florida, 11 Georgia,
    # 25 Mississippi, 43 Tennessee.
    w = datasets.cigar_weights()
    alabama = w.sparse[[w.ids.get_loc(1)]].indices
    assert sorted(w.ids[alabama].tolist()) == [10, 11, 25, 43]


def test_row_standardised_produc_weights_equal_splm_usaww():
    # splm's usaww as exported by tests/reference/r/generate_produc_splm.R (rows alphabetical).
    stored = json.loads((ROOT / "tests" / "reference" / "r" / "produc_splm.json").read_text())
    assert stored["states"] == datasets.produc_weights().ids.tolist()
    ours = datasets.produc_weights().row_standardize().sparse.toarray()
    # 1/k rounded in R's and in our division: equal to the last bit or one ulp.
    np.testing.assert_allclose(ours, np.asarray(stored["usaww"]), rtol=0, atol=1e-15)
