"""transfer: a call in progress put through to a third party, warm or cold (issue 14 §2)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 20:10:00
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'transfer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=True),
        sa.Column('listener_id', sa.Integer(), nullable=True),
        sa.Column('leg_id', sa.Integer(), nullable=True),
        sa.Column('third_party_sid', sa.String(length=64), nullable=True),
        sa.Column('target_key', sa.String(length=80), nullable=False),
        sa.Column('target_kind', sa.String(length=16), nullable=False),
        sa.Column('label_fr', sa.String(length=200), nullable=False),
        sa.Column('label_en', sa.String(length=200), nullable=False),
        sa.Column('mode', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('started_at', store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('answered_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('ended_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('deadline_at', store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_transfer_call_id_call'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer')),
    )
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_third_party_sid'), ['third_party_sid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_third_party_sid'))
        batch_op.drop_index(batch_op.f('ix_transfer_status'))
        batch_op.drop_index(batch_op.f('ix_transfer_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_call_id'))
    op.drop_table('transfer')
