"""The workspace: one connection to a store, acting for one user, one transaction per call."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from workbench.access import LOCAL_ADMIN, Action, Principal, Target
from workbench.api.calc_ops import CalcOperations
from workbench.api.context import Context
from workbench.api.data_ops import DataOperations
from workbench.api.model_ops import ModelOperations
from workbench.api.provenance import AS_OF_ENV, PROVENANCE_ENV, QueryRecord
from workbench.errors import AccessDenied, StoreError
from workbench.model import Catalog
from workbench.store import create_store_engine, ensure_schema, redact_url

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
        self._ctx = Context(
            engine, principal, as_of=as_of, provenance=provenance, owns_engine=owns_engine
        )
        self._ctx.workspace = self

    # -- what the context holds ------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        return self._ctx.engine

    @property
    def principal(self) -> Principal:
        """Who acts, as the store had it when the last call started."""
        return self._ctx.principal

    @principal.setter
    def principal(self, principal: Principal) -> None:
        self._ctx.principal = principal

    @property
    def as_of(self) -> pd.Timestamp | None:
        return self._ctx.as_of

    @property
    def provenance(self) -> list[QueryRecord] | None:
        return self._ctx.provenance

    @provenance.setter
    def provenance(self, records: list[QueryRecord] | None) -> None:
        self._ctx.provenance = records

    def pin(self, as_of: Any) -> None:
        """See only beliefs formed at or before ``as_of`` from now on (None unpins).

        Every belief query and calculation made through this workspace is capped at the pinned
        time: a later ``as_of`` asked for by a call is lowered to it.

        >>> ws = connect("sqlite://")
        >>> ws.pin("2025-01-15T12:00+01:00"); ws.as_of
        Timestamp('2025-01-15 11:00:00+0000', tz='UTC')
        """
        self._ctx.pin(as_of)

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
        return self._ctx.query_seconds

    @query_seconds.setter
    def query_seconds(self, seconds: float | None) -> None:
        self._ctx.query_seconds = seconds

    @property
    def url(self) -> str:
        """The store's URL with any password removed."""
        return self._ctx.url

    @property
    def user(self) -> str:
        return self._ctx.principal.name

    def __repr__(self) -> str:
        return repr(self._ctx)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called: every call then raises :class:`StoreError`."""
        return self._ctx.closed

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
        self._ctx.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

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
        with self._ctx.tx() as session:
            yield session

    # -- the context's members under the names the modules below used (until they take it) --
    # While the modules below move from taking the workspace to taking its Context, either
    # works at runtime: the workspace answers to the context's names and the context to these.

    @property
    def workspace(self) -> Workspace:
        return self

    @property
    def session(self) -> Session | None:
        return self._ctx.session

    @property
    def provenance_file(self) -> str | None:
        return self._ctx.provenance_file

    def tx(self) -> AbstractContextManager[Session]:
        return self._ctx.tx()

    def check(
        self, action: Action, account_id: int | None, what: str, target: Target = Target.OBJECT
    ) -> None:
        self._ctx.check(action, account_id, what, target)

    def cutoff(self, before_us: int | None) -> int | None:
        return self._ctx.cutoff(before_us)

    def record(
        self, what: str, arrays: Mapping[str, np.ndarray[Any, Any]], cutoff_us: int | None
    ) -> None:
        self._ctx.record(what, arrays, cutoff_us)

    def forget_catalogs(self) -> None:
        self._ctx.forget_catalogs()

    @property
    def _session(self) -> Session | None:
        return self._ctx.session

    def _tx(self) -> AbstractContextManager[Session]:
        return self._ctx.tx()

    def catalog(self, definition_id: int) -> Catalog:
        """The object definitions of a model definition, cached for the current transaction."""
        return self._ctx.catalog(definition_id)

    def _forget_catalogs(self) -> None:
        self._ctx.forget_catalogs()

    def _check(
        self, action: Action, account_id: int | None, what: str, target: Target = Target.OBJECT
    ) -> None:
        self._ctx.check(action, account_id, what, target)

    def _cutoff(self, before_us: int | None) -> int | None:
        return self._ctx.cutoff(before_us)

    def _record(
        self, what: str, arrays: Mapping[str, np.ndarray[Any, Any]], cutoff_us: int | None
    ) -> None:
        self._ctx.record(what, arrays, cutoff_us)

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
    ws._ctx.provenance_file = os.environ.get(PROVENANCE_ENV) or None
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
