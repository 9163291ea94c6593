"""One store opened once and shared by many workspaces: one engine with a bounded pool.

A server that signs in many users (the dashboard) opens its store once as a
:class:`StorePool` and gives every user a workspace of their own from it. Who acts travels
with each workspace (its principal), not with the engine, so one engine serves every user;
the pool bounds the connections the process ever holds, however many sessions and failed
sign-ins it sees.

Examples
--------
>>> import workbench as wb
>>> with StorePool("sqlite://", pool_size=2) as store:
...     ws = store.connect()               # the embedded store: the local admin
...     ws.user, ws.engine is store.engine
('local admin', True)
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import TYPE_CHECKING, Any

from workbench import limits
from workbench.api.workspace import Workspace, open_workspace
from workbench.errors import InvalidValue, StoreError
from workbench.store import DEFAULT_URL, create_store_engine, open_schema, redact_url, url_kind

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["StorePool"]


def _count(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InvalidValue(f"{name} must be a whole number >= {least}, got {value!r}")
    return value


class StorePool:
    """A store opened once: one engine, at most ``pool_size + max_overflow`` connections.

    Parameters
    ----------
    url
        The store, as for :func:`~workbench.api.workspace.connect`.
    pool_size, max_overflow, pool_timeout
        Connections kept open, extra ones opened under load (closed when returned), and the
        seconds a call waits for a free one before it fails with :class:`StoreError`.
    application_name
        How the connections name themselves to PostgreSQL (``pg_stat_activity``).
    create
        Create missing tables, once, when the first workspace is opened.
    query_seconds
        The time limit of each call of its workspaces (see
        :attr:`~workbench.api.workspace.Workspace.query_seconds`); default
        ``WORKBENCH_QUERY_SECONDS`` or 30 s.
    engine_options
        Passed to :func:`sqlalchemy.create_engine`.

    Workspaces from :meth:`connect` share the engine: closing one releases only its own state;
    :meth:`close` closes them all and the engine.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        pool_size: int = 5,
        max_overflow: int = 5,
        pool_timeout: float = 10.0,
        application_name: str = "workbench",
        create: bool = True,
        query_seconds: float | None = None,
        **engine_options: Any,
    ) -> None:
        self.query_seconds = None if query_seconds is None else limits.query_seconds(query_seconds)
        self.pool_size = _count("pool_size", pool_size, 1)
        self.max_overflow = _count("max_overflow", max_overflow, 0)
        if isinstance(pool_timeout, bool) or not isinstance(pool_timeout, int | float):
            raise InvalidValue(f"pool_timeout must be a number of seconds, got {pool_timeout!r}")
        if not 0 < pool_timeout < float("inf"):
            raise InvalidValue(f"pool_timeout must be more than 0 seconds, got {pool_timeout!r}")
        if not isinstance(application_name, str) or not 0 < len(application_name) <= 63:
            raise InvalidValue(
                f"application_name must be a string of 1 to 63 characters, got {application_name!r}"
            )
        text = url or os.environ.get("WORKBENCH_URL") or DEFAULT_URL
        options = dict(engine_options)
        kind = url_kind(text)
        if kind != "memory":
            options |= {
                "pool_size": self.pool_size,
                "max_overflow": self.max_overflow,
                "pool_timeout": float(pool_timeout),
            }
        if kind == "server":
            options["connect_args"] = {
                "application_name": application_name,
                **options.get("connect_args", {}),
            }
        self.engine: Engine = create_store_engine(text, **options)
        self._create = create
        self._lock = threading.Lock()
        self._closed = False
        self._workspaces: weakref.WeakSet[Workspace] = weakref.WeakSet()

    @property
    def url(self) -> str:
        """The store's URL with any password removed."""
        return redact_url(self.engine.url)

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"pool {self.pool_size}+{self.max_overflow}"
        return f"<StorePool {self.url} ({state})>"

    def connect(
        self,
        user: str | None = None,
        secret: str | None = None,
        *,
        address: str | None = None,
        as_of: Any = None,
        provenance: bool = False,
    ) -> Workspace:
        """A workspace on the shared engine for ``user`` (signed in with ``secret``).

        ``address`` is the client's IP address when a server signs in on someone's behalf:
        its failed sign-ins are throttled as well as the user name's. A refused sign-in keeps
        no connection. The other arguments are :func:`~workbench.api.workspace.connect`'s.
        """
        with self._lock:  # the store is set up once, by the first caller
            if self._closed:
                raise StoreError(f"{self!r} is closed; open another StorePool")
            if self._create:
                open_schema(self.engine)
                self._create = False
        ws = open_workspace(
            self.engine,
            owns_engine=False,
            user=user,
            secret=secret,
            create=False,
            as_of=as_of,
            provenance=provenance,
            address=address,
            query_seconds=self.query_seconds,
        )
        self._workspaces.add(ws)
        return ws

    def close(self) -> None:
        """Close every workspace opened from the pool, then the engine; again: nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for ws in list(self._workspaces):
            if ws._ctx.session is None:
                ws.close()
            else:  # in the middle of a call (another thread): it fails at its next one
                ws._ctx.closed = True
        self.engine.dispose()

    def __enter__(self) -> StorePool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
