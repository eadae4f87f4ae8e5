"""Another body's presidency: a bureau of any size reviewing drafts instead of the Troika.

Revision ID: 5ca1e0e90007
Revises: 4b7e2a9c0d17
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5ca1e0e90007"
down_revision: str | None = "4b7e2a9c0d17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("presidency") as batch:
        batch.add_column(sa.Column("bureau", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("presidency") as batch:
        batch.drop_column("bureau")
