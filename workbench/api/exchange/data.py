"""The shared ground of export and import: the format, checking data, exporting values.

The YAML text itself is read and written by :mod:`workbench.api.exchange.safe_yaml`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from workbench.api.exchange.safe_yaml import dump_yaml, load_yaml
from workbench.errors import (
    ExpressionError,
    InvalidDefinition,
    InvalidValue,
    NotFound,
    WorkbenchError,
)
from workbench.metamodel import ValueType

__all__ = [
    "DEFINITION_KIND",
    "FORMAT",
    "HEADER",
    "LIST",
    "MAP",
    "MODEL_KIND",
    "TEXT",
    "Accepts",
    "Data",
    "checked_items",
    "dump_yaml",
    "fields",
    "header",
    "json_data",
    "load_yaml",
    "located",
    "put",
    "typed",
    "unbox",
]

FORMAT: Final = 1
DEFINITION_KIND: Final = "model_definition"
MODEL_KIND: Final = "model"

Data = dict[str, Any]
Accepts = tuple[type, ...] | None  # the accepted Python types of a field; None: anything
TEXT, LIST, MAP = (str,), (list,), (dict,)
HEADER: dict[str, Accepts] = {"kind": TEXT, "format": (int,)}


# -- checking imported data ----------------------------------------------------------------------


def fields(
    data: object,
    where: str,
    keys: Mapping[str, Accepts],
    required: tuple[str, ...],
    error: type[WorkbenchError] = InvalidDefinition,
) -> Data:
    """``data`` as a dict with ``required`` keys, no unknown ones, each of its accepted type.

    A key given as null counts as absent.
    """
    accepted = ", ".join(keys)
    if not isinstance(data, Mapping):
        raise error(f"{where} must be a mapping with the keys {accepted}; got {data!r:.80}")
    unknown = [k for k in data if k not in keys]
    if unknown:
        raise error(f"{where}: unknown key {unknown[0]!r}; accepted keys: {accepted}")
    out = {k: v for k, v in data.items() if v is not None}
    for key in required:
        if key not in out:
            raise error(f"{where}: the key {key!r} is missing")
    for key, value in out.items():
        types = keys[key]
        if types is not None and (
            not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        ):
            wanted = " or ".join(t.__name__ for t in types)
            raise error(f"{where}.{key} must be a {wanted}, got {value!r:.80}")
    return out


def header(
    data: object,
    kind: str,
    keys: Mapping[str, Accepts],
    required: tuple[str, ...],
    error: type[WorkbenchError],
) -> Data:
    found = data.get("kind", kind) if isinstance(data, Mapping) else kind
    if found != kind:  # checked first: the other kind's keys would be unknown here
        raise error(f"the data holds a {found!r}, not a {kind!r}")
    d = fields(data, kind.replace("_", " "), keys, ("kind", "format", *required), error)
    if d["format"] != FORMAT:
        raise error(
            f"format {d['format']!r} is not supported; this workbench reads format {FORMAT}"
        )
    return d


def checked_items(
    value: Any,
    where: str,
    keys: Mapping[str, Accepts],
    required: tuple[str, ...],
    error: type[WorkbenchError] = InvalidDefinition,
) -> Iterator[tuple[str, Data]]:
    """Each item of a list as checked fields, with where it sits."""
    for i, item in enumerate(value or []):
        at = f"{where}[{i}]"
        yield at, fields(item, at, keys, required, error)


@contextmanager
def located(where: str) -> Iterator[None]:
    """Prefix errors raised while importing one element with where that element sits."""
    try:
        yield
    except NotFound as exc:
        hint = "; ".join(filter(None, [exc.hint, f"at {where}"]))
        raise NotFound(exc.what, exc.key, hint) from exc
    except (InvalidDefinition, InvalidValue) as exc:
        raise type(exc)(f"{where}: {exc}") from exc
    except ExpressionError as exc:
        raise ExpressionError(f"{where}: {exc.message}", exc.text, exc.line, exc.column) from exc


# -- exporting -----------------------------------------------------------------------------------


def put(d: Data, key: str, value: Any, omitted: Any = None) -> None:
    """Set ``d[key]`` unless the value is None or what an absent key means."""
    if value is not None and not (value == omitted and type(value) is type(omitted)):
        d[key] = value


def json_data(value: Any) -> Any:
    """JSON data with sorted keys, so both backends export it alike."""
    return json.loads(json.dumps(value, sort_keys=True))


def typed(vt: ValueType | str, value: Any) -> Any:
    """Numbers of a double field as floats (PostgreSQL's JSON may hand back 1e20 as an int)."""
    if ValueType(vt) is not ValueType.DOUBLE or isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [typed(vt, v) for v in value]
    return float(value) if isinstance(value, int) else value


def unbox(box: Any) -> Any:
    return None if box is None else box.get("value")
