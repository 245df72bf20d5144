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
    """CSR of ``W'`` from the CSR of square ``W`` (a counting sort; columns ascending), its
    column indices 32-bit (units below 2^31: a third less memory traffic in the pass)."""
    nnz = indices.size
    t_indptr = np.zeros(n + 1, dtype=np.int64)
    for p in range(nnz):
        t_indptr[indices[p] + 1] += 1
    for i in range(n):
        t_indptr[i + 1] += t_indptr[i]
    fill = t_indptr[:-1].copy()
    t_indices = np.empty(nnz, dtype=np.int32)
    t_data = np.empty(nnz, dtype=np.float64)
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            q = fill[indices[p]]
            t_indices[q] = i
            t_data[q] = data[p]
            fill[indices[p]] += 1
    return t_indptr, t_indices, t_data


@numba.njit(cache=True)
def _workspace(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The arrays of :func:`_accumulate` for one block of rows: ``acc`` (a row of ``G``),
    ``column`` (a column of ``W``), ``mark`` (the row that last touched each column) and
    ``touched`` (the columns of the current row)."""
    return (
        np.zeros(n),
        np.zeros(n),
        np.full(n, -1, dtype=np.int64),
        np.empty(n, dtype=np.int64),
    )


@numba.njit(cache=True)
def _accumulate(
    i: int,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    t_data: np.ndarray,
    acc: np.ndarray,
    column: np.ndarray,
    mark: np.ndarray,
    touched: np.ndarray,
) -> int:
    """Row ``i`` of ``G`` on and right of its diagonal into ``acc`` (its columns listed in
    ``touched`` in the order first met; their number returned) and column ``i`` of ``W`` into
    ``column`` (``column[k] = W_ki``).

    ``G`` is symmetric, so each pair ``i < j`` is met once (in row ``i``). The rows of ``W``
    must have ascending column indices: a row ``k`` is read from its end until the column
    falls below ``i``."""
    count = 0
    for p in range(t_indptr[i], t_indptr[i + 1]):
        k = t_indices[p]
        w_ki = t_data[p]
        column[k] += w_ki
        q = indptr[k + 1] - 1
        while q >= indptr[k]:
            j = indices[q]
            if j < i:
                break
            if mark[j] != i:
                mark[j] = i
                touched[count] = j
                count += 1
            acc[j] += w_ki * data[q]
            q -= 1
    return count


@numba.njit(cache=True)
def _reset(
    i: int,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    acc: np.ndarray,
    column: np.ndarray,
    touched: np.ndarray,
    count: int,
) -> None:
    """Zero what :func:`_accumulate` wrote for row ``i``."""
    for t in range(count):
        acc[touched[t]] = 0.0
    for p in range(t_indptr[i], t_indptr[i + 1]):
        column[t_indices[p]] = 0.0


@numba.njit(cache=True)
def _add_row(
    out: np.ndarray,
    s: np.ndarray,
    i: int,
    g_ii: float,
    w_ii: float,
    r_gg: np.ndarray,
    r_gw: np.ndarray,
    r_wg: np.ndarray,
    r_ww: np.ndarray,
) -> None:
    """Row ``i``'s terms of the three bilinear forms (``out``: ``3 x m x m``) from the sums of
    its off-diagonal entries against ``s`` and the diagonals ``G_ii``, ``W_ii``."""
    m = s.shape[1]
    for a1 in range(m):
        for a2 in range(m):
            ss = s[i, a1] * s[i, a2]
            out[0, a1, a2] += s[i, a1] * r_gg[a2] + r_gg[a1] * s[i, a2] + g_ii * g_ii * ss
            out[1, a1, a2] += s[i, a1] * r_gw[a2] + r_wg[a1] * s[i, a2] + g_ii * w_ii * ss
            out[2, a1, a2] += s[i, a1] * r_ww[a2]


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
    """Partial bilinear sums of each block of rows (``n_blocks x 3 x m x m``) for the ``m``
    columns of ``s`` (``n x m``): entry ``[b, c, a1, a2]`` is block ``b``'s part of
    ``s_a1' M_c s_a2`` with ``M_c`` the matrices ``G o G``, ``G o W``, ``W o W + W o W'``;
    each row of ``G`` accumulated (:func:`_accumulate`), reduced and discarded."""
    n = indptr.size - 1
    m = s.shape[1]
    out = np.zeros((n_blocks, 3, m, m))
    for b in numba.prange(n_blocks):
        acc, column, mark, touched = _workspace(n)
        r_gg = np.zeros(m)  # sum_{j > i} G_ij^2 s_j
        r_gw = np.zeros(m)  # sum_{j > i} G_ij W_ij s_j
        r_wg = np.zeros(m)  # sum_{j > i} G_ij W_ji s_j
        r_ww = np.zeros(m)  # sum_j (W_ij^2 + W_ij W_ji) s_j
        for i in range(b * n // n_blocks, (b + 1) * n // n_blocks):
            count = _accumulate(
                i, indptr, indices, data, t_indptr, t_indices, t_data, acc, column, mark, touched
            )
            g_ii = acc[i]  # 0 when column i of W is empty
            w_ii = 0.0
            r_gg[:] = 0.0
            r_gw[:] = 0.0
            r_wg[:] = 0.0
            r_ww[:] = 0.0
            for t in range(count):
                j = touched[t]
                if j != i:
                    g2 = acc[j] * acc[j]
                    for a in range(m):
                        r_gg[a] += g2 * s[j, a]
            for q in range(indptr[i], indptr[i + 1]):
                j = indices[q]
                w_ij = data[q]
                if j > i:
                    gw = acc[j] * w_ij
                    for a in range(m):
                        r_gw[a] += gw * s[j, a]
                elif j == i:
                    w_ii = w_ij
                ww = w_ij * (w_ij + column[j])
                for a in range(m):
                    r_ww[a] += ww * s[j, a]
            for p in range(t_indptr[i], t_indptr[i + 1]):
                k = t_indices[p]
                if k > i:
                    wg = acc[k] * t_data[p]
                    for a in range(m):
                        r_wg[a] += wg * s[k, a]
            _reset(i, t_indptr, t_indices, acc, column, touched, count)
            _add_row(out[b], s, i, g_ii, w_ii, r_gg, r_gw, r_wg, r_ww)
    return out


@numba.njit(parallel=True, cache=True)
def _count_upper(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    t_data: np.ndarray,
    n_blocks: int,
) -> np.ndarray:
    """The number of entries of each row of ``G`` right of its diagonal (``G_ij``, ``j > i``,
    structurally nonzero)."""
    n = indptr.size - 1
    counts = np.zeros(n, dtype=np.int64)
    for b in numba.prange(n_blocks):
        acc, column, mark, touched = _workspace(n)
        for i in range(b * n // n_blocks, (b + 1) * n // n_blocks):
            count = _accumulate(
                i, indptr, indices, data, t_indptr, t_indices, t_data, acc, column, mark, touched
            )
            for t in range(count):
                if touched[t] != i:
                    counts[i] += 1
            _reset(i, t_indptr, t_indices, acc, column, touched, count)
    return counts


@numba.njit(parallel=True, cache=True)
def _store_upper(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    t_data: np.ndarray,
    g_indptr: np.ndarray,
    n_blocks: int,
) -> tuple[np.ndarray, ...]:
    """The values of :func:`gram_sums` that do not depend on ``s``, kept: ``G_ij^2`` right of
    the diagonal (row by row, in the order :func:`_accumulate` meets them, so that sums over
    them add in the order of :func:`gram_sums`), the diagonals ``G_ii`` and ``W_ii``, and on
    the entries of ``W`` (``W'``) the products ``G_ij W_ij`` right of the diagonal (``G_ik
    W_ki``, ``k > i``, for the rows of ``W'``) and ``W_ij (W_ij + W_ji)``."""
    n = indptr.size - 1
    g_indices = np.empty(g_indptr[n], dtype=np.int32)
    g_squares = np.empty(g_indptr[n])
    g_diagonal = np.zeros(n)
    w_diagonal = np.zeros(n)
    gw_rows = np.zeros(indices.size)
    ww_rows = np.zeros(indices.size)
    gw_columns = np.zeros(t_indices.size)
    for b in numba.prange(n_blocks):
        acc, column, mark, touched = _workspace(n)
        for i in range(b * n // n_blocks, (b + 1) * n // n_blocks):
            count = _accumulate(
                i, indptr, indices, data, t_indptr, t_indices, t_data, acc, column, mark, touched
            )
            position = g_indptr[i]
            for t in range(count):
                j = touched[t]
                if j != i:
                    g_indices[position] = j
                    g_squares[position] = acc[j] * acc[j]
                    position += 1
            g_diagonal[i] = acc[i]
            for q in range(indptr[i], indptr[i + 1]):
                j = indices[q]
                w_ij = data[q]
                if j > i:
                    gw_rows[q] = acc[j] * w_ij
                elif j == i:
                    w_diagonal[i] = w_ij
                ww_rows[q] = w_ij * (w_ij + column[j])
            for p in range(t_indptr[i], t_indptr[i + 1]):
                k = t_indices[p]
                if k > i:
                    gw_columns[p] = acc[k] * t_data[p]
            _reset(i, t_indptr, t_indices, acc, column, touched, count)
    return g_indices, g_squares, g_diagonal, w_diagonal, gw_rows, ww_rows, gw_columns


@numba.njit(cache=True)  # the two passes, called here, run in parallel as compiled on their own
def keep_gram(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    t_data: np.ndarray,
    n_blocks: int,
) -> tuple[Any, ...]:
    """``G``'s entries right of its diagonal and the other values of :func:`gram_sums` that do
    not depend on ``s`` (:func:`_store_upper`), after a pass that counts them, with the row
    pointers of the entries first."""
    counts = _count_upper(indptr, indices, data, t_indptr, t_indices, t_data, n_blocks)
    g_indptr = np.zeros(counts.size + 1, dtype=np.int64)
    for i in range(counts.size):
        g_indptr[i + 1] = g_indptr[i] + counts[i]
    kept = _store_upper(indptr, indices, data, t_indptr, t_indices, t_data, g_indptr, n_blocks)
    return (g_indptr,) + kept


@numba.njit(parallel=True, cache=True)
def kept_gram_sums(
    indptr: np.ndarray,
    indices: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    g_indptr: np.ndarray,
    g_indices: np.ndarray,
    g_squares: np.ndarray,
    g_diagonal: np.ndarray,
    w_diagonal: np.ndarray,
    gw_rows: np.ndarray,
    ww_rows: np.ndarray,
    gw_columns: np.ndarray,
    s: np.ndarray,
    n_blocks: int,
) -> np.ndarray:
    """:func:`gram_sums` from the values :func:`keep_gram` kept: the same blocks, the same
    terms added in the same order (the same numbers to the last bit), a streaming read of the
    kept arrays instead of the accumulation of each row of ``G``."""
    n = indptr.size - 1
    m = s.shape[1]
    out = np.zeros((n_blocks, 3, m, m))
    for b in numba.prange(n_blocks):
        r_gg = np.zeros(m)
        r_gw = np.zeros(m)
        r_wg = np.zeros(m)
        r_ww = np.zeros(m)
        for i in range(b * n // n_blocks, (b + 1) * n // n_blocks):
            r_gg[:] = 0.0
            r_gw[:] = 0.0
            r_wg[:] = 0.0
            r_ww[:] = 0.0
            for position in range(g_indptr[i], g_indptr[i + 1]):
                j = g_indices[position]
                g2 = g_squares[position]
                for a in range(m):
                    r_gg[a] += g2 * s[j, a]
            for q in range(indptr[i], indptr[i + 1]):
                j = indices[q]
                if j > i:
                    gw = gw_rows[q]
                    for a in range(m):
                        r_gw[a] += gw * s[j, a]
                ww = ww_rows[q]
                for a in range(m):
                    r_ww[a] += ww * s[j, a]
            for p in range(t_indptr[i], t_indptr[i + 1]):
                k = t_indices[p]
                if k > i:
                    wg = gw_columns[p]
                    for a in range(m):
                        r_wg[a] += wg * s[k, a]
            _add_row(out[b], s, i, g_diagonal[i], w_diagonal[i], r_gg, r_gw, r_wg, r_ww)
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
    """CSR of ``P W P'`` where row ``r`` is row ``order[r]`` of ``W`` (columns renumbered alike
    and sorted ascending within each row; column indices 32-bit, as in :func:`transpose`)."""
    n = order.size
    position = np.empty(n, dtype=np.int32)  # read at random: 32-bit halves the cache it needs
    for r in range(n):
        position[order[r]] = r
    p_indptr = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        i = order[r]
        p_indptr[r + 1] = p_indptr[r] + indptr[i + 1] - indptr[i]
    p_indices = np.empty(indices.size, dtype=np.int32)
    p_data = np.empty(indices.size, dtype=np.float64)
    for r in numba.prange(n):  # rows written to disjoint slices
        i = order[r]
        q = p_indptr[r]
        for p in range(indptr[i], indptr[i + 1]):
            p_indices[q] = position[indices[p]]
            p_data[q] = data[p]
            q += 1
        # the renumbered columns of the row in ascending order (insertion sort: k entries)
        for a in range(p_indptr[r] + 1, p_indptr[r + 1]):
            key, value = p_indices[a], p_data[a]
            c = a - 1
            while c >= p_indptr[r] and p_indices[c] > key:
                p_indices[c + 1] = p_indices[c]
                p_data[c + 1] = p_data[c]
                c -= 1
            p_indices[c + 1] = key
            p_data[c + 1] = value
    return p_indptr, p_indices, p_data


@numba.njit(cache=True)  # permute, called here, runs in parallel as compiled on its own
def prepare(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> tuple[Any, ...]:
    """The renumbering, the CSR arrays of ``P W P'`` and those of its transpose, in one call (one
    compiled function to load from the cache instead of three)."""
    n = indptr.size - 1
    order = breadth_first_order(indptr, indices, n)
    p_indptr, p_indices, p_data = permute(indptr, indices, data, order)
    return order, p_indptr, p_indices, p_data, transpose(p_indptr, p_indices, p_data, n)
