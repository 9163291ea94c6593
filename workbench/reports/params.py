"""Notebook parameters: the cell tagged ``parameters``, and values given as ``name=text``.

A value given on the command line is text; it takes the type of the default in the notebook's
parameters cell (``days = 3`` makes ``days=7`` the integer 7), so a wrong value is refused before
the notebook runs rather than failing somewhere inside it.

>>> declared = {"days": 3, "scale": 1.5, "sensor": "Model/Demo:power", "hourly": True}
>>> coerce_parameters(["days=7", "scale=2", "hourly=no"], declared)
{'days': 7, 'scale': 2.0, 'hourly': False}
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any

from workbench.errors import InvalidValue

__all__ = ["PARAMETERS_TAG", "coerce_parameters", "declared_parameters", "parse_assignment"]

PARAMETERS_TAG = "parameters"
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


class _Unparsed:
    """The default of a parameter whose source is not a Python literal (``pd.Timestamp(...)``)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __repr__(self) -> str:
        return self.source


def declared_parameters(nb: Any, name: str = "notebook") -> dict[str, Any]:
    """The parameters a notebook (an ``nbformat`` node) declares, with their defaults.

    Defaults are Python values where their source is a literal, else the source text.

    Raises
    ------
    InvalidValue
        When the notebook (called ``name`` in the message) has no cell tagged ``parameters``.
    """
    tagged = [c for c in nb.cells if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise InvalidValue(
            f"the notebook {name!r} has no cell tagged {PARAMETERS_TAG!r}, so it takes "
            "no parameters; tag the cell that sets them (View > Cell toolbar > Tags in Jupyter)"
        )
    found: dict[str, Any] = {}
    for cell in tagged:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            raise InvalidValue(f"the parameters cell does not parse: {exc}") from None
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and node.value is not None:
                        found[target.id] = _default(node.value)
    return found


def _default(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _Unparsed(ast.unparse(node))


def parse_assignment(text: str) -> tuple[str, str]:
    """``name=value`` split at the first ``=``; anything else is refused."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise InvalidValue(f"parameter {text!r} is not of the form name=value (e.g. days=7)")
    return name, value


def _convert(name: str, value: Any, default: Any) -> Any:
    if not isinstance(value, str) or isinstance(default, _Unparsed) or default is None:
        return value
    kind = type(default)
    try:
        if kind is bool:
            lowered = value.strip().lower()
            if lowered not in _TRUE | _FALSE:
                raise ValueError(value)
            return lowered in _TRUE
        if kind in (int, float):
            return kind(value)
        if kind is str:
            return value
        converted = ast.literal_eval(value)
        if not isinstance(converted, kind):
            raise ValueError(value)
        return converted
    except (ValueError, SyntaxError):
        raise InvalidValue(
            f"parameter {name}={value!r} is not a {kind.__name__} like its default "
            f"{default!r}; give e.g. {name}={default!r}"
        ) from None


def coerce_parameters(
    given: Iterable[str] | Mapping[str, Any], declared: Mapping[str, Any]
) -> dict[str, Any]:
    """The given parameters typed like the notebook's defaults; unknown names are refused.

    ``given`` is a list of ``name=value`` texts or a mapping (whose text values are converted
    too; other values are taken as they are).
    """
    pairs = list(given.items()) if isinstance(given, Mapping) else map(parse_assignment, given)
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name not in declared:
            accepted = ", ".join(sorted(declared)) or "none"
            raise InvalidValue(
                f"the notebook has no parameter {name!r}; its parameters are: {accepted}"
            )
        result[name] = _convert(name, value, declared[name])
    return result
