"""queue events by pool and kind: a pool's last talks read from an index, not backwards through every pool's events

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:00:00
"""

from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every call to an open line with a queue asks its pool's state, with the pool's last 20 talks (store/listeners.py
    # POOL_STATE). Through the pool's index alone, or backwards through the primary key, PostgreSQL filtered every
    # event of the other pools and kinds on the way: 122 ms a call for France Victimes on the 1 M-call history (its
    # events older than the other pools'), the whole table for a pool without talks yet. This index answers it in a
    # few rows, and stands in for the pool's own (its first column). The talks' lengths are in it (PostgreSQL), so
    # that it is read alone: with the rows to fetch, the planner still guessed the primary key's walk cheaper (it
    # expects one event in nine to be this pool's talk, evenly spread) and took it.
    op.create_index('ix_queue_event_pool_kind_id', 'queue_event', ['pool', 'kind', 'id'],
                    postgresql_include=['wait_seconds'])
    op.drop_index('ix_queue_event_pool', table_name='queue_event')


def downgrade() -> None:
    op.create_index('ix_queue_event_pool', 'queue_event', ['pool'])
    op.drop_index('ix_queue_event_pool_kind_id', table_name='queue_event')
