"""The workspace: one connection to a store, acting for one user, one transaction per call."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from workbench.access import LOCAL_ADMIN, Action, Principal, Target, check
from workbench.api.calc_ops import CalcOperations
from workbench.api.data_ops import DataOperations
from workbench.api.identity import reload_principal
from workbench.api.model_ops import ModelOperations
from workbench.api.provenance import (
    AS_OF_ENV,
    PROVENANCE_ENV,
    QueryRecord,
    digest,
    parse_pin,
    write_record,
)
from workbench.errors import AccessDenied, InvalidValue, StoreError
from workbench.limits import query_seconds
from workbench.model import Catalog
from workbench.store import create_store_engine, ensure_schema, redact_url
from workbench.store.catalog import load_catalog
from workbench.store.timeouts import limit_statements, statement_timeout

if TYPE_CHECKING:
    from workbench.api.definitions import ModelDefinition

__all__ = ["Workspace", "connect", "open_workspace"]


class Workspace(ModelOperations, DataOperations, CalcOperations):
    """A connection to a store as one user.

    Every public call runs in one transaction of its own, committed when it returns and rolled
    back when it raises, so a failed call leaves nothing behind. ``with ws.transaction():`` groups
    several calls into one. A workspace is meant for one thread.

    :meth:`close` (or ``with wb.connect(...) as ws:``) releases what it holds: the engine too
    when the workspace made it (``owns_engine``), else only its own state, so that workspaces
    sharing an engine (:class:`~workbench.api.pool.StorePool`) close one by one. Who acts is
    the workspace's ``principal``, never the engine's: one engine serves many users.

    Attributes
    ----------
    as_of
        The belief time the workspace is pinned to (UTC), or None: see :meth:`pin`.
    provenance
        The reads recorded so far (:class:`~workbench.api.provenance.QueryRecord`), or None when
        the workspace does not record them.
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
        self._owns_engine = owns_engine
        self._closed = False
        self._session: Session | None = None
        self.as_of: pd.Timestamp | None = parse_pin(as_of)
        self.provenance: list[QueryRecord] | None = [] if provenance else None
        self._provenance_file: str | None = None

    # -- pinning and provenance ------------------------------------------------------------

    def pin(self, as_of: Any) -> None:
        """See only beliefs formed at or before ``as_of`` from now on (None unpins).

        Every belief query and calculation made through this workspace is capped at the pinned
        time: a later ``as_of`` asked for by a call is lowered to it.

        >>> ws = connect("sqlite://")
        >>> ws.pin("2025-01-15T12:00+01:00"); ws.as_of
        Timestamp('2025-01-15 11:00:00+0000', tz='UTC')
        """
        self.as_of = parse_pin(as_of)

    def _cutoff(self, before_us: int | None) -> int | None:
        """A belief-time cut-off (µs since the epoch) lowered to the pin, if any."""
        if self.as_of is None:
            return before_us
        pinned = int(self.as_of.value) // 1000
        return pinned if before_us is None else min(before_us, pinned)

    def _record(
        self, what: str, arrays: Mapping[str, np.ndarray[Any, Any]], cutoff_us: int | None
    ) -> None:
        """Keep a content hash of what a read returned, when the workspace records provenance."""
        if self.provenance is None and self._provenance_file is None:
            return
        rows = len(next(iter(arrays.values()))) if arrays else 0
        as_of = None if cutoff_us is None else pd.Timestamp(cutoff_us, unit="us", tz="UTC")
        record = QueryRecord(
            what, rows, digest(arrays), None if as_of is None else as_of.isoformat(), self.url
        )
        if self.provenance is not None:
            self.provenance.append(record)
        if self._provenance_file is not None:
            write_record(record, self._provenance_file)

    # -- time limit ----------------------------------------------------------------------------

    _query_seconds: float | None = None

    @property
    def query_seconds(self) -> float:
        """How long a search, a calculation or a store query of one call may run (seconds).

        Default: ``WORKBENCH_QUERY_SECONDS``, else 30; None sets the default back. Past it a
        search or calculation stops with :class:`~workbench.errors.QueryTimeout`, and so does
        a statement on PostgreSQL (:mod:`workbench.store.timeouts`). A dashboard sets less.

        >>> ws = connect("sqlite://")
        >>> ws.query_seconds = 5
        >>> ws.query_seconds
        5.0
        """
        return query_seconds(self._query_seconds)

    @query_seconds.setter
    def query_seconds(self, seconds: float | None) -> None:
        self._query_seconds = None if seconds is None else query_seconds(seconds)

    # -- identity and transactions ---------------------------------------------------------

    @property
    def url(self) -> str:
        """The store's URL with any password removed."""
        return redact_url(self.engine.url)

    @property
    def user(self) -> str:
        return self.principal.name

    def __repr__(self) -> str:
        closed = " (closed)" if self._closed else ""
        return f"<Workspace {self.url} as {self.principal.name}{closed}>"

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called: every call then raises :class:`StoreError`."""
        return self._closed

    def close(self) -> None:
        """Release what the workspace holds; closing again does nothing.

        A workspace that made its engine (:func:`connect`, :func:`~workbench.init_store`)
        disposes it, closing its pooled connections; one sharing an engine
        (:meth:`StorePool.connect <workbench.api.pool.StorePool.connect>`) leaves the engine
        to its owner. Refused inside :meth:`transaction`: the batch ends first.

        >>> with connect("sqlite://") as ws:
        ...     ws.user
        'local admin'
        >>> ws.closed
        True
        """
        if self._session is not None:
            raise StoreError(
                f"{self!r} cannot be closed inside a transaction; close it after the "
                "`with ws.transaction():` block"
            )
        if self._closed:
            return
        self._closed = True
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(
                f"the workspace on {self.url} as {self.principal.name} is closed; open another "
                "with wb.connect(...)"
            )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Group calls into one transaction: all of them take effect, or none.

        A call that fails inside the block makes the whole batch fail, even when the caller
        catches its error: from then on every call in the block raises :class:`StoreError`,
        and the block itself rolls back and raises :class:`StoreError` when it ends. Nothing of
        the batch is stored. (A failed statement leaves a PostgreSQL transaction unusable
        anyway; this rule makes both backends behave alike and never commits half a batch.)
        Check before calling, rather than catching errors inside a batch.

        Examples
        --------
        >>> ws = connect("sqlite://")
        >>> with ws.transaction():
        ...     md = ws.create_model_definition("A")
        ...     _ = md.create_object_definition("B")
        >>> [od.name for od in md.object_definitions()]
        ['B']
        """
        if self._session is not None:
            yield from self._within(self._session)
            return
        self._check_open()
        session = Session(self.engine, expire_on_commit=False)
        self._session = session
        try:
            with session.begin(), limit_statements(session, self.query_seconds):
                self.principal = reload_principal(session, self.principal)  # revocations count
                yield session
                failed = session.info.get("failed")
                if failed is not None:
                    raise StoreError(
                        f"the transaction was rolled back because a call in it failed "
                        f"({type(failed).__name__}: {failed}); nothing of it was stored"
                    ) from failed
        except IntegrityError as exc:
            raise InvalidValue(f"the store refused the change: {exc.orig}") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreError(f"the connection to {self.url} was lost: {exc.orig}") from exc
            raise
        except self.engine.dialect.loaded_dbapi.Error as exc:  # raw cursors of the bulk paths
            raise StoreError(f"the store at {self.url} failed: {exc}") from exc
        except PoolTimeout as exc:  # a shared engine's pool stays bounded: wait, then refuse
            raise StoreError(
                f"the store at {self.url} is busy: every connection of its pool is in use; "
                "try again shortly"
            ) from exc
        finally:
            self._session = None
            session.close()

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

    _tx = transaction

    def catalog(self, definition_id: int) -> Catalog:
        """The object definitions of a model definition, cached for the current transaction."""
        with self._tx() as s:
            cache: dict[int, Catalog] = s.info.setdefault("catalogs", {})
            if definition_id not in cache:
                cache[definition_id] = load_catalog(s, definition_id)
            return cache[definition_id]

    def _forget_catalogs(self) -> None:
        if self._session is not None:
            self._session.info.pop("catalogs", None)

    def _check(
        self, action: Action, account_id: int | None, what: str, target: Target = Target.OBJECT
    ) -> None:
        with self._tx():  # checked against the roles the store holds now
            check(self.principal, action, target, account_id, what)

    # -- model definitions ------------------------------------------------------------------

    def create_model_definition(
        self,
        name: str,
        description: str = "",
        metadata: dict[str, Any] | None = None,
        account: Any = None,
    ) -> ModelDefinition:
        """Create a model definition (a top-level namespace), owned by ``account``.

        Without ``account``: shared by the whole store when an admin creates it, else the
        user's own account's. See :func:`workbench.api.definitions.create_model_definition`.
        """
        from workbench.api.definitions import create_model_definition

        return create_model_definition(self, name, description, metadata, account)

    def model_definitions(self) -> list[ModelDefinition]:
        from workbench.api.definitions import list_model_definitions

        return list_model_definitions(self)

    def search(self, start: Any, query: str) -> list[Any]:
        """Objects (or attributes) found by a search-language query from ``start``.

        >>> ws.search("Model/MySystem", "{*}[.Type=PowerPlant && .Capacity>5]")  # doctest: +SKIP
        """
        from workbench.api.searching import search

        return search(self, start, query)

    def model_definition(self, name_or_id: str | int) -> ModelDefinition:
        from workbench.api.definitions import get_model_definition

        return get_model_definition(self, name_or_id)

    # -- sign-in throttling -----------------------------------------------------------------

    def unlock_user(self, user: str | int) -> bool:
        """Lift a user's sign-in lockout and forget their failures (see
        :func:`workbench.api.accounts.unlock_user`); True when there was something to lift."""
        from workbench.api.accounts import unlock_user

        return unlock_user(self, user)

    def unlock_address(self, address: str) -> bool:
        """Lift a client address's sign-in lockout (admins; see
        :func:`workbench.api.accounts.unlock_address`)."""
        from workbench.api.accounts import unlock_address

        return unlock_address(self, address)


def connect(
    url: str | None = None,
    *,
    user: str | None = None,
    secret: str | None = None,
    create: bool = True,
    as_of: Any = None,
    provenance: bool = False,
    address: str | None = None,
    query_seconds: float | None = None,
    **engine_options: Any,
) -> Workspace:
    """Open a workspace on a store, with an engine of its own (see :meth:`Workspace.close`).

    Parameters
    ----------
    url
        ``sqlite:///path.db`` (the default: ``WORKBENCH_URL`` or ``./workbench.db``) or
        ``postgresql+psycopg://host/db``.
    user, secret
        Who acts. The embedded SQLite store opens as a local admin when no user is given;
        a PostgreSQL store always needs both. Failed sign-ins are throttled
        (:mod:`workbench.api.signin`).
    create
        Create missing tables (the embedded store sets itself up).
    as_of
        Pin the workspace to this belief time (see :meth:`Workspace.pin`); ``"now"`` pins the
        current time. Default: ``WORKBENCH_AS_OF`` when set (``workbench report`` sets it).
    provenance
        Record a content hash of every read in ``ws.provenance``. When ``WORKBENCH_PROVENANCE``
        names a file, the records are also appended to it as JSON lines.
    address
        The IP address of the client a server signs in for; its failures are throttled too.
    query_seconds
        The time limit of each call (see :attr:`Workspace.query_seconds`); default
        ``WORKBENCH_QUERY_SECONDS`` or 30 s.
    engine_options
        Passed to :func:`sqlalchemy.create_engine`. Many workspaces on one engine:
        :class:`~workbench.api.pool.StorePool`.

    Examples
    --------
    >>> with connect("sqlite://") as ws:
    ...     ws.user
    'local admin'
    """
    engine = create_store_engine(url or os.environ.get("WORKBENCH_URL"), **engine_options)
    try:
        return open_workspace(
            engine,
            owns_engine=True,
            user=user,
            secret=secret,
            create=create,
            as_of=as_of,
            provenance=provenance,
            address=address,
            query_seconds=query_seconds,
        )
    except BaseException:
        engine.dispose()  # a refused sign-in holds no connection
        raise


def open_workspace(
    engine: Engine,
    *,
    owns_engine: bool,
    user: str | None,
    secret: str | None,
    create: bool = True,
    as_of: Any = None,
    provenance: bool = False,
    address: str | None = None,
    query_seconds: float | None = None,
) -> Workspace:
    """A workspace on ``engine`` for ``user`` (see :func:`connect`), signed in if one is given."""
    try:
        if create:
            ensure_schema(engine)
    except DBAPIError as exc:
        raise StoreError(f"cannot open the store at {redact_url(engine.url)}: {exc.orig}") from None
    ws = Workspace(
        engine,
        as_of=as_of if as_of is not None else os.environ.get(AS_OF_ENV),
        provenance=provenance,
        owns_engine=owns_engine,
    )
    ws._provenance_file = os.environ.get(PROVENANCE_ENV) or None
    ws.query_seconds = query_seconds  # checked before anything else is done with the workspace
    if user is None:
        if engine.dialect.name != "sqlite":
            raise AccessDenied(
                f"the shared store at {redact_url(engine.url)} needs user= and secret="
            )
        return ws
    from workbench.api.identity import authenticate

    ws.principal = authenticate(ws, user, secret, address)
    return ws
