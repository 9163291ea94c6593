"""The workspace: one connection to a store, acting for one user, one transaction per call."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from workbench.access import LOCAL_ADMIN, Action, Principal, Role, Target, check
from workbench.api.identity import reload_principal
from workbench.api.model_ops import ModelOperations
from workbench.errors import AccessDenied, InvalidValue, StoreError
from workbench.model import Catalog
from workbench.store import create_store_engine, ensure_schema, redact_url
from workbench.store.catalog import load_catalog

if TYPE_CHECKING:
    from workbench.api.definitions import ModelDefinition

__all__ = ["Workspace", "connect"]


class Workspace(ModelOperations):
    """A connection to a store as one user.

    Every public call runs in one transaction of its own, committed when it returns and rolled
    back when it raises, so a failed call leaves nothing behind. ``with ws.transaction():`` groups
    several calls into one. A workspace is meant for one thread.
    """

    def __init__(self, engine: Engine, principal: Principal = LOCAL_ADMIN) -> None:
        self.engine = engine
        self.principal = principal
        self._session: Session | None = None

    # -- identity and transactions ---------------------------------------------------------

    @property
    def url(self) -> str:
        """The store's URL with any password removed."""
        return redact_url(self.engine.url)

    @property
    def user(self) -> str:
        return self.principal.name

    def __repr__(self) -> str:
        return f"<Workspace {self.url} as {self.principal.name}>"

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
        session = Session(self.engine, expire_on_commit=False)
        self._session = session
        try:
            with session.begin():
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
            session.info["failed"] = exc
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

    def _check(self, action: Action, account_id: int | None, what: str,
               target: Target = Target.OBJECT) -> None:
        with self._tx():  # checked against the roles the store holds now
            check(self.principal, action, target, account_id, what)

    def _check_definitions_writable(self) -> None:
        roles = self.principal.roles
        if not (self.principal.is_admin or Role.ACCOUNT_ADMIN in roles):
            raise AccessDenied(
                f"{self.principal.name} may not change model definitions; that takes the role "
                "admin or account-admin"
            )

    # -- model definitions ------------------------------------------------------------------

    def create_model_definition(self, name: str, description: str = "",
                                metadata: dict[str, Any] | None = None) -> ModelDefinition:
        """Create a model definition (a top-level namespace)."""
        from workbench.api.definitions import create_model_definition

        return create_model_definition(self, name, description, metadata)

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


def connect(
    url: str | None = None,
    *,
    user: str | None = None,
    secret: str | None = None,
    create: bool = True,
    **engine_options: Any,
) -> Workspace:
    """Open a workspace on a store.

    Parameters
    ----------
    url
        ``sqlite:///path.db`` (the default: ``WORKBENCH_URL`` or ``./workbench.db``) or
        ``postgresql+psycopg://host/db``.
    user, secret
        Who acts. The embedded SQLite store opens as a local admin when no user is given;
        a PostgreSQL store always needs both.
    create
        Create missing tables (the embedded store sets itself up).

    Examples
    --------
    >>> ws = connect("sqlite://")
    >>> ws.user
    'local admin'
    """
    engine = create_store_engine(url or os.environ.get("WORKBENCH_URL"), **engine_options)
    try:
        if create:
            ensure_schema(engine)
    except DBAPIError as exc:
        raise StoreError(f"cannot open the store at {redact_url(engine.url)}: {exc.orig}") from None
    ws = Workspace(engine)
    if user is None:
        if engine.dialect.name != "sqlite":
            raise AccessDenied(
                f"the shared store at {redact_url(engine.url)} needs user= and secret="
            )
        return ws
    from workbench.api.identity import authenticate

    ws.principal = authenticate(ws, user, secret)
    return ws

