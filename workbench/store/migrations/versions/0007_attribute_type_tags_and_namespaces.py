"""Attribute types carry tags and live in a namespace; a type's name and unit reach every
definition built on it.

Revision 0007, after 0006.

- ``attribute_types.namespace_id`` (a foreign key to ``namespaces``): the namespace the type is
  in. Existing types are put in their model definition itself (its top-level namespace).
- ``attribute_types.tags`` (a JSON list, empty for existing types): tags that every attribute
  definition built on the type inherits.
- ``attribute_definitions.overrides`` now lists the fields a definition set itself *and* that
  differ from its type's; a type's next rename or unit change reaches every definition built on
  it and clears the override (before, a definition that set its own name or unit kept it for
  good). Definitions whose name or unit equals their type's lose the override, since there is
  nothing left to keep; definitions that diverged keep their own name and unit until the type's
  name or unit next changes. Names are not changed here: a template or search written with a
  definition's own name keeps working after the upgrade.

Downgrading drops both columns (types lose their tags and namespaces); the overrides stay as
they are, which the old rule reads as "this definition keeps its own value".
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
FOREIGN_KEY = "fk_attribute_types_namespace_id_namespaces"
# SQLite alters the table by copying it: the copy must keep AUTOINCREMENT (ids never reused).
NO_REUSE = {"sqlite_autoincrement": True}
#: The fields a type passes on to its definitions whenever they change.
PROPAGATED = ("name", "unit")

_types = sa.table(
    "attribute_types",
    sa.column("id", sa.Integer()),
    sa.column("definition_id", sa.Integer()),
    sa.column("namespace_id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("unit", sa.String()),
)
_definitions = sa.table(
    "attribute_definitions",
    sa.column("id", sa.Integer()),
    sa.column("attribute_type_id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("unit", sa.String()),
    sa.column("overrides", JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("attribute_types", table_kwargs=NO_REUSE) as batch:
        batch.add_column(sa.Column("namespace_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("tags", JSON, nullable=False, server_default=sa.text("'[]'")))
        batch.create_foreign_key(
            FOREIGN_KEY, "namespaces", ["namespace_id"], ["id"], ondelete="CASCADE"
        )
    op.execute(_types.update().values(namespace_id=_types.c.definition_id))
    _drop_stale_overrides(op.get_bind())


def _drop_stale_overrides(conn: sa.Connection) -> None:
    """Definitions whose name or unit equals their type's no longer list it as their own."""
    rows = conn.execute(
        sa.select(
            _definitions.c.id,
            _definitions.c.name,
            _definitions.c.unit,
            _definitions.c.overrides,
            _types.c.name.label("type_name"),
            _types.c.unit.label("type_unit"),
        ).join(_types, _types.c.id == _definitions.c.attribute_type_id)
    ).all()
    for row in rows:
        overrides: list[Any] = list(row.overrides or [])
        same = {"name": row.name == row.type_name, "unit": row.unit == row.type_unit}
        kept = [f for f in overrides if not (f in PROPAGATED and same[f])]
        if kept != overrides:
            conn.execute(
                _definitions.update().where(_definitions.c.id == row.id).values(overrides=kept)
            )


def downgrade() -> None:
    with op.batch_alter_table("attribute_types", table_kwargs=NO_REUSE) as batch:
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("tags")
        batch.drop_column("namespace_id")
