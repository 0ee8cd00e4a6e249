"""listener leg: a listener is never dialled while a leg of theirs may still be live

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 16:50:00
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('listener', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leg_sid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('leg_live_until', store.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('listener', schema=None) as batch_op:
        batch_op.drop_column('leg_live_until')
        batch_op.drop_column('leg_sid')
