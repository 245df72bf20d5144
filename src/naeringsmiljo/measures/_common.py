"""Building blocks shared by the measures: codes, cross-tabulations and entropies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from naeringsmiljo._options import Weighting, check_choice
from naeringsmiljo.microdata import Coded, MicrodataError, describe_rows, region_codes


def require_columns(frame: pd.DataFrame, columns: Sequence[str], measure: str) -> None:
    """Raise :class:`MicrodataError` when ``frame`` lacks one of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MicrodataError(
            f"{measure} needs the column(s) {missing}; validate the frame with "
            "naeringsmiljo.microdata first."
        )


def actor_weights(actors: pd.DataFrame, weight: Weighting) -> np.ndarray:
    """Each actor's contribution: its ``size`` or one."""
    check_choice("weight", weight, Weighting)
    if weight == "size":
        return actors["size"].to_numpy(dtype=np.float64)
    return np.ones(len(actors))


def regions_of(actors: pd.DataFrame) -> Coded:
    """The actors' regions as codes, labelled by the sorted region ids."""
    return region_codes(actors["region"])


def industry_codes(actors: pd.DataFrame, digits: int | None) -> Coded:
    """Industry groups made of the leading ``digits`` digits of the NACE code (dots ignored).

    ``digits=None`` keeps every digit of the code. The labels are the digit strings
    (``"62.01"`` becomes ``"6201"``, or ``"62"`` with ``digits=2``), sorted.

    Raises
    ------
    MicrodataError
        If ``digits`` is not a positive integer, or a code has fewer than ``digits`` digits
        (naming the rows).
    """
    if digits is not None and (not isinstance(digits, (int, np.integer)) or digits < 1):
        raise MicrodataError(
            f"The number of industry digits must be a positive int, got {digits!r}."
        )
    codes, uniques = pd.factorize(actors["industry"])
    if (codes < 0).any():
        rows = actors.index[codes < 0]
        raise MicrodataError(
            f"Missing industry codes in rows {describe_rows(rows)}.", rows=tuple(rows)
        )
    plain = [str(code).replace(".", "") for code in uniques]
    if digits is not None:
        short = np.array([len(code) < digits for code in plain], dtype=bool)
        if short.any():
            rows = actors.index[short[codes]]
            examples = sorted({repr(str(u)) for u, s in zip(uniques, short) if s})[:3]
            raise MicrodataError(
                f"{len(rows)} industry code(s) have fewer than {digits} digits "
                f"({', '.join(examples)}) in rows {describe_rows(rows)}.",
                rows=tuple(rows),
            )
        plain = [code[:digits] for code in plain]
    group, labels = pd.factorize(np.asarray(plain, dtype=object), sort=True)
    return Coded(group[codes].astype(np.int64), pd.Index(labels, name="industry"))


def crosstab(rows: Coded, columns: Coded, weights: np.ndarray) -> sp.csr_array:
    """Sum of ``weights`` in every (row, column) cell, as a sparse matrix without zero cells."""
    table = sp.coo_array((weights, (rows.codes, columns.codes)), shape=(rows.n, columns.n)).tocsr()
    table.sum_duplicates()
    table.eliminate_zeros()
    return table


def row_of_entries(table: sp.csr_array) -> np.ndarray:
    """Row index of every stored entry of a CSR matrix."""
    return np.repeat(np.arange(table.shape[0]), np.diff(table.indptr))


def divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ``numerator / denominator``, NaN where the denominator is zero."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator != 0)


def row_entropy(table: sp.csr_array) -> np.ndarray:
    """Shannon entropy in bits of each row's distribution, NaN for an all-zero row.

    .. math:: H_r = -\\sum_j p_{rj} \\log_2 p_{rj}, \\quad p_{rj} = t_{rj} / \\sum_k t_{rk}

    Only the stored (non-zero) cells enter, so :math:`0 \\log 0 = 0`.
    """
    totals = np.asarray(table.sum(axis=1)).ravel()
    rows = row_of_entries(table)
    share = table.data / totals[rows]
    bits = np.bincount(rows, -share * np.log2(share), minlength=table.shape[0])
    return np.where(totals > 0, bits, np.nan)


def combine(*parts: Coded) -> Coded:
    """The joint categories of several coded columns (their observed combinations)."""
    codes = parts[0].codes
    for part in parts[1:]:
        joint = codes * part.n + part.codes
        codes = pd.factorize(joint)[0].astype(np.int64)
    labels = pd.RangeIndex(int(codes.max()) + 1 if codes.size else 0)
    return Coded(codes, labels)


def region_frame(regions: pd.Index, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A measure's result: one row per region, one column per statistic."""
    return pd.DataFrame(columns, index=pd.Index(regions, name="region"))
