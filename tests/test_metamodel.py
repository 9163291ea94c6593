"""Tests of the pure metamodel: value types, time literals, metadata and attribute specs."""

from __future__ import annotations

import doctest
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench import metamodel, paths
from workbench.errors import InvalidDefinition, InvalidValue, UnitError
from workbench.metamodel import (
    METADATA_LIMIT,
    AttributeSpec,
    ValueType,
    check_metadata,
    format_time,
    parse_time,
)


@pytest.mark.parametrize("module", [metamodel, paths])
def test_doctests(module: Any) -> None:
    assert doctest.testmod(module).failed == 0


def test_value_types() -> None:
    assert ValueType.parse("double") is ValueType.DOUBLE
    assert ValueType.parse(ValueType.RATING_CURVE) is ValueType.RATING_CURVE
    with pytest.raises(InvalidDefinition, match="'decimal' is not known; accepted: double, int64"):
        ValueType.parse("decimal")
    simple = {v for v in ValueType if v.is_simple}
    assert simple == {
        ValueType.DOUBLE,
        ValueType.INT64,
        ValueType.BOOLEAN,
        ValueType.STRING,
        ValueType.UTC_TIME,
    }
    assert {v for v in ValueType if v.is_relation} == {
        ValueType.OWNERSHIP_ONE,
        ValueType.OWNERSHIP_MANY,
        ValueType.LINK_ONE,
        ValueType.LINK_MANY,
        ValueType.VERSIONED_LINK_ONE,
        ValueType.VERSIONED_LINK_MANY,
    }
    assert {v for v in ValueType if v.is_many} == {
        ValueType.OWNERSHIP_MANY,
        ValueType.LINK_MANY,
        ValueType.VERSIONED_LINK_MANY,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UTC20220510072415", datetime(2022, 5, 10, 7, 24, 15, tzinfo=UTC)),
        ("UTC20220510", datetime(2022, 5, 10, tzinfo=UTC)),
        ("UTC2022051007", datetime(2022, 5, 10, 7, tzinfo=UTC)),
        ("UTC20220510072415123", datetime(2022, 5, 10, 7, 24, 15, 123000, tzinfo=UTC)),
        ("2022-05-10T07:24:15Z", datetime(2022, 5, 10, 7, 24, 15, tzinfo=UTC)),
        ("2022-05-10T09:24:15+02:00", datetime(2022, 5, 10, 7, 24, 15, tzinfo=UTC)),
        (
            datetime(2022, 5, 10, 9, tzinfo=timezone(timedelta(hours=2))),
            datetime(2022, 5, 10, 7, tzinfo=UTC),
        ),
    ],
)
def test_parse_time(text: Any, expected: datetime) -> None:
    parsed = parse_time(text)
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("UTC20221301", "'UTC20221301' is not a valid time"),
        ("UTC2022", "'UTC2022' is not understood"),
        ("2022-05-10T07:24:15", "has no timezone"),
        (datetime(2022, 5, 10), "has no timezone"),
        (20220510, "20220510 is not understood"),
    ],
)
def test_parse_time_refuses(value: Any, match: str) -> None:
    with pytest.raises(InvalidValue, match=match):
        parse_time(value)


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
)
def test_time_text_round_trips(moment: datetime) -> None:
    assert parse_time(format_time(moment)) == moment
    assert format_time(moment).endswith("Z")


def test_metadata() -> None:
    assert check_metadata(None) == {}
    assert check_metadata({"a": {"x": [1, 2.5, None, "s"]}}) == {"a": {"x": [1, 2.5, None, "s"]}}
    limit = {"t": "x" * (METADATA_LIMIT - len('{"t": ""}'))}
    assert check_metadata({"big": limit}) == {"big": limit}
    for bad, match in [
        ({"big": {"t": limit["t"] + "x"}}, "'big' is 4001 characters as JSON; at most 4000"),
        ({"": {}}, "'' must be a non-empty string"),
        ({"a": 1}, "'a' must hold a JSON object"),
        ({"a": {"n": float("nan")}}, "'a' is not serializable"),
        ([("a", {})], "must be a mapping"),
    ]:
        with pytest.raises(InvalidDefinition, match=re.escape(match) if "'" in match else match):
            check_metadata(bad)  # type: ignore[arg-type]


def test_spec_stores_bounds_in_their_stored_form() -> None:
    spec = AttributeSpec(
        "T",
        ValueType.UTC_TIME,
        minimum="UTC20000101",
        maximum=datetime(2099, 1, 1, tzinfo=UTC),
        default="UTC20220510072415",
    )
    assert (spec.minimum, spec.maximum, spec.default) == (
        "2000-01-01T00:00:00Z",
        "2099-01-01T00:00:00Z",
        "2022-05-10T07:24:15Z",
    )
    assert spec.validate("UTC20500101") == "2050-01-01T00:00:00Z"
    n = AttributeSpec("N", ValueType.INT64, minimum=0.0, allowed=(1, 2.0))
    assert (n.minimum, n.allowed) == (0, (1, 2))
    assert n.empty_value() is None
    assert AttributeSpec("L", ValueType.STRING, array=True).empty_value() == []


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"value_type": ValueType.XY_SET, "array": True}, InvalidDefinition, "not xy_set"),
        ({"min_count": -1}, InvalidDefinition, "cardinality -1..None"),
        ({"min_count": 2, "max_count": 1}, InvalidDefinition, "cardinality 2..1"),
        ({"value_type": ValueType.BOOLEAN, "maximum": True}, InvalidDefinition, "not boolean"),
        ({"unit": "MWhh"}, UnitError, "'MWhh'"),
        ({"value_type": ValueType.LINK_ONE}, InvalidDefinition, "needs a target"),
        ({"template": "x"}, InvalidDefinition, "only timeseries"),
        ({"minimum": 2, "maximum": 1}, InvalidDefinition, "minimum 2.0 is greater than maximum"),
        ({"minimum": "2"}, InvalidDefinition, "minimum '2' is refused"),
        ({"maximum": float("inf")}, InvalidDefinition, "maximum inf is refused"),
        ({"allowed": (1, "2")}, InvalidDefinition, "allowed values are refused.*'2'"),
        ({"value_type": ValueType.XY_SET, "allowed": ()}, InvalidDefinition, "simple types"),
        ({"default": True}, InvalidDefinition, "got True"),
        (
            {"value_type": ValueType.RATING_CURVE, "default": {}},
            InvalidDefinition,
            "rating_curve is not set this way",
        ),
    ],
)
def test_spec_refusals(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    kwargs = {"value_type": ValueType.DOUBLE, **kwargs}
    with pytest.raises(error, match=match):
        AttributeSpec("X", **kwargs)


@given(st.integers(-(2**63), 2**63 - 1))
def test_int64_accepts_the_whole_range(n: int) -> None:
    assert AttributeSpec("N", ValueType.INT64).validate(n) == n


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(0, 1e6), st.floats(0, 1e6))
def test_double_bounds(x: float, lo: float, width: float) -> None:
    spec = AttributeSpec("D", ValueType.DOUBLE, minimum=lo, maximum=lo + width)
    if lo <= x <= lo + width:
        assert spec.validate(x) == x
    else:
        with pytest.raises(InvalidValue, match="is (below the minimum|above the maximum)"):
            spec.validate(x)
