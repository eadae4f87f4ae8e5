"""Notes verbales: the page image of a scanned attachment, kept with its inbound message.

Revision ID: 4b7e2a9c0d17
Revises: 7a0e5c1d0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4b7e2a9c0d17'
down_revision: str | None = '7a0e5c1d0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inbound_page_image',
        sa.Column('inbound_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(), nullable=False),
        sa.Column('png', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['inbound_id'], ['inbound_message.id']),
        sa.PrimaryKeyConstraint('inbound_id'),
    )


def downgrade() -> None:
    op.drop_table('inbound_page_image')
