"""A listener's own page: go available, pause or log off, their shifts and the calls they took today.

Here: the page and its status form (views.py), its template and URL rules (blueprint.py: listeners only; the
only console pages a listener's account opens, with sign-out). Not here: the roster coordinators edit
(console/roster/), offering a caller to a listener who became available (ivr/dispatcher.py).
"""
