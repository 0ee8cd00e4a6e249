"""report indexes: conversation and hand-off steps, queued callers read one by one, first-time callers from the index

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 23:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# The kinds store/report_conversation.py counts and the hand-offs that pick a centre's calls (as
# store.models.calls.REPORT_STEP_KINDS on this date).
KINDS = ("conv_bridged", "conv_hold", "conv_binome_joined", "conv_binome_paired", "conv_supervisor", "desk_help_asked",
         "desk_difficult",
         "desk_debrief_done", "transfer_started", "transfer_answered", "transfer_completed", "transfer_returned",
         "transfer_caller_gone", "handoff")
WHERE = "kind IN (" + ", ".join(f"'{kind}'" for kind in KINDS) + ")"
# As store.models.reports.UNUSUAL_QUEUED_CALLER: joins on two lines or at two instants, or events before the join.
UNUSUAL = "joined_line_min <> joined_line_max OR joined_last_at <> joined_at OR first_event_at < joined_at"


def upgrade() -> None:
    # A yearly report's conversation figures read four times through every call step (2.2 million on the 1 M-call
    # history: 80–150 ms each with two parallel workers, each scan on all cores), and a centre's report once more
    # for its hand-offs; partial, so the decision, queue and forward steps every incoming call writes do not pay.
    op.create_index('ix_call_event_report_kind', 'call_event', ['kind', 'call_id', 'id'],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))
    # A report reads the events of the queued callers it cannot take summed up (store/report_queue_callers.py);
    # finding them read every summed-up caller of every line (a parallel scan of 300,000 rows on the 1 M-call
    # history). One join on one line with nothing before it is always inside a period or outside it: only the
    # others can be, and this index holds only them (none of the generated history's 300,000).
    op.create_index('ix_report_queue_caller_unusual', 'report_queue_caller', ['joined_line_min', 'joined_at'],
                    postgresql_where=sa.text(UNUSUAL), sqlite_where=sa.text(UNUSUAL))
    # First-time callers: a count over the line's first calls of the period, which read every row of the table
    # (365,000 of France Victimes' year: 175 ms at load 5); with first_shown_at in the index, from it alone.
    op.drop_index('ix_report_caller_first_line_id_first_at', table_name='report_caller_first')
    op.create_index('ix_report_caller_first_line_id_first_at_shown', 'report_caller_first',
                    ['line_id', 'first_at', 'first_shown_at'])


def downgrade() -> None:
    op.drop_index('ix_report_caller_first_line_id_first_at_shown', table_name='report_caller_first')
    op.create_index('ix_report_caller_first_line_id_first_at', 'report_caller_first', ['line_id', 'first_at'])
    op.drop_index('ix_report_queue_caller_unusual', table_name='report_queue_caller')
    op.drop_index('ix_call_event_report_kind', table_name='call_event')
