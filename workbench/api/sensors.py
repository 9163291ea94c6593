"""Old home of sensors; they live in :mod:`workbench.api.handles.sensors` (handles) and
:mod:`workbench.api.services.sensors` (services) now. Kept while importers move over."""

from __future__ import annotations

from workbench.api.handles.sensors import (
    Sensor,
    add_sensor,
    catalog_folders,
    get_sensor,
    list_sensors,
    sensors,
)
from workbench.api.services.beliefs import IngestData
from workbench.api.services.sensors import check_catalog_path
from workbench.beliefs.filters import TimeLike
from workbench.beliefs.sensor import CurveType, SensorInfo

__all__ = [
    "CurveType",
    "IngestData",
    "Sensor",
    "SensorInfo",
    "TimeLike",
    "add_sensor",
    "catalog_folders",
    "check_catalog_path",
    "get_sensor",
    "list_sensors",
    "sensors",
]
