"""Editing a line's or centre's hours, holidays, closures and overflow chain, and previewing a call.

Here: the hours editor (hours_views.py, hours_forms.py), the chain editor and the line file download
(chain_views.py, chain_form.py), the route preview (preview.py runs one simulated call; preview_views.py), the
loader's problems in the console's words (problems.py, from problem codes, never by reading English), their
templates and URL rules (blueprint.py: admins and coordinators, each line or centre within their scope).
Not here: the checks themselves (directory_data/, the same as `helpline directory check`), saving an edit
(store/directory_edits.py), the hours logic (schedules/).
"""
