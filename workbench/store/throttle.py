"""Failed sign-ins as the store keeps them: rows held for one attempt, counted, forgotten.

The rows are keyed by a digest (see :class:`~workbench.store.schema.SignInThrottleRow`). An
attempt holds the rows of its user name and client address until its transaction ends
(PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite: the write lock its first statement takes), so
attempts on one name run one after the other and none is left uncounted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workbench.store.schema import SignInThrottleRow

__all__ = ["drop", "drop_stale", "hold"]

_Row = SignInThrottleRow


def hold(s: Session, keys: Mapping[str, str]) -> dict[str, SignInThrottleRow]:
    """The rows of ``keys`` (digest -> kind), made when missing, held until the transaction ends.

    Keys are taken in sorted order, so two attempts sharing a row never wait for each other
    in a circle.
    """
    if not keys:
        return {}
    values = [{"key": k, "kind": keys[k], "failures": 0} for k in sorted(keys)]
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    s.execute(dialect.insert(_Row).values(values).on_conflict_do_nothing(index_elements=["key"]))
    rows = s.scalars(
        select(_Row)
        .where(_Row.key.in_(list(keys)))
        .order_by(_Row.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {r.key: r for r in rows}


def drop(s: Session, keys: Collection[str]) -> int:
    """Forget the rows of ``keys`` (their failures and any lock); how many there were."""
    if not keys:
        return 0
    gone = cast("CursorResult[Any]", s.execute(delete(_Row).where(_Row.key.in_(list(keys)))))
    return int(gone.rowcount or 0)


def drop_stale(s: Session, before: datetime) -> None:
    """Forget unlocked rows whose last failure is older than ``before``.

    Rows another attempt holds are skipped (PostgreSQL), not waited for.
    """
    stale = (
        select(_Row.key)
        .where(_Row.locked_at.is_(None), _Row.last_failure < before)
        .with_for_update(skip_locked=True)
    )
    s.execute(delete(_Row).where(_Row.key.in_(stale.scalar_subquery())))
