"""Running the calls: the call log, call categories, nuisance-caller flags and the category report.

Here: the pages (views.py), the call log (call_log.py), a line's category list (categories.py), flags
(flags.py), the category report as table, CSV and chart (report.py), templates and URL rules (blueprint.py:
admins and coordinators, within their lines). Not here: classifying and flags in the database
(store/categories.py, store/flags.py), the nuisance rules (routing/nuisance.py). A caller's number is never
shown here.
"""
