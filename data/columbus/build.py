"""Build the Columbus files of this folder from the copy shipped in the libpysal wheel.

Run from the repository root with libpysal and geopandas installed:

    python data/columbus/build.py

Writes ``columbus.csv`` (attributes, one row per neighbourhood, POLYID 1..49),
``columbus.geojson`` (POLYID and polygon), ``columbus_queen_edges.csv`` (libpysal's
``columbus.gal``, 236 directed links) and ``columbus_anselin_edges.csv`` (Anselin's 1988
contiguity, R spdep's ``COL.nb``, 232 directed links). The Anselin links differ from the queen
links by the pairs listed below; the result is checked against the export of ``COL.nb`` made by
``tests/reference/r/generate_columbus.R`` when that file is present.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import libpysal
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# COL.nb = queen contiguity of columbus.shp minus three pairs plus one (POLYID numbers).
QUEEN_ONLY = [(31, 39), (9, 25), (26, 29)]
ANSELIN_ONLY = [(12, 18)]
ATTRIBUTES = [
    "POLYID",
    "NEIG",
    "HOVAL",
    "INC",
    "CRIME",
    "OPEN",
    "PLUMB",
    "DISCBD",
    "X",
    "Y",
    "AREA",
    "PERIMETER",
    "NSA",
    "NSB",
    "EW",
    "CP",
]


def queen_edges() -> pd.DataFrame:
    gal = libpysal.io.open(libpysal.examples.get_path("columbus.gal")).read()
    rows = [(int(i), int(j)) for i in gal.id_order for j in gal.neighbors[i]]
    return pd.DataFrame(rows, columns=["source", "target"]).sort_values(["source", "target"])


def anselin_edges(queen: pd.DataFrame) -> pd.DataFrame:
    pairs = set(map(tuple, queen.to_numpy()))
    for a, b in QUEEN_ONLY:
        pairs -= {(a, b), (b, a)}
    for a, b in ANSELIN_ONLY:
        pairs |= {(a, b), (b, a)}
    frame = pd.DataFrame(sorted(pairs), columns=["source", "target"])
    return frame


def main() -> None:
    shapes = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    shapes["POLYID"] = shapes["POLYID"].astype(int)
    shapes = shapes.sort_values("POLYID")
    assert shapes["POLYID"].tolist() == list(range(1, 50))
    shapes[ATTRIBUTES].to_csv(HERE / "columbus.csv", index=False)
    shapes[["POLYID", "geometry"]].to_file(HERE / "columbus.geojson", driver="GeoJSON")

    queen = queen_edges()
    anselin = anselin_edges(queen)
    assert len(queen) == 236 and len(anselin) == 232, (len(queen), len(anselin))
    exported = ROOT / "tests" / "reference" / "r" / "columbus_anselin_edges.csv"
    if exported.exists():
        from_r = pd.read_csv(exported).sort_values(["source", "target"]).reset_index(drop=True)
        assert from_r.equals(anselin.reset_index(drop=True)), "COL.nb export differs"
        print("Anselin links equal R spdep's COL.nb export.")
    queen.to_csv(HERE / "columbus_queen_edges.csv", index=False)
    anselin.to_csv(HERE / "columbus_anselin_edges.csv", index=False)
    print(f"queen links {len(queen)}, Anselin links {len(anselin)}")


if __name__ == "__main__":
    main()
