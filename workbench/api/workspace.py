"""The workspace: one connection to a store, acting for one user, one transaction per call.

The flat public facade. A :class:`Workspace` makes a :class:`~workbench.api.context.Context`
and hands it to the services (:mod:`workbench.api.services`), wrapping what they return in
handles (:mod:`workbench.api.handles`); it holds no logic of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.access import LOCAL_ADMIN, Principal, Role
from workbench.api.context import Context
from workbench.api.handles import definitions
from workbench.api.handles import sensors as sensor_handles
from workbench.api.handles.definitions import ModelDefinition
from workbench.api.handles.objects import Attribute, Object, search_handles
from workbench.api.handles.sensors import Sensor
from workbench.api.handles.virtual import VirtualSeries
from workbench.api.identity import authenticate, create_first_admin
from workbench.api.provenance import AS_OF_ENV, PROVENANCE_ENV, QueryRecord
from workbench.api.services import accounts
from workbench.api.services import object_edits as edits
from workbench.api.services import objects as object_services
from workbench.api.services import sensors as sensor_services
from workbench.api.services import sources as source_services
from workbench.api.services.calc import evaluate as calc
from workbench.api.services.calc import virtual
from workbench.errors import AccessDenied
from workbench.store import create_store_engine, ensure_schema, open_schema, redact_url

if TYPE_CHECKING:
    import xarray as xr
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from workbench.api.handles.definition_attributes import ObjectDefinition
    from workbench.api.services.accounts import AccountInfo, AccountRef, UserInfo, UserRef
    from workbench.beliefs.filters import TimeLike
    from workbench.beliefs.sources import Source
    from workbench.calc import Result
    from workbench.paths import ObjectPath

__all__ = ["Workspace", "connect", "init_store", "open_workspace"]


class Workspace:
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
        user's own account's. See :func:`workbench.api.handles.definitions.create_model_definition`.
        """
        return definitions.create_model_definition(
            self._ctx, name, description, metadata, account
        )

    def model_definitions(self) -> list[ModelDefinition]:
        """The model definitions the user may read."""
        return definitions.list_model_definitions(self._ctx)

    def model_definition(self, name_or_id: str | int) -> ModelDefinition:
        """A model definition by name or id."""
        return definitions.get_model_definition(self._ctx, name_or_id)

    # -- models and objects -----------------------------------------------------------------

    def get(self, key: str | int | ObjectPath) -> Any:
        """An object or attribute by path (short or full), by id, or by attribute id ``"12:7"``.

        A short path that matches several objects raises AmbiguousPath listing the full names;
        what does not exist, or what the user may not see, is NotFound alike.
        """
        info, attribute = object_services.lookup(self._ctx, key)
        obj = Object(self._ctx, info)
        return obj if attribute is None else Attribute(obj, attribute)

    def object(self, key: str | int | ObjectPath) -> Object:
        """Like :meth:`get`, but the key must name an object."""
        return Object(self._ctx, object_services.object_by_key(self._ctx, key))

    def create_model(
        self,
        name: str,
        definition: ModelDefinition | str,
        root_type: ObjectDefinition | str,
        account: Any = None,
    ) -> Object:
        """Create a model: a root object (with no owner) of ``root_type``."""
        with self._ctx.tx():
            md = (
                definition
                if isinstance(definition, ModelDefinition)
                else self.model_definition(definition)
            )
            return Object(self._ctx, edits.create_model(self._ctx, name, md, root_type, account))

    def models(self) -> list[Object]:
        """Every model the user may see."""
        return [Object(self._ctx, info) for info in object_services.models(self._ctx)]

    def search(self, start: Any, query: str) -> list[Any]:
        """Objects (or attributes) found by a search-language query from ``start``.

        >>> ws.search("Model/MySystem", "{*}[.Type=PowerPlant && .Capacity>5]")  # doctest: +SKIP
        """
        return search_handles(self._ctx, start, query)

    # -- sensors, sources and beliefs -------------------------------------------------------

    def sensor(self, key: int | str) -> Sensor:
        """A sensor by id, by ``object path:name`` or by catalog path (``Folder/name``)."""
        return Sensor(self._ctx, sensor_services.get_sensor(self._ctx, key))

    def sensors(self, catalog_path: str | None = None) -> list[Sensor]:
        """The sensors the user may read, all or those under a catalog folder."""
        found = sensor_services.list_sensors(self._ctx, catalog_path)
        return [Sensor(self._ctx, info) for info in found]

    def catalog_folders(self) -> list[str]:
        """The resource catalog's folders that hold sensors the user may read."""
        return sensor_services.catalog_folders(self._ctx)

    def beliefs(
        self,
        sensors: Sequence[Sensor | int | str],
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        **filters: Any,
    ) -> xr.Dataset | dict[str, xr.Dataset]:
        """Several sensors' beliefs side by side; the filters of :meth:`Sensor.beliefs`."""
        return sensor_handles.beliefs(self._ctx, sensors, start, end, **filters)

    def source(self, key: int | str, type: str | None = None) -> Source:
        """A data source by id or name (and type, when several sources share a name)."""
        return source_services.get_source(self._ctx, key, type)

    def sources(self, type: str | None = None) -> list[Source]:
        """The data sources, all or of one type (``"meter"``, ``"forecaster"``, ...)."""
        return source_services.list_sources(self._ctx, type)

    # -- calculations -----------------------------------------------------------------------

    def evaluate(
        self,
        expression: str,
        start: TimeLike,
        end: TimeLike,
        *,
        relative_to: Object | int | str | None = None,
        as_of: TimeLike | None = None,
    ) -> Result:
        """Evaluate an expression over [start, end), reading the store as this user.

        Parameters
        ----------
        expression
            A script of the calculation language (``@t('.Inflow') * 0.9``).
        start, end
            Timezone-aware times (naive ones are refused).
        relative_to
            The object relative paths start from (an Object, its id or its path).
        as_of
            Read every series as known at this belief time (capped by :meth:`pin`).

        Returns
        -------
        xr.DataArray, float, str, np.ndarray, tuple or list
            A series is a DataArray over ``event_start`` (naive UTC) with attrs ``units``,
            ``timezone``, ``resolution`` and ``curve_type``; a number is a float in the unit
            :meth:`infer_unit` gives; a string a str; arrays of numbers an ndarray, of strings
            a tuple, of series a list of DataArrays.

        Examples
        --------
        >>> ws.evaluate("@SUM(@T('.To_Plants/*.Production'))", "2025-01-01T00:00Z",
        ...             "2025-01-02T00:00Z", relative_to="Model/Demo/East")  # doctest: +SKIP
        """
        return calc.evaluate(
            self._ctx, expression, start, end, relative_to=relative_to, as_of=as_of
        )

    def infer_unit(self, expression: str, *, relative_to: Object | int | str | None = None) -> str:
        """The unit of an expression's result, reading no data ("" for dimensionless)."""
        return calc.infer_unit(self._ctx, expression, relative_to=relative_to)

    def create_virtual_series(
        self,
        name: str,
        expression: str,
        *,
        catalog_path: str = "",
        unit: str | None = None,
        relative_to: Object | int | str | None = None,
        account: Any = None,
        timezone: str = "UTC",
    ) -> VirtualSeries:
        """Store an expression in the resource catalog as a virtual series; see
        :func:`workbench.api.services.calc.virtual.create_virtual_series`."""
        info = virtual.create_virtual_series(
            self._ctx,
            name,
            expression,
            catalog_path=catalog_path,
            unit=unit,
            relative_to=relative_to,
            account=account,
            timezone=timezone,
        )
        return VirtualSeries(self._ctx, info)

    def virtual_series(self, key: str | int) -> VirtualSeries:
        """A virtual series by id or by catalog path (``"Catalog/Folder/name"`` or
        ``"Folder/name"``)."""
        return VirtualSeries(self._ctx, virtual.find_virtual_series(self._ctx, key))

    def virtual_series_list(self, catalog_path: str | None = None) -> list[VirtualSeries]:
        """The virtual series the user may read, all or those in a catalog folder and below."""
        found = virtual.list_virtual_series(self._ctx, catalog_path)
        return [VirtualSeries(self._ctx, info) for info in found]

    # -- accounts and users -----------------------------------------------------------------

    def create_account(self, name: str, consultancy: AccountRef | None = None) -> AccountInfo:
        """Create an account (admins only), optionally served by a consultancy account."""
        return accounts.create_account(self._ctx, name, consultancy)

    def accounts(self) -> list[AccountInfo]:
        """The accounts the user may see."""
        return accounts.list_accounts(self._ctx)

    def add_user(
        self, email: str, account: AccountRef, secret: str, roles: Iterable[Role | str] = ()
    ) -> UserInfo:
        """Add a user to an account with a secret (kept only as an Argon2 hash) and roles."""
        return accounts.add_user(self._ctx, email, account, secret, roles)

    def users(self, account: AccountRef | None = None) -> list[UserInfo]:
        """The users the caller may see, all or of one account."""
        return accounts.list_users(self._ctx, account)

    def set_roles(self, user: UserRef, roles: Iterable[Role | str]) -> UserInfo:
        """Give a user these roles (replacing theirs); counts from their next call."""
        return accounts.set_roles(self._ctx, user, roles)

    def set_consultancy(self, account: AccountRef, consultancy: AccountRef | None) -> AccountInfo:
        """Give an account a consultancy account, or (None) none; admins only."""
        return accounts.set_consultancy(self._ctx, account, consultancy)

    def unlock_user(self, user: str | int) -> bool:
        """Lift a user's sign-in lockout and forget their failures (see
        :func:`workbench.api.services.accounts.unlock_user`); True when there was something
        to lift."""
        return accounts.unlock_user(self._ctx, user)

    def unlock_address(self, address: str) -> bool:
        """Lift a client address's sign-in lockout (admins; see
        :func:`workbench.api.services.accounts.unlock_address`)."""
        return accounts.unlock_address(self._ctx, address)


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
    if create:
        open_schema(engine)
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
    ws.principal = authenticate(ws._ctx, user, secret, address)
    return ws


def init_store(
    url: str | None = None,
    *,
    admin: str,
    secret: str,
    account: str = "Operators",
    **engine_options: Any,
) -> Workspace:
    """Create a store's tables and its first admin user, and open it as that user.

    Refused when the store already has users: the first admin is made once. The workspace
    owns its engine: :meth:`Workspace.close` disposes it.
    """
    engine = create_store_engine(url, **engine_options)
    ws = Workspace(engine, LOCAL_ADMIN, owns_engine=True)
    try:
        ensure_schema(engine)
        ws.principal = create_first_admin(ws._ctx, account, admin, secret)
    except BaseException:
        ws.close()  # a refused store holds no connection
        raise
    return ws
