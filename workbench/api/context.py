"""The context of every call: one store, one user, one transaction at a time.

A :class:`Context` owns what the calls of a workspace share: the engine, the principal (who
acts), the open transaction, the belief-time pin, the provenance records, the time limit and
the per-transaction caches. The services (:mod:`workbench.api.services`) take a context and the
handles keep one; the facade (:class:`~workbench.api.workspace.Workspace`) makes one and hands
it down. Nothing here knows the services or the handles, so the layers above depend on this
module and never the other way round.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from workbench.access import LOCAL_ADMIN, Action, Principal, Target, check
from workbench.api.identity import reload_principal
from workbench.api.provenance import QueryRecord, digest, parse_pin, write_record
from workbench.errors import InvalidValue, StoreError
from workbench.limits import query_seconds, time_limit
from workbench.model import Catalog
from workbench.store import redact_url
from workbench.store.catalog import load_catalog
from workbench.store.timeouts import set_statement_limit, statement_timeout

if TYPE_CHECKING:
    from workbench.api.workspace import Workspace

__all__ = ["Context"]


class _ReadSession(Session):
    """The session of a call that only reads: it refuses to write anything."""

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise StoreError("a call that only reads tried to change the store; nothing was")
        super().flush(objects)


class Context:
    """What every call of one workspace shares: engine, principal, transaction, pin, caches.

    Every call runs in one transaction (:meth:`tx`): committed when it returns, rolled back
    when it raises. Calls made inside an open transaction join it, and a failure inside one
    dooms the whole of it. A context is meant for one thread.

    Attributes
    ----------
    engine
        The store's engine; a context that made it (``owns_engine``) disposes it on close.
    principal
        Who acts, brought up to date with the store when each transaction starts.
    as_of
        The belief time reads are pinned to (UTC), or None.
    provenance
        The reads recorded so far, or None when reads are not recorded.
    provenance_file
        A file each record is also appended to (JSON lines), or None.
    workspace
        The facade this context serves, for handles that hand it out (``obj.ws``).
    """

    def __init__(
        self,
        engine: Engine,
        principal: Principal = LOCAL_ADMIN,
        *,
        as_of: Any = None,
        provenance: bool = False,
        owns_engine: bool = False,
    ) -> None:
        self.engine = engine
        self.principal = principal
        self.owns_engine = owns_engine
        self.closed = False
        self.session: Session | None = None
        self.as_of: pd.Timestamp | None = parse_pin(as_of)
        self.provenance: list[QueryRecord] | None = [] if provenance else None
        self.provenance_file: str | None = None
        self.workspace: Workspace | None = None
        self._query_seconds: float | None = None
        self._memos: dict[str, dict[Any, Any]] = {}

    # -- what the context is ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """The store's URL with any password removed."""
        return redact_url(self.engine.url)

    def __repr__(self) -> str:
        closed = " (closed)" if self.closed else ""
        return f"<Workspace {self.url} as {self.principal.name}{closed}>"

    @property
    def query_seconds(self) -> float:
        """How long a search, a calculation or a statement of one call may run (seconds)."""
        return query_seconds(self._query_seconds)

    @query_seconds.setter
    def query_seconds(self, seconds: float | None) -> None:
        self._query_seconds = None if seconds is None else query_seconds(seconds)

    # -- pinning and provenance ------------------------------------------------------------

    def pin(self, as_of: Any) -> None:
        """See only beliefs formed at or before ``as_of`` from now on (None unpins)."""
        self.as_of = parse_pin(as_of)

    def cutoff(self, before_us: int | None) -> int | None:
        """A belief-time cut-off (µs since the epoch) lowered to the pin, if any."""
        if self.as_of is None:
            return before_us
        pinned = int(self.as_of.value) // 1000
        return pinned if before_us is None else min(before_us, pinned)

    def record(
        self, what: str, arrays: Mapping[str, np.ndarray[Any, Any]], cutoff_us: int | None
    ) -> None:
        """Keep a content hash of what a read returned, when reads are recorded."""
        if self.provenance is None and self.provenance_file is None:
            return
        rows = len(next(iter(arrays.values()))) if arrays else 0
        as_of = None if cutoff_us is None else pd.Timestamp(cutoff_us, unit="us", tz="UTC")
        record = QueryRecord(
            what, rows, digest(arrays), None if as_of is None else as_of.isoformat(), self.url
        )
        if self.provenance is not None:
            self.provenance.append(record)
        if self.provenance_file is not None:
            write_record(record, self.provenance_file)

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Release what the context holds (the engine too when it made it); idempotent."""
        if self.session is not None:
            raise StoreError(
                f"{self!r} cannot be closed inside a transaction; close it after the "
                "`with ws.transaction():` block"
            )
        if self.closed:
            return
        self.closed = True
        if self.owns_engine:
            self.engine.dispose()

    def check_open(self) -> None:
        if self.closed:
            raise StoreError(
                f"the workspace on {self.url} as {self.principal.name} is closed; open another "
                "with wb.connect(...)"
            )

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def tx(self, *, read: bool = False) -> Iterator[Session]:
        """The open transaction, or a new one for this call (see ``Workspace.transaction``).

        A call that only reads says ``read=True``: on PostgreSQL it then runs without
        ``BEGIN`` and ``COMMIT`` (each statement sees the data committed when it starts, as in
        a READ COMMITTED transaction), and refuses to write. Whatever joins an open
        transaction joins it as it is.
        """
        if self.session is not None:
            yield from self._within(self.session)
            return
        self.check_open()
        with time_limit(self.query_seconds) as limit, self._store_errors():
            session = self._open(read, limit)
            self.session = session
            try:
                yield session
                failed = session.info.get("failed")
                if failed is not None:
                    raise StoreError(
                        f"the transaction was rolled back because a call in it failed "
                        f"({type(failed).__name__}: {failed}); nothing of it was stored"
                    ) from failed
                session.commit()
                self._keep(session.info.pop("memos", {}))
            except BaseException:
                session.rollback()
                raise
            finally:
                self.session = None
                session.close()

    def _open(self, read: bool, limit: float) -> Session:
        """A session on a checked-out connection, its time limit set and the principal brought
        up to date (a revoked role or a deleted user counts from this call on).

        Pooled connections are not pinged before use: a connection the server dropped fails
        the first statement instead, the pool replaces its connections, and the opening is
        tried once more on a new one (nothing of the call has run yet).
        """
        postgres = self.engine.dialect.name == "postgresql"
        autocommit = read and postgres
        for attempt in (1, 2):
            session = (_ReadSession if read else Session)(self.engine, expire_on_commit=False)
            try:
                if postgres:
                    options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
                    connection = session.connection(execution_options=options)
                    set_statement_limit(connection, limit, autocommit=autocommit)
                self.principal = reload_principal(session, self.principal)
                return session
            except BaseException as exc:  # a refused principal too: its connection goes back
                session.close()
                lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
                if attempt == 2 or not lost:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def _store_errors(self) -> Iterator[None]:
        """The store's failures as the workbench's errors, saying what happened in its words."""
        try:
            yield
        except IntegrityError as exc:
            raise InvalidValue(f"the store refused the change: {exc.orig}") from exc
        except DBAPIError as exc:
            timeout = statement_timeout(exc)  # a statement the store stopped at the limit
            if timeout is not None:
                raise timeout from exc
            if exc.connection_invalidated:
                raise StoreError(f"the connection to {self.url} was lost: {exc.orig}") from exc
            raise
        except self.engine.dialect.loaded_dbapi.Error as exc:  # raw cursors of the bulk paths
            timeout = statement_timeout(exc)
            if timeout is not None:
                raise timeout from exc
            raise StoreError(f"the store at {self.url} failed: {exc}") from exc
        except PoolTimeout as exc:  # a shared engine's pool stays bounded: wait, then refuse
            raise StoreError(
                f"the store at {self.url} is busy: every connection of its pool is in use; "
                "try again shortly"
            ) from exc

    @staticmethod
    def _within(session: Session) -> Iterator[Session]:
        """A call inside an open transaction; a failure dooms the whole transaction."""
        failed = session.info.get("failed")
        if failed is not None:
            raise StoreError(
                f"an earlier call in this transaction failed ({type(failed).__name__}: "
                f"{failed}); the transaction will be rolled back, so no further call is run"
            )
        try:
            yield session
        except IntegrityError as exc:
            refused = InvalidValue(f"the store refused the change: {exc.orig}")
            session.info["failed"] = refused
            raise refused from exc
        except Exception as exc:
            timeout = statement_timeout(exc)  # a statement the store stopped at the limit
            session.info["failed"] = timeout or exc
            if timeout is not None:
                raise timeout from exc
            raise

    # -- caches --------------------------------------------------------------------------

    def memo(self, name: str) -> Mapping[Any, Any]:
        """What the calls of this context remembered under ``name``: facts the store never
        changes once they are committed (a source's identity by its id), so that later calls
        need not read them again. Facts remembered in the open transaction count too."""
        kept = self._memos.get(name, {})
        pending = self.session.info.get("memos", {}).get(name) if self.session else None
        return ChainMap(pending, kept) if pending else kept

    def remember(self, name: str, facts: Mapping[Any, Any]) -> None:
        """Remember ``facts`` under ``name`` (see :meth:`memo`) once the open transaction
        commits: what a rolled-back transaction read may never have been committed (and
        SQLite may give its ids to other rows)."""
        if self.session is None:
            raise StoreError("facts are remembered inside a transaction")  # pragma: no cover
        self.session.info.setdefault("memos", {}).setdefault(name, {}).update(facts)

    def _keep(self, memos: Mapping[str, Mapping[Any, Any]]) -> None:
        for name, facts in memos.items():
            self._memos.setdefault(name, {}).update(facts)

    # -- per-transaction caches and checks -------------------------------------------------

    def catalog(self, definition_id: int) -> Catalog:
        """The object definitions of a model definition, cached for the current transaction."""
        with self.tx() as s:
            cache: dict[int, Catalog] = s.info.setdefault("catalogs", {})
            if definition_id not in cache:
                cache[definition_id] = load_catalog(s, definition_id)
            return cache[definition_id]

    def forget_catalogs(self) -> None:
        """Drop the cached catalogs: a definition changed in this transaction."""
        if self.session is not None:
            self.session.info.pop("catalogs", None)

    def check(
        self, action: Action, account_id: int | None, what: str, target: Target = Target.OBJECT
    ) -> None:
        """Refuse (AccessDenied) unless the principal, as the store has it now, may act."""
        with self.tx():
            check(self.principal, action, target, account_id, what)

    @property
    def _ctx(self) -> Context:
        """The context itself: handles and services given a workspace or its context take
        ``given._ctx`` (a workspace's ``_ctx`` is its context)."""
        return self
