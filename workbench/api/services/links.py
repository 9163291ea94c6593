"""Links between objects: link attributes (one target or several) and versioned links.

A link attribute points at objects of its target definition; a versioned link holds
``(valid_from, target or none)`` entries, the one in force at a time being the latest that
started at or before it. Every function takes the context first and works on object records;
targets the user may not read are left out of what is returned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workbench.access import Action
from workbench.api.services.object_edits import require
from workbench.api.services.objects import (
    check_target,
    definition_info,
    object_info,
    relation_spec,
    visible_objects,
)
from workbench.errors import InvalidValue
from workbench.metamodel import ValueType, parse_time
from workbench.model import AttributeInfo, ObjectInfo
from workbench.store import objects as q

if TYPE_CHECKING:
    from workbench.api.context import Context

__all__ = ["add_link_version", "link_history", "link_target_at", "links", "set_links"]

_LINKS = (ValueType.LINK_ONE, ValueType.LINK_MANY)
_VERSIONED = (ValueType.VERSIONED_LINK_ONE, ValueType.VERSIONED_LINK_MANY)


def set_links(
    ctx: Context, obj: ObjectInfo, attribute: str, targets: Sequence[ObjectInfo | Any]
) -> ObjectInfo:
    """Point a link attribute at ``targets`` (at most one for link_one); returns ``obj`` now.

    Anything among ``targets`` that is not an object record is refused, naming it.
    """
    with ctx.tx():
        info = relation_spec(ctx, obj, attribute, *_LINKS)
        items = list(targets)
        if info.value_type is ValueType.LINK_ONE and len(items) > 1:
            raise InvalidValue(f"{obj.full_name}.{attribute} is one-to-one (one target or "
                               f"None); got {len(items)} targets")
        ctx.check(Action.UPDATE, obj.account_id, obj.full_name)
        for t in items:
            if not isinstance(t, ObjectInfo):
                raise InvalidValue(f"link targets must be objects, got {t!r}")
            check_target(info, definition_info(ctx, t.definition_id), obj, attribute)
            ctx.check(Action.READ, t.account_id, t.full_name)
        times = Counter(t.id for t in items)
        twice = sorted({t.full_name for t in items if times[t.id] > 1})
        if twice:
            raise InvalidValue(f"{obj.full_name}.{attribute}: {twice} given more than once")
        require(ctx, items)
        _replace(ctx, obj, info, [(t.id, None) for t in items])
    return object_info(ctx, obj.id)


def _replace(
    ctx: Context, obj: ObjectInfo, info: AttributeInfo, entries: list[tuple[int | None, Any]]
) -> None:
    with ctx.tx() as s:
        q.update_object(s, obj.id, obj.version)  # raises ConcurrentEdit on a stale record
        q.replace_links(s, obj.id, info.id, entries)


def links(ctx: Context, obj: ObjectInfo, attribute: str) -> list[ObjectInfo]:
    """The targets of a link attribute the user may read, in stored order."""
    info = relation_spec(ctx, obj, attribute, *_LINKS)
    with ctx.tx(read=True) as s:
        rows = q.link_rows(s, [obj.id], info.id)
        return visible_objects(ctx, [r.target_id for r in rows if r.target_id is not None])


def add_link_version(
    ctx: Context,
    obj: ObjectInfo,
    attribute: str,
    target: ObjectInfo | Any | None,
    valid_from: datetime,
) -> ObjectInfo:
    """From ``valid_from`` on, a versioned link points at ``target`` (or at nothing).

    A one-to-one link keeps one entry per time (this one replaces another at ``valid_from``);
    a one-to-many link adds the entry unless it is there. Returns ``obj`` as it is now.
    """
    with ctx.tx() as s:
        info = relation_spec(ctx, obj, attribute, *_VERSIONED)
        ctx.check(Action.UPDATE, obj.account_id, obj.full_name)
        if target is not None:
            if not isinstance(target, ObjectInfo):
                raise InvalidValue(f"a link target must be an object or None, got {target!r}")
            check_target(info, definition_info(ctx, target.definition_id), obj, attribute)
            ctx.check(Action.READ, target.account_id, target.full_name)
            require(ctx, [target])
        rows = q.link_rows(s, [obj.id], info.id)
        entries = [(r.target_id, r.valid_from) for r in rows]
        new = None if target is None else target.id
        if info.value_type is ValueType.VERSIONED_LINK_ONE:
            entries = [e for e in entries if e[1] != valid_from]
        elif (new, valid_from) in entries:
            return obj  # already there
        entries.append((new, valid_from))
        entries.sort(key=lambda e: (e[1], e[0] is None, e[0] or 0))
        _replace(ctx, obj, info, entries)
    return object_info(ctx, obj.id)


def _versions(
    ctx: Context, obj: ObjectInfo, attribute: str
) -> tuple[AttributeInfo, list[tuple[datetime, int | None]]]:
    info = relation_spec(ctx, obj, attribute, *_VERSIONED)
    with ctx.tx(read=True) as s:
        rows = q.link_rows(s, [obj.id], info.id)
    return info, sorted(((r.valid_from, r.target_id) for r in rows),
                        key=lambda e: (e[0], e[1] is None, e[1] or 0))


def link_history(
    ctx: Context, obj: ObjectInfo, attribute: str, start: Any = None, end: Any = None
) -> list[tuple[datetime, ObjectInfo | None]]:
    """``(valid_from, target)`` entries of a versioned link valid in [start, end), oldest first.

    The entry in force at ``start`` counts too; a target the user may not read is None.
    """
    _, entries = _versions(ctx, obj, attribute)
    t0 = None if start is None else parse_time(start)
    t1 = None if end is None else parse_time(end)
    starts = sorted({e[0] for e in entries})
    keep_from = t0
    if t0 is not None:  # the version in force at t0 counts too
        earlier = [t for t in starts if t <= t0]
        keep_from = earlier[-1] if earlier else t0
    out: list[tuple[datetime, ObjectInfo | None]] = []
    for valid_from, target in entries:
        if keep_from is not None and valid_from < keep_from:
            continue
        if t1 is not None and valid_from >= t1:
            continue
        resolved = None if target is None else visible_objects(ctx, [target])
        out.append((valid_from, resolved[0] if resolved else None))
    return out


def link_target_at(
    ctx: Context, obj: ObjectInfo, attribute: str, time: datetime
) -> ObjectInfo | list[ObjectInfo] | None:
    """The target(s) a versioned link points at, at ``time`` (a list for a one-to-many link)."""
    info, entries = _versions(ctx, obj, attribute)
    valid = [e[0] for e in entries if e[0] <= time]
    if not valid:
        return [] if info.value_type is ValueType.VERSIONED_LINK_MANY else None
    current = max(valid)
    found = visible_objects(ctx, [t for v, t in entries if v == current and t is not None])
    if info.value_type is ValueType.VERSIONED_LINK_MANY:
        return found
    return found[0] if found else None
