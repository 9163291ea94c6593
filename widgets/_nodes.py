"""Tree items of the hierarchy browser: ids, labels and icons, tree edits, and the search-text rule.

Items are the plain dictionaries ``panel_material_ui.Tree`` shows (``id``, ``label``,
``secondary``, ``icon``, ``items``). Ids say what an item stands for:

========  ==========================================================
``o:12``  the object with id 12
``s:7``   the sensor with id 7
``f:a/b`` the resource-catalog folder ``a/b`` (``f:`` is the catalog itself)
``a:12:3``  (search results) the attribute ``12:3``
``m:o:12``  "more children": the next page of ``o:12``'s children
``…``     a child of an item whose children are not loaded yet
========  ==========================================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeAlias

import workbench as wb
from widgets._text import label

__all__ = [
    "CATALOG_ID",
    "Handle",
    "Item",
    "ItemPath",
    "folder_item",
    "guess_icon",
    "is_search_language",
    "item_at",
    "item_id",
    "more_item",
    "name_matches",
    "name_query",
    "path_of",
    "placeholder",
    "sensor_item",
    "short_path",
    "with_children",
]

Item: TypeAlias = dict[str, Any]
ItemPath: TypeAlias = tuple[int, ...]
Handle: TypeAlias = wb.Object | wb.Sensor

CATALOG_ID = "f:"
PLACEHOLDER = "…"

# Word in an object definition's name -> Material icon; the first match wins, so the more
# specific words come first ("PriceArea" is a market, not a region).
_ICON_WORDS: tuple[tuple[str, str], ...] = (
    ("price", "euro"),
    ("market", "storefront"),
    ("reservoir", "water"),
    ("lake", "water"),
    ("watercourse", "waves"),
    ("river", "waves"),
    ("turbine", "wind_power"),
    ("wind", "wind_power"),
    ("solar", "solar_power"),
    ("battery", "battery_charging_full"),
    ("plant", "bolt"),
    ("generator", "bolt"),
    ("unit", "settings"),
    ("meter", "speed"),
    ("sensor", "sensors"),
    ("line", "timeline"),
    ("grid", "lan"),
    ("building", "apartment"),
    ("site", "location_on"),
    ("area", "map"),
    ("region", "map"),
    ("zone", "map"),
    ("system", "hub"),
)
DEFAULT_ICON = "category"

_LANGUAGE_CHARS = frozenset("./[]{}()@&|")


def guess_icon(type_name: str, overrides: dict[str, str] | None = None) -> str:
    """The Material icon name for objects of the definition ``type_name``.

    ``overrides`` (definition name -> icon) wins; otherwise a word in the name decides.

    >>> guess_icon("Reservoir"), guess_icon("PriceArea"), guess_icon("Thing")
    ('water', 'euro', 'category')
    >>> guess_icon("Reservoir", {"Reservoir": "pool"})
    'pool'
    """
    if overrides and type_name in overrides:
        return overrides[type_name]
    lowered = type_name.lower()
    return next((icon for word, icon in _ICON_WORDS if word in lowered), DEFAULT_ICON)


def is_search_language(text: str) -> bool:
    """Whether ``text`` is a search-language query rather than a name pattern.

    Names never contain ``/`` or ``.``; a text with one of ``. / [ ] { } ( ) @ & |`` is read as
    the search language (see the README), anything else as a name pattern.

    >>> is_search_language("{*}[.Type=Plant]"), is_search_language(".."), is_search_language("P*")
    (True, True, False)
    """
    return any(c in _LANGUAGE_CHARS for c in text)


def _glob_regex(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def name_query(pattern: str) -> str:
    """The search-language query finding every object (from the start down) named by ``pattern``.

    A pattern with ``*`` or ``?`` is a glob on the whole name; any other pattern matches names
    that contain it. Case is ignored either way.

    >>> name_query("plant")
    '{*}[.Name~"plant"]{i}'
    >>> name_query("P*A?")
    '{*}[.Name#"P.*A."]{i}'
    """
    if "*" in pattern or "?" in pattern:
        return f"{{*}}[.Name#{_quote(_glob_regex(pattern))}]{{i}}"
    return f"{{*}}[.Name~{_quote(pattern)}]{{i}}"


def name_matches(pattern: str, name: str) -> bool:
    """The rule of :func:`name_query` applied to one name (for sensors).

    >>> name_matches("lev*", "Level"), name_matches("vel", "Level"), name_matches("x?", "Level")
    (True, True, False)
    """
    if "*" in pattern or "?" in pattern:
        return re.fullmatch(_glob_regex(pattern), name, re.IGNORECASE | re.DOTALL) is not None
    return pattern.casefold() in name.casefold()


def short_path(full_name: str) -> str:
    """``Model/M/A/B`` from a full name ``Model/M.To_A/A.To_B/B``.

    >>> short_path("Model/Demo.To_Areas/East.To_Watercourses/Glomma")
    'Model/Demo/East/Glomma'
    """
    return "/".join(["Model", *wb.parse_path(full_name).names])


def item_id(handle: Handle) -> str:
    """The id of the tree item that stands for an object or a sensor."""
    return f"s:{handle.id}" if isinstance(handle, wb.Sensor) else f"o:{handle.id}"


def placeholder(parent: str) -> Item:
    """The stand-in child of an item whose children are loaded when it opens."""
    return {"id": f"{parent}/{PLACEHOLDER}", "label": "loading…", "selectable": False}


def more_item(parent: str, remaining: int) -> Item:
    """The last child of a long list: selecting it shows the next page."""
    return {
        "id": f"m:{parent}",
        "label": f"{remaining:,} more…",
        "icon": "expand_more",
        "secondary": "select to show the next page",
    }


def folder_item(path: str) -> Item:
    """A resource-catalog folder (the catalog itself for ``""``), its content not loaded yet."""
    fid = CATALOG_ID + path
    return {
        "id": fid,
        "label": label(path.rsplit("/", 1)[-1]) if path else "Resource catalog",
        "icon": "folder" if path else "inventory_2",
        "items": [placeholder(fid)],
    }


def sensor_item(sensor: wb.Sensor) -> Item:
    """A sensor: its name, unit and object."""
    unit = f"{sensor.unit} · " if sensor.unit else ""
    return {
        "id": item_id(sensor),
        "label": label(sensor.name),
        "secondary": label(unit + short_path(sensor.info.object_full_name)),
        "icon": "sensors",
    }


def item_at(items: Sequence[Item], path: Sequence[int]) -> Item | None:
    """The item at ``path`` (indices from the top), or None."""
    level: Sequence[Item] = items
    found: Item | None = None
    for index in path:
        if found is not None:
            level = found.get("items") or []
        if not 0 <= index < len(level):
            return None
        found = level[index]
    return found


def path_of(items: Sequence[Item], wanted: str) -> ItemPath | None:
    """The path of the item with id ``wanted``, breadth first, or None."""
    queue: list[tuple[ItemPath, Sequence[Item]]] = [((), items)]
    while queue:
        prefix, level = queue.pop(0)
        for i, item in enumerate(level):
            if item.get("id") == wanted:
                return (*prefix, i)
            if item.get("items"):
                queue.append(((*prefix, i), item["items"]))
    return None


def with_children(items: Sequence[Item], path: Sequence[int], children: list[Item]) -> list[Item]:
    """New items where the item at ``path`` has ``children``; the other items are shared."""
    i, rest = path[0], path[1:]
    node = dict(items[i])
    node["items"] = children if not rest else with_children(node.get("items") or [], rest, children)
    return [*items[:i], node, *items[i + 1 :]]
