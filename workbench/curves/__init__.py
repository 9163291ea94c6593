"""Rating curves and XY-sets as Mesh has them: validated value types with vectorised evaluation.

A rating curve maps x (say a water level) to f(x) = a·(x + b)^c piecewise, with versions valid
from a time. An XY-set is a family of (x, y) curves keyed by z; a versioned XY-set holds XY-sets
valid from a time, each until the next. Every type is an immutable value with an exact
``to_dict``/``from_dict`` round trip, and evaluates numpy arrays without a Python loop per point.
"""

from __future__ import annotations

from workbench.curves.rating import RatingCurve, RatingCurveVersion, RatingSegment
from workbench.curves.xy import VersionedXYSet, XYCurve, XYSet, XYSetVersion

__all__ = [
    "RatingCurve",
    "RatingCurveVersion",
    "RatingSegment",
    "VersionedXYSet",
    "XYCurve",
    "XYSet",
    "XYSetVersion",
]
