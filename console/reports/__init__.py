"""Reports of lines and centres: traffic, service level, outcomes, callers, coverage and staffing advice.

Here: the pages, CSV files and SVG charts (views.py), the labelled tables they all draw from (tables.py), CSV
writing (csv_files.py), the period form (period.py), a short memory of computed reports (cache.py), matplotlib
charts (charts.py), templates and URL rules (blueprint.py: admins and coordinators, within their scope).
Not here: computing the figures (store/reports.py, routing/metrics.py), the category report (console/operations/).
"""
