"""Mesh's status functions on the quality flags of series: STATUS_COUNT and RESET_STATUS.

Masks are written as Mesh writes them (``'notok|MANUAL'``) or with the workbench's flag names
(``'NOT_OK|SUSPECT'``, see :class:`workbench.beliefs.flags.Flag`), or as a number. A point
without a value counts as missing whether or not its MISSING bit is set.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt

from workbench.beliefs.flags import Flag
from workbench.calc.align import align, sample
from workbench.calc.functions import Function, Invocation, MeshNote, Overload, dimensionless
from workbench.calc.values import Series, Value

__all__ = ["FUNCTIONS", "parse_status"]

_MESH_NAMES = {
    "novalue": Flag.MISSING,
    "missing": Flag.MISSING,
    "notok": Flag.NOT_OK,
    "suspect": Flag.SUSPECT,
    "manual": Flag.MANUAL,
    "MANUAL": Flag.MANUAL,
    "estimated": Flag.MANUAL,
    "validated": Flag.VALIDATED,
    "corrected": Flag.CORRECTED,
}


def parse_status(value: Any) -> int:
    """A flag mask from Mesh's status names, the workbench's flag names, or a number."""
    if isinstance(value, float):
        if value < 0 or value != int(value) or value >= 2**32:
            raise ValueError(f"a status mask must be a whole number of 32 bits, got {value!r}")
        return int(value)
    names = [n.strip() for n in str(value).split("|") if n.strip()]
    mask = 0
    for name in names:
        flag = _MESH_NAMES.get(name) or Flag.__members__.get(name.upper())
        if flag is None:
            accepted = ", ".join([*_MESH_NAMES, *Flag.__members__])
            raise ValueError(f"status {name!r} is not known; use {accepted} joined with '|'")
        mask |= int(flag)
    if not names:
        raise ValueError("the status mask is empty; give names such as 'notok|MANUAL'")
    return mask


def _hits(
    series: Series, mask: int, values: Any = None, flags: Any = None
) -> npt.NDArray[np.bool_]:
    values = series.values if values is None else values
    flags = series.flags if flags is None else flags
    hit = np.zeros(values.size, dtype=bool) if flags is None else (flags & np.uint32(mask)) != 0
    if mask & Flag.MISSING:
        hit |= np.isnan(values)
    return hit


def _count(call: Invocation) -> Value:
    mask = cast(int, call.options[1])
    if call.types[0].kind == "t":
        return float(_hits(cast(Series, call.args[0]), mask).sum())
    members = list(cast(tuple[Series, ...], call.args[0]))
    if not members:
        raise ValueError("the collection is empty; there is nothing to count")
    times, values, meta = align(members)
    total = np.zeros(times.size)
    for member, aligned in zip(members, values, strict=True):
        flags = None
        if member.flags is not None:
            held = Series(
                member.times, member.flags.astype(np.float64), resolution=member.resolution
            )
            flags = np.nan_to_num(sample(held, times)).astype(np.uint32)
        total += _hits(member, mask, aligned, flags)
    return Series(times, total, meta.timezone, meta.resolution, meta.curve_type)


def _reset(call: Invocation) -> Value:
    series = cast(Series, call.args[0])
    if series.flags is None:
        return series
    cleared = 0xFFFFFFFF if len(call.args) < 2 else int(call.options[1])
    keep = np.uint32(~cleared & 0xFFFFFFFF)
    return Series(
        series.times,
        series.values,
        series.timezone,
        series.resolution,
        series.curve_type,
        series.flags & keep,
    )


FUNCTIONS: tuple[Function, ...] = (
    Function(
        "STATUS_COUNT",
        (
            Overload(("t", "ds"), "d", _count, options={1: parse_status}, unit=dimensionless),
            Overload(("T", "ds"), "t", _count, options={1: parse_status}, unit=dimensionless),
        ),
        "How many points of a series have a status in the mask (a number), or how many "
        "members of a collection have one at each time (a series): @STATUS_COUNT(t, 'notok').",
        MeshNote(
            "differs",
            "status names map to the workbench's flags (manual and estimated are one bit; "
            "locked, accepted, default have none); series of different resolutions are lined up",
        ),
    ),
    Function(
        "RESET_STATUS",
        (Overload(("t", "ds"), "t", _reset, required=1, options={1: parse_status}),),
        "Clear every status of a series' points, or those in the mask: @RESET_STATUS(t, 'notok').",
        MeshNote(
            "differs",
            "validation and correction method codes (V01, C01, ...) are not offered",
        ),
    ),
)
