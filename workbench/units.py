"""Units: the one pint registry of the workbench, parsing, conversion and formatting of units."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pint
from numpy.typing import ArrayLike, NDArray

from workbench.errors import UnitError

__all__ = [
    "Resolution",
    "convert",
    "format_unit",
    "is_extensive",
    "parse_signed_unit",
    "parse_unit",
    "ureg",
]

ureg: Any = pint.UnitRegistry(
    autoconvert_offset_to_baseunit=False,
    force_ndarray_like=True,  # what pint-xarray needs, whichever is imported first
    cache_folder=None,
)
# Energy-market units that pint does not define out of the box.
ureg.define("EUR = [currency_eur]")
ureg.define("USD = [currency_usd]")
ureg.define("NOK = [currency_nok]")
ureg.define("SEK = [currency_sek]")
ureg.define("DKK = [currency_dkk]")
ureg.define("GBP = [currency_gbp]")
ureg.define("ct = 0.01 EUR = EURct")
# Hydropower units: reservoir volumes in million cubic metres, water levels in metres above sea
# level (a length: levels convert to m, and average on resampling). "m3" is left undefined on
# purpose: with SI prefixes "mm3" would then read as 0.001 m^3.
ureg.define("Mm3 = 1e6 * meter ** 3 = Mm3 = million_cubic_metre = million_cubic_meter")
ureg.define("masl = meter = masl = metre_above_sea_level = meter_above_sea_level")
pint.set_application_registry(ureg)  # type: ignore[no-untyped-call]

#: What a duration may be given as: a timedelta, a pandas or numpy duration, a text pandas reads
#: ("15min", "PT15M"), or an array of numpy durations (one per value).
Resolution: TypeAlias = timedelta | pd.Timedelta | np.timedelta64 | str | NDArray[np.timedelta64]

# Dimensionalities whose values add up over time: an amount per interval rather than a rate or a
# state. Currencies are recognised separately (each one is its own base dimension).
_EXTENSIVE_DIMENSIONS = (
    "[energy]",
    "[volume]",
    "[mass]",
    "[current] * [time]",  # electric charge (Ah)
)
# Dimensionless units that count things (and so add up); every other dimensionless unit (%, ratio)
# is a state and averages.
_COUNT_UNITS = frozenset({"count"})
# Compact symbols pint prints that are awkward in files and terminals.
_ASCII_SYMBOLS = {"Δ°C": "delta_degC", "Δ°F": "delta_degF", "°C": "degC", "°F": "degF"}


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> Any:
    """Return the pint unit named by ``text`` (``""`` is dimensionless).

    >>> str(parse_unit("MW"))
    'megawatt'
    """
    if not isinstance(text, str):
        raise UnitError(f"unit must be a string such as 'MW' or 'EUR/MWh', got {text!r}")
    cleaned = text.strip()
    if cleaned in {"", "1", "dimensionless"}:
        return ureg.dimensionless
    try:
        return ureg.Unit(cleaned)
    except (
        pint.UndefinedUnitError,
        pint.DefinitionSyntaxError,
        AttributeError,
        TypeError,
        ValueError,
        AssertionError,
    ) as exc:
        raise UnitError(
            f"unit {text!r} is not understood; use a pint unit such as 'MW', 'kWh', "
            f"'degC', 'EUR/MWh', 'm^3/s', '%' or '' for dimensionless ({exc})"
        ) from None


def parse_signed_unit(unit: str | Any) -> tuple[int, Any]:
    """Split a unit text into its sign and its pint unit.

    A leading minus means the values count the other way round: 1 "-kW" is -1 kW (a
    consumption sensor written as production, say).

    >>> sign, unit = parse_signed_unit("-kW")
    >>> sign, str(unit)
    (-1, 'kilowatt')
    """
    if isinstance(unit, ureg.Unit):
        return 1, unit
    if not isinstance(unit, str):
        raise UnitError(f"unit must be a string such as 'MW' or '-kW', got {unit!r}")
    text = unit.strip()
    if text.startswith("-"):
        return -1, parse_unit(text[1:])
    return 1, parse_unit(text)


def convert(
    values: ArrayLike,
    from_unit: str | Any,
    to_unit: str | Any,
    resolution: Resolution | None = None,
) -> NDArray[np.float64]:
    """Convert values from one unit into another, returning a new float64 array.

    Parameters
    ----------
    values
        Numbers in ``from_unit``.
    from_unit, to_unit
        Unit texts (or pint units); a leading minus flips the sign ("-kW").
    resolution
        The duration of the events the values describe; needed only between an amount and a
        rate (kWh and kW, m^3 and m^3/s, EUR and EUR/h). A scalar, or one duration per value
        (days of 23 or 25 hours).

    Raises
    ------
    UnitError
        When the units do not fit together, or an amount and a rate meet without a positive
        resolution.

    Examples
    --------
    >>> convert([1.0], "kWh", "kW", resolution="15min")
    array([4.])
    >>> convert([212.0], "degF", "degC").round(6)
    array([100.])
    >>> convert([5.0], "-kW", "MW")
    array([-0.005])
    """
    sign_from, unit_from = parse_signed_unit(from_unit)
    sign_to, unit_to = parse_signed_unit(to_unit)
    data = np.asarray(values, dtype=np.float64) * float(sign_from)
    if unit_from == unit_to:
        return data * float(sign_to)
    ratio = (unit_from / unit_to).dimensionality
    try:
        if unit_from.dimensionality == unit_to.dimensionality:
            quantity = ureg.Quantity(data, unit_from).to(unit_to)
        elif ratio == ureg.Unit("s").dimensionality:
            seconds = _seconds(resolution, from_unit, to_unit, data.shape)
            quantity = (ureg.Quantity(data, unit_from) / ureg.Quantity(seconds, "s")).to(unit_to)
        elif ratio == (1 / ureg.Unit("s")).dimensionality:
            seconds = _seconds(resolution, from_unit, to_unit, data.shape)
            quantity = (ureg.Quantity(data, unit_from) * ureg.Quantity(seconds, "s")).to(unit_to)
        else:
            raise UnitError(_incompatible(from_unit, unit_from, to_unit, unit_to))
    except pint.PintError as exc:
        raise UnitError(f"cannot convert from {from_unit!r} to {to_unit!r}: {exc}") from None
    return np.asarray(quantity.magnitude, dtype=np.float64) * float(sign_to)


def _incompatible(from_text: object, unit_from: Any, to_text: object, unit_to: Any) -> str:
    return (
        f"cannot convert from {from_text!r} ({unit_from.dimensionality}) to {to_text!r} "
        f"({unit_to.dimensionality}); the units must measure the same quantity, or be an "
        "amount and its rate (such as kWh and kW) with an event resolution"
    )


def _seconds(
    resolution: Resolution | None, from_unit: object, to_unit: object, shape: tuple[int, ...]
) -> NDArray[np.float64]:
    """Durations in seconds for an amount/rate conversion, refusing missing or zero ones."""
    needed = (
        f"converting between {from_unit!r} and {to_unit!r} needs the duration of the events "
        "(a positive resolution such as '15min' or 'PT1H')"
    )
    if resolution is None:
        raise UnitError(f"{needed}; got no resolution")
    try:
        if isinstance(resolution, np.ndarray):
            durations = resolution.astype("timedelta64[ns]")
        else:
            durations = np.asarray(pd.Timedelta(resolution).to_timedelta64(), "timedelta64[ns]")
    except (ValueError, TypeError) as exc:
        raise UnitError(f"{needed}; got {resolution!r} ({exc})") from None
    seconds = durations / np.timedelta64(1, "s")
    if np.any(np.isnat(durations)) or np.any(seconds <= 0):
        raise UnitError(f"{needed}; got {resolution!r}")
    return np.broadcast_to(seconds, shape) if seconds.ndim == 0 else seconds


def is_extensive(unit: str | Any) -> bool:
    """Tell whether values in ``unit`` add up over time (sum on resampling) or average.

    Extensive: energy, money, volume, mass, charge and counts. Intensive (mean): power,
    temperature, prices (money per energy), flows, percentages and other ratios.

    >>> is_extensive("MWh"), is_extensive("EUR"), is_extensive("MW"), is_extensive("EUR/MWh")
    (True, True, False, False)
    """
    _, parsed = parse_signed_unit(unit)
    dimensions = parsed.dimensionality
    if not dimensions:
        return str(parsed) in _COUNT_UNITS
    if any(dimensions == ureg.get_dimensionality(name) for name in _EXTENSIVE_DIMENSIONS):
        return True
    (name, power), *rest = dimensions.items()
    return not rest and power == 1 and name.startswith("[currency_")


def format_unit(unit: str | Any) -> str:
    """Return a compact, pint-parsable text for ``unit`` ("" for dimensionless).

    >>> format_unit("megawatt"), format_unit("EUR / MWh"), format_unit("degree_Celsius")
    ('MW', 'EUR/MWh', 'degC')
    """
    sign, parsed = parse_signed_unit(unit)
    if parsed == ureg.dimensionless and parsed.dimensionality == {} and not str(parsed).strip():
        return ""
    text = f"{parsed:~C}"
    for symbol, ascii_text in _ASCII_SYMBOLS.items():
        text = text.replace(symbol, ascii_text)
    return f"-{text}" if sign < 0 else text
