"""The console's home and a line's page: what is open now, queues, callbacks, and the overrides.

Here: the dashboard of lines and centres, a line's page, "close now" / "force open" (overrides.py), their
templates and URL rules (blueprint.py: admins and coordinators; a listener opening the home page is sent to
their own page). Not here: editing hours, closures or the chain (console/schedules/), the words for statuses
and hours shared with other pages (console/describe.py, console/overview.py).
"""
