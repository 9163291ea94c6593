"""What a calculation lookup finds at the end of its path: sensors, calculations, stored values.

:class:`Finder` turns the objects a path reached (see :mod:`workbench.api.services.calc.walker`) into
*members*: each member is one value of the lookup (one series, one number, ...), made of
*pieces* that each hold in some time intervals (several only through a one-to-one versioned
link). A piece's source is a sensor, a calculation (a timeseries attribute's local expression or
its definition's template, or a virtual series of the catalog) or a stored attribute value.
Sensors and virtual series are read in one query for all the lookups of a batch.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd

from workbench.api.services.calc.paths import CATALOG_PREFIX, Intervals, LookupPath
from workbench.api.services.calc.walker import Node, Reach, Walker
from workbench.api.services.objects import definition_info
from workbench.beliefs import parse_rule
from workbench.beliefs.sensor import SensorInfo, check_curve_type
from workbench.calc.protocol import Found
from workbench.errors import ExpressionError
from workbench.metamodel import ValueType
from workbench.model import AttributeInfo
from workbench.store import calc as store
from workbench.store.virtual import virtual_rows_in_folders

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.store.timeseries import SensorRow

__all__ = [
    "CalcSource",
    "Finder",
    "Member",
    "Piece",
    "SensorSource",
    "Source",
    "ValueSource",
    "kind_of",
]

_CHUNK = 10_000
_NUMBERS = {ValueType.DOUBLE, ValueType.INT64, ValueType.BOOLEAN}
_FOUND: dict[ValueType, Found] = {
    ValueType.STRING: "string",
    ValueType.XY_SET: "xy_set",
    ValueType.VERSIONED_XY_SET: "versioned_xy_set",
    ValueType.RATING_CURVE: "rating_curve",
}
_CURVES = (ValueType.RATING_CURVE, ValueType.XY_SET, ValueType.VERSIONED_XY_SET)


@dataclass(frozen=True)
class SensorSource:
    """A sensor's most recent beliefs."""

    sensor_id: int


@dataclass(frozen=True)
class CalcSource:
    """An expression evaluated for ``owner``: an attribute's local expression or template
    (``key`` = ("attribute", object id, attribute id)) or a virtual series ("virtual", id)."""

    key: tuple[str, int, int]
    text: str
    owner: int | None
    unit: str
    origin: str
    attribute: str = ""


@dataclass(frozen=True)
class ValueSource:
    """A stored attribute value: a number, string, XY-set or rating curve."""

    object_id: int
    attribute: AttributeInfo
    value: Any = field(compare=False, hash=False, default=None)


Source: TypeAlias = SensorSource | CalcSource | ValueSource


@dataclass(frozen=True)
class Piece:
    """A source and the intervals it holds in (None: always)."""

    source: Source
    validity: Intervals | None = None


Member: TypeAlias = tuple[Piece, ...]


def kind_of(source: Source) -> Found | None:
    """What a source gives: ``"series"``, ``"number"``, ... (None: nothing usable)."""
    if isinstance(source, SensorSource | CalcSource):
        return "series"
    vt = source.attribute.value_type
    return "number" if vt in _NUMBERS else _FOUND.get(vt)


def stored(node: Node, info: AttributeInfo) -> Any:
    """An attribute's stored value on an object (the definition's default when unset)."""
    key = str(info.id)
    return node.values[key] if key in node.values else info.spec.empty_value()


def numbers_of(source: ValueSource) -> list[float]:
    """The numbers a number attribute holds (an array: each element; unset: none)."""
    value = source.value
    items = value if isinstance(value, list) else [] if value is None else [value]
    return [float(v) for v in items if v is not None]


@dataclass
class Finder:
    """Ends paths: the sources at the objects a walk reached, with the sensors they read."""

    walker: Walker
    sensors: dict[int, SensorInfo | None] = field(default_factory=dict)
    by_object: dict[int, list[SensorInfo]] = field(default_factory=dict)

    @property
    def session(self) -> Session:
        return self.walker.session

    def members(self, path: LookupPath, reached: Sequence[Reach]) -> list[Member]:
        """The members of one lookup: its sources grouped by slot, in the order reached."""
        pieces: dict[tuple[int, ...], list[Piece]] = {}
        for reach, source in self._sources(path, reached):
            pieces.setdefault(reach.slot, []).append(Piece(source, reach.validity))
        members = [tuple(p) for p in pieces.values()]
        return [m for m in members if all(self._usable(p.source) for p in m)]

    @staticmethod
    def _usable(source: Source) -> bool:
        """Stored values that hold nothing are left out (sensors are checked once read)."""
        if isinstance(source, ValueSource) and kind_of(source) == "number":
            return bool(numbers_of(source))
        return not isinstance(source, ValueSource) or source.value is not None

    def _sources(
        self, path: LookupPath, reached: Sequence[Reach]
    ) -> Iterable[tuple[Reach, Source]]:
        nodes = self.walker.nodes
        for reach in reached:
            node = nodes.get(reach.object_id)
            if node is None:
                continue
            if path.final == "attribute":
                info = self.walker.attribute(node, path.name or "")
                source = None if info is None else self._attribute(node, info)
            elif path.final == "object":
                source = self._curve(node)
            else:
                source = self._named_sensor(node.id, path.name or "")
            if source is not None:
                yield reach, source

    def _attribute(self, node: Node, info: AttributeInfo) -> Source | None:
        vt = info.value_type
        if vt is ValueType.TIMESERIES:
            value = stored(node, info) or {}
            if value.get("sensor") is not None:
                return SensorSource(int(value["sensor"]))
            key = ("attribute", node.id, info.id)
            if value.get("expression") is not None:
                return CalcSource(
                    key, value["expression"], node.id, info.spec.unit, "local", info.name
                )
            if info.spec.template is not None:
                return CalcSource(
                    key, info.spec.template, node.id, info.spec.unit, "template", info.name
                )
            return None
        if vt in _NUMBERS or vt in _FOUND:
            return ValueSource(node.id, info, stored(node, info))
        return None

    def _curve(self, node: Node) -> Source | None:
        """An object as a curve: its one rating curve (or its one XY-set)."""
        attributes = definition_info(self.walker.ctx, node.definition_id).attributes
        for kinds in ((ValueType.RATING_CURVE,), _CURVES[1:]):
            found = [a for a in attributes if a.value_type in kinds]
            if len(found) == 1:
                return ValueSource(node.id, found[0], stored(node, found[0]))
        return None

    # -- sensors ----------------------------------------------------------------------------

    def _named_sensor(self, object_id: int, name: str) -> Source | None:
        for meta in self.by_object.get(object_id, []):
            if fnmatch.fnmatchcase(meta.name, name):
                return SensorSource(meta.id)
        return None

    def load_object_sensors(self, object_ids: Iterable[int]) -> None:
        """Read the sensors of these objects (one query), for ``:name`` path ends."""
        wanted = sorted(set(object_ids) - set(self.by_object))
        for begin in range(0, len(wanted), _CHUNK):
            chunk = wanted[begin : begin + _CHUNK]
            rows = store.sensor_rows_of_objects(self.session, chunk, self._visible)
            for meta in self._keep(rows):
                assert meta.object_id is not None
                self.by_object.setdefault(meta.object_id, []).append(meta)
            for i in chunk:
                self.by_object.setdefault(i, [])

    def load_sensors(self, ids: Iterable[int]) -> None:
        """Read sensors by id (one query); those the user may not read stay None."""
        wanted = sorted(set(ids) - set(self.sensors))
        for begin in range(0, len(wanted), _CHUNK):
            chunk = wanted[begin : begin + _CHUNK]
            self._keep(store.sensor_rows_by_id(self.session, chunk, self._visible))
            for i in chunk:
                self.sensors.setdefault(i, None)

    @property
    def _visible(self) -> frozenset[int] | None:
        return self.walker.ctx.principal.readable_accounts()

    def _keep(self, rows: Sequence[tuple[SensorRow, int | None]]) -> list[SensorInfo]:
        """The sensors of ``rows`` (with their accounts) as records, kept by id, by name."""
        metas = [_sensor_info(row, account) for row, account in rows]
        for meta in metas:
            self.sensors[meta.id] = meta
        return sorted(metas, key=lambda m: m.name)

    # -- the resource catalog ---------------------------------------------------------------

    def catalog(self, entries: Sequence[str]) -> dict[str, list[Member]]:
        """Virtual series and sensors listed at ``Folder/name`` catalog entries (names may be
        patterns): two queries for all entries."""
        split = {e: e.rpartition("/") for e in entries}
        folders = sorted({folder for folder, _, _ in split.values()})
        virtual = virtual_rows_in_folders(self.session, folders, self._visible)
        sensors = self._keep(store.sensor_rows_in_folders(self.session, folders, self._visible))
        found: dict[str, list[Member]] = {}
        for entry, (folder, _, name) in split.items():
            members: list[Member] = [
                (
                    Piece(
                        CalcSource(
                            ("virtual", row.id, 0),
                            row.expression,
                            row.relative_to_id,
                            row.unit,
                            "virtual",
                            f"{CATALOG_PREFIX}{entry}",
                        )
                    ),
                )
                for row in sorted(virtual, key=lambda r: r.name)
                if row.catalog_path == folder and fnmatch.fnmatchcase(row.name, name)
            ]
            members += [
                (Piece(SensorSource(m.id)),)
                for m in sensors
                if m.catalog_path == folder and fnmatch.fnmatchcase(m.name, name)
            ]
            found[entry] = members
        return found


def _sensor_info(row: SensorRow, account_id: int | None) -> SensorInfo:
    return SensorInfo(
        id=row.id,
        name=row.name,
        unit=row.unit,
        timezone=row.timezone,
        resolution=pd.Timedelta(row.resolution_us, unit="us"),
        knowledge_time=parse_rule(row.knowledge_time or "ex_post"),
        curve_type=check_curve_type(row.curve_type),
        object_id=row.object_id,
        account_id=account_id,
        catalog_path=row.catalog_path,
    )


def found_of(path: str, members: Sequence[Member]) -> Found | None:
    """The one kind of value a lookup's members give; a mixture is an error naming the path."""
    kinds = {kind for m in members for p in m if (kind := kind_of(p.source)) is not None}
    if len(kinds) > 1:
        raise ExpressionError(
            f"the path {path!r} names values of different kinds ({', '.join(sorted(kinds))}); "
            "narrow it to one kind"
        )
    return next(iter(kinds)) if kinds else None


def sensor_ids(members: Mapping[Any, Sequence[Member]]) -> set[int]:
    return {
        p.source.sensor_id
        for ms in members.values()
        for m in ms
        for p in m
        if isinstance(p.source, SensorSource)
    }
