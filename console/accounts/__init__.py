"""Console accounts: who may sign in, as what role and scope, and the pages to sign in and out.

Here: the account records and their rules (records.py: passwords, scopes, lockouts; used by the guard and by
the phone line), the sign-in, sign-out and audit-log pages (views.py, URL rules in blueprint.py: sign-in is
public, the rest needs any account, the audit log an admin). Not here: the guard itself (console/blueprint.py),
the audit writer (store/audit.py), `helpline accounts` (commands/accounts.py),
other features' pages.
"""
