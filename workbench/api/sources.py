"""Data sources: who or what produced beliefs (a user, a meter, a forecaster, ...), found by name.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workbench.access import Action, Target, permits
from workbench.errors import AccessDenied, InvalidValue, NotFound
from workbench.paths import control_character
from workbench.store.schema import User
from workbench.store.timeseries import SourceRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.api.workspace import Workspace

__all__ = [
    "SOURCE_TYPES",
    "Source",
    "SourceRef",
    "get_or_create_source",
    "get_source",
    "list_sources",
]

#: Source types in common use; others are accepted (a short lower-case word).
SOURCE_TYPES: Final = ("user", "meter", "forecaster", "scheduler", "market", "reporter")


@dataclass(frozen=True, slots=True)
class Source:
    """A data source as stored (a snapshot; sources are never edited in place)."""

    id: int
    name: str
    type: str
    model: str = ""
    version: str = ""
    user_id: int | None = None
    account_id: int | None = None

    @classmethod
    def _of(cls, row: SourceRow) -> Source:
        return cls(row.id, row.name, row.type, row.model, row.version, row.user_id, row.account_id)

    def __str__(self) -> str:
        extra = "/".join(p for p in (self.model, self.version) if p)
        return f"{self.name} ({self.type}{', ' + extra if extra else ''})"


#: What names a source in a query: a Source, its id, or its name.
SourceRef = Source | int | str


def _text(value: object, what: str, limit: int, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        kind = "a string" if empty else "a non-empty string"
        raise InvalidValue(f"source {what} must be {kind}, got {value!r}")
    if value != value.strip():
        raise InvalidValue(f"source {what} {value!r} has leading or trailing white space")
    if len(value) > limit:
        raise InvalidValue(f"source {what} {value[:40]!r}... is longer than {limit} characters")
    bad = control_character(value)
    if bad is not None:
        raise InvalidValue(
            f"source {what} {value[:80]!r} contains {bad!r}; source names, models and versions "
            "may hold any text but control characters and bidirectional formatting characters"
        )
    return value


def check_source_type(value: object) -> str:
    """Return ``value`` if it is a source type: a lower-case word such as 'meter'."""
    text = _text(value, "type", 40)
    if not text.replace("_", "").replace("-", "").isalnum() or text != text.lower():
        raise InvalidValue(
            f"source type {text!r} must be a lower-case word such as {', '.join(SOURCE_TYPES)}"
        )
    return text


def _readable(ws: Workspace) -> ColumnElement[bool] | None:
    """The condition that a source is one the user may see (None: every source)."""
    visible = ws.principal.readable_accounts()
    if visible is None:
        return None
    return SourceRow.account_id.is_(None) | SourceRow.account_id.in_(sorted(visible))


def _user_row(ws: Workspace, s: Session, user: str | int) -> User:
    column = User.id if isinstance(user, int) else User.email
    row = s.scalars(select(User).where(column == user)).first()
    visible = ws.principal.readable_accounts()
    if row is None or (visible is not None and row.account_id not in visible):
        raise NotFound("user", user)
    if row.id != ws.principal.user_id and not permits(
        ws.principal, Action.UPDATE, Target.ACCOUNT, row.account_id
    ):
        raise AccessDenied(f"{ws.principal.name} may not create sources for user {row.email}")
    return row


def _owner(ws: Workspace, s: Session, user: str | int | None) -> tuple[int | None, int | None]:
    """The (user id, account id) a source standing for ``user`` gets: (None, None) without one.

    The caller's own id needs no look-up: the principal is reloaded with every transaction.
    """
    if user is None:
        return None, None
    me = ws.principal
    if isinstance(user, int) and not isinstance(user, bool) and user == me.user_id:
        return me.user_id, me.account_id
    row = _user_row(ws, s, user)
    return row.id, row.account_id


def source_row(
    ws: Workspace,
    s: Session,
    name: str,
    type: str = "user",
    model: str = "",
    version: str = "",
    user: str | int | None = None,
) -> SourceRow:
    """The stored source with this identity in the account it would get (``user``'s, or none),
    created when missing (inside the caller's transaction)."""
    key = (
        _text(name, "name", 200),
        check_source_type(type),
        _text(model, "model", 200, empty=True),
        _text(version, "version", 80, empty=True),
    )
    user_id, account_id = _owner(ws, s, user)
    column = SourceRow.account_id
    query = select(SourceRow).where(
        SourceRow.name == key[0],
        SourceRow.type == key[1],
        SourceRow.model == key[2],
        SourceRow.version == key[3],
        column.is_(None) if account_id is None else column == account_id,
    )
    found = s.scalars(query).first()
    if found is not None:
        return found
    # Another process may be creating the same source at this moment: a plain INSERT would fail
    # the loser's whole transaction, so insert unless it exists and read whichever row won. No
    # conflict target: the clause then covers both unique indexes (of an account's sources and
    # the partial one of public sources), and a conflict can only be with a row of the same
    # account, which the caller may see.
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    s.execute(
        insert(SourceRow)
        .values(
            name=key[0],
            type=key[1],
            model=key[2],
            version=key[3],
            user_id=user_id,
            account_id=account_id,
        )
        .on_conflict_do_nothing()
    )
    return s.scalars(query).one()


def get_or_create_source(
    ws: Workspace,
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

    Examples
    --------
    >>> import workbench as wb
    >>> ws = wb.connect("sqlite://")
    >>> get_or_create_source(ws, "meter", "meter") == get_or_create_source(ws, "meter", "meter")
    True
    """
    with ws._tx() as s:
        return Source._of(source_row(ws, s, name, type, model, version, user))


def _described(sources: Iterable[Source]) -> str:
    """Sources as an error lists them: with their ids, which tell apart the same identity held
    by public sources and by an account's."""
    return ", ".join(f"{src} [id {src.id}]" for src in sources)


def get_source(ws: Workspace, key: int | str, type: str | None = None) -> Source:
    """Return a source the user may see by id, or by name (and type, when several sources share
    the name); another tenant's source is not found, as one that does not exist."""
    with ws._tx() as s:
        readable = _readable(ws)  # of the principal as this transaction reloaded it
        query = select(SourceRow)
        if isinstance(key, int) and not isinstance(key, bool):
            query = query.where(SourceRow.id == key)
        elif isinstance(key, str):
            query = query.where(SourceRow.name == key)
        else:
            raise InvalidValue(f"look up a source by id (int) or name (str), got {key!r}")
        if type is not None:
            query = query.where(SourceRow.type == type)
        if readable is not None:
            query = query.where(readable)
        rows = [Source._of(r) for r in s.scalars(query.order_by(SourceRow.id))]
    if not rows:
        raise NotFound("source", key if type is None else f"{key} ({type})")
    if len(rows) > 1:
        raise InvalidValue(
            f"several sources are named {key!r}: {_described(rows)}; give type= or an id"
        )
    return rows[0]


def list_sources(ws: Workspace, type: str | None = None) -> list[Source]:
    """The sources of the user's accounts and those of no account, by name, type, model."""
    with ws._tx() as s:
        readable = _readable(ws)  # of the principal as this transaction reloaded it
        query = select(SourceRow)
        if type is not None:
            query = query.where(SourceRow.type == type)
        if readable is not None:
            query = query.where(readable)
        order = (SourceRow.name, SourceRow.type, SourceRow.model, SourceRow.version, SourceRow.id)
        return [Source._of(r) for r in s.scalars(query.order_by(*order))]


def source_ids_for(
    ws: Workspace,
    s: Session,
    refs: Sequence[SourceRef] | SourceRef | None,
    types: Iterable[str] | str | None,
) -> list[int] | None:
    """The ids of the sources that ``refs`` name and that have one of ``types`` (None: any).

    A name stands for every source of that name the user may see; a name or id that no such
    source has is NotFound, whether it does not exist or is another tenant's.
    """
    if refs is None and types is None:
        return None
    query = select(SourceRow.id)
    if refs is not None:
        items = [refs] if isinstance(refs, Source | int | str) else list(refs)
        ids = [r.id if isinstance(r, Source) else r for r in items if not isinstance(r, str)]
        names = [r for r in items if isinstance(r, str)]
        bad = [r for r in ids if not isinstance(r, int) or isinstance(r, bool)]
        if bad:
            raise InvalidValue(f"sources are named by Source, id or name, got {bad[0]!r}")
        named = select(SourceRow.id, SourceRow.name).where(
            SourceRow.id.in_(ids) | SourceRow.name.in_(names)
        )
        readable = _readable(ws)
        known = s.execute(named if readable is None else named.where(readable)).all()
        given: set[int | str] = {*ids, *names}
        unknown = given - {r.id for r in known} - {r.name for r in known}
        if unknown:
            raise NotFound("source", sorted(unknown, key=str)[0])
        query = query.where(SourceRow.id.in_([r.id for r in known]))
    if types is not None:
        # Types narrow the sensor's beliefs by their sources' type, whoever's the sources are.
        wanted = [types] if isinstance(types, str) else list(types)
        query = query.where(SourceRow.type.in_(wanted))
    return sorted(s.scalars(query))


def belief_source_ids(
    ws: Workspace,
    s: Session,
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
        query = select(SourceRow.id).where(SourceRow.id == source.id)
        readable = _readable(ws)
        if s.scalar(query if readable is None else query.where(readable)) is None:
            raise NotFound("source", source.id, "it is not in this store")
        return np.full(size, source.id, dtype=np.int64)
    if names is None or isinstance(source, str):
        name = ws.principal.name if source is None else source
        user = ws.principal.user_id if source is None else None
        return np.full(size, source_row(ws, s, name, source_type, user=user).id, dtype=np.int64)
    codes, unique = pd.factorize(names)
    ids = np.array([source_row(ws, s, str(n), source_type).id for n in unique], dtype=np.int64)
    return ids[codes]


def source_labels(s: Session, ids: NDArray[np.int64]) -> dict[int, str]:
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
    rows = s.scalars(select(SourceRow).where(SourceRow.id.in_(unique)).order_by(SourceRow.id))
    sources = [Source._of(r) for r in rows]
    names = Counter(src.name for src in sources)
    full = Counter(str(src) for src in sources)
    labels = {}
    for src in sources:
        if names[src.name] == 1:
            labels[src.id] = src.name
        else:
            labels[src.id] = str(src) if full[str(src)] == 1 else f"{src} [id {src.id}]"
    return labels
