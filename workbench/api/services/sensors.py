"""Sensors (physical time series) on objects: create, find, list, delete, as sensor records.

A sensor belongs to one object and follows its object's access rules: reading it takes read
access to the object's account, posting data takes "create children or post data", deleting it
"delete". Every function here is one transaction (or joins the caller's ``ws.transaction()``)
and returns :class:`~workbench.beliefs.sensor.SensorInfo` records.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from workbench.access import Action
from workbench.api.services.objects import full_names, named, object_by_key
from workbench.beliefs import (
    ExPost,
    KnowledgeTimeRule,
    check_timezone,
    parse_resolution,
    parse_rule,
)
from workbench.beliefs.sensor import CurveType, SensorInfo, check_curve_type
from workbench.errors import InvalidValue, NotFound
from workbench.paths import check_name
from workbench.store import sensors as store
from workbench.units import parse_signed_unit

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.beliefs.timing import Duration
    from workbench.store.timeseries import SensorRow

__all__ = [
    "SensorOwner",
    "add_sensor",
    "catalog_folders",
    "check_catalog_path",
    "delete_sensor",
    "get_sensor",
    "list_sensors",
    "load_sensor",
    "sensors",
]


class SensorOwner(Protocol):
    """The object a sensor is added to or listed of, as read (an Object handle or record)."""

    @property
    def id(self) -> int: ...

    @property
    def account_id(self) -> int | None: ...

    @property
    def full_name(self) -> str: ...


# -- reading and checking sensors -----------------------------------------------------------


def _info(row: SensorRow, account_id: int | None, object_full_name: str) -> SensorInfo:
    return SensorInfo(
        id=row.id,
        name=row.name,
        unit=row.unit,
        timezone=row.timezone,
        resolution=pd.Timedelta(row.resolution_us, unit="us"),
        knowledge_time=parse_rule(row.knowledge_time or {"type": "ex_post"}),
        curve_type=check_curve_type(row.curve_type),
        object_id=row.object_id,
        account_id=account_id,
        object_full_name=object_full_name,
        catalog_path=row.catalog_path,
        attributes=dict(row.attributes or {}),
    )


def _infos(ctx: Context, found: list[tuple[SensorRow, int | None]]) -> list[SensorInfo]:
    """Records of sensors with their accounts, reading each object's full name once."""
    names: dict[int, str] = {}
    for row, _ in found:
        if row.object_id not in names:
            names[row.object_id] = full_names(ctx, row.object_id)[0]
    return [_info(row, account, names[row.object_id]) for row, account in found]


def _visible(ctx: Context, account_id: int | None) -> bool:
    readable = ctx.principal.readable_accounts()
    return readable is None or account_id is None or account_id in readable


def load_sensor(ctx: Context, sensor_id: int, action: Action | None = None) -> SensorInfo:
    """Read a sensor (in the caller's transaction, if one is open).

    Without ``action`` this is a lookup: a sensor the user may not read is NotFound like one
    that does not exist. With one, the user must be allowed to do it (AccessDenied otherwise).
    """
    with ctx.tx(read=action is None or action is Action.READ) as s:
        found = store.sensor_with_ancestors(s, sensor_id)  # one statement: the call's first
        if found is None or (action is None and not _visible(ctx, found[1])):
            raise NotFound("sensor", sensor_id)
        row, account_id, ancestry = found
        info = _info(row, account_id, named(ancestry)[0])
        if action is not None:
            what = "sensor" if action is not Action.CREATE else "data to sensor"
            ctx.check(action, info.account_id, f"{what} {info.full_name}")
        return info


def delete_sensor(ctx: Context, sensor_id: int) -> None:
    """Delete a sensor and all its beliefs (takes "delete" on its object's account)."""
    with ctx.tx() as s:
        info = load_sensor(ctx, sensor_id, Action.DELETE)
        store.delete_sensor(s, info.id)


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
    """A new sensor's columns, checked."""
    check_curve_type(curve_type)
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
    ctx: Context,
    owner: SensorOwner,
    name: str,
    *,
    unit: str = "",
    timezone: str = "UTC",
    resolution: Duration = "0s",
    knowledge_time: KnowledgeTimeRule | Mapping[str, Any] | str | None = None,
    curve_type: CurveType = "step",
    catalog_path: str = "",
    attributes: Mapping[str, Any] | None = None,
) -> SensorInfo:
    """Create a sensor on an object; see :meth:`workbench.Object.add_sensor`."""
    name = check_name(name, "sensor name")
    fields = _fields(
        unit, timezone, resolution, knowledge_time, curve_type, catalog_path, attributes
    )
    with ctx.tx() as s:
        ctx.check(Action.CREATE, owner.account_id, f"sensors of {owner.full_name}")
        if store.sensor_id_named(s, owner.id, name) is not None:
            raise InvalidValue(f"{owner.full_name} already has a sensor named {name!r}")
        row = store.insert_sensor(s, owner.id, owner.account_id, name, fields)
        return _info(row, owner.account_id, full_names(ctx, owner.id)[0])


def sensors(ctx: Context, owner: SensorOwner) -> list[SensorInfo]:
    """The sensors of an object, by name (takes read access to the object)."""
    with ctx.tx(read=True) as s:
        ctx.check(Action.READ, owner.account_id, owner.full_name)
        found = [(row, owner.account_id) for row in store.object_sensor_rows(s, owner.id)]
        return _infos(ctx, found)


def _key(key: object) -> int | tuple[str, str]:
    """A sensor's id, or the (object path, sensor name) of a ``"<object path>:<name>"`` key."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if not isinstance(key, str) or ":" not in key or not key.startswith("Model/"):
        raise InvalidValue(
            f"look up a sensor by id (int) or as 'Model/<object path>:<sensor name>', got {key!r}"
        )
    path, _, name = key.rpartition(":")
    return path, name


def get_sensor(ctx: Context, key: int | str) -> SensorInfo:
    """A sensor by id or by ``"<object path>:<sensor name>"`` (short or full object path).

    What the user may not read is NotFound, exactly like what does not exist; a sensor name
    that the object does not have is NotFound listing the object's sensors.
    """
    parsed = _key(key)
    if isinstance(parsed, int):
        return load_sensor(ctx, parsed)
    path, name = parsed
    with ctx.tx(read=True) as s:
        owner = object_by_key(ctx, path)
        sensor_id = store.sensor_id_named(s, owner.id, name)
        if sensor_id is None:
            known = [x.name for x in sensors(ctx, owner)]
            raise NotFound("sensor", key, f"{owner.full_name} has the sensors: {known}")
        return load_sensor(ctx, sensor_id)


def list_sensors(ctx: Context, catalog_path: str | None = None) -> list[SensorInfo]:
    """The sensors the user may read, in the catalog folder ``catalog_path`` and below it
    (all when None), by folder and full name."""
    folder = None if catalog_path is None else check_catalog_path(catalog_path)
    with ctx.tx(read=True) as s:
        visible = ctx.principal.readable_accounts()  # as this transaction reloaded it
        found = _infos(ctx, store.visible_sensor_rows(s, visible, folder))
    return sorted(found, key=lambda x: (x.catalog_path, x.full_name))


def catalog_folders(ctx: Context) -> list[str]:
    """Every folder of the resource catalog that holds (or leads to) a sensor the user may read."""
    folders = {""}
    for sensor in list_sensors(ctx):
        parts = sensor.catalog_path.split("/") if sensor.catalog_path else []
        folders.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(folders)
