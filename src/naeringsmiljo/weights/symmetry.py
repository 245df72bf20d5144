"""Diagonal similarity to a symmetric matrix: the structure that the exact log-determinants,
the eigenvalue bounds and the spectrum of W exploit (LeSage & Pace 2009, s. 4.1)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def symmetrizing_scale(w: sp.sparray, *, rtol: float = 1e-12) -> np.ndarray | None:
    """Positive ``d`` with ``diag(d) W`` symmetric, or None when none is found.

    Then ``W = D^{-1} C`` with ``C = diag(d) W`` symmetric, so W is similar to the symmetric
    ``S = D^{1/2} W D^{-1/2} = D^{-1/2} C D^{-1/2}``, has real eigenvalues, and
    ``ln|I - rho W| = ln|I - rho S|``. Two candidates are tried: ``d = 1`` (W itself symmetric)
    and ``d`` = the number of neighbours of each unit, which recovers a row-standardised
    symmetric binary matrix (contiguity, symmetrised nearest neighbours).
    """
    w = sp.csr_array(w)
    counts = np.diff(w.indptr).astype(np.float64)
    if np.any(counts == 0):
        return None
    scale = float(np.max(np.abs(w.data), initial=0.0))
    for d in (np.ones(w.shape[0]), counts):
        c = sp.csr_array(sp.diags_array(d) @ w)
        diff = c - c.T
        if diff.nnz == 0 or np.max(np.abs(diff.data)) <= rtol * scale * np.max(d):
            return d
    return None


def symmetrized(w: sp.sparray, d: np.ndarray) -> sp.csr_array:
    """``S = D^{1/2} W D^{-1/2}``, symmetrised exactly (averaged with its transpose)."""
    root = np.sqrt(d)
    s = sp.diags_array(root) @ sp.csr_array(w) @ sp.diags_array(1.0 / root)
    return sp.csr_array(0.5 * (s + s.T))
