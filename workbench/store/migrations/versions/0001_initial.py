"""The first schema: accounts and users, model definitions, models, sensors, sources, beliefs.

Revision 0001, the base. Stores made before migrations existed have exactly these tables; they are
stamped with this revision when first upgraded. Written out in full (not derived from the models),
so that it stays what it was when the models change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC_TIME = sa.DateTime(timezone=True)
# SQLite would hand a deleted row's id to the next row; handles and links keep ids, so never.
NO_REUSE = {"sqlite_autoincrement": True}

#: The tables of this revision, in the order they are created.
TABLES = (
    "accounts", "users", "namespaces", "tags", "template_calculations", "attribute_types",
    "object_definitions", "attribute_definitions", "objects", "links", "sensors",
    "virtual_series", "sources", "beliefs", "latest_beliefs",
)  # fmt: skip


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _fk(name: str, target: str, ondelete: str, nullable: bool = True) -> sa.Column[int]:
    return sa.Column(
        name, sa.Integer(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable
    )


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False)


def _string(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=False)


def _json(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, JSON, nullable=nullable)


def _identity() -> None:
    op.create_table(
        "accounts",
        _id(),
        _string("name", 200),
        _fk("consultancy_id", "accounts.id", "SET NULL"),
        sa.UniqueConstraint("name"),
        **NO_REUSE,
    )
    op.create_table(
        "users",
        _id(),
        _fk("account_id", "accounts.id", "CASCADE", nullable=False),
        _string("email", 320),
        sa.Column("secret_hash", sa.Text(), nullable=True),
        _json("roles"),
        sa.UniqueConstraint("email"),
        **NO_REUSE,
    )


def _definitions() -> None:
    op.create_table(
        "namespaces",
        _id(),
        _fk("definition_id", "namespaces.id", "CASCADE"),
        _fk("parent_id", "namespaces.id", "CASCADE"),
        _string("name", 200),
        _text("description"),
        _json("ext_metadata"),
        sa.UniqueConstraint("parent_id", "name"),
        **NO_REUSE,
    )
    op.create_index("ix_namespaces_definition_id", "namespaces", ["definition_id"])
    op.create_table(
        "tags",
        _id(),
        _fk("definition_id", "namespaces.id", "CASCADE", nullable=False),
        _string("name", 200),
        _text("description"),
        sa.UniqueConstraint("definition_id", "name"),
        **NO_REUSE,
    )
    op.create_table(
        "template_calculations",
        _id(),
        _fk("definition_id", "namespaces.id", "CASCADE", nullable=False),
        _string("name", 200),
        _text("expression"),
        _text("description"),
        sa.UniqueConstraint("definition_id", "name"),
        **NO_REUSE,
    )
    op.create_table(
        "attribute_types",
        _id(),
        _fk("definition_id", "namespaces.id", "CASCADE", nullable=False),
        _string("name", 200),
        _string("value_type", 40),
        _text("description"),
        _string("unit", 100),
        _json("allowed", nullable=True),
        _json("default", nullable=True),
        sa.UniqueConstraint("definition_id", "name"),
        **NO_REUSE,
    )
    op.create_table(
        "object_definitions",
        _id(),
        _fk("definition_id", "namespaces.id", "CASCADE", nullable=False),
        _fk("namespace_id", "namespaces.id", "CASCADE", nullable=False),
        _string("name", 200),
        _text("description"),
        _json("tags"),
        _json("ext_metadata"),
        sa.UniqueConstraint("definition_id", "name"),
        **NO_REUSE,
    )


def _attribute_definitions() -> None:
    op.create_table(
        "attribute_definitions",
        _id(),
        _fk("object_definition_id", "object_definitions.id", "CASCADE", nullable=False),
        _fk("attribute_type_id", "attribute_types.id", "RESTRICT"),
        _fk("namespace_id", "namespaces.id", "SET NULL"),
        sa.Column("position", sa.Integer(), nullable=False),
        _string("name", 200),
        _text("description"),
        _string("unit", 100),
        _json("overrides"),
        _string("value_type", 40),
        sa.Column("is_array", sa.Boolean(), nullable=False),
        sa.Column("min_count", sa.Integer(), nullable=False),
        sa.Column("max_count", sa.Integer(), nullable=True),
        _json("default", nullable=True),
        _json("minimum", nullable=True),
        _json("maximum", nullable=True),
        _json("allowed", nullable=True),
        _fk("target_id", "object_definitions.id", "RESTRICT"),
        sa.Column("template", sa.Text(), nullable=True),
        _fk("template_calculation_id", "template_calculations.id", "RESTRICT"),
        _json("tags"),
        _json("ext_metadata"),
        **NO_REUSE,
    )
    op.create_index(
        "ix_attribute_definitions_object_definition_id",
        "attribute_definitions",
        ["object_definition_id"],
    )


def _objects() -> None:
    op.create_table(
        "objects",
        _id(),
        sa.Column("model_id", sa.Integer(), nullable=True),
        _fk("definition_id", "object_definitions.id", "RESTRICT", nullable=False),
        _fk("parent_id", "objects.id", "CASCADE"),
        _fk("owner_attribute_id", "attribute_definitions.id", "CASCADE"),
        _string("name", 200),
        _fk("account_id", "accounts.id", "RESTRICT"),
        sa.Column("version", sa.BigInteger(), nullable=False),
        _json("values"),
        sa.UniqueConstraint("parent_id", "owner_attribute_id", "name"),
        **NO_REUSE,
    )
    for column in ("account_id", "definition_id", "model_id"):
        op.create_index(f"ix_objects_{column}", "objects", [column])
    op.create_index("ix_objects_parent_name", "objects", ["parent_id", "name"])
    op.create_table(
        "links",
        _id(),
        _fk("object_id", "objects.id", "CASCADE", nullable=False),
        _fk("attribute_id", "attribute_definitions.id", "CASCADE", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("target_id", "objects.id", "SET NULL"),
        sa.Column("valid_from", UTC_TIME, nullable=True),
        **NO_REUSE,
    )
    op.create_index("ix_links_source", "links", ["object_id", "attribute_id"])
    op.create_index("ix_links_target_id", "links", ["target_id"])


def _series() -> None:
    op.create_table(
        "sensors",
        _id(),
        _fk("object_id", "objects.id", "CASCADE", nullable=False),
        _fk("account_id", "accounts.id", "RESTRICT"),
        _string("name", 200),
        _string("catalog_path", 1000),
        _string("unit", 100),
        _string("timezone", 64),
        sa.Column("resolution_us", sa.BigInteger(), nullable=False),
        _json("knowledge_time"),
        _string("curve_type", 10),
        _json("attributes"),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("object_id", "name"),
        **NO_REUSE,
    )
    for column in ("account_id", "catalog_path", "object_id"):
        op.create_index(f"ix_sensors_{column}", "sensors", [column])
    op.create_table(
        "virtual_series",
        _id(),
        _fk("account_id", "accounts.id", "RESTRICT"),
        _fk("relative_to_id", "objects.id", "SET NULL"),
        _string("name", 200),
        _string("catalog_path", 1000),
        _text("expression"),
        _string("unit", 100),
        _string("timezone", 64),
        sa.Column("resolution_us", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("catalog_path", "name"),
    )
    op.create_index("ix_virtual_series_account_id", "virtual_series", ["account_id"])
    op.create_table(
        "sources",
        _id(),
        _string("name", 200),
        _string("type", 40),
        _string("model", 200),
        _string("version", 80),
        _fk("user_id", "users.id", "SET NULL"),
        _fk("account_id", "accounts.id", "SET NULL"),
        sa.UniqueConstraint("name", "type", "model", "version"),
    )


def _beliefs() -> None:
    # No foreign keys: per-row key checks would slow bulk loads several-fold.
    for table, key in (
        ("beliefs", ("belief_time",)),
        ("latest_beliefs", ()),
    ):
        op.create_table(
            table,
            sa.Column("sensor_id", sa.Integer(), nullable=False),
            sa.Column("event_start", sa.BigInteger(), nullable=False),
            sa.Column("source_id", sa.Integer(), nullable=False),
            sa.Column("cumulative_probability", sa.Float(), nullable=False),
            sa.Column("belief_time", sa.BigInteger(), nullable=False),
            sa.Column("value", sa.Float(), nullable=True),
            sa.Column("flags", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint(
                "sensor_id", "event_start", "source_id", "cumulative_probability", *key
            ),
            sqlite_with_rowid=False,
        )
    op.create_index("ix_latest_sensor_bt", "latest_beliefs", ["sensor_id", "belief_time"])


def upgrade() -> None:
    _identity()
    _definitions()
    _attribute_definitions()
    _objects()
    _series()
    _beliefs()


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
