"""Sensors (physical time series) on objects: create, find, list, delete; ingest and query beliefs.

A sensor belongs to one object and follows its object's access rules: reading it takes read
access to the object's account, posting data takes "create children or post data", deleting it
"delete". Every function here is one transaction (or joins the caller's ``ws.transaction()``).

>>> import pandas as pd, workbench as wb
>>> ws = wb.connect("sqlite://")
>>> md = ws.create_model_definition("Demo")
>>> plant = md.create_object_definition("Plant")
>>> model = ws.create_model("M", md, plant)
>>> power = add_sensor(model, "power", unit="MW", resolution="1h")
>>> index = pd.date_range("2025-01-01", periods=3, freq="1h", tz="UTC")
>>> power.ingest(pd.Series([1000.0, 2000.0, 3000.0], index=index), unit="kW",
...              source="meter", belief_time="2025-01-02T00:00Z")
3
>>> power.beliefs(most_recent=True, probabilistic=False)["value"].values.ravel()
array([1., 2., 3.])
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import pandas as pd
import xarray as xr
from sqlalchemy import select

from workbench.access import Action
from workbench.api.sources import (
    Source,
    SourceRef,
)
from workbench.beliefs import (
    ExPost,
    KnowledgeTimeRule,
    NanPolicy,
    check_timezone,
    parse_resolution,
    parse_rule,
)
from workbench.errors import InvalidValue, NotFound
from workbench.paths import check_name
from workbench.store import beliefs as store
from workbench.store.schema import ObjectRow
from workbench.store.timeseries import SensorRow
from workbench.units import parse_signed_unit
from workbench.xr import CurveType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.objects import Object
    from workbench.api.workspace import Workspace
    from workbench.beliefs.timing import Duration

__all__ = [
    "CurveType",
    "Sensor",
    "SensorInfo",
    "add_sensor",
    "catalog_folders",
    "check_catalog_path",
    "get_sensor",
    "list_sensors",
    "sensors",
]

#: A time argument: a timezone-aware datetime or pd.Timestamp, or an ISO text with an offset.
TimeLike: TypeAlias = "str | pd.Timestamp | Any"
#: What ``ingest`` takes: pandas or xarray objects, or the path of a CSV file.
IngestData: TypeAlias = (
    "pd.Series[Any] | pd.DataFrame | xr.DataArray | xr.Dataset | str | os.PathLike[str]"
)
_CURVES = ("step", "linear")


@dataclass(frozen=True)
class SensorInfo:
    """A sensor as read from the store, with its object's account and full name."""

    id: int
    object_id: int
    account_id: int | None
    object_full_name: str
    name: str
    unit: str
    timezone: str
    resolution: pd.Timedelta
    knowledge_time: KnowledgeTimeRule
    curve_type: CurveType
    catalog_path: str
    attributes: Mapping[str, Any]

    @property
    def full_name(self) -> str:
        return f"{self.object_full_name}:{self.name}"

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


class Sensor:
    """A handle on one sensor: what it is (as read; ``refresh()`` reads again) and its beliefs."""

    def __init__(self, ws: Workspace, info: SensorInfo) -> None:
        self.ws = ws
        self.info = info

    id = property(lambda self: self.info.id)
    name = property(lambda self: self.info.name)
    full_name = property(
        lambda self: self.info.full_name, doc="``<object full name>:<sensor name>``, unique."
    )
    unit = property(lambda self: self.info.unit)
    timezone = property(lambda self: self.info.timezone)
    resolution = property(lambda self: self.info.resolution, doc="A pd.Timedelta; 0: instants.")
    knowledge_time = property(lambda self: self.info.knowledge_time)
    curve_type = property(lambda self: self.info.curve_type)
    catalog_path = property(lambda self: self.info.catalog_path)
    account_id = property(lambda self: self.info.account_id)

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self.info.attributes)

    @property
    def object(self) -> Object:
        """The object the sensor belongs to."""
        return self.ws.object(self.info.object_id)

    def refresh(self) -> Sensor:
        """Read the sensor again."""
        with self.ws._tx() as s:
            self.info = load_sensor(self.ws, s, self.id, Action.READ)
        return self

    def delete(self) -> None:
        """Delete the sensor and all its beliefs."""
        with self.ws._tx() as s:
            info = load_sensor(self.ws, s, self.id, Action.DELETE)
            store.delete_sensor_beliefs(s, [info.id])
            row = s.get(SensorRow, info.id)
            s.delete(row)

    def ingest(
        self,
        data: IngestData,
        *,
        source: Source | str | None = None,
        source_type: str = "user",
        unit: str | None = None,
        timezone: str | None = None,
        belief_time: TimeLike | None = None,
        horizon: Duration | None = None,
        resolution: Duration | None = None,
        nan: NanPolicy = "drop",
        skip_unchanged: bool = False,
        progress: bool = False,
    ) -> int:
        """Store beliefs about a sensor's events: all of them, or (on any error) none.

        Parameters
        ----------
        data
            A pandas Series (index: timezone-aware event starts), a DataFrame with columns (or
            index levels) ``event_start``, ``value`` and optionally ``belief_time``,
            ``belief_horizon``, ``source``, ``cumulative_probability``, ``flags``; an xarray object
            in the workbench layouts; or the path of a CSV file with those columns.
        source, source_type
            Who holds the beliefs, when the data has no ``source`` column: a Source or a name
            (created as a source of ``source_type`` when new). Default: the user's own source.
        unit
            The unit of the values (default: the data's ``units`` attr, else the sensor's); they
            are converted into the sensor's unit, kWh into kW with the events' duration.
        timezone
            The zone of naive timestamps; without it naive timestamps are refused.
        belief_time, horizon
            When the beliefs were formed, if the data does not say: one time, or a horizon before
            each event's knowledge time under the sensor's rule; otherwise now.
        resolution
            The duration of the given events (default: inferred); they are split or joined into the
            sensor's resolution (sums for energy and money, means for power, prices, temperature).
        nan
            ``"drop"`` NaN values, or store them flagged ``Flag.MISSING`` (``"missing"``).
        skip_unchanged
            Leave out beliefs that repeat the value (and flags) of the belief before them about the
            same event, source and probability, among these and the latest stored beliefs.
        progress
            Show a progress bar while writing (large inputs are written in chunks, still within
            one transaction).

        Returns
        -------
        int
            How many beliefs were handed to the store; storing the same beliefs again changes
            nothing.
        """
        from workbench.api.ingest import ingest

        return ingest(
            self,
            data,
            source=source,
            source_type=source_type,
            unit=unit,
            timezone=timezone,
            belief_time=belief_time,
            horizon=horizon,
            resolution=resolution,
            nan=nan,
            skip_unchanged=skip_unchanged,
            progress=progress,
        )

    def beliefs(
        self,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        as_of: TimeLike | None = None,
        beliefs_after: TimeLike | None = None,
        beliefs_before: TimeLike | None = None,
        horizon_at_least: Duration | None = None,
        horizon_at_most: Duration | None = None,
        sources: Sequence[SourceRef] | SourceRef | None = None,
        source_types: Sequence[str] | str | None = None,
        most_recent: bool = False,
        probabilistic: bool = True,
    ) -> xr.Dataset:
        """A sensor's beliefs as an xarray Dataset, in the layouts of :mod:`workbench.xr.build`.

        Parameters
        ----------
        start, end
            Events starting in [start, end); timezone-aware times (naive ones are refused).
        as_of
            Only beliefs formed at or before this time (what was known then).
        beliefs_after, beliefs_before
            Only beliefs formed at or after / at or before these times.
        horizon_at_least, horizon_at_most
            Only beliefs whose horizon (knowledge time under the sensor's rule minus belief time)
            lies in this range: ``horizon_at_least="PT24H"`` keeps day-ahead forecasts.
        sources, source_types
            Only beliefs of these sources (Source, id or name) and of these types ("meter", ...).
        most_recent
            One belief per event, source and probability: the latest that passes the filters,
            in the "series" layout (event_start x source [x cumulative_probability]); otherwise
            every belief in the "beliefs" layout (one ``belief`` dimension).
        probabilistic
            Keep all quantiles (a ``cumulative_probability`` dimension in the series layout);
            False keeps only the median (0.5) beliefs and drops that dimension.
        """
        from workbench.api.queries import filters, read

        f = filters(
            start,
            end,
            as_of,
            beliefs_after,
            beliefs_before,
            horizon_at_least,
            horizon_at_most,
            sources,
            source_types,
            most_recent,
            probabilistic,
        )
        ws = self.ws
        with ws._tx() as s:
            return read(ws, s, load_sensor(ws, s, self.id, Action.READ), f)

    def __repr__(self) -> str:
        unit = self.unit or "dimensionless"
        return f"<Sensor {self.full_name} [{unit}] id={self.id}>"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Sensor) and bool(other.id == self.id)

    def __hash__(self) -> int:
        return hash(("Sensor", self.id))


# -- reading and checking sensors -----------------------------------------------------------


def _info(ws: Workspace, s: Session, row: SensorRow, account_id: int | None) -> SensorInfo:
    return SensorInfo(
        id=row.id,
        object_id=row.object_id,
        account_id=account_id,
        object_full_name=ws._full_names(s, row.object_id)[0],
        name=row.name,
        unit=row.unit,
        timezone=row.timezone,
        resolution=pd.Timedelta(row.resolution_us, unit="us"),
        knowledge_time=parse_rule(row.knowledge_time or {"type": "ex_post"}),
        curve_type=cast(CurveType, row.curve_type),
        catalog_path=row.catalog_path,
        attributes=dict(row.attributes or {}),
    )


def _rows(s: Session) -> Any:
    return select(SensorRow, ObjectRow.account_id).join(
        ObjectRow, ObjectRow.id == SensorRow.object_id
    )


def _visible(ws: Workspace, account_id: int | None) -> bool:
    readable = ws.principal.readable_accounts()
    return readable is None or account_id is None or account_id in readable


def load_sensor(
    ws: Workspace, s: Session, sensor_id: int, action: Action | None = None
) -> SensorInfo:
    """Read a sensor in the caller's transaction.

    Without ``action`` this is a lookup: a sensor the user may not read is NotFound like one
    that does not exist. With one, the user must be allowed to do it (AccessDenied otherwise).
    """
    found = s.execute(_rows(s).where(SensorRow.id == sensor_id)).first()
    if found is None or (action is None and not _visible(ws, found[1])):
        raise NotFound("sensor", sensor_id)
    info = _info(ws, s, found[0], found[1])
    if action is not None:
        what = "sensor" if action is not Action.CREATE else "data to sensor"
        ws._check(action, info.account_id, f"{what} {info.full_name}")
    return info


# -- creating, finding and listing ----------------------------------------------------------


def _unit(unit: object) -> str:
    parse_signed_unit(unit)  # raises UnitError naming the unit
    return str(unit).strip()


def check_catalog_path(path: object) -> str:
    """A resource-catalog folder path such as ``"Hydro/Plants"`` ("" is the top)."""
    if not isinstance(path, str):
        raise InvalidValue(
            f"catalog_path must be a folder path such as 'Hydro/Plants', got {path!r}"
        )
    parts = [p.strip() for p in path.strip().strip("/").split("/")] if path.strip("/ ") else []
    if any(not p or not p.isprintable() for p in parts) or len(path) > 1000:
        raise InvalidValue(
            f"catalog_path {path!r} must be folder names separated by '/', such as 'Hydro/Plants'"
        )
    return "/".join(parts)


def _attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    if attributes is None:
        return {}
    if not isinstance(attributes, Mapping) or not all(isinstance(k, str) for k in attributes):
        raise InvalidValue(f"attributes must be a dict with text keys, got {attributes!r}")
    try:
        return dict(json.loads(json.dumps(dict(attributes), allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise InvalidValue(
            f"attributes must be JSON data (text, numbers, lists, dicts): {exc}"
        ) from None


def _fields(
    unit: str,
    timezone: str,
    resolution: Duration,
    knowledge_time: KnowledgeTimeRule | Mapping[str, Any] | str | None,
    curve_type: str,
    catalog_path: str,
    attributes: Mapping[str, Any] | None,
) -> dict[str, Any]:
    if curve_type not in _CURVES:
        raise InvalidValue(f"curve_type must be 'step' or 'linear', got {curve_type!r}")
    rule = ExPost() if knowledge_time is None else parse_rule(knowledge_time)
    return {
        "unit": _unit(unit),
        "timezone": check_timezone(timezone),
        "resolution_us": int(parse_resolution(resolution) / pd.Timedelta(1, "us")),
        "knowledge_time": rule.to_dict(),
        "curve_type": curve_type,
        "catalog_path": check_catalog_path(catalog_path),
        "attributes": _attributes(attributes),
    }


def add_sensor(
    obj: Object,
    name: str,
    *,
    unit: str = "",
    timezone: str = "UTC",
    resolution: Duration = "0s",
    knowledge_time: KnowledgeTimeRule | Mapping[str, Any] | str | None = None,
    curve_type: CurveType = "step",
    catalog_path: str = "",
    attributes: Mapping[str, Any] | None = None,
) -> Sensor:
    """Create a sensor on an object.

    Parameters
    ----------
    name
        Unique among the object's sensors.
    unit
        A pint unit ("MW", "kWh", "degC", "EUR/MWh", "%", "" for dimensionless).
    timezone
        An IANA name; calendar-day resolutions and knowledge-time rules count days there.
    resolution
        The duration of its events ("15min", "PT1H", "P1D", a timedelta); 0 = instants.
    knowledge_time
        When an event can be known: a rule (``ExPost()``, the default), its dict or its name.
    curve_type
        "step" (constant over each event) or "linear" (between points).
    catalog_path
        The resource-catalog folder it is listed under, such as "Hydro/Plants".
    attributes
        Free JSON data.
    """
    name = check_name(name, "sensor name")
    fields = _fields(
        unit, timezone, resolution, knowledge_time, curve_type, catalog_path, attributes
    )
    ws = obj.ws
    ws._check(Action.CREATE, obj.account_id, f"sensors of {obj.full_name}")
    with ws._tx() as s:
        taken = s.scalar(
            select(SensorRow.id).where(SensorRow.object_id == obj.id, SensorRow.name == name)
        )
        if taken is not None:
            raise InvalidValue(f"{obj.full_name} already has a sensor named {name!r}")
        row = SensorRow(object_id=obj.id, account_id=obj.account_id, name=name, **fields)
        s.add(row)
        s.flush()
        return Sensor(ws, _info(ws, s, row, obj.account_id))


def sensors(obj: Object) -> list[Sensor]:
    """The sensors of an object, by name."""
    ws = obj.ws
    ws._check(Action.READ, obj.account_id, obj.full_name)
    with ws._tx() as s:
        rows = s.scalars(
            select(SensorRow).where(SensorRow.object_id == obj.id).order_by(SensorRow.name)
        )
        return [Sensor(ws, _info(ws, s, r, obj.account_id)) for r in rows]


def get_sensor(ws: Workspace, key: int | str) -> Sensor:
    """A sensor by id or by ``"<object path>:<sensor name>"`` (short or full object path).

    What the user may not read is NotFound, exactly like what does not exist.
    """
    if isinstance(key, int) and not isinstance(key, bool):
        with ws._tx() as s:
            return Sensor(ws, load_sensor(ws, s, key))
    if not isinstance(key, str) or ":" not in key or not key.startswith("Model/"):
        raise InvalidValue(
            f"look up a sensor by id (int) or as 'Model/<object path>:<sensor name>', got {key!r}"
        )
    path, _, name = key.rpartition(":")
    with ws._tx() as s:
        obj = ws.object(path)
        sensor_id = s.scalar(
            select(SensorRow.id).where(SensorRow.object_id == obj.id, SensorRow.name == name)
        )
        if sensor_id is None:
            known = [x.name for x in sensors(obj)]
            raise NotFound("sensor", key, f"{obj.full_name} has the sensors: {known}")
        return Sensor(ws, load_sensor(ws, s, sensor_id))


def _under(column: Any, folder: str) -> Any:
    return (column == folder) | column.startswith(folder + "/", autoescape=True)


def list_sensors(ws: Workspace, catalog_path: str | None = None) -> list[Sensor]:
    """The sensors the user may read, in the catalog folder ``catalog_path`` and below it
    (all when None), by folder and full name."""
    readable = ws.principal.readable_accounts()
    with ws._tx() as s:
        query = _rows(s)
        if readable is not None:
            query = query.where(
                ObjectRow.account_id.is_(None) | ObjectRow.account_id.in_(sorted(readable))
            )
        if catalog_path is not None and check_catalog_path(catalog_path):
            query = query.where(_under(SensorRow.catalog_path, check_catalog_path(catalog_path)))
        found = [Sensor(ws, _info(ws, s, row, account)) for row, account in s.execute(query)]
    return sorted(found, key=lambda x: (x.catalog_path, x.full_name))


def catalog_folders(ws: Workspace) -> list[str]:
    """Every folder of the resource catalog that holds (or leads to) a sensor the user may read."""
    folders = {""}
    for sensor in list_sensors(ws):
        parts = sensor.catalog_path.split("/") if sensor.catalog_path else []
        folders.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(folders)


# -- ingesting ------------------------------------------------------------------------------
