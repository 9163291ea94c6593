"""Mesh's trigonometric functions: SIN, COS, TAN of angles, ACOS, ASIN, ATAN giving angles.

An angle in degrees is converted to radians first (``@SIN(@t('.Direction'))`` on a series in
``deg``); a number without a unit is taken as radians, as Mesh does. The arc functions give
radians (``rad``); outside their domain (``@ACOS(2)``) the value is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from workbench.calc.align import map_values
from workbench.calc.functions import Function, Invocation, MeshNote, Overload, UnitQuery
from workbench.calc.quantities import DIMENSIONLESS, compatible, converter, show, unit_of

__all__ = ["FUNCTIONS"]

RADIAN: Any = unit_of("rad")


def _angle(query: UnitQuery) -> Any:
    unit = query.types[0].unit
    if unit is not None and not compatible(unit, RADIAN):
        raise query.error(
            f"@{query.node.name} needs an angle (rad, deg) or a number, got {show(unit)}"
        )
    return DIMENSIONLESS


def _ratio(query: UnitQuery) -> Any:
    unit = query.types[0].unit
    if unit is not None and not compatible(unit, DIMENSIONLESS):
        raise query.error(f"@{query.node.name} needs a dimensionless value, got {show(unit)}")
    return RADIAN


def _of(function: Callable[[Any], Any], to_radians: bool) -> Callable[[Invocation], Any]:
    def run(call: Invocation) -> Any:
        unit = call.types[0].unit
        convert = (
            converter(unit, RADIAN) if to_radians and unit not in (None, DIMENSIONLESS) else None
        )

        def compute(values: Any) -> Any:
            with np.errstate(invalid="ignore"):
                return function(values if convert is None else convert(values))

        return map_values(call.args[0], call.types[0].kind, compute)

    return run


_NOTE = MeshNote("differs", "also takes a number, and an angle in degrees (converted)")
_ARC_NOTE = MeshNote("differs", "also takes a number; the result has the unit rad")


def _trig(name: str, function: Callable[[Any], Any], angle_in: bool) -> Function:
    doc = (
        f"The {name.lower()} of an angle (radians, or a unit of angle)."
        if angle_in
        else f"The {name.lower()} in radians; missing outside the domain."
    )
    return Function(
        name,
        (
            Overload(
                ("dt",),
                lambda k: k[0],
                _of(function, angle_in),
                unit=_angle if angle_in else _ratio,
            ),
        ),
        doc,
        _NOTE if angle_in else _ARC_NOTE,
    )


FUNCTIONS: tuple[Function, ...] = (
    _trig("SIN", np.sin, True),
    _trig("COS", np.cos, True),
    _trig("TAN", np.tan, True),
    _trig("ASIN", np.arcsin, False),
    _trig("ACOS", np.arccos, False),
    _trig("ATAN", np.arctan, False),
)
