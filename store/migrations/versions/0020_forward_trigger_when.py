"""report_call_forward's trigger runs only for a forward's steps (issue 17: PostgreSQL's work per call step)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 06:00:00

Every call writes four to six steps (incoming, decision, the chain's rules…) and only a forward's step changes
report_call_forward. The one trigger of 0012 called its plpgsql function for every step, to find it had nothing to
do; a trigger per operation with a WHEN condition lets PostgreSQL skip the function, and the after-trigger queue,
for the others. The function is unchanged. SQLite's triggers (0012) already had their WHEN conditions.
"""

from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

SPLIT = (("report_call_forward_insert", "INSERT", "NEW.kind = 'forward'"),
         ("report_call_forward_update", "UPDATE", "OLD.kind = 'forward' OR NEW.kind = 'forward'"),
         ("report_call_forward_delete", "DELETE", "OLD.kind = 'forward'"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER report_call_forward_keep ON call_event")
    for name, operation, condition in SPLIT:
        op.execute(f"CREATE TRIGGER {name} AFTER {operation} ON call_event FOR EACH ROW WHEN ({condition}) "
                   "EXECUTE FUNCTION report_call_forward_keep()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _operation, _condition in SPLIT:
        op.execute(f"DROP TRIGGER {name} ON call_event")
    op.execute("CREATE TRIGGER report_call_forward_keep AFTER INSERT OR UPDATE OR DELETE ON call_event "
               "FOR EACH ROW EXECUTE FUNCTION report_call_forward_keep()")
