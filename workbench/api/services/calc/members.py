"""The members of a lookup as the resolver hands them out: which piece counts, and their series.

A member (see :mod:`workbench.api.services.calc.sources`) is made of pieces valid in some time
intervals. A series member is stitched from its pieces' series in one unit; a stored value is
read from the piece valid last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.api.services.calc.series import converted, empty_series, stitch
from workbench.api.services.calc.sources import Finder, Member, SensorSource
from workbench.calc.values import Series
from workbench.curves import RatingCurve, VersionedXYSet, XYSet
from workbench.errors import ExpressionError

__all__ = ["curve_of", "latest", "member_series", "object_id", "usable"]

_CURVES: dict[str, Any] = {
    "rating_curve": RatingCurve,
    "xy_set": XYSet,
    "versioned_xy_set": VersionedXYSet,
}


def latest(member: Member) -> Any:
    """The source of a member's piece valid last: a stored value has no time, so through a
    versioned link it is read from the target the link points at last."""
    return max(member, key=lambda p: p.validity[-1][0] if p.validity else 2**63).source


def object_id(relative_to: Any) -> int | None:
    """The object id a lookup is relative to (the store resolver knows objects by id only)."""
    if relative_to is None:
        return None
    if isinstance(relative_to, int) and not isinstance(relative_to, bool):
        return relative_to
    raise ExpressionError(
        f"the store resolver identifies objects by id; got relative_to={relative_to!r}"
    )


def usable(finder: Finder, member: Member) -> bool:
    """Whether every sensor of a member could be read (the others are left out)."""
    return all(
        not isinstance(p.source, SensorSource) or finder.sensors.get(p.source.sensor_id)
        for p in member
    )


def curve_of(source: Any) -> Any:
    """The rating curve, XY-set or versioned XY-set a stored-value source holds."""
    return _CURVES[source.attribute.value_type.value].from_dict(source.value)


def member_series(member: Member, found: Mapping[Any, tuple[Series, str]], unit: str) -> Series:
    """One member's series in ``unit``, stitched from its pieces; ``found`` holds the series
    read or calculated (by sensor id or calculation key) and the unit each is in."""
    pieces = []
    for piece in member:
        source = piece.source
        key = source.sensor_id if isinstance(source, SensorSource) else source.key  # type: ignore[union-attr]
        if key in found:
            series, own = found[key]
            pieces.append((converted(series, own, unit), piece.validity))
    return stitch(pieces) if pieces else empty_series()
