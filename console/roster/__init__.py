"""The roster: listeners, the pools they answer, their shifts and PINs, for the coordinators of their lines.

Here: the roster pages (views.py), their forms and checks (forms.py), the roster's words for statuses, shifts,
languages and rates (words.py, also used by the live board and a listener's page), templates and URL rules
(blueprint.py: admins and coordinators). Not here: a listener's own page (console/me/), the live board
(console/live/), listener rows and their changes (store/roster.py, store/listeners.py).
"""
