"""Reading a FlexMeasures 1.0.x database, read-only: its tables (SQLAlchemy Core) and queries.

Only what the import needs is declared. Metadata comes back as plain dicts; beliefs come per
sensor as numpy arrays, read on PostgreSQL by a binary ``COPY ... TO STDOUT`` whose fixed-width
rows numpy decodes without a Python object per belief.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.dialects.postgresql import JSONB

from workbench.errors import InvalidValue

__all__ = [
    "FM_METADATA",
    "KNOWN_REVISIONS",
    "FlexMeasuresSchemaError",
    "belief_batches",
    "check_schema",
    "open_source",
    "read_metadata",
]

#: Alembic head revisions of FlexMeasures' 1.0.x releases.
KNOWN_REVISIONS = frozenset({"3bc1e29ca1f4"})

FM_METADATA = sa.MetaData()
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")

ALEMBIC = sa.Table("alembic_version", FM_METADATA, sa.Column("version_num", sa.String(32)))
ACCOUNT = sa.Table(
    "account",
    FM_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100)),
    sa.Column("consultancy_account_id", sa.Integer, sa.ForeignKey("account.id")),
    sa.Column("attributes", _JSON),
)
ROLE = sa.Table(
    "role",
    FM_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80)),
)
USER = sa.Table(
    "fm_user",
    FM_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(255)),
    sa.Column("username", sa.String(255)),
    sa.Column("active", sa.Boolean),
    sa.Column("timezone", sa.String(255)),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
)
ROLES_USERS = sa.Table(
    "roles_users",
    FM_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("fm_user.id")),
    sa.Column("role_id", sa.Integer, sa.ForeignKey("role.id")),
)
ASSET_TYPE = sa.Table(
    "generic_asset_type",
    FM_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80)),
    sa.Column("description", sa.String(80)),
)
ASSET = sa.Table(
    "generic_asset",
    FM_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80)),
    sa.Column("description", sa.Text),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("attributes", _JSON),
    sa.Column("flex_context", _JSON),
    sa.Column("flex_model", _JSON),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
    sa.Column("parent_asset_id", sa.Integer, sa.ForeignKey("generic_asset.id")),
    sa.Column("generic_asset_type_id", sa.Integer, sa.ForeignKey("generic_asset_type.id")),
    sa.Column("external_id", sa.String(80)),
)
SENSOR = sa.Table(
    "sensor",
    FM_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120)),
    sa.Column("unit", sa.String(80)),
    sa.Column("timezone", sa.String(80)),
    sa.Column("event_resolution", sa.Interval),
    sa.Column("knowledge_horizon_fnc", sa.String(80)),
    sa.Column("knowledge_horizon_par", sa.JSON),
    sa.Column("attributes", _JSON),
    sa.Column("generic_asset_id", sa.Integer, sa.ForeignKey("generic_asset.id")),
)
SOURCE = sa.Table(
    "data_source",
    FM_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120)),
    sa.Column("type", sa.String(80)),
    sa.Column("model", sa.String(80)),
    sa.Column("version", sa.String(17)),
    sa.Column("user_id", sa.Integer),
    sa.Column("account_id", sa.Integer),
    sa.Column("attributes", _JSON),
)
BELIEF = sa.Table(
    "timed_belief",
    FM_METADATA,
    sa.Column("event_start", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("belief_horizon", sa.Interval, primary_key=True),
    sa.Column("cumulative_probability", sa.Float, primary_key=True),
    sa.Column("event_value", sa.Float, nullable=False),
    sa.Column("sensor_id", sa.Integer, sa.ForeignKey("sensor.id"), primary_key=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("data_source.id"), primary_key=True),
)
_TABLES = (ACCOUNT, ROLE, USER, ROLES_USERS, ASSET_TYPE, ASSET, SENSOR, SOURCE, BELIEF)


class FlexMeasuresSchemaError(InvalidValue):
    """The database is not a FlexMeasures database of a version the import reads."""


def open_source(url: str) -> sa.Engine:
    """An engine on a FlexMeasures database, given as its config writes it (``postgresql://``).

    ``postgresql://`` and ``postgres://`` are read with psycopg 3, the driver installed here.
    """
    try:
        parsed = sa.make_url(url.replace("postgres://", "postgresql://", 1))
    except sa.exc.ArgumentError:
        raise InvalidValue(
            "the FlexMeasures database must be a URL such as "
            "'postgresql://user:password@host/flexmeasures'"
        ) from None
    if parsed.get_backend_name() != "postgresql":
        raise InvalidValue(
            f"FlexMeasures databases are PostgreSQL ones ('postgresql://...'), "
            f"got a {parsed.get_backend_name()!r} URL"
        )
    return sa.create_engine(parsed.set(drivername="postgresql+psycopg"), poolclass=sa.NullPool)


def check_schema(conn: sa.Connection) -> str:
    """The database's FlexMeasures revision; FlexMeasuresSchemaError when it is not one this
    import reads (not FlexMeasures at all, or a newer or older schema)."""
    names = set(sa.inspect(conn).get_table_names())
    missing = sorted(t.name for t in (*_TABLES, ALEMBIC) if t.name not in names)
    if "alembic_version" not in names or {"timed_belief", "generic_asset"} - names:
        raise FlexMeasuresSchemaError(
            f"this database is not a FlexMeasures database: tables {missing} are missing"
        )
    revisions = {str(r) for r in conn.execute(sa.select(ALEMBIC.c.version_num)).scalars()}
    if not revisions or not revisions <= KNOWN_REVISIONS:
        raise FlexMeasuresSchemaError(
            f"the FlexMeasures schema is at revision {sorted(revisions)}, which this import "
            f"does not read; it reads FlexMeasures 1.0.x (revision {sorted(KNOWN_REVISIONS)})"
        )
    if missing:
        raise FlexMeasuresSchemaError(
            f"the FlexMeasures schema lacks tables {missing} of its own revision"
        )
    return revisions.pop()


def _rows(conn: sa.Connection, statement: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(statement).mappings()]


def read_metadata(conn: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    """Accounts, users (with their role names), asset types, assets, sensors and sources, by id;
    with each sensor its number of beliefs."""
    roles = sa.func.array_agg(ROLE.c.name).filter(ROLE.c.name.is_not(None))
    users = (
        sa.select(*USER.c, roles.label("roles"))
        .select_from(USER.outerjoin(ROLES_USERS).outerjoin(ROLE))
        .group_by(*USER.c)
        .order_by(USER.c.id)
    )
    counts = (
        sa.select(BELIEF.c.sensor_id, sa.func.count().label("n"))
        .group_by(BELIEF.c.sensor_id)
        .subquery()
    )
    sensors = (
        sa.select(*SENSOR.c, sa.func.coalesce(counts.c.n, 0).label("beliefs"))
        .select_from(SENSOR.outerjoin(counts, counts.c.sensor_id == SENSOR.c.id))
        .order_by(SENSOR.c.id)
    )
    return {
        "accounts": _rows(conn, sa.select(ACCOUNT).order_by(ACCOUNT.c.id)),
        "users": _rows(conn, users),
        "asset_types": _rows(conn, sa.select(ASSET_TYPE).order_by(ASSET_TYPE.c.id)),
        "assets": _rows(conn, sa.select(ASSET).order_by(ASSET.c.id)),
        "sensors": _rows(conn, sensors),
        "sources": _rows(conn, sa.select(SOURCE).order_by(SOURCE.c.id)),
    }


# -- beliefs ---------------------------------------------------------------------------------

# A belief as the query below packs it: PostgreSQL's binary send formats, big-endian.
_ROW = np.dtype(
    [
        ("event_start", ">i8"),  # µs since 2000-01-01 UTC
        ("horizon_us", ">i8"),
        ("horizon_days", ">i4"),
        ("horizon_months", ">i4"),
        ("cumulative_probability", ">f8"),
        ("source_id", ">i4"),
        ("value", ">f8"),
    ]
)
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in µs since 1970-01-01
_DAY_US = 86_400_000_000
# One bytea per window of events: a row per belief would cost a Python round per belief.
_PACKED = (
    "SELECT string_agg(timestamptz_send(event_start) || interval_send(belief_horizon)"
    " || float8send(cumulative_probability::float8) || int4send(source_id)"
    " || float8send(event_value::float8), ''::bytea"
    " ORDER BY event_start, source_id, cumulative_probability, belief_horizon)"
    " FROM timed_belief WHERE sensor_id = %s AND event_start >= %s AND event_start < %s"
)
_BOUNDS = "SELECT min(event_start), max(event_start) FROM timed_belief WHERE sensor_id = %s"


def _decode(rows: NDArray[Any]) -> dict[str, NDArray[Any]]:
    if np.any(rows["horizon_months"] != 0):
        raise InvalidValue("a belief horizon in months cannot be read as a duration")
    horizon = rows["horizon_us"].astype(np.int64) + rows["horizon_days"].astype(np.int64) * _DAY_US
    return {
        "event_start": rows["event_start"].astype(np.int64) + _PG_EPOCH_US,
        "belief_horizon": horizon,
        "cumulative_probability": rows["cumulative_probability"].astype(np.float64),
        "source_id": rows["source_id"].astype(np.int64),
        "value": rows["value"].astype(np.float64),
    }


def belief_batches(
    conn: sa.Connection, sensor_id: int, count: int, batch_size: int
) -> Iterator[dict[str, NDArray[Any]]]:
    """A sensor's ``count`` beliefs in batches of about ``batch_size`` (windows of equal length
    in event time), ordered by event, source, probability and horizon: ``event_start`` (µs
    since 1970, UTC), ``belief_horizon`` (µs), ``cumulative_probability``, ``source_id``
    (FlexMeasures') and ``value``."""
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cur:
        first, last = cur.execute(_BOUNDS, (int(sensor_id),)).fetchone()
        if first is None:
            return
        windows = max(1, -(-int(count) // int(batch_size)))
        step = (last - first) / windows
        edges = [first + step * i for i in range(windows)] + [last + timedelta(microseconds=1)]
        for lo, hi in itertools.pairwise(edges):
            (packed,) = cur.execute(_PACKED, (int(sensor_id), lo, hi), binary=True).fetchone()
            if packed:
                yield _decode(np.frombuffer(packed, dtype=_ROW))
