"""A demo hydropower system built through the public API, and a text tree of any model.

:func:`build_demo` creates the model definition ``HydroPower`` (unless it exists) and a model of
two areas with cascaded reservoirs and plants, linked to the price areas NO1 and NO2. The numbers
are made up but physically plausible: efficiency curves follow P = ρ·g·Q·H·η, reservoir volume
curves a power law of the level. :func:`render_tree` shows a model (or any object) as text.

Examples
--------
>>> import workbench as wb
>>> ws = wb.connect("sqlite://")
>>> demo = build_demo(ws)
>>> print(render_tree(demo, depth=1))  # doctest: +ELLIPSIS
Demo (HydroSystem)...
├── East (Area)...
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from rich.text import Text
    from rich.tree import Tree

    from workbench.api import Attribute, ModelDefinition, Object, Workspace

__all__ = ["DEFINITION", "build_demo", "build_tree", "render_tree"]

DEFINITION: Final = "HydroPower"
_SINCE: Final = datetime(2020, 1, 1, tzinfo=UTC)
_BORDER_MOVED: Final = datetime(2024, 10, 1, tzinfo=UTC)
_RHO_G: Final = 1000.0 * 9.81  # water density times gravity, N/m^3
_PRODUCTION: Final = (
    "@t('.Discharge') * @d('.NominalHead') * 1000 [kg/m^3] * 9.81 [m/s^2] * {efficiency}"
)


@dataclass(frozen=True)
class _Reservoir:
    name: str
    lrwl: float  # lowest regulated water level, m above sea level
    hrwl: float  # highest regulated water level
    volume: float  # hm^3 between the two


@dataclass(frozen=True)
class _Plant:
    name: str
    max_power: float  # MW
    head: float  # nominal head, m
    upstream: str
    downstream: str | None
    price_areas: tuple[tuple[datetime, str], ...]
    commissioned: str


@dataclass(frozen=True)
class _Watercourse:
    name: str
    catchment: float  # km^2
    reservoirs: tuple[_Reservoir, ...]
    plants: tuple[_Plant, ...]


_NO1 = ((_SINCE, "NO1"),)
_NO2 = ((_SINCE, "NO2"),)
_AREAS: Final = {
    "East": (
        "NO",
        (
            _Watercourse(
                "Glomma",
                2410.0,
                (
                    _Reservoir("Aursunden", 683.6, 690.6, 85.0),
                    _Reservoir("Storsjoen", 248.0, 251.5, 190.0),
                ),
                (
                    _Plant("Kuraas", 22.0, 165.0, "Aursunden", "Storsjoen", _NO1, "1955-10-01"),
                    _Plant("Rendalen", 100.0, 240.0, "Storsjoen", None, _NO1, "1971-06-15"),
                ),
            ),
        ),
    ),
    "South": (
        "NO",
        (
            _Watercourse(
                "Otra",
                3720.0,
                (
                    _Reservoir("Urevatn", 1146.0, 1173.0, 380.0),
                    _Reservoir("Vatnedalsvatn", 795.0, 840.0, 150.0),
                ),
                (
                    _Plant("Holen", 390.0, 390.0, "Urevatn", "Vatnedalsvatn", _NO2, "1981-01-01"),
                    _Plant(
                        "Brokke",
                        330.0,
                        300.0,
                        "Vatnedalsvatn",
                        None,
                        ((_SINCE, "NO1"), (_BORDER_MOVED, "NO2")),
                        "1964-03-01",
                    ),
                ),
            ),
            _Watercourse(
                "Tovdal",
                1856.0,
                (_Reservoir("Herefossfjorden", 88.0, 92.5, 12.0),),
                (_Plant("Hunsfos", 12.0, 24.0, "Herefossfjorden", None, _NO2, "1912-05-01"),),
            ),
        ),
    ),
}


# -- the model definition -------------------------------------------------------------------------


def _define(ws: Workspace) -> ModelDefinition:
    """The HydroPower model definition: namespaces, attribute types, object definitions."""
    md = ws.create_model_definition(
        DEFINITION,
        "Hydropower systems: watercourses with reservoirs and plants, and markets",
        metadata={"source": {"by": "workbench.demo", "units": "SI; volumes in hm^3 (Mm3)"}},
    )
    for ns, text in (
        ("Hydro", "Water: areas, watercourses, reservoirs, plants"),
        ("Market", "Electricity markets"),
    ):
        md.create_namespace(ns, text)
    for tag in ("production", "storage", "market"):
        md.create_tag(tag)
    md.create_template_calculation(
        "PlantProduction",
        _PRODUCTION.format(efficiency=0.9),
        description="P = ρ·g·Q·H·η with η = 0.9: water power at the nominal head",
    )
    for name, unit, text in (
        ("Power", "MW", "Electric power"),
        ("Volume", "hm^3", "Water volume (million cubic metres)"),
        ("Level", "m", "Water level above sea level"),
        ("Flow", "m^3/s", "Water flow"),
        ("Price", "EUR/MWh", "Electricity price"),
    ):
        md.create_attribute_type(name, "double", unit=unit, description=text)
    price_area = md.create_object_definition(
        "PriceArea", "Market", tags=["market"], description="A bidding zone of the day-ahead market"
    )
    price_area.add_attribute("Currency", "string", default="EUR", allowed=["EUR", "NOK"])
    price_area.add_attribute("DayAheadPrice", "timeseries", unit="EUR/MWh")
    reservoir = _define_reservoir(md)
    plant = _define_plant(md, reservoir, price_area)
    watercourse = md.create_object_definition("Watercourse", "Hydro")
    watercourse.add_attribute("CatchmentArea", "double", unit="km^2", minimum=0.0)
    watercourse.add_attribute("To_Reservoirs", "ownership_many", target=reservoir)
    watercourse.add_attribute("To_Plants", "ownership_many", target=plant)
    area = md.create_object_definition("Area", "Hydro", description="A region of watercourses")
    area.add_attribute("Country", "string", default="NO")
    area.add_attribute("To_Watercourses", "ownership_many", target=watercourse)
    system = md.create_object_definition("HydroSystem", description="The whole system")
    system.add_attribute("To_Areas", "ownership_many", target=area)
    system.add_attribute("To_PriceAreas", "ownership_many", target=price_area)
    return md


def _define_reservoir(md: ModelDefinition) -> Any:
    reservoir = md.create_object_definition("Reservoir", "Hydro", tags=["storage"])
    reservoir.add_attribute(
        "HRWL", attribute_type="Level", description="Highest regulated water level"
    )
    reservoir.add_attribute(
        "LRWL", attribute_type="Level", description="Lowest regulated water level"
    )
    reservoir.add_attribute("MaxVolume", attribute_type="Volume", minimum=0.0)
    reservoir.add_attribute(
        "Level",
        "timeseries",
        unit="m",
        description="Measured water level (a level sensor goes here)",
    )
    reservoir.add_attribute(
        "VolumeCurve", "rating_curve", description="Volume (hm^3) as a function of the level (m)"
    )
    reservoir.add_attribute(
        "Downstream", "link_one", target=reservoir, description="Where released water flows"
    )
    return reservoir


def _define_plant(md: ModelDefinition, reservoir: Any, price_area: Any) -> Any:
    plant = md.create_object_definition(
        "Plant", "Hydro", tags=["production"], metadata={"display": {"icon": "turbine"}}
    )
    plant.add_attribute("MaxPower", attribute_type="Power", minimum=0.0)
    plant.add_attribute("NominalHead", "double", unit="m", minimum=0.0)
    plant.add_attribute("Units", "int64", minimum=1, default=1)
    plant.add_attribute("Commissioned", "utc_time")
    plant.add_attribute(
        "Efficiency",
        "xy_set",
        description="Power (MW) by discharge (m^3/s), one curve per head (m)",
    )
    plant.add_attribute(
        "TailwaterCurve",
        "rating_curve",
        description="Tailwater rise (m) as a function of discharge (m^3/s)",
    )
    plant.add_attribute("Discharge", "timeseries", unit="m^3/s")
    plant.add_attribute(
        "Production",
        "timeseries",
        unit="MW",
        template_calculation="PlantProduction",
        description="Production estimated from discharge and head",
    )
    plant.add_attribute("Upstream", "link_one", target=reservoir)
    plant.add_attribute("Downstream", "link_one", target=reservoir)
    plant.add_attribute("PriceArea", "versioned_link_one", target=price_area)
    return plant


# -- curves ---------------------------------------------------------------------------------------


def _efficiency(p: _Plant) -> dict[str, Any]:
    """P(Q) = ρ·g·Q·H·η(Q) at 90, 100 and 110 % of the nominal head, η peaking at 80 % load."""
    q_max = p.max_power * 1e6 / (_RHO_G * p.head * 0.92)
    flows = np.round(np.linspace(0.2, 1.0, 5) * q_max, 2)
    eta = 0.93 - 0.25 * (flows / q_max - 0.8) ** 2
    curves = [
        {
            "z": round(h, 1),
            "x": flows.tolist(),
            "y": np.round(_RHO_G * flows * h * eta / 1e6, 3).tolist(),
        }
        for h in (0.9 * p.head, p.head, 1.1 * p.head)
    ]
    return {
        "curves": curves,
        "x_unit": "m^3/s",
        "y_unit": "MW",
        "z_unit": "m",
        "description": "Power by discharge at three heads",
    }


def _rating(x_from: float, segments: Iterable[tuple[float, float, float, float]]) -> dict[str, Any]:
    return {
        "versions": [
            {
                "valid_from": _SINCE.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "x_range_from": x_from,
                "segments": [
                    dict(zip(("x_range_until", "a", "b", "c"), s, strict=True)) for s in segments
                ],
            }
        ]
    }


def _volume_curve(r: _Reservoir) -> dict[str, Any]:
    """V(h) = a·(h − LRWL)^1.4, reaching the regulated volume at HRWL (and 1 m above)."""
    a = round(r.volume / (r.hrwl - r.lrwl) ** 1.4, 6)
    return _rating(r.lrwl, [(r.hrwl + 1.0, a, -r.lrwl, 1.4)])


def _tailwater_curve(p: _Plant) -> dict[str, Any]:
    q_max = round(p.max_power * 1e6 / (_RHO_G * p.head * 0.92), 1)
    return _rating(0.0, [(q_max * 0.5, 0.35, 0.0, 0.5), (q_max * 1.5, 0.25, 0.0, 0.55)])


# -- the model ------------------------------------------------------------------------------------


def build_demo(ws: Workspace, name: str = "Demo") -> Object:
    """Build the demo model ``name`` (and the HydroPower definition unless it exists).

    One transaction: it all appears, or nothing does. A model named ``name`` must not exist.
    """
    with ws.transaction():
        known = {md.name: md for md in ws.model_definitions()}
        md = known[DEFINITION] if DEFINITION in known else _define(ws)
        model = ws.create_model(name, md, "HydroSystem")
        price_areas = {
            p.name: p for p in model.add_children("To_PriceAreas", ["NO1", "NO2"], "PriceArea")
        }
        price_areas["NO2"]["Currency"] = "NOK"
        areas = model.add_children("To_Areas", list(_AREAS), "Area")
        for area, (country, watercourses) in zip(areas, _AREAS.values(), strict=True):
            area["Country"] = country
            made = area.add_children(
                "To_Watercourses", [w.name for w in watercourses], "Watercourse"
            )
            for obj, w in zip(made, watercourses, strict=True):
                _build_watercourse(obj, w, price_areas)
        return model.refresh()


def _build_watercourse(obj: Object, w: _Watercourse, price_areas: dict[str, Object]) -> None:
    obj["CatchmentArea"] = w.catchment
    reservoirs = dict(
        zip(
            [r.name for r in w.reservoirs],
            obj.add_children("To_Reservoirs", [r.name for r in w.reservoirs], "Reservoir"),
            strict=True,
        )
    )
    for r, below in zip(w.reservoirs, [*w.reservoirs[1:], None], strict=True):
        res = reservoirs[r.name]
        res["HRWL"], res["LRWL"], res["MaxVolume"] = r.hrwl, r.lrwl, r.volume
        res["VolumeCurve"] = _volume_curve(r)
        if below is not None:
            res.set_links("Downstream", reservoirs[below.name])
    plants = obj.add_children("To_Plants", [p.name for p in w.plants], "Plant")
    for plant, p in zip(plants, w.plants, strict=True):
        plant["MaxPower"], plant["NominalHead"] = p.max_power, p.head
        plant["Units"] = 2 if p.max_power > 100 else 1
        plant["Commissioned"] = f"{p.commissioned}T00:00:00Z"
        plant["Efficiency"] = _efficiency(p)
        plant["TailwaterCurve"] = _tailwater_curve(p)
        plant.set_links("Upstream", reservoirs[p.upstream])
        if p.downstream is not None:
            plant.set_links("Downstream", reservoirs[p.downstream])
        for valid_from, area in p.price_areas:
            plant.add_link_version("PriceArea", price_areas[area], valid_from)
        if p.head < 50:  # a low-head plant: its own expression overrides the template
            plant["Production"] = _PRODUCTION.format(efficiency=0.85)


# -- showing a tree -------------------------------------------------------------------------------


def _when(t: datetime) -> str:
    return t.strftime(
        "%Y-%m-%d" if (t.hour, t.minute, t.second) == (0, 0, 0) else "%Y-%m-%d %H:%M:%S"
    )


def _number(value: Any, unit: str) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}" if unit else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summary(a: Attribute) -> str | None:
    """A short text of an attribute's value, or None when there is nothing to show."""
    vt, value, unit = a.value_type.value, a.value, a.unit
    if value is None or value == [] or vt.startswith("ownership"):
        return None
    if vt == "utc_time":
        return ", ".join(_when(v) for v in value) if isinstance(value, list) else _when(value)
    if vt in ("double", "int64"):
        items = value if isinstance(value, list) else [value]
        return ", ".join(_number(v, unit) for v in items)
    if vt in ("boolean", "string"):
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if vt == "timeseries":
        if value.sensor_id is not None:
            return f"sensor {value.sensor_id}"
        kinds = {"local": "calculated (local expression)", "template": "calculated (template)"}
        return kinds.get(value.source)
    if vt == "xy_set":
        return f"XY-set of {_plural(len(value.curves), 'curve')}"
    if vt in ("versioned_xy_set", "rating_curve"):
        kind = "rating curve" if vt == "rating_curve" else "versioned XY-set"
        return f"{kind}, {_plural(len(value.versions), 'version')}"
    if vt.startswith("versioned_link"):
        return ", ".join(f"{'none' if o is None else o.name} from {_when(t)}" for t, o in value)
    targets = value if isinstance(value, list) else [value]
    return "→ " + ", ".join(t.name for t in targets)


def _label(obj: Object) -> Text:
    from rich.text import Text

    label = Text(obj.name, style="bold")
    label.append(f" ({obj.type_name})", style="cyan")
    parts = [f"{a.name}: {text}" for a in obj.attributes() if (text := _summary(a)) is not None]
    if parts:
        label.append("  " + "; ".join(parts), style="dim")
    return label


def _grow(tree: Tree, children: Sequence[Object], depth: int | None) -> None:
    if depth is not None and depth <= 0:
        return
    for child in children:
        branch = tree.add(_label(child))
        _grow(branch, child.children(), None if depth is None else depth - 1)


def build_tree(obj: Object, depth: int | None = None) -> Tree:
    """A rich Tree of ``obj`` and its descendants (``depth`` levels of them; None: all)."""
    from rich.tree import Tree

    with obj.ws.transaction():
        tree = Tree(_label(obj), guide_style="dim")
        _grow(tree, obj.children(), depth)
    return tree


def render_tree(obj: Object, depth: int | None = None, width: int = 160) -> str:
    """The tree of :func:`build_tree` as plain text: names, types and key values per object."""
    from rich.console import Console

    out = io.StringIO()
    console = Console(
        file=out, width=width, color_system=None, highlight=False, force_jupyter=False
    )  # in a notebook, rich would display the tree instead of writing it to ``out``
    console.print(build_tree(obj, depth))
    return out.getvalue()
