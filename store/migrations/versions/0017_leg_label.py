"""conference leg label: room for the words a participant was added with (a transfer's target, article included)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 21:05:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conference_leg') as batch:
        batch.alter_column('label', existing_type=sa.String(length=32), type_=sa.String(length=200),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('conference_leg') as batch:
        batch.alter_column('label', existing_type=sa.String(length=200), type_=sa.String(length=32),
                           existing_nullable=False)
