"""callback conversation: a safe callback, once answered, is a conference like a queue call (issue 14 §1, §3)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 23:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation') as batch:
        batch.add_column(sa.Column('callback_attempt_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_conversation_callback_attempt_id_callback_attempt'), 'callback_attempt',
                                 ['callback_attempt_id'], ['id'], ondelete='SET NULL')
        batch.create_index(op.f('ix_conversation_callback_attempt_id'), ['callback_attempt_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('conversation') as batch:
        batch.drop_index(op.f('ix_conversation_callback_attempt_id'))
        batch.drop_constraint(op.f('fk_conversation_callback_attempt_id_callback_attempt'), type_='foreignkey')
        batch.drop_column('callback_attempt_id')
