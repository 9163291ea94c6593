"""Checking expressions when they are saved: lookups against the definitions, and the unit.

A template (on a timeseries attribute definition) or a local expression (on one object's
timeseries attribute) is checked before anything is stored, not first when it is read:

- it must compile (syntax, function names, options);
- every attribute it looks up relative to its object must exist on the object definition
  (through ownership and link hops to their target definitions), unless the lookup gives a
  default as its second argument (``@t('.Inflow', 0)``);
- the unit of its result must convert to the attribute definition's unit (a ``kW`` template
  fills an ``MW`` attribute; an ``m3/s`` one does not).

The check works on definitions, not objects: :class:`DefinitionResolver` answers
:meth:`~workbench.calc.protocol.Resolver.describe` for lookups relative to an object definition.
Some lookups cannot be decided there: sensors (``:power``), absolute paths (``Model/...``),
the resource catalog (``Catalog/...``), parent and child steps when more than one definition
could be met, XY-sets (their unit sits on the value), timeseries attributes without a unit
(they take their sensor's or expression's, object by object). Such a lookup is *unknown*: the
expression's kind and unit are then not checked at save (they still are on every read).

An expression must not read its own attribute: templates are followed through the attributes
they read (see :func:`_cycle`), so a circle is refused when it is closed, naming it.

>>> from workbench.model import Catalog
>>> DefinitionResolver(Catalog(1, {})).unknown
set()
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, NoReturn

from workbench.api.services.calc.paths import Hop, parse_lookup_path
from workbench.calc import compile_expression
from workbench.calc.check import lookup_path
from workbench.calc.library import LOOKUPS
from workbench.calc.protocol import Found, Lookup, LookupInfo
from workbench.calc.quantities import compatible, show, unit_of
from workbench.calc.syntax import Call, walk
from workbench.errors import ExpressionError, UnitError
from workbench.metamodel import ValueType
from workbench.model import AttributeInfo, Catalog, ObjectDefinitionInfo

if TYPE_CHECKING:
    from workbench.api.context import Context
    from workbench.calc.values import ValueType as ResultType

__all__ = [
    "DefinitionResolver",
    "check_expression",
    "expression_in_effect",
    "expressions_on_object",
]

_NUMBERS = {ValueType.DOUBLE, ValueType.INT64, ValueType.BOOLEAN}
_KNOWN: dict[ValueType, Found] = {
    ValueType.STRING: "string",
    ValueType.TIMESERIES: "series",
    ValueType.RATING_CURVE: "rating_curve",
}


class DefinitionResolver:
    """Describes lookups relative to object definitions (``Lookup.relative_to`` is an object
    definition id); it reads no data and knows no objects.

    A lookup it answers is in the result of :meth:`describe`; one naming an attribute the
    definition does not have is left out (not found); one it cannot decide is left out too and
    added to :attr:`unknown`. The reading methods of the resolver protocol are never called by
    :func:`~workbench.calc.infer_type` and raise.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.unknown: set[Lookup] = set()
        self.targets: dict[Lookup, AttributeInfo] = {}

    def describe(self, lookups: Collection[Lookup]) -> dict[Lookup, LookupInfo]:
        """What each lookup names at definition level (see the class docstring)."""
        out: dict[Lookup, LookupInfo] = {}
        for lookup in lookups:
            info = self._describe(lookup)
            if isinstance(info, LookupInfo):
                out[lookup] = info
            elif info == "unknown":
                self.unknown.add(lookup)
        return out

    def _describe(self, lookup: Lookup) -> LookupInfo | str | None:
        path = parse_lookup_path(lookup.path)
        if lookup.relative_to is None or path.root is not None or path.final != "attribute":
            return "unknown"
        od = self.catalog.object_definitions.get(lookup.relative_to)  # type: ignore[call-overload]
        for hop in path.hops:
            if od is None:
                return "unknown"
            step = self._hop(od, hop)
            if step is None or isinstance(step, str):
                return step
            od = step
        if od is None:
            return "unknown"
        attribute = od.by_name.get(path.name or "")
        if attribute is None:
            return None
        self.targets[lookup] = attribute
        vt, unit = attribute.value_type, attribute.spec.unit
        if vt is ValueType.TIMESERIES and not unit:
            return "unknown"  # takes the unit of its sensor or expression, object by object
        if vt in _NUMBERS:
            return LookupInfo("number", 1, unit)
        found = _KNOWN.get(vt)
        if found is None:
            return "unknown"  # XY-sets: their unit is on the value; relations: not values
        return LookupInfo(found, 1, "" if found == "string" else unit)

    def _hop(self, od: ObjectDefinitionInfo, hop: Hop) -> ObjectDefinitionInfo | str | None:
        """The definition a hop leads to; None: the relation does not exist; "unknown"."""
        if hop.kind == "relation":
            attribute = od.by_name.get(hop.attribute or "")
            if attribute is None or not attribute.value_type.is_relation:
                return None
            return self._one({attribute.target_id})
        if hop.kind == "child":
            owned = {a.target_id for a in od.attributes if a.value_type.is_ownership}
            return self._one(owned)
        owners = {
            other.id
            for other in self.catalog.object_definitions.values()
            for a in other.attributes
            if a.value_type.is_ownership and a.target_id == od.id
        }
        return self._one(owners)

    def _one(self, ids: AbstractSet[int | None]) -> ObjectDefinitionInfo | str:
        if len(ids) != 1:
            return "unknown"
        found = self.catalog.object_definitions.get(next(iter(ids)))  # type: ignore[arg-type]
        return "unknown" if found is None else found

    def _reads(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a DefinitionResolver describes lookups; it reads no values")

    def series(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._reads()

    def numbers(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._reads()

    def strings(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._reads()

    def rating_curves(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._reads()

    def xy_sets(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._reads()


def _cycle(
    catalog: Catalog,
    object_definition_id: int,
    name: str,
    text: str,
    on_object: Mapping[str, str | None] | None = None,
) -> list[str] | None:
    """The chain of expressions through which ``text``, the expression of attribute ``name``
    of ``object_definition_id``, comes back to that attribute (None: it does not).

    For a template (``on_object`` None) the templates of the attributes it reads are followed,
    across relations too: every object without a local expression or sensor on the way would
    read in a circle. For a local expression, ``on_object`` gives the expression in effect on
    that object for each of its timeseries attributes (None: a sensor, or none), and only the
    object's own attributes are followed (what other objects hold is not known here).
    """
    od = catalog.object_definitions[object_definition_id]
    start = (object_definition_id, name)
    seen: set[tuple[int, str]] = set()
    stack: list[tuple[int, str, list[str]]] = [(od.id, text, [f"{od.name}.{name}"])]
    while stack:
        at, expression, chain = stack.pop()
        resolver = DefinitionResolver(catalog)
        resolver.describe(compile_expression(expression).lookups(at))
        for lookup, target in resolver.targets.items():
            if target.value_type is not ValueType.TIMESERIES:
                continue
            if on_object is not None and parse_lookup_path(lookup.path).hops:
                continue
            key = (target.object_definition_id, target.name)
            owner = catalog.object_definitions[target.object_definition_id].name
            step = [*chain, f"{owner}.{target.name}"]
            if key == start:
                return step
            follow = target.spec.template if on_object is None else on_object.get(target.name)
            if key in seen or follow is None:
                continue
            seen.add(key)
            stack.append((key[0], follow, step))
    return None


def expression_in_effect(stored: Mapping[str, Any] | None, attribute: AttributeInfo) -> str | None:
    """The expression a timeseries attribute holding ``stored`` is read by: None where a sensor
    serves it, else its local expression, else its definition's template (None: none)."""
    stored = stored or {}
    if stored.get("sensor") is not None:
        return None
    local = stored.get("expression")
    return str(local) if local is not None else attribute.spec.template


def expressions_on_object(
    values: Mapping[str, Any],
    od: ObjectDefinitionInfo,
    attribute: AttributeInfo,
    *,
    sensor: bool,
) -> dict[str, str | None]:
    """The ``on_object`` of :func:`check_expression` for a local expression of ``attribute`` on
    an object of ``od`` whose stored values are ``values``: the expression in effect for each
    of its other timeseries attributes. Beside a ``sensor`` the local expression is not in
    effect, and nothing reads through it: then none."""
    if sensor:
        return {}
    return {
        a.name: expression_in_effect(values.get(str(a.id)), a)
        for a in od.attributes
        if a.value_type is ValueType.TIMESERIES and a.id != attribute.id
    }


def _required(paths: Sequence[Call]) -> set[str]:
    """The paths looked up without a default (curve functions never take one)."""
    return {
        str(path)
        for call in paths
        if (path := lookup_path(call)) is not None
        and not (call.name in LOOKUPS and len(call.args) == 2)
    }


def check_expression(
    ctx: Context,
    definition_id: int,
    object_definition_id: int,
    text: str | None,
    unit: str,
    what: str,
    *,
    attribute: str,
    on_object: Mapping[str, str | None] | None = None,
) -> None:
    """Check ``text`` as the expression of the timeseries attribute ``attribute`` in ``unit``
    of an object of ``object_definition_id`` (in model definition ``definition_id``); ``what``
    names the expression in messages. A local expression gives ``on_object``: the expression
    in effect for each timeseries attribute of its object (None where a sensor serves).

    Raises
    ------
    ExpressionError
        When it does not compile, looks up (without a default) an attribute the object
        definition does not have (the message names the path and the definition), reads its
        own attribute through templates (the message names the circle) or gives no series.
    UnitError
        When its result's unit does not convert to ``unit`` (the message names both).
    """
    if text is None:
        return
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {text!r}")
    expr = compile_expression(text)
    catalog = ctx.catalog(definition_id)
    resolver = DefinitionResolver(catalog)
    infos = resolver.describe(expr.lookups(object_definition_id))
    od = catalog.object_definitions[object_definition_id]
    _check_lookups(expr, text, od, infos, resolver.unknown, what)
    circle = _cycle(catalog, object_definition_id, attribute, text, on_object)
    if circle is not None:
        raise ExpressionError(
            f"the {what} reads its own attribute: {' -> '.join(circle)}; an attribute cannot "
            "be calculated from itself",
            text,
        )
    if resolver.unknown:
        return  # a sensor, an absolute path...: kind and unit are checked on read
    _check_result(expr.check(infos, object_definition_id).types[id(expr.root)], text, unit, what)


def _check_lookups(
    expr: Any,
    text: str,
    od: ObjectDefinitionInfo,
    infos: Mapping[Lookup, LookupInfo],
    unknown: AbstractSet[Lookup],
    what: str,
) -> None:
    """Refuse a lookup (without a default) of an attribute the object definition lacks."""
    calls = [node for node in walk(expr.root) if isinstance(node, Call)]
    for path in sorted(_required(calls)):
        lookup = Lookup.of(path, od.id)
        if lookup not in infos and lookup not in unknown:
            raise ExpressionError(
                f"the {what} looks up {path!r}, which objects of {od.name!r} do not have; "
                f"their attributes: {', '.join(a.name for a in od.attributes) or 'none'} "
                f"(give a default as second argument to allow a missing one)",
                text,
            )


def _check_result(result: ResultType, text: str, unit: str, what: str) -> None:
    """Refuse a result that is not a series, or whose unit does not convert to ``unit``."""
    if result.kind != "t":
        raise ExpressionError(
            f"the {what} gives {result.name}; a time series needs an expression that gives "
            "a series",
            text,
        )
    if not unit or result.unit is None:
        return  # no unit declared: the attribute takes the expression's own
    wanted = unit_of(unit)
    if not compatible(wanted, result.unit):
        raise UnitError(
            f"the {what} gives values in {show(result.unit)}, which do not convert to "
            f"{show(wanted)}, the unit of the attribute definition"
        )
