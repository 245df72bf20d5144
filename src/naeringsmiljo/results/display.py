"""Text that prints as itself in a terminal and shows as itself in a notebook.

A summary or a table is a string (callers print it, search it, write it to a file); these
subclasses of :class:`str` add what IPython and Jupyter look for, so that typing
``res.summary()`` at a prompt shows the text rather than its quoted representation.
"""

from __future__ import annotations

import html
from typing import Self


class Summary(str):
    """A text summary: a :class:`str` that displays as preformatted text.

    Everything a string does works unchanged (``print``, ``in``, ``splitlines``); ``repr``
    is the text itself and :meth:`_repr_html_` a ``<pre>`` block for notebooks.
    """

    __slots__ = ()

    def as_text(self) -> str:
        """The summary as a plain :class:`str`."""
        return str(self)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


class Table(Summary):
    """A rendered table: its text (or Markdown, or LaTeX) as a :class:`str`, and an HTML table.

    ``html`` is the same table as an HTML ``<table>``, shown by notebooks in place of the text.
    """

    __slots__ = ("html",)
    html: str

    def __new__(cls, text: str, html: str) -> Self:
        table = super().__new__(cls, text)
        table.html = html
        return table

    def __reduce__(self) -> tuple[type[Table], tuple[str, str]]:
        return (Table, (str(self), self.html))

    def _repr_html_(self) -> str:
        return self.html
