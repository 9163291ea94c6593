"""The sensor record: one frozen description of a sensor wherever the workbench needs one.

The API reads it from the store, the xarray layouts (:mod:`workbench.xr.build`) write it into a
Dataset's attrs and read it back, calculations take units and resolutions from it. A sensor
built by hand (a Dataset made in a notebook) has no id, object or account.

>>> import pandas as pd
>>> power = SensorInfo(id=3, name="power", unit="MW", resolution=pd.Timedelta("15min"),
...                    object_id=7, object_full_name="Model/Demo/PlantA")
>>> power.full_name, power.iso_resolution
('Model/Demo/PlantA:power', 'P0DT0H15M0S')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

import pandas as pd

from workbench.beliefs.rules import ExPost, KnowledgeTimeRule
from workbench.beliefs.timing import check_timezone
from workbench.errors import InvalidValue

__all__ = ["CURVE_TYPES", "CurveType", "SensorInfo", "check_curve_type"]

#: How values run between a sensor's points: constant over each event, or linear between points.
CurveType: TypeAlias = Literal["step", "linear"]
CURVE_TYPES: Final = ("step", "linear")


def check_curve_type(value: object) -> CurveType:
    """Return ``value`` if it is a curve type ('step' or 'linear'), else raise InvalidValue."""
    if value in CURVE_TYPES:
        return value
    raise InvalidValue(f"curve_type must be 'step' or 'linear', got {value!r}")


@dataclass(frozen=True, kw_only=True)
class SensorInfo:
    """A sensor: what its beliefs are about and how to read them.

    Attributes
    ----------
    id
        The stored sensor's id (0: not stored).
    name
        Unique among its object's sensors.
    unit
        A pint unit text, as the sensor was given it ("" for dimensionless).
    timezone
        An IANA name: calendar-day resolutions and knowledge-time rules count days there.
    resolution
        The duration of its events; 0 for instants.
    knowledge_time
        When an event can be known (default: when it ends).
    curve_type
        "step" or "linear".
    object_id, account_id
        The object it belongs to and that object's account (None: not stored, or no account).
    object_full_name
        The full name of its object ("" when not known).
    catalog_path
        The resource-catalog folder it is listed under ("" is the top).
    attributes
        Free JSON data.
    """

    id: int = 0
    name: str = ""
    unit: str = ""
    timezone: str = "UTC"
    resolution: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(0))
    knowledge_time: KnowledgeTimeRule = field(default_factory=ExPost)
    curve_type: CurveType = "step"
    object_id: int | None = None
    account_id: int | None = None
    object_full_name: str = ""
    catalog_path: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        check_curve_type(self.curve_type)
        if not isinstance(self.resolution, pd.Timedelta) or self.resolution < pd.Timedelta(0):
            raise InvalidValue(
                f"resolution must be a pd.Timedelta of 0 or more, got {self.resolution!r}"
            )

    @property
    def full_name(self) -> str:
        """``<object full name>:<sensor name>``, unique; the name alone without an object."""
        return f"{self.object_full_name}:{self.name}" if self.object_full_name else self.name

    @property
    def iso_resolution(self) -> str:
        """The resolution as ISO 8601 text (``"PT0S"`` for instants)."""
        return str(self.resolution.isoformat()) if self.resolution > pd.Timedelta(0) else "PT0S"

    @property
    def irregular_step(self) -> bool:
        """Instants whose values hold until the next one (a step curve of resolution 0)."""
        return self.resolution == pd.Timedelta(0) and self.curve_type == "step"

    def meta(self) -> dict[str, Any]:
        """Keyword arguments for the Dataset builders of :mod:`workbench.xr`."""
        return {
            "units": self.unit,
            "resolution": self.resolution,
            "timezone": self.timezone,
            "sensor": self.full_name,
            "sensor_id": self.id,
            "knowledge_time": self.knowledge_time,
            "curve_type": self.curve_type,
        }
