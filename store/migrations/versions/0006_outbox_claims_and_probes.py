"""Faults: outbox claims (a lease instead of a lock held across the network), the status
message's claim, and when a failing address is next tried.

Revision ID: 7a0e5c1d0008
Revises: e5d8a0c3b1f4
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7a0e5c1d0008'
down_revision: str | None = 'e5d8a0c3b1f4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('contact_email') as batch:
        batch.add_column(sa.Column('probe_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('slack_status_message') as batch:
        batch.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('slack_status_message') as batch:
        batch.drop_column('claimed_until')
    with op.batch_alter_table('contact_email') as batch:
        batch.drop_column('probe_at')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('claimed_at')
