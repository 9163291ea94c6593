"""Checking a model against its definition: values still missing, values no longer accepted.

What :func:`workbench.api.handles.checks.check_model` reports (see there): every attribute that
holds fewer values than its definition asks for (*missing*), and every stored value or
expression that the definition (or the store) no longer accepts (*invalid*).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from workbench.api.services.calc.validate import check_expression, expressions_on_object
from workbench.api.services.objects import object_info
from workbench.api.services.snapshot import ModelSnapshot, ObjectRecord, read_model
from workbench.errors import ExpressionError, InvalidValue, UnitError
from workbench.metamodel import ValueType
from workbench.model import AttributeInfo, ObjectInfo

if TYPE_CHECKING:
    from workbench.api.context import Context

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


def check_model(ctx: Context, model: ObjectInfo) -> list[Finding]:
    """Every attribute of the model of ``model`` (it, or its root object) that misses values or
    holds refused ones, in tree order.

    The model is read in a few queries (see :mod:`workbench.api.services.snapshot`); objects
    the user may not read are not checked. One transaction.
    """
    with ctx.tx(read=True):
        root = model if model.parent_id is None else object_info(ctx, model.model_id)
        snapshot = read_model(ctx, root)
        expressions = _Expressions(ctx)
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
    (:func:`~workbench.api.services.calc.validate.check_expression`): a definition changed since (an
    attribute renamed, deleted or given another unit) may no longer fit it. Each distinct
    expression in its setting is checked once."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.seen: dict[Hashable, str | None] = {}

    def check(self, obj: ObjectRecord) -> Iterator[Finding]:
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
        try:
            check_expression(
                self.ctx,
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
