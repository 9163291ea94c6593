"""Record which workbench last upgraded the store; index the foreign keys that deletes follow.

Revision 0002, after 0001.

- ``store_info`` holds one row: the workbench version that last upgraded the store, the revision
  it reached and when (written by ``workbench.store.migrate.upgrade``).
- Indexes on ``objects.owner_attribute_id``, ``links.attribute_id``,
  ``virtual_series.relative_to_id`` and ``sources.user_id``. Deleting an attribute definition, an
  object or a user makes the database look for the rows that refer to it (to delete them or to
  clear the reference); neither PostgreSQL nor SQLite indexes a foreign key by itself, so without
  these every such delete scans the whole referring table, once per deleted row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: (index, table, column): the referring columns indexed by this revision.
INDEXES = (
    ("ix_objects_owner_attribute_id", "objects", "owner_attribute_id"),
    ("ix_links_attribute_id", "links", "attribute_id"),
    ("ix_virtual_series_relative_to_id", "virtual_series", "relative_to_id"),
    ("ix_sources_user_id", "sources", "user_id"),
)


def upgrade() -> None:
    op.create_table(
        "store_info",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workbench_version", sa.String(40), nullable=False),
        sa.Column("revision", sa.String(32), nullable=False),
        sa.Column("upgraded_at", sa.DateTime(timezone=True), nullable=False),
    )
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("store_info")
