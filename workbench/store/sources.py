"""Queries of data sources: by identity within an account, by id or name, made when missing.

Plain functions of a session, never committing. ``visible`` is the set of accounts whose
sources the caller may see (None: all of them); sources of no account are seen by everyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workbench.store.schema import User
from workbench.store.timeseries import SourceRow

if TYPE_CHECKING:
    from workbench.store.objects import Visible

__all__ = [
    "Identity",
    "find_or_insert_source",
    "source_rows",
    "source_rows_by_id",
    "source_visible",
    "typed_source_ids",
    "user_row",
    "visible_named_sources",
    "visible_sources",
]

#: What tells sources apart within an account: (name, type, model, version).
Identity = tuple[str, str, str, str]


def _visible(visible: Visible) -> ColumnElement[bool] | None:
    if visible is None:
        return None
    return SourceRow.account_id.is_(None) | SourceRow.account_id.in_(sorted(visible))


def _seen(query: Select[SourceRow], visible: Visible) -> Select[SourceRow]:
    readable = _visible(visible)
    return query if readable is None else query.where(readable)


def user_row(s: Session, user: str | int) -> User | None:
    """A user by id or email, or None."""
    column = User.id if isinstance(user, int) else User.email
    return s.scalars(select(User).where(column == user)).first()


def find_or_insert_source(
    s: Session, key: Identity, user_id: int | None, account_id: int | None
) -> SourceRow:
    """The source of this identity in ``account_id`` (None: the public one), inserted (standing
    for ``user_id``) when missing."""
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


def source_rows(
    s: Session, key: int | str, type: str | None, visible: Visible
) -> list[SourceRow]:
    """The sources the caller may see with this id (int) or name (str), of ``type`` if given,
    by id."""
    query = select(SourceRow)
    column = SourceRow.id if isinstance(key, int) else SourceRow.name
    query = query.where(column == key)
    if type is not None:
        query = query.where(SourceRow.type == type)
    return list(s.scalars(_seen(query, visible).order_by(SourceRow.id)))


def visible_sources(s: Session, type: str | None, visible: Visible) -> list[SourceRow]:
    """The sources the caller may see, all or of one type, by name, type, model, version."""
    query = select(SourceRow)
    if type is not None:
        query = query.where(SourceRow.type == type)
    order = (SourceRow.name, SourceRow.type, SourceRow.model, SourceRow.version, SourceRow.id)
    return list(s.scalars(_seen(query, visible).order_by(*order)))


def visible_named_sources(
    s: Session, ids: Sequence[int], names: Sequence[str], visible: Visible
) -> list[tuple[int, str]]:
    """(id, name) of the sources the caller may see that have one of these ids or names."""
    query = select(SourceRow.id, SourceRow.name).where(
        SourceRow.id.in_(ids) | SourceRow.name.in_(names)
    )
    readable = _visible(visible)
    if readable is not None:
        query = query.where(readable)
    return [(int(i), str(n)) for i, n in s.execute(query)]


def typed_source_ids(s: Session, ids: Iterable[int] | None, types: Sequence[str]) -> list[int]:
    """Of the sources ``ids`` (None: all), those of one of ``types``, by id; whoever's they are."""
    query = select(SourceRow.id).where(SourceRow.type.in_(types))
    if ids is not None:
        query = query.where(SourceRow.id.in_(list(ids)))
    return sorted(s.scalars(query))


def source_visible(s: Session, source_id: int, visible: Visible) -> bool:
    """Whether the source exists and the caller may see it."""
    query = select(SourceRow.id).where(SourceRow.id == source_id)
    readable = _visible(visible)
    return s.scalar(query if readable is None else query.where(readable)) is not None


def source_rows_by_id(s: Session, ids: Iterable[int]) -> list[SourceRow]:
    """The sources with these ids, by id (no visibility: the caller read beliefs naming them)."""
    query = select(SourceRow).where(SourceRow.id.in_(list(ids))).order_by(SourceRow.id)
    return list(s.scalars(query))
