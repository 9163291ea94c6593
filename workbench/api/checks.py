"""Checking a model against its definition: values still missing, values no longer accepted.

Creating an object never fails for want of values: every attribute starts with its default, or
empty. An array attribute whose definition asks for at least ``min_count`` values and gives no
default therefore starts with none (as in Volue Mesh, where a new object's attributes hold
nothing until they are written). Writing a value is always validated in full; what is not yet
written is reported by :func:`check_model` as *missing*, and a stored value that the definition
does not accept (say, a sensor reference whose sensor was deleted) as *invalid*. So is an
expression (template or local) that no longer passes the checks it passed when saved, after its
definition changed: an attribute it reads renamed, deleted or given another unit.

>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> md = ws.create_model_definition("Hydro")
>>> lake = md.create_object_definition("Reservoir")
>>> _ = lake.add_attribute("Levels", "double", array=True, min_count=2)
>>> model = ws.create_model("Lake", md, lake)
>>> [f.message for f in check_model(model)]
['Model/Lake.Levels holds 0 values; it takes at least 2']
>>> model["Levels"] = [101.5, 102.0]
>>> check_model(model)
[]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from workbench.api.snapshot import ModelSnapshot, ObjectRecord, read_model
from workbench.errors import ExpressionError, InvalidValue, UnitError
from workbench.metamodel import ValueType
from workbench.model import AttributeInfo

if TYPE_CHECKING:
    from workbench.api.objects import Object
    from workbench.api.workspace import Workspace

__all__ = ["Finding", "check_model"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One attribute that needs attention.

    Attributes
    ----------
    attribute
        The attribute's full name (``Model/M.To_Areas/A.Levels``).
    kind
        ``"missing"``: it holds fewer values than its definition asks for; ``"invalid"``: it
        holds a value the definition (or the store) does not accept.
    message
        What is wrong, and what would be accepted.
    """

    attribute: str
    kind: Literal["missing", "invalid"]
    message: str


def check_model(model: Object) -> list[Finding]:
    """Every attribute of a model that misses values or holds refused ones, in tree order.

    The model is read in a few queries (see :mod:`workbench.api.snapshot`); objects the user may
    not read are not checked.
    """
    ws = model.ws
    with ws.transaction() as s:
        snapshot = read_model(ws, s, model.model)
        expressions = _Expressions(ws)
        return [
            f
            for obj in _walk(snapshot, snapshot.root)
            for f in (*_check(snapshot, obj), *expressions.check(obj))
        ]


def _walk(snapshot: ModelSnapshot, obj: ObjectRecord) -> Iterator[ObjectRecord]:
    yield obj
    for a in obj.definition.attributes:
        if a.value_type.is_ownership:
            for child in snapshot.owned(obj, a):
                yield from _walk(snapshot, child)


def _check(snapshot: ModelSnapshot, obj: ObjectRecord) -> Iterator[Finding]:
    for a in obj.definition.attributes:
        where = f"{obj.full_name}.{a.name}"
        if a.value_type.is_simple:
            yield from _check_simple(where, a, obj.stored(a))
        elif a.value_type is ValueType.TIMESERIES:
            sensor_id = (obj.stored(a) or {}).get("sensor")
            if sensor_id is not None and snapshot.sensor_name(sensor_id) is None:
                yield Finding(
                    where,
                    "invalid",
                    f"{where} refers to the sensor with id {sensor_id}, which does not exist or "
                    "which you may not read; point it at another sensor or set it to None",
                )


class _Expressions:
    """The expression in effect on each timeseries attribute, checked as when it is saved
    (:func:`~workbench.api.calc_validate.check_expression`): a definition changed since (an
    attribute renamed, deleted or given another unit) may no longer fit it. Each distinct
    expression in its setting is checked once."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.seen: dict[Hashable, str | None] = {}

    def check(self, obj: ObjectRecord) -> Iterator[Finding]:
        from workbench.api.calc_validate import expressions_on_object

        od = obj.definition
        for a in od.attributes:
            if a.value_type is not ValueType.TIMESERIES:
                continue
            stored = obj.stored(a) or {}
            local = stored.get("expression")
            if local is None and stored.get("sensor") is not None:
                continue  # a sensor and no expression: nothing to check here
            text = local if local is not None else a.spec.template
            if text is None:
                continue
            setting = None
            if local is not None:
                setting = expressions_on_object(
                    obj.values, od, a, sensor=stored.get("sensor") is not None
                )
            what = f"template of {a.name!r}" if local is None else "local expression"
            key = (a.id, text, None if setting is None else tuple(sorted(setting.items())))
            if key not in self.seen:
                self.seen[key] = self._problem(od.definition_id, od.id, a, text, what, setting)
            problem = self.seen[key]
            if problem is not None:
                where = f"{obj.full_name}.{a.name}"
                yield Finding(where, "invalid", f"{where}: {problem}")

    def _problem(
        self,
        definition_id: int,
        object_definition_id: int,
        a: AttributeInfo,
        text: str,
        what: str,
        on_object: dict[str, str | None] | None,
    ) -> str | None:
        from workbench.api.calc_validate import check_expression

        try:
            check_expression(
                self.ws,
                definition_id,
                object_definition_id,
                text,
                a.spec.unit,
                what,
                attribute=a.name,
                on_object=on_object,
            )
        except (ExpressionError, UnitError) as exc:
            return str(exc)
        return None


def _check_simple(where: str, a: AttributeInfo, stored: object) -> Iterator[Finding]:
    spec = a.spec
    if spec.array and isinstance(stored, list) and len(stored) < spec.min_count:
        yield Finding(
            where,
            "missing",
            f"{where} holds {len(stored)} values; it takes at least {spec.min_count}",
        )
        return
    try:
        spec.validate(stored)
    except InvalidValue as exc:
        yield Finding(where, "invalid", f"{where}: {exc}")
