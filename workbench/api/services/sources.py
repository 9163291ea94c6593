"""Data sources: found by name or id among those the user may see, made when new, named in reads.

A source is identified by (name, type, model, version) within its account. It may name the user
it stands for and then belongs to that user's account; it outlives the user (the link is cleared
when the user is deleted). Sources of no account are public metadata (a ``meter``, a
``forecaster`` model): anyone connected may look one up or create one. A source of an account is
seen only by those who may read the account: another tenant's source of the same identity is a
different row, never handed out, never attributed beliefs, never named in an error. The beliefs
sources hold stay protected by their sensors' access rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from workbench.access import Action, Target, permits
from workbench.beliefs.sources import Source, source_identity
from workbench.errors import AccessDenied, InvalidValue, NotFound
from workbench.store import sources as store

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.context import Context
    from workbench.store.timeseries import SourceRow

__all__ = [
    "belief_source_ids",
    "get_or_create_source",
    "get_source",
    "list_sources",
    "source_ids_for",
    "source_labels",
    "source_of",
]


def _source(row: SourceRow) -> Source:
    return Source(row.id, row.name, row.type, row.model, row.version, row.user_id, row.account_id)


def _owner(ctx: Context, s: Session, user: str | int | None) -> tuple[int | None, int | None]:
    """The (user id, account id) a source standing for ``user`` gets: (None, None) without one.

    The caller's own id needs no look-up: the principal is reloaded with every transaction.
    """
    if user is None:
        return None, None
    me = ctx.principal
    if isinstance(user, int) and not isinstance(user, bool) and user == me.user_id:
        return me.user_id, me.account_id
    row = store.user_row(s, user)
    visible = me.readable_accounts()
    if row is None or (visible is not None and row.account_id not in visible):
        raise NotFound("user", user)
    if row.id != me.user_id and not permits(me, Action.UPDATE, Target.ACCOUNT, row.account_id):
        raise AccessDenied(f"{me.name} may not create sources for user {row.email}")
    return row.id, row.account_id


def source_of(
    ctx: Context,
    name: str,
    type: str = "user",
    model: str = "",
    version: str = "",
    user: str | int | None = None,
) -> Source:
    """The stored source with this identity in the account it would get (``user``'s, or none),
    created when missing; see :func:`get_or_create_source`."""
    key = source_identity(name, type, model, version)
    with ctx.tx() as s:
        user_id, account_id = _owner(ctx, s, user)
        return _source(store.find_or_insert_source(s, key, user_id, account_id))


def get_or_create_source(
    ctx: Context,
    name: str,
    type: str = "user",
    model: str = "",
    version: str = "",
    user: str | int | None = None,
) -> Source:
    """Return the source (name, type, model, version) of ``user``'s account (or the public one
    without ``user``), creating it when it does not exist.

    Parameters
    ----------
    name
        What the source is called, e.g. ``"meter"`` or ``"ana@acme.example"``.
    type
        A lower-case word: ``user``, ``meter``, ``forecaster``, ``scheduler``, ``market``,
        ``reporter`` or another one.
    model, version
        For forecasters and schedulers: which model and version produced the beliefs.
    user
        The user (email or id) the source stands for: the caller, or a user of an account the
        caller may update. Its account becomes the source's and is part of the identity, so
        two accounts each have their own source of one name; within an account, an existing
        source is returned as it is (even when it stands for another of its users).
    """
    return source_of(ctx, name, type, model, version, user)


def _described(sources: Iterable[Source]) -> str:
    """Sources as an error lists them: with their ids, which tell apart the same identity held
    by public sources and by an account's."""
    return ", ".join(f"{src} [id {src.id}]" for src in sources)


def get_source(ctx: Context, key: int | str, type: str | None = None) -> Source:
    """Return a source the user may see by id, or by name (and type, when several sources share
    the name); another tenant's source is not found, as one that does not exist."""
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise InvalidValue(f"look up a source by id (int) or name (str), got {key!r}")
    with ctx.tx(read=True) as s:
        visible = ctx.principal.readable_accounts()  # as this transaction reloaded it
        rows = [_source(r) for r in store.source_rows(s, key, type, visible)]
    if not rows:
        raise NotFound("source", key if type is None else f"{key} ({type})")
    if len(rows) > 1:
        raise InvalidValue(
            f"several sources are named {key!r}: {_described(rows)}; give type= or an id"
        )
    return rows[0]


def list_sources(ctx: Context, type: str | None = None) -> list[Source]:
    """The sources of the user's accounts and those of no account, by name, type, model."""
    with ctx.tx(read=True) as s:
        visible = ctx.principal.readable_accounts()  # as this transaction reloaded it
        return [_source(r) for r in store.visible_sources(s, type, visible)]


def source_ids_for(
    ctx: Context, refs: Iterable[int | str] | None, types: Iterable[str] | None
) -> list[int] | None:
    """The ids of the sources that ``refs`` (ids and names) name and that have one of ``types``
    (None: any), by id; None when neither narrows the sources.

    A name stands for every source of that name the user may see; a name or id that no such
    source has is NotFound, whether it does not exist or is another tenant's. Types narrow by
    the sources' type, whoever's the sources are.
    """
    if refs is None and types is None:
        return None
    with ctx.tx(read=True) as s:
        known: list[int] | None = None
        if refs is not None:
            given = list(refs)
            ids = [r for r in given if isinstance(r, int)]
            names = [r for r in given if isinstance(r, str)]
            visible = ctx.principal.readable_accounts()
            found = store.visible_named_sources(s, ids, names, visible)
            unknown = set(given) - {i for i, _ in found} - {n for _, n in found}
            if unknown:
                raise NotFound("source", sorted(unknown, key=str)[0])
            known = sorted({i for i, _ in found})
        if types is None:
            return known
        return store.typed_source_ids(s, known, list(types))


def belief_source_ids(
    ctx: Context,
    names: NDArray[np.object_] | None,
    source: Source | str | None,
    source_type: str,
    size: int,
) -> NDArray[np.int64]:
    """The source id of each of ``size`` beliefs to ingest, creating sources that are new.

    ``names`` are the beliefs' source names (None: the data named none); ``source`` is what the
    caller gave. Without either, the beliefs are the user's own (a source named after them, of
    their account). Names given as text are public sources; a ``Source`` must be one the user
    may see.
    """
    if isinstance(source, Source):
        with ctx.tx() as s:
            if not store.source_visible(s, source.id, ctx.principal.readable_accounts()):
                raise NotFound("source", source.id, "it is not in this store")
        return np.full(size, source.id, dtype=np.int64)
    if names is None or isinstance(source, str):
        name = ctx.principal.name if source is None else source
        user = ctx.principal.user_id if source is None else None
        return np.full(size, source_of(ctx, name, source_type, user=user).id, dtype=np.int64)
    codes, unique = pd.factorize(names)
    ids = np.array([source_of(ctx, str(n), source_type).id for n in unique], dtype=np.int64)
    return ids[codes]


def source_labels(ctx: Context, ids: NDArray[np.int64]) -> dict[int, str]:
    """Names of the sources with these ids, made unique: ``"name (type, model/version)"`` for
    sources that share a name, followed by ``[id N]`` for those that share all of it (a public
    source and an account's of the same identity).

    The ids are those of beliefs the caller reads, so the labels tell only what the beliefs'
    sources are called, never whose they are (no user, no account). A source the caller could
    not look up shows up only where beliefs on a sensor the caller reads name it: beliefs
    ingested before sources were kept per account (whose source then has the identity the
    ingest gave), or written by a user who reads both accounts.
    """
    unique = [int(i) for i in np.unique(ids)]
    if not unique:
        return {}
    with ctx.tx(read=True) as s:
        # a source's identity (name, type, model, version: all a label uses) never changes
        known = ctx.memo("sources")
        missing = [i for i in unique if i not in known]
        if missing:
            read = {r.id: _source(r) for r in store.source_rows_by_id(s, missing)}
            ctx.remember("sources", read)
            known = ctx.memo("sources")
        sources = [known[i] for i in unique if i in known]
    names = Counter(src.name for src in sources)
    full = Counter(str(src) for src in sources)
    labels = {}
    for src in sources:
        if names[src.name] == 1:
            labels[src.id] = src.name
        else:
            labels[src.id] = str(src) if full[str(src)] == 1 else f"{src} [id {src.id}]"
    return labels
