"""Tables of the store, as typed SQLAlchemy 2.0 declarative classes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Account",
    "AttributeDefinitionRow",
    "AttributeTypeRow",
    "Base",
    "LinkRow",
    "NamespaceRow",
    "ObjectDefinitionRow",
    "ObjectRow",
    "SignInThrottleRow",
    "StoreInfoRow",
    "TagRow",
    "TemplateCalculationRow",
    "User",
]

JSONType = JSON().with_variant(JSONB(), "postgresql")
# SQLite would hand a deleted row's id to the next row; handles and links keep ids, so never.
_NO_REUSE = {"sqlite_autoincrement": True}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; give it a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _Hidden(str):
    """A secret's hash as read: an ordinary string whose repr does not show it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<hidden>'"


class SecretHash(TypeDecorator[str]):
    """Text read back as a string that stays out of reprs, so out of debug logs of rows too."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else _Hidden(value)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        datetime: UTCDateTime,
    }


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (_NO_REUSE,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    consultancy_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


class User(Base):
    __tablename__ = "users"
    __table_args__ = (_NO_REUSE,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(SecretHash)
    roles: Mapped[list[Any]] = mapped_column(default=list)


class NamespaceRow(Base):
    """A namespace; one with no parent is a model definition.

    A model definition belongs to ``account_id``, or (NULL) is shared by the whole store
    (revision 0003); nested namespaces leave it NULL and follow their definition.
    """

    __tablename__ = "namespaces"
    __table_args__ = (UniqueConstraint("parent_id", "name"), _NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int | None] = mapped_column(
        ForeignKey("namespaces.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("namespaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    ext_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )


class TagRow(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("definition_id", "name"), _NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("namespaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class TemplateCalculationRow(Base):
    __tablename__ = "template_calculations"
    __table_args__ = (UniqueConstraint("definition_id", "name"), _NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("namespaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    expression: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")


class AttributeTypeRow(Base):
    """A reusable attribute blueprint of a model definition, in one of its namespaces.

    Its name is unique in the model definition (namespaces group, they do not qualify names).
    ``namespace_id`` None is the model definition itself (revision 0007 sets it for older
    types); ``tags`` are inherited by every attribute definition built on the type.
    """

    __tablename__ = "attribute_types"
    __table_args__ = (UniqueConstraint("definition_id", "name"), _NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("namespaces.id", ondelete="CASCADE"))
    namespace_id: Mapped[int | None] = mapped_column(
        ForeignKey("namespaces.id", ondelete="CASCADE")
    )
    tags: Mapped[list[Any]] = mapped_column(default=list)
    name: Mapped[str] = mapped_column(String(200))
    value_type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(100), default="")
    allowed: Mapped[list[Any] | None] = mapped_column(JSONType)
    default: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # {"value": ...}


class ObjectDefinitionRow(Base):
    __tablename__ = "object_definitions"
    __table_args__ = (UniqueConstraint("definition_id", "name"), _NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("namespaces.id", ondelete="CASCADE"))
    namespace_id: Mapped[int] = mapped_column(ForeignKey("namespaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    ext_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AttributeDefinitionRow(Base):
    """A member of an object definition.

    ``name``, ``description`` and ``unit`` hold the effective values; ``overrides`` lists those set
    on the definition itself and differing from its attribute type's. A type's new name or unit
    reaches every definition built on it, overridden or not (and clears that override).
    ``tags`` are the definition's own; its type's tags are added when it is read.
    """

    __tablename__ = "attribute_definitions"
    __table_args__ = (_NO_REUSE,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_definition_id: Mapped[int] = mapped_column(
        ForeignKey("object_definitions.id", ondelete="CASCADE"), index=True
    )
    attribute_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("attribute_types.id", ondelete="RESTRICT")
    )
    namespace_id: Mapped[int | None] = mapped_column(
        ForeignKey("namespaces.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(100), default="")
    overrides: Mapped[list[Any]] = mapped_column(default=list)
    value_type: Mapped[str] = mapped_column(String(40))
    is_array: Mapped[bool] = mapped_column(default=False)
    min_count: Mapped[int] = mapped_column(Integer, default=0)
    max_count: Mapped[int | None] = mapped_column(Integer)
    default: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # {"value": ...}
    minimum: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    maximum: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    allowed: Mapped[list[Any] | None] = mapped_column(JSONType)
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("object_definitions.id", ondelete="RESTRICT")
    )
    template: Mapped[str | None] = mapped_column(Text)
    template_calculation_id: Mapped[int | None] = mapped_column(
        ForeignKey("template_calculations.id", ondelete="RESTRICT")
    )
    tags: Mapped[list[Any]] = mapped_column(default=list)
    ext_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ObjectRow(Base):
    """An object (asset); a model is an object with no parent. ``values`` maps definition id."""

    __tablename__ = "objects"
    __table_args__ = (
        UniqueConstraint("parent_id", "owner_attribute_id", "name"),
        Index("ix_objects_parent_name", "parent_id", "name"),
        _NO_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int | None] = mapped_column(Integer, index=True)
    definition_id: Mapped[int] = mapped_column(
        ForeignKey("object_definitions.id", ondelete="RESTRICT"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"))
    owner_attribute_id: Mapped[int | None] = mapped_column(
        ForeignKey("attribute_definitions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LinkRow(Base):
    """One target of a link or versioned link attribute (target NULL = none from valid_from)."""

    __tablename__ = "links"
    __table_args__ = (Index("ix_links_source", "object_id", "attribute_id"), _NO_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"))
    attribute_id: Mapped[int] = mapped_column(
        ForeignKey("attribute_definitions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("objects.id", ondelete="SET NULL"), index=True
    )
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StoreInfoRow(Base):
    """One row: the workbench version that last upgraded the store, the revision, and when."""

    __tablename__ = "store_info"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workbench_version: Mapped[str] = mapped_column(String(40))
    revision: Mapped[str] = mapped_column(String(32))
    upgraded_at: Mapped[datetime]


class SignInThrottleRow(Base):
    """Failed sign-ins of one user name or one client address, shared by every process.

    ``key`` is a SHA-256 digest of the name or address, so text typed into the user field (a
    secret, by mistake) is never stored. ``locked_at`` is set when the failures reach the
    lockout; only an admin clears it.
    """

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[datetime | None] = mapped_column(index=True)
    locked_at: Mapped[datetime | None]
