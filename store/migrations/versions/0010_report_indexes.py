"""report indexes and cache

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 16:45:00
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reports count a line's calls over a period, look for a keyed number's earlier call on the line, and read
    # the queue history of the callers who joined a line's queues in a period (store/reports.py).
    op.create_index('ix_call_line_id_started_at', 'call', ['line_id', 'started_at'])
    op.create_index('ix_call_line_id_caller_hash_started_at', 'call', ['line_id', 'caller_hash', 'started_at'])
    op.create_index('ix_queue_event_line_id_kind_at', 'queue_event', ['line_id', 'kind', 'at'])
    op.create_index('ix_queue_event_queued_caller_id_at', 'queue_event', ['queued_caller_id', 'at'])
    op.create_index('ix_call_event_forward_call_id', 'call_event', ['call_id', 'id'],
                    postgresql_where=sa.text("kind = 'forward'"), sqlite_where=sa.text("kind = 'forward'"))
    # Computed reports shared by every console worker for a minute (store/report_cache.py).
    op.create_table(
        'report_cache',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('computed_at', store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_report_cache')),
    )
    op.create_index(op.f('ix_report_cache_computed_at'), 'report_cache', ['computed_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_report_cache_computed_at'), table_name='report_cache')
    op.drop_table('report_cache')
    op.drop_index('ix_call_event_forward_call_id', table_name='call_event')
    op.drop_index('ix_queue_event_queued_caller_id_at', table_name='queue_event')
    op.drop_index('ix_queue_event_line_id_kind_at', table_name='queue_event')
    op.drop_index('ix_call_line_id_caller_hash_started_at', table_name='call')
    op.drop_index('ix_call_line_id_started_at', table_name='call')
