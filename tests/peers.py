"""Helpers shared by the tests that run peer software (spreg) live."""

from __future__ import annotations

import libpysal

from naeringsmiljo import datasets


def libpysal_w(kind: str) -> libpysal.weights.W:
    """libpysal W with the links of ``columbus_weights(kind)``, ids POLYID 1..49, transform "r"."""
    binary = datasets.columbus_weights(kind)
    ids = [int(i) for i in binary.ids]
    csr = binary.sparse
    neighbors = {
        ids[r]: [ids[c] for c in csr.indices[csr.indptr[r] : csr.indptr[r + 1]]]
        for r in range(binary.n)
    }
    w = libpysal.weights.W(neighbors, id_order=ids)
    w.transform = "r"
    return w
