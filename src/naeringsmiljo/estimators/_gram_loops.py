"""The compiled loops of :mod:`naeringsmiljo.estimators._gram_sums` (numba).

Importing this module imports numba (the ``fast`` extra); only ``_gram_sums`` does, when the
compiled path is chosen. The decorators compile nothing at import: each function is compiled
at its first call and cached on disk (``cache=True``).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np


@numba.njit(cache=True)
def transpose(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of ``W'`` from the CSR of square ``W`` (a counting sort; columns ascending)."""
    nnz = indices.size
    t_indptr = np.zeros(n + 1, dtype=np.int64)
    for p in range(nnz):
        t_indptr[indices[p] + 1] += 1
    for i in range(n):
        t_indptr[i + 1] += t_indptr[i]
    fill = t_indptr[:-1].copy()
    t_indices = np.empty(nnz, dtype=np.int64)
    t_data = np.empty(nnz, dtype=np.float64)
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            q = fill[indices[p]]
            t_indices[q] = i
            t_data[q] = data[p]
            fill[indices[p]] += 1
    return t_indptr, t_indices, t_data


@numba.njit(parallel=True, cache=True)
def gram_sums(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    t_data: np.ndarray,
    s: np.ndarray,
    n_blocks: int,
) -> np.ndarray:
    """Partial sums ``(q_GG, q_GW, q_WW)`` of each block of rows (``n_blocks x 3``)."""
    n = indptr.size - 1
    out = np.zeros((n_blocks, 3))
    for b in numba.prange(n_blocks):
        acc = np.zeros(n)  # row i of G
        column = np.zeros(n)  # column i of W: column[j] = W_ji
        mark = np.full(n, -1, dtype=np.int64)
        touched = np.empty(n, dtype=np.int64)
        q_gg = 0.0
        q_gw = 0.0
        q_ww = 0.0
        for i in range(b * n // n_blocks, (b + 1) * n // n_blocks):
            m = 0
            for p in range(t_indptr[i], t_indptr[i + 1]):
                k = t_indices[p]
                w_ki = t_data[p]
                column[k] += w_ki
                for q in range(indptr[k], indptr[k + 1]):
                    j = indices[q]
                    if mark[j] != i:
                        mark[j] = i
                        touched[m] = j
                        m += 1
                    acc[j] += w_ki * data[q]
            r_gg = 0.0
            for t in range(m):
                g = acc[touched[t]]
                r_gg += g * g * s[touched[t]]
            r_gw = 0.0
            r_ww = 0.0
            for q in range(indptr[i], indptr[i + 1]):
                j = indices[q]
                w_ij = data[q]
                r_gw += acc[j] * w_ij * s[j]  # acc[j] is 0 where row i of G has no entry
                r_ww += w_ij * (w_ij + column[j]) * s[j]
            for t in range(m):
                acc[touched[t]] = 0.0
            for p in range(t_indptr[i], t_indptr[i + 1]):
                column[t_indices[p]] = 0.0
            q_gg += s[i] * r_gg
            q_gw += s[i] * r_gw
            q_ww += s[i] * r_ww
        out[b, 0] = q_gg
        out[b, 1] = q_gw
        out[b, 2] = q_ww
    return out


@numba.njit(cache=True)
def breadth_first_order(indptr: np.ndarray, indices: np.ndarray, n: int) -> np.ndarray:
    """An ordering of the units by breadth-first search over the links of ``W`` (restarted at
    the first unvisited unit): neighbours, and neighbours of neighbours, get nearby positions."""
    order = np.empty(n, dtype=np.int64)
    visited = np.zeros(n, dtype=np.bool_)
    head = 0
    tail = 0
    for start in range(n):
        if visited[start]:
            continue
        visited[start] = True
        order[tail] = start
        tail += 1
        while head < tail:
            i = order[head]
            head += 1
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if not visited[j]:
                    visited[j] = True
                    order[tail] = j
                    tail += 1
    return order


@numba.njit(parallel=True, cache=True)
def permute(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of ``P W P'`` where row ``r`` is row ``order[r]`` of ``W`` (columns renumbered alike)."""
    n = order.size
    position = np.empty(n, dtype=np.int64)
    for r in range(n):
        position[order[r]] = r
    p_indptr = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        i = order[r]
        p_indptr[r + 1] = p_indptr[r] + indptr[i + 1] - indptr[i]
    p_indices = np.empty(indices.size, dtype=np.int64)
    p_data = np.empty(indices.size, dtype=np.float64)
    for r in numba.prange(n):  # rows written to disjoint slices
        i = order[r]
        q = p_indptr[r]
        for p in range(indptr[i], indptr[i + 1]):
            p_indices[q] = position[indices[p]]
            p_data[q] = data[p]
            q += 1
    return p_indptr, p_indices, p_data


@numba.njit(cache=True)  # permute, called here, runs in parallel as compiled on its own
def prepare(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> tuple[Any, ...]:
    """The renumbering, the CSR arrays of ``P W P'`` and those of its transpose, in one call (one
    compiled function to load from the cache instead of three)."""
    n = indptr.size - 1
    order = breadth_first_order(indptr, indices, n)
    p_indptr, p_indices, p_data = permute(indptr, indices, data, order)
    return order, p_indptr, p_indices, p_data, transpose(p_indptr, p_indices, p_data, n)
