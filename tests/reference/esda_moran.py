"""Moran's I under randomisation from PySAL esda 2.9.0 (``esda.Moran``, ``permutations=0``,
``two_tailed=True``): Columbus crime, Anselin's contiguity matrix.

Residuals: the innovations of ``CRIME ~ INC + HOVAL`` fitted by this package (OLS, and SAR and
SEM by ML) with the row-standardised matrix (``transformation="r"``); ``CRIME_binary``: the
variable CRIME itself with the binary matrix (``transformation="o"``), where ``S_1`` and ``S_2``
differ from the row-standardised case. Each entry is ``(I, VI_rand, z_rand, p_rand)`` at 12
significant digits. Generated with (esda is not a test dependency)::

    import esda, naeringsmiljo as nm
    data = nm.datasets.columbus()
    w = nm.datasets.columbus_weights("anselin").row_standardize()
    res = nm.SAR.from_formula("CRIME ~ INC + HOVAL", data, w).fit()
    m = esda.Moran(res.innovations, w.to_libpysal(), transformation="r", permutations=0,
                   two_tailed=True)
    m.I, m.VI_rand, m.z_rand, m.p_rand
"""

RANDOMISATION: dict[str, tuple[float, float, float, float]] = {
    "OLS": (0.235638353766, 0.00860341235641, 2.76505681381, 0.00569128824571),
    "SAR": (0.0379801303105, 0.00816847672405, 0.650738075664, 0.515215579921),
    "SEM": (0.0113666104132, 0.00839394405576, 0.351456903026, 0.72524559916),
    "CRIME_binary": (0.520638149695, 0.00759871990243, 6.21162702873, 5.24387743753e-10),
}
