"""cases relayed to centres: case_file, case_note, case_step (issue 14 §3)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 19:50:00
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target_slug', sa.String(length=64), nullable=False),
    sa.Column('department', sa.String(length=8), nullable=True),
    sa.Column('caller_role', sa.String(length=16), nullable=False),
    sa.Column('since', sa.String(length=16), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('people_encrypted', sa.Text(), nullable=False),
    sa.Column('summary_encrypted', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('consent_by', sa.String(length=254), nullable=True),
    sa.Column('consent_at', store.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('number_encrypted', sa.Text(), nullable=True),
    sa.Column('number_hash', sa.String(length=64), nullable=True),
    sa.Column('callback_window', sa.String(length=16), nullable=False),
    sa.Column('callback_request_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('relayed_at', store.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('relayed_by', sa.String(length=254), nullable=False),
    sa.Column('relayed_by_account_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', store.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_callback_at', store.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', store.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_case_file_call_id_call'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['callback_request_id'], ['callback_request.id'], name=op.f('fk_case_file_callback_request_id_callback_request'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['line_id'], ['line.id'], name=op.f('fk_case_file_line_id_line'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['relayed_by_account_id'], ['console_account.id'], name=op.f('fk_case_file_relayed_by_account_id_console_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_file'))
    )
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_file_call_id'), ['call_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_case_file_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_number_hash'), ['number_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_relayed_at'), ['relayed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_status'), ['status'], unique=False)
        batch_op.create_index('ix_case_file_target_kind_target_slug', ['target_kind', 'target_slug'], unique=False)

    op.create_table('case_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', store.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('text_encrypted', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_case_note_case_id_case_file'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_note'))
    )
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_case_id'), ['case_id'], unique=False)

    op.create_table('case_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', store.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('by', sa.String(length=254), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_case_step_case_id_case_file'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_step'))
    )
    with op.batch_alter_table('case_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_step_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('case_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_step_case_id'))

    op.drop_table('case_step')
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_note_case_id'))

    op.drop_table('case_note')
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index('ix_case_file_target_kind_target_slug')
        batch_op.drop_index(batch_op.f('ix_case_file_status'))
        batch_op.drop_index(batch_op.f('ix_case_file_relayed_at'))
        batch_op.drop_index(batch_op.f('ix_case_file_number_hash'))
        batch_op.drop_index(batch_op.f('ix_case_file_line_id'))
        batch_op.drop_index(batch_op.f('ix_case_file_call_id'))

    op.drop_table('case_file')
