"""Booktabs tabulars for ``\\input`` into the paper; no floats, captions or timestamps."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence


def escape(text: str) -> str:
    """Text with LaTeX's special characters made literal."""
    special = {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "_": r"\_",
        "%": r"\%",
        "&": r"\&",
        "#": r"\#",
        "$": r"\$",
        "^": r"\^{}",
        "~": r"\~{}",
    }
    return "".join(special.get(char, char) for char in text)


def num(x: float | None, digits: int) -> str:
    """A number in math mode with ``digits`` decimals; empty for None, a true minus sign."""
    if x is None:
        return ""
    text = f"{x:.{digits}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return f"${text}$"


def sci(x: float) -> str:
    """A small positive number as ``$a \\times 10^{b}$`` (0 as ``$0$``)."""
    if x == 0.0:
        return "$0$"
    mantissa, exponent = f"{x:.1e}".split("e")
    return rf"${mantissa} \times 10^{{{int(exponent)}}}$"


def tabular(
    align: str,
    header: Sequence[Sequence[str]],
    body: Sequence[Sequence[str] | str],
    *,
    note: str | None = None,
) -> str:
    """A tabular: header rows, ``\\midrule``, body rows (a string row is written verbatim,
    e.g. ``\\midrule`` or ``\\addlinespace``), ``\\bottomrule``.

    The ``note`` (what the table shows, for the caption) is written as comment lines above the
    tabular: a note inside it would set the width of the last column.
    """
    lines = ["% " + line for line in textwrap.wrap(note, 96)] if note else []
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule"]
    lines += [" & ".join(row) + r" \\" for row in header]
    if header:
        lines.append(r"\midrule")
    for row in body:
        lines.append(row if isinstance(row, str) else " & ".join(row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)
