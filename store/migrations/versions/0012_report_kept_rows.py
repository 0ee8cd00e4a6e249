"""reports' kept rows (calls per hour, forwards, first calls, queued callers), kept by triggers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 18:00:00
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COLUMNS = "line_id, hour, outcome, closed_reason, calls, withheld, not_kept"
# One call's contribution, for OLD or NEW: what store/report_traffic.py counts per UTC hour.
WITHHELD = "CASE WHEN {row}.caller_withheld IS TRUE THEN 1 ELSE 0 END"
NOT_KEPT = "CASE WHEN {row}.caller_withheld IS FALSE AND {row}.caller_hash IS NULL THEN 1 ELSE 0 END"
HOUR = {"postgresql": "floor(extract(epoch FROM {row}.started_at) / 3600)::bigint",
        "sqlite": "CAST(strftime('%s', {row}.started_at) AS INTEGER) / 3600"}
CHANGED = "line_id, started_at, outcome, closed_reason, caller_withheld, caller_hash"


def _parts(dialect: str, row: str) -> dict[str, str]:
    return {"hour": HOUR[dialect].format(row=row), "withheld": WITHHELD.format(row=row),
            "not_kept": NOT_KEPT.format(row=row), "row": row}


def _remove(dialect: str) -> str:
    return ("UPDATE report_hour SET calls = calls - 1, withheld = withheld - {withheld}, "
            "not_kept = not_kept - {not_kept} WHERE line_id = {row}.line_id AND hour = {hour} "
            "AND outcome = coalesce({row}.outcome, '') AND closed_reason = coalesce({row}.closed_reason, '');"
            ).format(**_parts(dialect, "OLD"))


def _add(dialect: str) -> str:
    # INSERT … SELECT … WHERE: SQLite needs the WHERE to tell its upsert clause from a join's ON.
    return (f"INSERT INTO report_hour ({COLUMNS}) SELECT NEW.line_id, {{hour}}, coalesce(NEW.outcome, ''), "
            "coalesce(NEW.closed_reason, ''), 1, {withheld}, {not_kept} WHERE NEW.line_id IS NOT NULL "
            "ON CONFLICT (line_id, hour, outcome, closed_reason) DO UPDATE SET calls = report_hour.calls + 1, "
            "withheld = report_hour.withheld + excluded.withheld, "
            "not_kept = report_hour.not_kept + excluded.not_kept;").format(**_parts(dialect, "NEW"))


# What store/report_queue.py reads of one queued caller's events (the rules of routing.metrics.caller_records).
JOINED = "('joined')"
OUTCOMES = "('bridged', 'abandoned', 'left_key', 'left_max_wait', 'moved_on', 'left')"
QUEUE_COLUMNS = ("queued_caller_id, first_event_at, joined_at, joined_last_at, joined_line_min, joined_line_max, "
                 "joins, pool, outcomes, outcome, outcome_wait, outcome_at, talks, talk_total, offers, missed")


def _first(column: str, kinds: str) -> str:
    return (f"(SELECT f.{column} FROM queue_event f WHERE f.queued_caller_id = e.queued_caller_id "
            f"AND f.kind IN {kinds} ORDER BY f.at, f.id LIMIT 1)")


def _summed(where: str) -> str:
    joined, outcome = "e.kind = 'joined'", f"e.kind IN {OUTCOMES}"
    talk = "e.kind = 'talk' AND e.wait_seconds IS NOT NULL"
    return (f"INSERT INTO report_queue_caller ({QUEUE_COLUMNS}) SELECT e.queued_caller_id, min(e.at), "
            f"min(CASE WHEN {joined} THEN e.at END), max(CASE WHEN {joined} THEN e.at END), "
            f"min(CASE WHEN {joined} THEN e.line_id END), max(CASE WHEN {joined} THEN e.line_id END), "
            f"sum(CASE WHEN {joined} THEN 1 ELSE 0 END), {_first('pool', JOINED)}, "
            f"sum(CASE WHEN {outcome} THEN 1 ELSE 0 END), {_first('kind', OUTCOMES)}, "
            f"{_first('wait_seconds', OUTCOMES)}, min(CASE WHEN {outcome} THEN e.at END), "
            f"sum(CASE WHEN {talk} THEN 1 ELSE 0 END), sum(CASE WHEN {talk} THEN e.wait_seconds ELSE 0 END), "
            "sum(CASE WHEN e.kind = 'offered' THEN 1 ELSE 0 END), sum(CASE WHEN e.kind = 'missed' THEN 1 ELSE 0 END) "
            f"FROM queue_event e WHERE {where} GROUP BY e.queued_caller_id;")


def _resum(row: str) -> str:
    return (f"DELETE FROM report_queue_caller WHERE queued_caller_id = {row}.queued_caller_id; "
            + _summed(f"e.queued_caller_id = {row}.queued_caller_id"))


def _forward(row: str) -> str:
    """A call's row of report_call_forward made again: present while its outcome is "forwarded"."""
    return (f"DELETE FROM report_call_forward WHERE call_id = {row}; "
            "INSERT INTO report_call_forward (call_id, line_id, started_at, detail) SELECT c.id, c.line_id, "
            "c.started_at, (SELECT s.detail FROM call_event s WHERE s.call_id = c.id AND s.kind = 'forward' "
            f"ORDER BY s.id DESC LIMIT 1) FROM call c WHERE c.id = {row} AND c.outcome = 'forwarded';")


def _first_call(row: str) -> str:
    """A keyed number's row of report_caller_first made again from its calls on the line (index on both)."""
    return (f"DELETE FROM report_caller_first WHERE line_id = {row}.line_id AND caller_hash = {row}.caller_hash; "
            "INSERT INTO report_caller_first (line_id, caller_hash, first_at, first_shown_at) SELECT c.line_id, "
            "c.caller_hash, min(c.started_at), min(CASE WHEN c.caller_withheld IS FALSE THEN c.started_at END) "
            f"FROM call c WHERE c.line_id = {row}.line_id AND c.caller_hash = {row}.caller_hash "
            "GROUP BY c.line_id, c.caller_hash;")


def fill_kept_rows(dialect: str) -> list[str]:
    """The statements that fill the kept rows from the calls and events already there (into empty tables):
    the migration runs them once; benchmarks/history.py after a bulk load made with the triggers off."""
    parts = _parts(dialect, "call")
    return [
        _summed("e.queued_caller_id IS NOT NULL"),
        "INSERT INTO report_call_forward (call_id, line_id, started_at, detail) SELECT c.id, c.line_id, "
        "c.started_at, s.detail FROM call c LEFT JOIN (SELECT call_id, max(id) AS id FROM call_event "
        "WHERE kind = 'forward' GROUP BY call_id) final_step ON final_step.call_id = c.id "
        "LEFT JOIN call_event s ON s.id = final_step.id WHERE c.outcome = 'forwarded'",
        "INSERT INTO report_caller_first (line_id, caller_hash, first_at, first_shown_at) SELECT line_id, "
        "caller_hash, min(started_at), min(CASE WHEN caller_withheld IS FALSE THEN started_at END) FROM call "
        "WHERE line_id IS NOT NULL AND caller_hash IS NOT NULL GROUP BY line_id, caller_hash",
        f"INSERT INTO report_hour ({COLUMNS}) SELECT line_id, {parts['hour']}, coalesce(outcome, ''), "
        f"coalesce(closed_reason, ''), count(*), sum({parts['withheld']}), sum({parts['not_kept']}) "
        "FROM call WHERE line_id IS NOT NULL GROUP BY 1, 2, 3, 4",
    ]


def upgrade() -> None:
    # A yearly report over half a million calls added them up one by one (seconds); per line and UTC hour it
    # adds up ~9,000 rows. Triggers keep the totals exact in the very transaction that writes, moves, finishes
    # or deletes a call, whichever code path does it (webhooks, retention, privacy, imports, COPY).
    op.create_table(
        'report_hour',
        sa.Column('line_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('hour', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('outcome', sa.String(length=64), nullable=False),
        sa.Column('closed_reason', sa.String(length=32), nullable=False),
        sa.Column('calls', sa.BigInteger(), nullable=False),
        sa.Column('withheld', sa.BigInteger(), nullable=False),
        sa.Column('not_kept', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('line_id', 'hour', 'outcome', 'closed_reason', name=op.f('pk_report_hour')),
    )
    op.create_table(
        'report_queue_caller',
        sa.Column('queued_caller_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('first_event_at', store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('joined_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('joined_last_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('joined_line_min', sa.Integer(), nullable=True),
        sa.Column('joined_line_max', sa.Integer(), nullable=True),
        sa.Column('joins', sa.Integer(), nullable=False),
        sa.Column('pool', sa.String(length=64), nullable=True),
        sa.Column('outcomes', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=24), nullable=True),
        sa.Column('outcome_wait', sa.Integer(), nullable=True),
        sa.Column('outcome_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('talks', sa.Integer(), nullable=False),
        sa.Column('talk_total', sa.Integer(), nullable=False),
        sa.Column('offers', sa.Integer(), nullable=False),
        sa.Column('missed', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('queued_caller_id', name=op.f('pk_report_queue_caller')),
    )
    # A report finds the callers who joined a line's queues in a period by their joins.
    op.create_index('ix_report_queue_caller_joined', 'report_queue_caller',
                    ['joined_line_min', 'joined_at', 'joined_last_at'])
    op.create_table(
        'report_call_forward',
        sa.Column('call_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('line_id', sa.Integer(), nullable=True),
        sa.Column('started_at', store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('call_id', name=op.f('pk_report_call_forward')),
    )
    op.create_index('ix_report_call_forward_line_id_started_at', 'report_call_forward', ['line_id', 'started_at'])
    op.create_table(
        'report_caller_first',
        sa.Column('line_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('caller_hash', sa.String(length=64), nullable=False),
        sa.Column('first_at', store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('first_shown_at', store.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('line_id', 'caller_hash', name=op.f('pk_report_caller_first')),
    )
    op.create_index('ix_report_caller_first_line_id_first_at', 'report_caller_first', ['line_id', 'first_at'])
    dialect = op.get_bind().dialect.name
    for statement in fill_kept_rows(dialect):
        op.execute(statement)
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in CHANGED.split(", "))
    if dialect == "postgresql":
        op.execute(f"""CREATE FUNCTION report_hour_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.line_id IS NOT NULL THEN
    {_remove(dialect)}
  END IF;
  IF TG_OP <> 'DELETE' THEN
    {_add(dialect)}
  END IF;
  RETURN NULL;
END $$""")
        op.execute("CREATE TRIGGER report_hour_insert_delete AFTER INSERT OR DELETE ON call "
                   "FOR EACH ROW EXECUTE FUNCTION report_hour_keep()")
        op.execute(f"CREATE TRIGGER report_hour_update AFTER UPDATE OF {CHANGED} ON call "
                   f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION report_hour_keep()")
        op.execute(f"""CREATE FUNCTION report_queue_caller_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    {_resum("OLD")}
  END IF;
  IF TG_OP <> 'DELETE' THEN
    {_resum("NEW")}
  END IF;
  RETURN NULL;
END $$""")
        op.execute("CREATE TRIGGER report_queue_caller_keep AFTER INSERT OR UPDATE OR DELETE ON queue_event "
                   "FOR EACH ROW EXECUTE FUNCTION report_queue_caller_keep()")
        # On a new call (every incoming webhook) only what it can change: its number's first call is at most
        # moved earlier (an upsert, no reading of the number's history); an outcome arriving redoes the forward.
        op.execute(f"""CREATE FUNCTION report_call_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.outcome = 'forwarded' THEN
      {_forward("NEW.id")}
    END IF;
    IF NEW.line_id IS NOT NULL AND NEW.caller_hash IS NOT NULL THEN
      INSERT INTO report_caller_first AS f (line_id, caller_hash, first_at, first_shown_at)
      VALUES (NEW.line_id, NEW.caller_hash, NEW.started_at,
              CASE WHEN NEW.caller_withheld IS FALSE THEN NEW.started_at END)
      ON CONFLICT (line_id, caller_hash) DO UPDATE SET first_at = least(f.first_at, excluded.first_at),
        first_shown_at = least(f.first_shown_at, excluded.first_shown_at);
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' OR OLD.outcome IS DISTINCT FROM NEW.outcome OR OLD.line_id IS DISTINCT FROM NEW.line_id
     OR OLD.started_at IS DISTINCT FROM NEW.started_at THEN
    {_forward("OLD.id")}
  END IF;
  IF TG_OP = 'DELETE' OR OLD.line_id IS DISTINCT FROM NEW.line_id OR OLD.caller_hash IS DISTINCT FROM NEW.caller_hash
     OR OLD.started_at IS DISTINCT FROM NEW.started_at OR OLD.caller_withheld IS DISTINCT FROM NEW.caller_withheld THEN
    {_first_call("OLD")}
    IF TG_OP = 'UPDATE' THEN
      {_first_call("NEW")}
    END IF;
  END IF;
  RETURN NULL;
END $$""")
        op.execute("CREATE TRIGGER report_call_keep_insert_delete AFTER INSERT OR DELETE ON call "
                   "FOR EACH ROW EXECUTE FUNCTION report_call_keep()")
        op.execute(f"CREATE TRIGGER report_call_keep_update AFTER UPDATE OF {CHANGED} ON call "
                   f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION report_call_keep()")
        op.execute(f"""CREATE FUNCTION report_call_forward_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.kind = 'forward' THEN
    {_forward("OLD.call_id")}
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.kind = 'forward' THEN
    {_forward("NEW.call_id")}
  END IF;
  RETURN NULL;
END $$""")
        op.execute("CREATE TRIGGER report_call_forward_keep AFTER INSERT OR UPDATE OR DELETE ON call_event "
                   "FOR EACH ROW EXECUTE FUNCTION report_call_forward_keep()")
    else:
        changed = changed.replace("IS DISTINCT FROM", "IS NOT")
        op.execute(f"CREATE TRIGGER report_hour_insert AFTER INSERT ON call BEGIN {_add(dialect)} END")
        op.execute(f"CREATE TRIGGER report_hour_delete AFTER DELETE ON call BEGIN {_remove(dialect)} END")
        op.execute(f"CREATE TRIGGER report_hour_update AFTER UPDATE OF {CHANGED} ON call WHEN {changed} "
                   f"BEGIN {_remove(dialect)} {_add(dialect)} END")
        op.execute(f"CREATE TRIGGER report_queue_caller_insert AFTER INSERT ON queue_event BEGIN {_resum('NEW')} END")
        op.execute(f"CREATE TRIGGER report_queue_caller_delete AFTER DELETE ON queue_event BEGIN {_resum('OLD')} END")
        op.execute("CREATE TRIGGER report_queue_caller_update AFTER UPDATE ON queue_event "
                   f"BEGIN {_resum('OLD')} {_resum('NEW')} END")
        op.execute("CREATE TRIGGER report_call_insert AFTER INSERT ON call "
                   f"BEGIN {_forward('NEW.id')} {_first_call('NEW')} END")
        op.execute("CREATE TRIGGER report_call_delete AFTER DELETE ON call "
                   f"BEGIN {_forward('OLD.id')} {_first_call('OLD')} END")
        op.execute(f"CREATE TRIGGER report_call_update AFTER UPDATE OF {CHANGED} ON call WHEN {changed} "
                   f"BEGIN {_forward('OLD.id')} {_first_call('OLD')} {_forward('NEW.id')} {_first_call('NEW')} END")
        op.execute("CREATE TRIGGER report_call_event_insert AFTER INSERT ON call_event WHEN NEW.kind = 'forward' "
                   f"BEGIN {_forward('NEW.call_id')} END")
        op.execute("CREATE TRIGGER report_call_event_delete AFTER DELETE ON call_event WHEN OLD.kind = 'forward' "
                   f"BEGIN {_forward('OLD.call_id')} END")
        op.execute("CREATE TRIGGER report_call_event_update AFTER UPDATE ON call_event "
                   "WHEN OLD.kind = 'forward' OR NEW.kind = 'forward' "
                   f"BEGIN {_forward('OLD.call_id')} {_forward('NEW.call_id')} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_call_forward_keep ON call_event")
        op.execute("DROP FUNCTION report_call_forward_keep()")
        op.execute("DROP TRIGGER report_call_keep_update ON call")
        op.execute("DROP TRIGGER report_call_keep_insert_delete ON call")
        op.execute("DROP FUNCTION report_call_keep()")
        op.execute("DROP TRIGGER report_queue_caller_keep ON queue_event")
        op.execute("DROP FUNCTION report_queue_caller_keep()")
        op.execute("DROP TRIGGER report_hour_update ON call")
        op.execute("DROP TRIGGER report_hour_insert_delete ON call")
        op.execute("DROP FUNCTION report_hour_keep()")
    else:
        for name in ("report_hour_update", "report_hour_delete", "report_hour_insert", "report_queue_caller_insert",
                     "report_queue_caller_delete", "report_queue_caller_update", "report_call_insert",
                     "report_call_delete", "report_call_update", "report_call_event_insert",
                     "report_call_event_delete", "report_call_event_update"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_report_caller_first_line_id_first_at', table_name='report_caller_first')
    op.drop_table('report_caller_first')
    op.drop_index('ix_report_call_forward_line_id_started_at', table_name='report_call_forward')
    op.drop_table('report_call_forward')
    op.drop_index('ix_report_queue_caller_joined', table_name='report_queue_caller')
    op.drop_table('report_queue_caller')
    op.drop_table('report_hour')
