"""directory changes: every version of a line's or centre's document, with author, time and reason

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 16:45:00
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Lines already in the database get their first version ("baseline") from the first change that touches them.
    op.create_table('directory_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target_slug', sa.String(length=64), nullable=False),
    sa.Column('at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=400), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_change'))
    )
    with op.batch_alter_table('directory_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_change_target_slug'), ['target_slug'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('directory_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_change_target_slug'))
    op.drop_table('directory_change')
