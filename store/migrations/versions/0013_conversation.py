"""conversation: every answered call is a Twilio conference, with its participant registry (issue 14)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 19:50:00
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conversation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('conference_sid', sa.String(length=64), nullable=True),
        sa.Column('queued_caller_id', sa.Integer(), nullable=True),
        sa.Column('call_id', sa.Integer(), nullable=True),
        sa.Column('line_id', sa.Integer(), nullable=True),
        sa.Column('offer_id', sa.Integer(), nullable=True),
        sa.Column('listener_id', sa.Integer(), nullable=True),
        sa.Column('pool', sa.String(length=64), nullable=False),
        sa.Column('caller_sid', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('started_at', store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('ended_by', sa.String(length=16), nullable=True),
        sa.Column('held_since', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('held_by', sa.String(length=16), nullable=True),
        sa.Column('hold_seconds', sa.Integer(), nullable=False),
        sa.Column('in_menu', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_conversation_call_id_call'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['line_id'], ['line.id'], name=op.f('fk_conversation_line_id_line'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['listener_id'], ['listener.id'], name=op.f('fk_conversation_listener_id_listener'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_conversation_offer_id_offer'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['queued_caller_id'], ['queued_caller.id'],
                                name=op.f('fk_conversation_queued_caller_id_queued_caller'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation')),
        sa.UniqueConstraint('name', name=op.f('uq_conversation_name')),
    )
    for column in ('queued_caller_id', 'call_id', 'line_id', 'offer_id', 'listener_id', 'caller_sid', 'status'):
        op.create_index(op.f(f'ix_conversation_{column}'), 'conversation', [column], unique=False)
    op.create_table(
        'conference_leg',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('conference', sa.String(length=64), nullable=False),
        sa.Column('queued_caller_id', sa.Integer(), nullable=True),
        sa.Column('call_sid', sa.String(length=64), nullable=True),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('listener_id', sa.Integer(), nullable=True),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=32), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=True),
        sa.Column('muted', sa.Boolean(), nullable=False),
        sa.Column('on_hold', sa.Boolean(), nullable=False),
        sa.Column('coaching', sa.Boolean(), nullable=False),
        sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('joined_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('left_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['console_account.id'],
                                name=op.f('fk_conference_leg_account_id_console_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'],
                                name=op.f('fk_conference_leg_conversation_id_conversation'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['listener_id'], ['listener.id'], name=op.f('fk_conference_leg_listener_id_listener'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['queued_caller_id'], ['queued_caller.id'],
                                name=op.f('fk_conference_leg_queued_caller_id_queued_caller'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conference_leg')),
    )
    for column in ('conversation_id', 'conference', 'call_sid', 'listener_id'):
        op.create_index(op.f(f'ix_conference_leg_{column}'), 'conference_leg', [column], unique=False)


def downgrade() -> None:
    op.drop_table('conference_leg')
    op.drop_table('conversation')
