"""The coordinators' web console: a small core and one sub-package per feature.

The core (this folder's modules) holds what every feature shares: ``blueprint`` (the ``guard()`` that states a
feature's access rule and protects its pages, sessions, CSRF, the database session of a request), ``texts``
(every word in French and English, in the account's language, from words/'s catalogues), ``describe`` and ``overview`` (hours, statuses and
chains in words), ``audit`` (the audit log), ``spreadsheet`` (the one CSV writer), and the layout (templates/console/base.html, static/). The
`helpline accounts` commands live in commands/ (accounts.py, accounts_phone.py).

Each feature package (accounts, lines, schedules, history, roster, me, live, reports, operations,
associations) has its own ``blueprint`` module, with its URL rules and its access rule, its views, forms and templates/ folder; the
application factory (app.py) registers the blueprints. What must not live here: routes attached by importing
a module, a feature's views in the core, and imports from a feature package into the core (the guard checks
sessions through store/console_sessions.py, not the accounts package). Feature packages may use each other's words and
forms, never each other's views.
"""
