"""Data sources are unique per account, not across the whole store.

Revision 0006, after 0005.

- The unique constraint on ``sources (name, type, model, version)`` is dropped: with it, a
  tenant asking for a source by that identity was handed another tenant's (its user and account
  included), attributed its beliefs to it, and could not make one of its own.
- ``uq_sources_account_identity``, a unique index on ``(name, type, model, version,
  account_id)``: a source of an account is unique within that account.
- ``uq_sources_public_identity``, a partial unique index on ``(name, type, model, version)``
  where ``account_id`` is NULL: public sources (a meter, a forecasting model) stay unique among
  themselves and shared by everyone (both databases treat NULLs as distinct, so the first index
  does not cover them).

Sources and the beliefs attributed to them are kept as they are. Downgrading brings the
store-wide constraint back; it fails if two accounts (or an account and the public sources) now
hold the same identity.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "sources"
IDENTITY = ["name", "type", "model", "version"]
#: The name PostgreSQL gave the constraint of revision 0001; SQLite left it unnamed, and the
#: naming convention below gives it the same name while the table is copied.
OLD = "sources_name_type_model_version_key"
NAMING = {"uq": "%(table_name)s_%(column_0_N_name)s_key"}
ACCOUNT_INDEX = "uq_sources_account_identity"
PUBLIC_INDEX = "uq_sources_public_identity"
PUBLIC = sa.text("account_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table(TABLE, naming_convention=NAMING) as batch:
        batch.drop_constraint(OLD, type_="unique")
    op.create_index(ACCOUNT_INDEX, TABLE, [*IDENTITY, "account_id"], unique=True)
    op.create_index(
        PUBLIC_INDEX, TABLE, IDENTITY, unique=True, postgresql_where=PUBLIC, sqlite_where=PUBLIC
    )


def downgrade() -> None:
    op.drop_index(PUBLIC_INDEX, table_name=TABLE)
    op.drop_index(ACCOUNT_INDEX, table_name=TABLE)
    with op.batch_alter_table(TABLE, naming_convention=NAMING) as batch:
        batch.create_unique_constraint(OLD, IDENTITY)
