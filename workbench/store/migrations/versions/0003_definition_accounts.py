"""Model definitions belong to an account, or are shared by the whole store.

Revision 0003, after 0002.

- ``namespaces.account_id`` (a foreign key to ``accounts``, indexed): the account that owns a model
  definition (the namespace with no parent). NULL means shared: readable by every user, changed by
  admins only. Nested namespaces keep NULL and follow their definition. Existing definitions
  become shared, which is what every user could read and admins could change before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEX = "ix_namespaces_account_id"
FOREIGN_KEY = "fk_namespaces_account_id_accounts"
# SQLite alters the table by copying it: the copy must keep AUTOINCREMENT (ids never reused).
NO_REUSE = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("namespaces", table_kwargs=NO_REUSE) as batch:
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            FOREIGN_KEY, "accounts", ["account_id"], ["id"], ondelete="RESTRICT"
        )
        batch.create_index(INDEX, ["account_id"])


def downgrade() -> None:
    with op.batch_alter_table("namespaces", table_kwargs=NO_REUSE) as batch:
        batch.drop_index(INDEX)
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("account_id")
