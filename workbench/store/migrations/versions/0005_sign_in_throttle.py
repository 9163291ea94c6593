"""Failed sign-ins are counted in the store, so that every process throttles them alike.

Revision 0005, after 0004.

- ``sign_in_throttle``: one row per user name or client address that failed to sign in
  recently: a SHA-256 digest of it (the key; the text itself is never stored), what it is
  (``user`` or ``address``), how many failures in a row, the last one's time, and when it was
  locked (NULL while it is not). Indexed on the last failure's time, by which old rows are
  forgotten. Row-level security closes it to the users' group: only the library reads it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "sign_in_throttle"
INDEX = "ix_sign_in_throttle_last_failure"
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", UTC_TIME, nullable=True),
        sa.Column("locked_at", UTC_TIME, nullable=True),
    )
    op.create_index(INDEX, TABLE, ["last_failure"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    op.drop_table(TABLE)
