"""Sensor handles: a sensor as read (``refresh()`` reads again), its beliefs in and out.

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

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from workbench.access import Action
from workbench.api.services import beliefs as belief_services
from workbench.api.services import sensors as services
from workbench.beliefs.filters import belief_filter
from workbench.beliefs.sensor import CurveType

if TYPE_CHECKING:
    import xarray as xr

    from workbench.api.context import Context
    from workbench.api.handles.objects import Object
    from workbench.api.services.beliefs import IngestData
    from workbench.api.workspace import Workspace
    from workbench.beliefs import KnowledgeTimeRule, NanPolicy
    from workbench.beliefs.filters import TimeLike
    from workbench.beliefs.sensor import SensorInfo
    from workbench.beliefs.sources import Source, SourceRef
    from workbench.beliefs.timing import Duration

__all__ = [
    "Sensor",
    "add_sensor",
    "beliefs",
    "catalog_folders",
    "get_sensor",
    "list_sensors",
    "sensors",
]


class Sensor:
    """A handle on one sensor: what it is (as read; ``refresh()`` reads again) and its beliefs.

    Made from the workspace (or its context) it is read through and the sensor's record.
    """

    def __init__(self, ws: Workspace | Context, info: SensorInfo) -> None:
        self._ctx: Context = ws._ctx
        self._info = info

    @property
    def ws(self) -> Workspace:
        """The workspace the sensor was read through."""
        return cast("Workspace", self._ctx.workspace)

    @property
    def info(self) -> SensorInfo:
        """The sensor's record, as read."""
        return self._info

    id = property(lambda self: self._info.id)
    name = property(lambda self: self._info.name)
    full_name = property(
        lambda self: self._info.full_name, doc="``<object full name>:<sensor name>``, unique."
    )
    unit = property(lambda self: self._info.unit)
    timezone = property(lambda self: self._info.timezone)
    resolution = property(lambda self: self._info.resolution, doc="A pd.Timedelta; 0: instants.")
    knowledge_time = property(lambda self: self._info.knowledge_time)
    curve_type = property(lambda self: self._info.curve_type)
    catalog_path = property(lambda self: self._info.catalog_path)
    account_id = property(lambda self: self._info.account_id)

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self._info.attributes)

    @property
    def object(self) -> Object:
        """The object the sensor belongs to."""
        return self.ws.object(cast(int, self._info.object_id))

    def refresh(self) -> Sensor:
        """Read the sensor again."""
        self._info = services.load_sensor(self._ctx, self.id, Action.READ)
        return self

    def delete(self) -> None:
        """Delete the sensor and all its beliefs."""
        services.delete_sensor(self._ctx, self.id)

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
        return belief_services.ingest(
            self._ctx,
            self.id,
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
        f = belief_filter(
            start,
            end,
            as_of=as_of,
            beliefs_after=beliefs_after,
            beliefs_before=beliefs_before,
            horizon_at_least=horizon_at_least,
            horizon_at_most=horizon_at_most,
            sources=sources,
            source_types=source_types,
            most_recent=most_recent,
            probabilistic=probabilistic,
        )
        return belief_services.sensor_beliefs(self._ctx, self.id, f)

    def __repr__(self) -> str:
        unit = self.unit or "dimensionless"
        return f"<Sensor {self.full_name} [{unit}] id={self.id}>"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Sensor) and bool(other.id == self.id)

    def __hash__(self) -> int:
        return hash(("Sensor", self.id))


# -- sensors of objects, of the workspace and of its catalog ----------------------------------
# Each takes what it is called on (an object, a workspace or a context) and hands out handles.


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
    ctx = obj.ws._ctx
    info = services.add_sensor(
        ctx,
        obj,
        name,
        unit=unit,
        timezone=timezone,
        resolution=resolution,
        knowledge_time=knowledge_time,
        curve_type=curve_type,
        catalog_path=catalog_path,
        attributes=attributes,
    )
    return Sensor(ctx, info)


def sensors(obj: Object) -> list[Sensor]:
    """The sensors of an object, by name."""
    ctx = obj.ws._ctx
    return [Sensor(ctx, info) for info in services.sensors(ctx, obj)]


def get_sensor(ws: Workspace | Context, key: int | str) -> Sensor:
    """A sensor by id or by ``"<object path>:<sensor name>"`` (short or full object path).

    What the user may not read is NotFound, exactly like what does not exist.
    """
    ctx = ws._ctx
    return Sensor(ctx, services.get_sensor(ctx, key))


def list_sensors(ws: Workspace | Context, catalog_path: str | None = None) -> list[Sensor]:
    """The sensors the user may read, in the catalog folder ``catalog_path`` and below it
    (all when None), by folder and full name."""
    ctx = ws._ctx
    return [Sensor(ctx, info) for info in services.list_sensors(ctx, catalog_path)]


def catalog_folders(ws: Workspace | Context) -> list[str]:
    """Every folder of the resource catalog that holds (or leads to) a sensor the user may read."""
    return services.catalog_folders(ws._ctx)


def beliefs(
    ws: Workspace | Context,
    sensors: Sequence[Sensor | int | str],
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
) -> xr.Dataset | dict[str, xr.Dataset]:
    """Several sensors' beliefs side by side, read in one transaction.

    The filters are those of :meth:`Sensor.beliefs`. Each sensor is named by its name, or by
    its full name when several of the sensors share a name.

    Returns
    -------
    xr.Dataset or dict
        With ``most_recent``: one Dataset with one variable per sensor (its values, with the
        sensor's attrs and units) on the union of their ``event_start`` and ``source``
        coordinates (NaN where a sensor has no belief). Otherwise the beliefs layouts cannot
        share a ``belief`` dimension: a dict of one beliefs Dataset per sensor, in the order
        given.
    """
    f = belief_filter(
        start,
        end,
        as_of=as_of,
        beliefs_after=beliefs_after,
        beliefs_before=beliefs_before,
        horizon_at_least=horizon_at_least,
        horizon_at_most=horizon_at_most,
        sources=sources,
        source_types=source_types,
        most_recent=most_recent,
        probabilistic=probabilistic,
    )
    ctx = ws._ctx
    with ctx.tx(read=True):
        infos = [
            services.load_sensor(ctx, k.id, Action.READ)
            if isinstance(k, Sensor)
            else services.get_sensor(ctx, k)
            for k in sensors
        ]
        return belief_services.read_several(ctx, infos, f)
