"""service health: Twilio's REST API failing, and since when, for the live board's banner

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 19:50:00
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'service_health',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('failing_since', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_failure_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_success_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('detail', sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_service_health')),
    )


def downgrade() -> None:
    op.drop_table('service_health')
