"""Export libpysal's Columbus data for the R reference generator.

Writes, next to this file:

* ``columbus_queen_edges.csv`` -- every directed link (``source,target``,
  POLYID 1..49, 236 rows) of libpysal's ``columbus.gal`` (queen contiguity).
* ``columbus_libpysal_data.csv`` -- ``POLYID,CRIME,INC,HOVAL`` from libpysal's
  ``columbus.dbf`` (shortest round-trip float repr), so that
  ``generate_columbus.R`` can check spdep's ``COL.OLD`` against it exactly.

The ids in ``columbus.gal`` are POLYIDs.  When geopandas is available this is
checked by recomputing queen contiguity from ``columbus.shp`` (whose rows are
in POLYID order 1..49).

Run from the repository root:  python tests/reference/r/export_libpysal_columbus.py
"""

from __future__ import annotations

import csv
import pathlib

import libpysal

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
    gal = libpysal.io.open(libpysal.examples.get_path("columbus.gal")).read()
    edges = sorted((int(i), int(j)) for i in gal.neighbors for j in gal.neighbors[i])
    assert len(edges) == 236, len(edges)
    assert all((j, i) in set(edges) for i, j in edges), "GAL links not symmetric"

    dbf = libpysal.io.open(libpysal.examples.get_path("columbus.dbf"))
    header = dbf.header
    rows = [dict(zip(header, r)) for r in dbf.read()]
    dbf.close()
    polyid = [int(r["POLYID"]) for r in rows]
    assert polyid == list(range(1, 50)), "columbus.dbf rows are not in POLYID order"

    try:
        import geopandas as gpd
    except ImportError:  # optional cross-check
        gpd = None
    if gpd is not None:
        shp = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
        assert list(shp["POLYID"]) == list(range(1, 50))
        queen = libpysal.weights.Queen.from_dataframe(shp, use_index=False)
        geom_edges = sorted(
            (int(i) + 1, int(j) + 1) for i in queen.neighbors for j in queen.neighbors[i]
        )
        assert geom_edges == edges, "columbus.gal ids are not POLYIDs"

    with open(HERE / "columbus_queen_edges.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["source", "target"])
        w.writerows(edges)

    with open(HERE / "columbus_libpysal_data.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["POLYID", "CRIME", "INC", "HOVAL"])
        for r in rows:
            w.writerow([int(r["POLYID"])] + [repr(float(r[v])) for v in ("CRIME", "INC", "HOVAL")])


if __name__ == "__main__":
    main()
