"""How the CLI shows things to people: plain tables (rich), one row per item.

Tables have no borders, so they read well in a terminal and stay easy to ``grep`` and ``awk``
when piped (then without colours, and never wrapped). ``--json`` output is not made here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

_WIDE = 10_000
"""The width when stdout is not a terminal: a piped table is never wrapped or cut."""


def console() -> Console:
    if sys.stdout.isatty():
        return Console(highlight=False)
    return Console(width=_WIDE, highlight=False, no_color=True, soft_wrap=True)


def cell(value: Any) -> str:
    """How one value reads in a table: ``-`` for nothing, lists joined, times to the second."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str = "") -> None:
    """Print a table (``headers`` in capitals), or ``empty`` when there is no row."""
    rows = [[cell(v) for v in row] for row in rows]
    if not rows:
        if empty:
            console().print(empty, markup=False)
        return
    grid = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for header in headers:
        grid.add_column(header, no_wrap=True, overflow="fold")
    for row in rows:
        grid.add_row(*(Text(value) for value in row))  # plain text: `envs[prd]` is no markup
    out = console()
    if out.is_terminal:
        out.print(grid)
        return
    with out.capture() as captured:
        out.print(grid)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def fields(pairs: Sequence[tuple[str, Any]]) -> None:
    """A FIELD / VALUE table of one record's own fields."""
    table(["FIELD", "VALUE"], [(name, value) for name, value in pairs])


def heading(text: str) -> None:
    console().print(f"\n[bold]{text}[/bold]")
