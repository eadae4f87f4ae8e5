"""Inbound mail: the size on the server, and whether only the header was kept (over the limit).

Revision ID: 3c5e9a1b7d20
Revises: 96af34a98e8a
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3c5e9a1b7d20'
down_revision: str | None = '96af34a98e8a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('size', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('header_only', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_column('header_only')
        batch_op.drop_column('size')
