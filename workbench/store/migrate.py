"""Schema migrations of a store: the revision it is at, upgrading it (alembic, run in-process).

The revisions live in ``workbench/store/migrations/versions``; no ``alembic.ini`` is needed. An
upgrade runs in one transaction under a lock (PostgreSQL: an advisory lock per schema; SQLite:
``BEGIN IMMEDIATE``), so several processes opening a new store at once set it up once, and a
failed upgrade leaves the store as it was. A store made before migrations existed (the tables of
revision 0001, no ``alembic_version``) is stamped 0001 first, then upgraded.

Examples
--------
>>> from workbench.store import create_store_engine
>>> engine = create_store_engine("sqlite://")
>>> current(engine) is None                     # nothing in it yet
True
>>> upgrade(engine) == head() == current(engine)
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, delete, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from workbench.errors import StoreError
from workbench.store.schema import StoreInfoRow
from workbench.store.urls import redact_url

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = [
    "HEAD",
    "Revision",
    "StoreStatus",
    "config",
    "current",
    "downgrade",
    "ensure_current",
    "head",
    "history",
    "status",
    "upgrade",
]

#: The newest revision; checked against the scripts by the tests, so that opening a store that
#: is up to date never has to load alembic.
HEAD = "0007"
VERSION_TABLE = "alembic_version"
_SCRIPTS = Path(__file__).with_name("migrations")
#: The tables of revision 0001: a store holding all of them and no version table predates
#: migrations.
BASE_TABLES = frozenset(
    {
        "accounts", "users", "namespaces", "tags", "template_calculations", "attribute_types",
        "object_definitions", "attribute_definitions", "objects", "links", "sensors",
        "virtual_series", "sources", "beliefs", "latest_beliefs",
    }
)  # fmt: skip
_PG_LOCK = "SELECT pg_advisory_xact_lock(hashtext('workbench.migrate:' || current_schema()))"


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision of the schema: its id, the one before it, what it does (one line)."""

    id: str
    down: str | None
    title: str


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """Where a store stands: its revision, the newest one, and who last upgraded it.

    ``revision`` is None for a store without workbench tables; ``versioned`` is False for an empty
    store and for one made before migrations existed (it counts as revision 0001).
    """

    url: str
    revision: str | None
    versioned: bool
    head: str
    upgraded_with: str | None = None
    upgraded_at: datetime | None = None

    @property
    def is_current(self) -> bool:
        return self.revision == self.head

    def describe(self) -> str:
        """One line for people, e.g. ``sqlite:///w.db: revision 0002 (the newest)``."""
        if self.revision is None:
            return f"{self.url}: no workbench tables yet; `workbench db upgrade` creates them"
        where = f"{self.url}: revision {self.revision}"
        if not self.versioned:
            where += " (tables made before migrations, not yet stamped)"
        if self.upgraded_with is not None and self.upgraded_at is not None:
            when = self.upgraded_at.strftime("%Y-%m-%d %H:%M UTC")
            where += f", last upgraded by workbench {self.upgraded_with} on {when}"
        if self.is_current:
            return f"{where}; the newest"
        known = [r.id for r in history()]
        if self.revision not in known:
            return f"{where}; unknown to this workbench (it knows {', '.join(known)})"
        return f"{where}; behind {self.head}: run `workbench db upgrade`"


def config(connection: Connection | None = None) -> Config:
    """An alembic configuration for the store's revisions, running on ``connection``.

    For writing a new revision: ``alembic.command.revision(config(conn), "what it does",
    rev_id="0003", autogenerate=True)`` drafts one from the models against a store at head.
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config())


def head() -> str:
    """The newest revision this workbench knows.

    >>> head()
    '0007'
    """
    found = _scripts().get_current_head()
    assert found is not None  # the package ships its revisions
    return found


def history() -> list[Revision]:
    """Every revision, oldest first.

    >>> [r.id for r in history()][:1]
    ['0001']
    """
    scripts = list(_scripts().walk_revisions())
    return [
        Revision(str(s.revision), _down(s.down_revision), (s.doc or "").splitlines()[0].strip())
        for s in reversed(scripts)
    ]


def _down(value: object) -> str | None:
    return None if value is None else str(value)


def _recorded(conn: Connection) -> str | None:
    """The revision in ``alembic_version`` (None: no such table, or an empty one)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise StoreError(
            f"the store at {redact_url(conn.engine.url)} records several revisions "
            f"({', '.join(sorted(rows))}); the workbench's revisions form one line, so one is "
            "expected"
        )
    return str(rows[0]) if rows else None


def _read(conn: Connection) -> tuple[str | None, bool]:
    """(revision, versioned); a store made before migrations is at 0001, unversioned."""
    recorded = _recorded(conn)
    if recorded is not None:
        return recorded, True
    present = BASE_TABLES & set(inspect(conn).get_table_names())
    if not present:
        return None, False
    if present == BASE_TABLES:
        return "0001", False
    raise StoreError(
        f"the store at {redact_url(conn.engine.url)} holds some of the workbench's tables but "
        f"not {', '.join(sorted(BASE_TABLES - present))}, and no record of its revision; it "
        "was not made by a workbench release, so it cannot be upgraded: start a new store"
    )


def _record(conn: Connection, revision: str) -> None:
    """Note in ``store_info`` (from 0002 on) which workbench reached ``revision``, and when."""
    if not inspect(conn).has_table(StoreInfoRow.__tablename__):
        return
    try:
        mine = version("workbench")
    except PackageNotFoundError:  # running from a source tree
        mine = "0.0.0"
    conn.execute(delete(StoreInfoRow))
    conn.execute(
        insert(StoreInfoRow).values(
            id=1, workbench_version=mine, revision=revision, upgraded_at=datetime.now(UTC)
        )
    )


@contextmanager
def _sqlite_exclusive(conn: Connection) -> Iterator[None]:
    """One write transaction with foreign keys off (SQLite alters a table by copying it, and
    dropping the old copy would cascade into the rows that refer to it); checked before commit."""
    raw = conn.connection.driver_connection
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # no effect inside a transaction: set first
    previous = raw.isolation_level  # type: ignore[union-attr]
    raw.isolation_level = None  # type: ignore[union-attr]  # BEGIN is ours to issue
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # other writers wait until the upgrade is done
        yield
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(
                f"the upgrade would leave {len(broken)} rows referring to rows that do not "
                f"exist (first: table {broken[0][0]}); nothing was changed"
            )
        conn.commit()
    finally:
        conn.rollback()
        raw.isolation_level = previous  # type: ignore[union-attr]
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")


@contextmanager
def _migration(engine: Engine, what: str) -> Iterator[Connection]:
    """A connection in one transaction, holding the store's migration lock; committed at the end.

    Database errors become a StoreError naming the store without its password.
    """
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                with _sqlite_exclusive(conn):
                    yield conn
            else:
                # An upgrade takes as long as the data makes it: no call's time limit applies.
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
                conn.execute(text(_PG_LOCK))  # held until commit or rollback
                yield conn
                conn.commit()
    except DBAPIError as exc:
        raise StoreError(
            f"{what} of the store at {redact_url(engine.url)} failed: {exc.orig}"
        ) from exc


def _check_target(revision: str, found: str | None, down: bool) -> None:
    """Refuse a target that is unknown or lies the other way, and a store newer than us."""
    known = [r.id for r in history()]
    if found is not None and found not in known:
        raise StoreError(
            f"the store is at revision {found}, which this workbench does not know (it knows "
            f"{', '.join(known)}): a newer workbench upgraded it; use that version"
        )
    names = ["base", *known] if down else [*known, "head"]
    if revision not in names:
        raise StoreError(f"revision {revision!r} is not known; use one of {', '.join(names)}")
    order = {"base": -1, "head": len(known) - 1} | {r: i for i, r in enumerate(known)}
    now = -1 if found is None else order[found]
    if (order[revision] > now) if down else (order[revision] < now):
        raise StoreError(
            f"the store is at revision {found or 'base (no tables)'}; reaching {revision} from "
            f"there is {'an upgrade' if down else 'a downgrade'}"
        )


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Create or upgrade the store's tables up to ``revision``; returns the revision reached.

    Nothing happens to a store already there. A store made before migrations is stamped 0001
    first. The whole upgrade is one transaction: on failure the store stays as it was.
    """
    from alembic import command

    with _migration(engine, "the upgrade") as conn:
        found, versioned = _read(conn)
        _check_target(revision, found, down=False)
        cfg = config(conn)
        if found is not None and not versioned:
            command.stamp(cfg, found)
        command.upgrade(cfg, revision)
        reached, _ = _read(conn)
        assert reached is not None
        if reached != found:
            _record(conn, reached)
        return reached


def downgrade(engine: Engine, revision: str) -> str | None:
    """Take the store's tables back to ``revision`` (``"base"``: drop them all, data included).

    Returns the revision reached (None for base). Meant for testing revisions and for undoing an
    upgrade on a copy; every downgrade step that drops a table drops its rows.
    """
    from alembic import command

    with _migration(engine, "the downgrade") as conn:
        found, versioned = _read(conn)
        _check_target(revision, found, down=True)
        cfg = config(conn)
        if found is not None and not versioned:
            command.stamp(cfg, found)
        command.downgrade(cfg, revision)
        reached, _ = _read(conn)
        if reached is not None and reached != found:
            _record(conn, reached)
        return reached


def current(engine: Engine) -> str | None:
    """The store's revision: None when it has no workbench tables yet.

    A store made before migrations is at ``"0001"``.
    """
    return status(engine).revision


def status(engine: Engine) -> StoreStatus:
    """Where the store stands (see :class:`StoreStatus`); reading it creates nothing.

    A SQLite file that does not exist is an empty store (and is not created).
    """
    url = redact_url(engine.url)
    if _missing_file(engine):
        return StoreStatus(url=url, revision=None, versioned=False, head=head())
    try:
        with engine.connect() as conn:
            revision, versioned = _read(conn)
            info = None
            if inspect(conn).has_table(StoreInfoRow.__tablename__):
                info = conn.execute(
                    select(StoreInfoRow.workbench_version, StoreInfoRow.upgraded_at)
                ).first()
    except DBAPIError as exc:
        raise StoreError(f"cannot read the store at {url}: {exc.orig}") from None
    return StoreStatus(
        url=url,
        revision=revision,
        versioned=versioned,
        head=head(),
        upgraded_with=None if info is None else info.workbench_version,
        upgraded_at=None if info is None else info.upgraded_at,
    )


def _missing_file(engine: Engine) -> bool:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return False
    return not database.startswith("file:") and not Path(database).exists()


def ensure_current(engine: Engine) -> None:
    """Open a store as the workbench needs it: at the newest revision.

    An embedded SQLite store upgrades itself; an empty PostgreSQL store is created; a PostgreSQL
    store behind is refused (its upgrade is an administrator's decision: `workbench db upgrade`).
    The check costs two small queries; alembic is only loaded when something is to be done.
    """
    try:
        with engine.connect() as conn:
            if _recorded(conn) == HEAD:
                return
    except DBAPIError as exc:
        raise StoreError(f"cannot open the store at {redact_url(engine.url)}: {exc.orig}") from None
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    found = status(engine)
    if found.revision is None:
        upgrade(engine)
        return
    if found.is_current:  # another process upgraded it meanwhile
        return
    if found.revision not in [r.id for r in history()]:
        raise StoreError(
            f"the store at {found.url} is at revision {found.revision}, which this workbench "
            f"does not know (it needs {found.head}): a newer workbench upgraded it; use that "
            "version"
        )
    made = "" if found.versioned else " (tables made before migrations)"
    raise StoreError(
        f"the store at {found.url} is at revision {found.revision}{made}, this workbench needs "
        f"{found.head}: run `workbench db upgrade`"
    )
