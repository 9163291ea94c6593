"""Tables of sensors, data sources and beliefs (times as int64 microseconds since the epoch, UTC)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from workbench.store.schema import Base, JSONType

__all__ = ["BeliefRow", "LatestBeliefRow", "SensorRow", "SourceRow", "VirtualSeriesRow"]


class SensorRow(Base):
    """A physical time series on an object: where beliefs are stored."""

    __tablename__ = "sensors"
    # AUTOINCREMENT: SQLite must never hand a deleted sensor's id (and stray beliefs) to a new one.
    __table_args__ = (UniqueConstraint("object_id", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    catalog_path: Mapped[str] = mapped_column(String(1000), default="", index=True)
    unit: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    resolution_us: Mapped[int] = mapped_column(BigInteger, default=0)
    knowledge_time: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    curve_type: Mapped[str] = mapped_column(String(10), default="step")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    version: Mapped[int] = mapped_column(BigInteger, default=1)


class VirtualSeriesRow(Base):
    """An expression stored in the resource catalog, evaluated on read.

    Its name is unique in its folder within its account, and among public series (no account)
    (revision 0004): two accounts may each hold ``Hydro/Total``.
    """

    __tablename__ = "virtual_series"
    __table_args__ = (
        Index(
            "uq_virtual_series_account_path_name",
            "catalog_path",
            "name",
            "account_id",
            unique=True,
        ),
        Index(
            "uq_virtual_series_public_path_name",
            "catalog_path",
            "name",
            unique=True,
            postgresql_where=text("account_id IS NULL"),
            sqlite_where=text("account_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    relative_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("objects.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    catalog_path: Mapped[str] = mapped_column(String(1000), default="")
    expression: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    resolution_us: Mapped[int] = mapped_column(BigInteger, default=0)


class SourceRow(Base):
    """Who or what produced beliefs; kept when its user is deleted.

    Its identity (name, type, model, version) is unique within its account, and among public
    sources (no account) (revision 0006): two accounts may each hold a ``meter``.
    """

    __tablename__ = "sources"
    __table_args__ = (
        Index(
            "uq_sources_account_identity",
            "name",
            "type",
            "model",
            "version",
            "account_id",
            unique=True,
        ),
        Index(
            "uq_sources_public_identity",
            "name",
            "type",
            "model",
            "version",
            unique=True,
            postgresql_where=text("account_id IS NULL"),
            sqlite_where=text("account_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40), default="user")
    model: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[str] = mapped_column(String(80), default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))


class BeliefRow(Base):
    """One belief: (sensor, event, source, probability, belief time) -> value, flags."""

    __tablename__ = "beliefs"
    __table_args__ = (
        PrimaryKeyConstraint(
            "sensor_id", "event_start", "source_id", "cumulative_probability", "belief_time"
        ),
        {"sqlite_with_rowid": False},
    )

    # No foreign keys here: per-row key checks would slow bulk loads several-fold; the API
    # deletes a sensor's beliefs with the sensor and never deletes a source in use.
    sensor_id: Mapped[int] = mapped_column(Integer)
    event_start: Mapped[int] = mapped_column(BigInteger)
    source_id: Mapped[int] = mapped_column(Integer)
    cumulative_probability: Mapped[float] = mapped_column(Float)
    belief_time: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[int] = mapped_column(BigInteger, default=0)


class LatestBeliefRow(Base):
    """The most recent belief per (sensor, event, source, probability), kept up on ingest."""

    __tablename__ = "latest_beliefs"
    __table_args__ = (
        PrimaryKeyConstraint("sensor_id", "event_start", "source_id", "cumulative_probability"),
        Index("ix_latest_sensor_bt", "sensor_id", "belief_time"),
        {"sqlite_with_rowid": False},
    )

    # No foreign keys here: per-row key checks would slow bulk loads several-fold; the API
    # deletes a sensor's beliefs with the sensor and never deletes a source in use.
    sensor_id: Mapped[int] = mapped_column(Integer)
    event_start: Mapped[int] = mapped_column(BigInteger)
    source_id: Mapped[int] = mapped_column(Integer)
    cumulative_probability: Mapped[float] = mapped_column(Float)
    belief_time: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[int] = mapped_column(BigInteger, default=0)
