"""The model definition's vocabulary: value types, effective attribute specs, their validation."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from workbench.errors import InvalidDefinition, InvalidValue
from workbench.units import parse_unit

__all__ = [
    "METADATA_LIMIT",
    "AttributeSpec",
    "ValueType",
    "check_metadata",
    "format_time",
    "parse_time",
]

METADATA_LIMIT = 4000
_UTC_LITERAL = re.compile(r"^UTC(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(\d{1,6})?$")


class ValueType(StrEnum):
    """What an attribute holds."""

    DOUBLE = "double"
    INT64 = "int64"
    BOOLEAN = "boolean"
    STRING = "string"
    UTC_TIME = "utc_time"
    TIMESERIES = "timeseries"
    XY_SET = "xy_set"
    VERSIONED_XY_SET = "versioned_xy_set"
    RATING_CURVE = "rating_curve"
    OWNERSHIP_ONE = "ownership_one"
    OWNERSHIP_MANY = "ownership_many"
    LINK_ONE = "link_one"
    LINK_MANY = "link_many"
    VERSIONED_LINK_ONE = "versioned_link_one"
    VERSIONED_LINK_MANY = "versioned_link_many"

    @classmethod
    def parse(cls, text: str | ValueType) -> ValueType:
        try:
            return cls(text)
        except ValueError:
            accepted = ", ".join(v.value for v in cls)
            raise InvalidDefinition(
                f"value type {text!r} is not known; accepted: {accepted}"
            ) from None

    @property
    def is_simple(self) -> bool:
        return self in _SIMPLE

    @property
    def is_ordered(self) -> bool:
        """Whether minimum/maximum make sense."""
        return self in (ValueType.DOUBLE, ValueType.INT64, ValueType.UTC_TIME)

    @property
    def is_ownership(self) -> bool:
        return self in (ValueType.OWNERSHIP_ONE, ValueType.OWNERSHIP_MANY)

    @property
    def is_link(self) -> bool:
        return self in (ValueType.LINK_ONE, ValueType.LINK_MANY)

    @property
    def is_versioned_link(self) -> bool:
        return self in (ValueType.VERSIONED_LINK_ONE, ValueType.VERSIONED_LINK_MANY)

    @property
    def is_relation(self) -> bool:
        return self.is_ownership or self.is_link or self.is_versioned_link

    @property
    def is_many(self) -> bool:
        return self in (
            ValueType.OWNERSHIP_MANY,
            ValueType.LINK_MANY,
            ValueType.VERSIONED_LINK_MANY,
        )


_SIMPLE = frozenset(
    {ValueType.DOUBLE, ValueType.INT64, ValueType.BOOLEAN, ValueType.STRING, ValueType.UTC_TIME}
)


def parse_time(value: object) -> datetime:
    """Return an aware UTC datetime from a datetime, ISO text or a ``UTC20220510072415`` literal.

    >>> parse_time("UTC20220510072415")
    datetime.datetime(2022, 5, 10, 7, 24, 15, tzinfo=datetime.timezone.utc)
    """
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidValue(
                f"time {value!r} has no timezone; give an aware datetime or ISO text with 'Z'"
            )
        return value.astimezone(UTC)
    if isinstance(value, str):
        m = _UTC_LITERAL.match(value.strip())
        if m:
            y, mo, d, h, mi, s, frac = m.groups()
            micro = int((frac or "0").ljust(6, "0"))
            try:
                return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                                micro, tzinfo=UTC)
            except ValueError as exc:
                raise InvalidValue(f"time literal {value!r} is not a valid time: {exc}") from None
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parse_time(parsed)
    raise InvalidValue(
        f"time {value!r} is not understood; use an aware datetime, ISO 8601 text such as "
        "'2022-05-10T07:24:15Z' or a literal such as 'UTC20220510072415'"
    )


def format_time(value: datetime) -> str:
    """ISO 8601 text in UTC with a trailing ``Z``, the stored form of ``utc_time`` values."""
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return f"{text}Z"


def check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate extended metadata: category name -> JSON object, each at most 4000 characters."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidDefinition(
            f"extended metadata must be a mapping of category name to a JSON object, "
            f"got {metadata!r}"
        )
    checked: dict[str, Any] = {}
    for category, content in metadata.items():
        if not isinstance(category, str) or not category.strip():
            raise InvalidDefinition(f"metadata category {category!r} must be a non-empty string")
        if not isinstance(content, Mapping):
            raise InvalidDefinition(
                f"metadata category {category!r} must hold a JSON object (a dict), got "
                f"{type(content).__name__}"
            )
        try:
            text = json.dumps(content, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidDefinition(
                f"metadata category {category!r} is not serializable as JSON: {exc}"
            ) from None
        if len(text) > METADATA_LIMIT:
            raise InvalidDefinition(
                f"metadata category {category!r} is {len(text)} characters as JSON; "
                f"at most {METADATA_LIMIT} are allowed"
            )
        checked[category] = json.loads(text)
    return checked


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """The effective definition of an attribute: its own fields merged with its attribute type's.

    Validates itself on creation; :meth:`validate` checks and normalises a value for storage.
    """

    name: str
    value_type: ValueType
    array: bool = False
    min_count: int = 0
    max_count: int | None = None
    default: Any = None
    minimum: Any = None
    maximum: Any = None
    allowed: tuple[Any, ...] | None = None
    unit: str = ""
    target: str | None = None
    description: str = ""
    template: str | None = None
    tags: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        vt = self.value_type
        if self.array and not vt.is_simple:
            raise InvalidDefinition(
                f"attribute {self.name!r}: only simple types (double, int64, boolean, string, "
                f"utc_time) can be arrays, not {vt.value}"
            )
        if self.min_count < 0 or (self.max_count is not None and self.max_count < self.min_count):
            raise InvalidDefinition(
                f"attribute {self.name!r}: cardinality {self.min_count}..{self.max_count} is "
                "invalid; need 0 <= min_count <= max_count"
            )
        if (self.minimum is not None or self.maximum is not None) and not vt.is_ordered:
            raise InvalidDefinition(
                f"attribute {self.name!r}: minimum/maximum apply to double, int64 and utc_time, "
                f"not {vt.value}"
            )
        if self.unit:
            parse_unit(self.unit)
        if vt.is_relation and not self.target:
            raise InvalidDefinition(
                f"attribute {self.name!r}: a {vt.value} attribute needs a target object definition"
            )
        if self.template is not None and vt is not ValueType.TIMESERIES:
            raise InvalidDefinition(
                f"attribute {self.name!r}: only timeseries attributes carry a template expression"
            )
        self._normalise()
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None and _key(vt, lo) > _key(vt, hi):
            raise InvalidDefinition(
                f"attribute {self.name!r}: minimum {lo!r} is greater than maximum {hi!r}"
            )
        try:
            if self.allowed is not None:
                for v in self.allowed:
                    self._scalar(v, check_allowed=False)
            if self.default is not None:
                object.__setattr__(self, "default", self.validate(self.default))
        except InvalidValue as exc:
            raise InvalidDefinition(str(exc)) from None

    def _normalise(self) -> None:
        """Put minimum, maximum and allowed values in their stored form, or refuse them."""
        for bound in ("minimum", "maximum"):
            value = getattr(self, bound)
            if value is None:
                continue
            try:
                object.__setattr__(self, bound, _coerce(self.name, self.value_type, value))
                _key(self.value_type, getattr(self, bound))
            except InvalidValue as exc:
                raise InvalidDefinition(f"{bound} {value!r} is refused: {exc}") from None
        if self.allowed is not None:
            if not self.value_type.is_simple:
                raise InvalidDefinition(
                    f"attribute {self.name!r}: allowed values apply to simple types, "
                    f"not {self.value_type.value}"
                )
            try:
                allowed = tuple(_coerce(self.name, self.value_type, v) for v in self.allowed)
            except InvalidValue as exc:
                raise InvalidDefinition(f"allowed values are refused: {exc}") from None
            object.__setattr__(self, "allowed", allowed)

    def empty_value(self) -> Any:
        """The stored value of a new attribute: the default, or an empty array / nothing."""
        if self.default is not None:
            return self.validate(self.default)
        return [] if self.array else None

    def validate(self, value: Any) -> Any:
        """Return ``value`` in its stored (JSON) form, or raise :class:`InvalidValue`."""
        vt = self.value_type
        if not vt.is_simple:
            raise InvalidValue(f"attribute {self.name!r} of type {vt.value} is not set this way")
        if self.array:
            items = _as_list(self.name, value)
            n = len(items)
            if n < self.min_count or (self.max_count is not None and n > self.max_count):
                hi = "any number" if self.max_count is None else str(self.max_count)
                raise InvalidValue(
                    f"attribute {self.name!r} takes {self.min_count} to {hi} values, got {n}"
                )
            return [self._scalar(v) for v in items]
        if value is None:
            return None
        return self._scalar(value)

    def _scalar(self, value: Any, check_allowed: bool = True) -> Any:
        stored = _coerce(self.name, self.value_type, value)
        vt = self.value_type
        if self.minimum is not None and _key(vt, stored) < _key(vt, self.minimum):
            raise InvalidValue(
                f"attribute {self.name!r}: {value!r} is below the minimum {self.minimum!r}"
            )
        if self.maximum is not None and _key(vt, stored) > _key(vt, self.maximum):
            raise InvalidValue(
                f"attribute {self.name!r}: {value!r} is above the maximum {self.maximum!r}"
            )
        if check_allowed and self.allowed is not None and stored not in self.allowed:
            raise InvalidValue(
                f"attribute {self.name!r}: {value!r} is not one of the allowed values "
                f"{list(self.allowed)!r}"
            )
        return stored


def _as_list(name: str, value: Any) -> list[Any]:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise InvalidValue(f"attribute {name!r} holds an array (a list); got {value!r}")
    return list(value)


def _coerce(name: str, vt: ValueType, value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):
        value = value.item()  # numpy scalars
    if vt is ValueType.DOUBLE:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidValue(f"attribute {name!r} takes a number (double), got {value!r}")
        if not math.isfinite(value):
            raise InvalidValue(
                f"attribute {name!r} takes a finite number, got {value!r}; None means no value"
            )
        return float(value)
    if vt is ValueType.INT64:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(f"attribute {name!r} takes a whole number (int64), got {value!r}")
        if not -(2**63) <= value < 2**63:
            raise InvalidValue(f"attribute {name!r}: {value} does not fit in 64 bits")
        return value
    if vt is ValueType.BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidValue(f"attribute {name!r} takes True or False, got {value!r}")
        return value
    if vt is ValueType.STRING:
        if not isinstance(value, str):
            raise InvalidValue(f"attribute {name!r} takes a string, got {value!r}")
        return value
    if vt is ValueType.UTC_TIME:
        try:
            return format_time(parse_time(value))
        except InvalidValue as exc:
            raise InvalidValue(f"attribute {name!r}: {exc}") from None
    raise InvalidValue(f"attribute {name!r} of type {vt.value} does not hold simple values")


def _key(vt: ValueType, value: Any) -> Any:
    """A comparable key for ordered values (numbers, or times in either form)."""
    if vt is ValueType.UTC_TIME:
        return parse_time(value)
    if isinstance(value, float) and math.isnan(value):
        raise InvalidValue("NaN cannot be compared with a minimum or maximum")
    return value
