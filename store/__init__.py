"""Persistence: SQLAlchemy models, Alembic migrations, sessions, the directory snapshot, and the queries and
writes on calls, listeners, callbacks, accounts and the audit log.

May import directory_data/, routing/, schedules/ and phones/ (and Flask for the app's extensions). Must not import
ivr/, console/, jobs/, commands/ or app.py: no web endpoint and no command line lives here."""
