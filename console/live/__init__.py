"""A line's live board: who is available, on a call or paused, who waits and for how long.

Here: what the board shows (board.py, one plain dict for the first paint and for the JSON the page polls), the
pages (views.py), templates and URL rules (blueprint.py: admins and coordinators; the JSON polling does not
count as activity, so an idle board still signs out). Not here: queue figures (store/metrics.py), the script
(console/static/live_board.js, served by the core).
"""
