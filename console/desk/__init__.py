"""The desk: a listener's call in progress and its actions, and the supervisors' alerts (help asked, debriefs due).

Here: what the desk shows, as one plain dict for the first paint and for the JSON its script polls (state.py,
alerts.py: also painted on a line's live board), the listener's page and actions (views.py: their own call only),
the supervisors' page and actions (supervisor_views.py: lines in their scope only), templates and URL rules
(blueprint.py: any signed-in account; each view says whether a listener or a line's coordinator may use it).
Not here: the records (store/desk_calls.py), the conference bridge and its control (ivr/, the `conference` work),
the live board itself (console/live/), the polling script (console/static/desk.js, served by the core).
"""
