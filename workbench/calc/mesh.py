"""How the function library compares with Volue Mesh's calculation functions, as a table.

Mesh documents its functions one page each (``docs/mesh/calculations/functions/*.md`` in
Volue-Public/energy-smp-docs). :data:`MESH_FUNCTIONS` lists every function named there with
its page; a function of the library says how it compares in its ``mesh`` field
(:class:`workbench.calc.functions.MeshNote`), and :data:`NOT_OFFERED` says why each of the
others is not offered. :func:`compatibility` puts both together as the README's table, and a
test keeps the lists complete: every Mesh function is either offered or has a reason.

>>> print(compatibility().splitlines()[0])
| Mesh function | workbench | how |
"""

from __future__ import annotations

from workbench.calc import library
from workbench.calc.functions import Function

__all__ = ["MESH_FUNCTIONS", "NOT_OFFERED", "compatibility", "offered"]

_PAGES = "docs/mesh/calculations/functions/"

MESH_FUNCTIONS: dict[str, str] = {
    # name as Mesh spells it: its page (under docs/mesh/calculations/functions/)
    "ABS": "abs.md",
    "ACCUMULATE": "accumulate.md",
    "ACOS": "acos.md",
    "AllocateReserves": "allocate_reserves.md",
    "ASIN": "asin.md",
    "AT": "at.md",
    "ATAN": "atan.md",
    "BOOL": "bool.md",
    "CEIL": "ceil.md",
    "ColorARGB": "color.md",
    "Compare": "compare.md",
    "Concatenate": "concatenate.md",
    "CONVERT_VOLUME": "convert_volume.md",
    "CopyTs": "copy_ts.md",
    "CorrectAverageValue": "correct_average_value.md",
    "CorrectConstantValue": "correct_constant_value.md",
    "CorrectCopyValue": "correct_copy_value.md",
    "CorrectExtrapolate": "correct_extrapolate.md",
    "CorrectInterpolate": "correct_interpolate.md",
    "COS": "cos.md",
    "Day": "time_point_information.md",
    "DELTA": "delta.md",
    "DisableCache": "disable_cache.md",
    "DISTRIBUTE": "distribute.md",
    "FLOOR": "floor.md",
    "GET_Y_FX": "getyfx.md",
    "GetAllForecasts": "get_all_forecasts.md",
    "GetBestForecast": "get_best_forecast.md",
    "GetForecast": "get_forecast.md",
    "GetMergedForecasts": "get_merged_forecast.md",
    "GetTsAsOfTime": "get_ts_as_of_time.md",
    "GetTsAuditTimes": "get_ts_audit_times.md",
    "GetTsHistoricalVersions": "get_ts_historical_versions.md",
    "GLIDING_TREND_AVERAGE": "gliding_trend_average.md",
    "Hour": "time_point_information.md",
    "INSIDE": "inside.md",
    "INTEGER": "integer.md",
    "IsResolution": "is_resolution.md",
    "IsTimeValid": "is_time_valid.md",
    "IsValid": "isvalid.md",
    "Linear": "linear.md",
    "LN": "ln.md",
    "LOG": "log.md",
    "MAX": "max.md",
    "MEAN": "mean.md",
    "MeshId": "meshid.md",
    "MIN": "min.md",
    "Minute": "time_point_information.md",
    "MIX": "mix.md",
    "MIX0": "mix0.md",
    "Month": "time_point_information.md",
    "NEGATIVE": "negative.md",
    "Normal": "normal.md",
    "NOT": "not.md",
    "OUTSIDE": "outside.md",
    "Parameter": "parameter.md",
    "PDLOG": "pdlog.md",
    "PERCENTILE": "percentile.md",
    "PopExtPeriod": "pop_ext_period.md",
    "POSITIVE": "positive.md",
    "POWER": "power.md",
    "PROFILE": "profile.md",
    "PushExtPeriod": "push_ext_period.md",
    "RatingCurve": "rating_curve.md",
    "RESET_STATUS": "reset_status.md",
    "Resolution": "resolution.md",
    "Restriction": "restriction.md",
    "Revision": "revision.md",
    "ROUND": "round.md",
    "ROUND_INTEGER": "round_integer.md",
    "SET_TS_VALUNIT": "set_ts_val_unit.md",
    "SIM": "sim.md",
    "SIN": "sin.md",
    "Size": "size.md",
    "STATUS_COUNT": "status_count.md",
    "STATUS_MASK": "status_mask.md",
    "SUM": "sum.md",
    "TAN": "tan.md",
    "Time": "time.md",
    "TIME_MASK": "time_mask.md",
    "TimeDelayed": "time_delayed.md",
    "TimeGroup": "time_group.md",
    "TimeSpan": "timespan.md",
    "TimeToString": "time_to_string.md",
    "ToString": "tostring.md",
    "Trace": "trace.md",
    "TRANS_PROFILE": "trans_profile.md",
    "TRANSFORM": "transform.md",
    "TS": "ts.md",
    "TS_ACC_FROM": "ts_acc_from.md",
    "TS_EXPAND": "ts_expand.md",
    "TS_GLIDING_AVERAGE": "ts_gliding_average.md",
    "TS_GLIDING_GAUSS": "ts_gliding_gauss.md",
    "TS_GLIDING_MEDIAN": "ts_gliding_median.md",
    "TS_GLIDING_MEDIAN_GAUSS": "ts_gliding_median_gauss.md",
    "TS_IQ_FILL": "tsiqfill.md",
    "TS_OFFSET": "ts_offset.md",
    "Valid": "valid.md",
    "ValidateAbsLimit": "validate_abs_limit.md",
    "ValidateDeltaLimit": "validate_delta_limit.md",
    "ValidateDeltaLimitExtreme": "validate_delta_limit_extreme.md",
    "ValidateRepeatValue": "validate_repeat_value.md",
    "ValuesFromYear": "values_from_year.md",
    "Week": "time_point_information.md",
    "WeekDay": "time_point_information.md",
    "XY": "xy.md",
    "Year": "time_point_information.md",
    "YearDay": "time_point_information.md",
    "YX": "yx.md",
    "ZX_Y": "zxy.md",
    "ZY_X": "zyx.md",
}
"""Every function Mesh's function pages name, with its page."""

_NOT_YET = "not yet offered"
NOT_OFFERED: dict[str, str] = {
    "AllocateReserves": "the model has no reserve-allocation counterpart (Mesh's is tied to its "
    "availability and reserve objects)",
    "ColorARGB": "presentation only: colours are set in the dashboard, not in expressions",
    "CopyTs": "expressions only read: a calculation never writes another series",
    "DisableCache": "nothing to disable: results are not cached between calls",
    "GetTsAuditTimes": "beliefs carry belief times, not audit times; use a belief query's "
    "belief_time dimension",
    "GetTsHistoricalVersions": "use GetTsAsOfTime per belief time, or ws.beliefs(...) with "
    "belief_time kept",
    "IsValid": "a lookup that finds nothing is an error when the expression is checked, before "
    "any data is read, so there is nothing to test at run time",
    "Valid": "a lookup that finds nothing is an error when the expression is checked (see IsValid)",
    "MeshId": "objects are addressed by path and id; the object's name is not yet offered to "
    "expressions",
    "Parameter": "no calculation parameters outside the model: use @d/@s on an attribute",
    "PopExtPeriod": "look-back functions read the data they need by themselves",
    "PushExtPeriod": "look-back functions read the data they need by themselves",
    "Restriction": "the model has no restriction (availability) objects",
    "Revision": "the model has no revision (availability) objects",
    "SIM": "no simulation model behind the store",
    "Trace": "use ws.infer_type / ws.infer_unit and the error's caret instead",
    "ValidateAbsLimit": "validation (VEE) rules are not offered",
    "ValidateDeltaLimit": "validation (VEE) rules are not offered",
    "ValidateDeltaLimitExtreme": "validation (VEE) rules are not offered",
    "ValidateRepeatValue": "validation (VEE) rules are not offered",
    "CorrectAverageValue": "validation (VEE) corrections are not offered",
    "CorrectConstantValue": "validation (VEE) corrections are not offered",
    "CorrectCopyValue": "validation (VEE) corrections are not offered",
    "CorrectExtrapolate": "validation (VEE) corrections are not offered",
    "CorrectInterpolate": "validation (VEE) corrections are not offered",
    "GetAllForecasts": _NOT_YET,
    "GetBestForecast": _NOT_YET,
    "GetMergedForecasts": _NOT_YET,
    "CONVERT_VOLUME": _NOT_YET,
    "GET_Y_FX": _NOT_YET,
    "IsResolution": _NOT_YET,
    "Linear": _NOT_YET,
    "PDLOG": _NOT_YET,
    "Resolution": _NOT_YET,
    "TimeDelayed": _NOT_YET,
    "TimeGroup": _NOT_YET,
    "TS_IQ_FILL": _NOT_YET,
    "ZX_Y": _NOT_YET,
    "ZY_X": _NOT_YET,
}
"""Why each Mesh function the library does not offer is missing."""


def offered(mesh_name: str) -> Function | None:
    """The library's function standing for Mesh's ``mesh_name`` (same name, any case, or named
    in its ``mesh.names``), or None."""
    found = library.find(mesh_name)
    if found is not None:
        return found
    key = mesh_name.upper()
    for function in library.FUNCTIONS.values():
        if function.mesh is not None and key in (n.upper() for n in function.mesh.names):
            return function
    return None


def compatibility() -> str:
    """Every Mesh function and how the workbench compares, as a Markdown table.

    A function offered under another name shows that name; a function without a ``mesh``
    note shows as not yet reviewed.
    """
    rows = ["| Mesh function | workbench | how |", "| --- | --- | --- |"]
    for name in sorted(MESH_FUNCTIONS, key=str.upper):
        function = offered(name)
        if function is None:
            reason = NOT_OFFERED.get(name, _NOT_YET)
            rows.append(f"| `{name}` | not offered | {_cell(reason)} |")
            continue
        called = f"`@{function.name}`"
        note = function.mesh
        if note is None:
            rows.append(f"| `{name}` | {called} | not yet reviewed against Mesh |")
        elif note.status == "as in Mesh":
            rows.append(f"| `{name}` | {called} | as in Mesh |")
        else:
            rows.append(f"| `{name}` | {called} | differs: {_cell(note.note)} |")
    extra = sorted(
        f.name
        for f in library.FUNCTIONS.values()
        if f.mesh is not None and f.mesh.status == "not in Mesh"
    )
    if extra:
        rows.append(f"| (none) | {', '.join(f'`@{n}`' for n in extra)} | workbench only |")
    return "\n".join(rows)


def page(mesh_name: str) -> str:
    """The path of the Mesh page documenting ``mesh_name`` in Volue-Public/energy-smp-docs."""
    return _PAGES + MESH_FUNCTIONS[mesh_name]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
