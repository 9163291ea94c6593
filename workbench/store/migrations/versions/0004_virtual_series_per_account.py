"""Virtual-series names are unique per account, not across the whole store.

Revision 0004, after 0003.

- The unique constraint on ``virtual_series (catalog_path, name)`` is dropped: with it, creating
  a virtual series told a tenant that another tenant's series of that name existed, and let one
  tenant take names from all the others.
- ``uq_virtual_series_account_path_name``, a unique index on ``(catalog_path, name,
  account_id)``: a name is unique in its folder within one account (the folder leads, so that
  reading a catalog folder still uses an index).
- ``uq_virtual_series_public_path_name``, a partial unique index on ``(catalog_path, name)``
  where ``account_id`` is NULL: public series stay unique among themselves (both databases treat
  NULLs as distinct, so the first index does not cover them).

The rule that an account's series does not take a public series' name (so that members never
meet two at one path) is the library's, as for models. Downgrading brings the store-wide
constraint back; it fails if two accounts now hold the same name in the same folder.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "virtual_series"
#: The name PostgreSQL gave the constraint of revision 0001; SQLite left it unnamed, and the
#: naming convention below gives it the same name while the table is copied.
OLD = "virtual_series_catalog_path_name_key"
NAMING = {"uq": "%(table_name)s_%(column_0_N_name)s_key"}
ACCOUNT_INDEX = "uq_virtual_series_account_path_name"
PUBLIC_INDEX = "uq_virtual_series_public_path_name"
PUBLIC = sa.text("account_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table(TABLE, naming_convention=NAMING) as batch:
        batch.drop_constraint(OLD, type_="unique")
    op.create_index(ACCOUNT_INDEX, TABLE, ["catalog_path", "name", "account_id"], unique=True)
    op.create_index(
        PUBLIC_INDEX,
        TABLE,
        ["catalog_path", "name"],
        unique=True,
        postgresql_where=PUBLIC,
        sqlite_where=PUBLIC,
    )


def downgrade() -> None:
    op.drop_index(PUBLIC_INDEX, table_name=TABLE)
    op.drop_index(ACCOUNT_INDEX, table_name=TABLE)
    with op.batch_alter_table(TABLE, naming_convention=NAMING) as batch:
        batch.create_unique_constraint(OLD, ["catalog_path", "name"])
