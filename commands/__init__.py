"""The `helpline` command line: every click command and group, each listed in app.py's COMMANDS and imported
when it runs (so that `helpline --help` imports none of them).

Commands may import any layer below the application factory (web helpers, jobs, store, pure cores); nothing
but `app.py` imports this package. The logic a command runs lives in its own layer, not here."""
