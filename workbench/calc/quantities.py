"""Unit helpers of the calculation language: parsing, naming, compatibility and conversion.

Every number and series in an expression has a pint unit (a number literal is dimensionless
unless written ``100[MW]``). Units are worked out before any data is read; at run time the
evaluator only applies the conversions found here.

Examples
--------
>>> convert = converter(unit_of("kW"), unit_of("MW"))
>>> float(convert(1500.0))
1.5
>>> unit_text(unit_of("MW") * unit_of("h"))
'h * MW'
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np

from workbench.errors import UnitError
from workbench.units import parse_unit, ureg

__all__ = [
    "DIMENSIONLESS",
    "compatible",
    "converter",
    "product",
    "quotient",
    "show",
    "unit_of",
    "unit_text",
]

DIMENSIONLESS: Any = ureg.dimensionless
_N = TypeVar("_N", float, np.ndarray)


def unit_of(text: str) -> Any:
    """The pint unit of ``text`` ("" is dimensionless); UnitError for an unknown unit."""
    return parse_unit(text)


@lru_cache(maxsize=512)
def unit_text(unit: Any) -> str:
    """A short text for ``unit`` that :func:`workbench.units.parse_unit` reads back."""
    if unit is None or unit == DIMENSIONLESS:
        return ""
    short = format(unit, "~")
    try:
        if parse_unit(short) == unit:
            return short
    except UnitError:
        pass
    return str(unit)


def show(unit: Any) -> str:
    """The unit for a message: ``'MW'``, or ``dimensionless``."""
    text = unit_text(unit)
    return repr(text) if text else "dimensionless"


@lru_cache(maxsize=1024)
def compatible(a: Any, b: Any) -> bool:
    """True when a value in ``b`` can be converted to ``a`` (same dimensionality)."""
    return bool(a == b or a.dimensionality == b.dimensionality)


@lru_cache(maxsize=1024)
def converter(source: Any, target: Any) -> Callable[[Any], Any] | None:
    """A function converting magnitudes from ``source`` to ``target``; None when they are equal.

    Raises
    ------
    UnitError
        When the units have different dimensions.
    """
    if source == target:
        return None
    if not compatible(source, target):
        raise UnitError(f"{show(source)} cannot be converted to {show(target)}")
    zero = ureg.Quantity(0.0, source).to(target).magnitude
    factor = float(ureg.Quantity(1.0, source).to(target).magnitude) - float(zero)
    if zero == 0.0:
        if factor == 1.0:
            return None
        return lambda value: value * factor
    offset = float(zero)
    return lambda value: value * factor + offset


@lru_cache(maxsize=1024)
def product(a: Any, b: Any) -> Any:
    """The unit of a product, ``a * b`` (remembered: pint takes microseconds for it)."""
    return a * b


@lru_cache(maxsize=1024)
def quotient(a: Any, b: Any) -> Any:
    """The unit of a quotient, ``a / b`` (remembered like :func:`product`)."""
    return a / b
