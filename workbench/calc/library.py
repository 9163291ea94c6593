"""The functions of the calculation language by name, and the lookups.

Function names are case-insensitive (``@transform`` is ``@TRANSFORM``); the lookups ``@t``,
``@T``, ``@d``, ``@D``, ``@s`` and ``@S`` are case-sensitive, since the case says whether one
value or a collection is meant.
"""

from __future__ import annotations

from workbench.calc import (
    fn_curves,
    fn_element,
    fn_gliding,
    fn_history,
    fn_profile,
    fn_resolution,
    fn_select,
    fn_stats,
    fn_status,
    fn_temporal,
    fn_time,
    fn_timeinfo,
    fn_trig,
)
from workbench.calc.functions import Function
from workbench.calc.values import Kind

__all__ = ["ALIASES", "FUNCTIONS", "LOOKUPS", "find", "names", "reference"]

MODULES = (
    fn_stats,
    fn_time,
    fn_curves,
    fn_resolution,
    fn_temporal,
    fn_gliding,
    fn_profile,
    fn_element,
    fn_select,
    fn_timeinfo,
    fn_history,
    fn_trig,
    fn_status,
)
"""The modules that declare functions; a later module's function takes the name of an earlier one."""
FUNCTIONS: dict[str, Function] = {f.name.upper(): f for module in MODULES for f in module.FUNCTIONS}
ALIASES: dict[str, str] = {"AVG": "MEAN", "AVERAGE": "MEAN"}

LOOKUPS: dict[str, Kind] = {"t": "t", "T": "T", "d": "d", "D": "D", "s": "s", "S": "S"}
"""Lookup functions by name and the kind each returns."""


def find(name: str) -> Function | None:
    """The function called ``name`` (any case), or None."""
    key = name.upper()
    return FUNCTIONS.get(ALIASES.get(key, key))


def names() -> list[str]:
    """Every function name, sorted, for messages and documentation."""
    return sorted([*(f.name for f in FUNCTIONS.values()), *ALIASES], key=str.upper)


def reference() -> str:
    """Every function with its overloads and what it does, as Markdown, for documentation.

    Pipes inside cells are escaped (``\\|``), so the table renders as one.

    >>> print(reference().splitlines()[2])
    | `@ABS` | `ABS(d\\|t\\|D\\|T)` | The absolute value. |
    """
    rows = ["| function | takes | does |", "| --- | --- | --- |"]
    for key in sorted(FUNCTIONS):
        function = FUNCTIONS[key]
        takes = "<br>".join(f"`{o.signature(function.name)}`" for o in function.overloads)
        rows.append(f"| `@{function.name}` | {_cell(takes)} | {_cell(function.doc)} |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
