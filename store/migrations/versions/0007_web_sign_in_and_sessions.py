"""The web console: sign-in link requests (rate limits, single use) and sessions.

Revision ID: 7a0e5c1d0009
Revises: 7a0e5c1d0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '7a0e5c1d0009'
down_revision: str | None = '7a0e5c1d0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_sign_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nonce')
    )
    with op.batch_alter_table('web_sign_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sign_in_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sign_in_client'), ['client'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sign_in_requested_at'), ['requested_at'], unique=False)
    op.create_table('web_session',
    sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('csrf', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id_hash')
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_contact_id'), ['contact_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_contact_id'))
    op.drop_table('web_session')
    with op.batch_alter_table('web_sign_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sign_in_requested_at'))
        batch_op.drop_index(batch_op.f('ix_web_sign_in_client'))
        batch_op.drop_index(batch_op.f('ix_web_sign_in_address'))
    op.drop_table('web_sign_in')
