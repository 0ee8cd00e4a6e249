"""A line's or centre's history in the console: every version, what changed, and "restore this version".

Here: the pages (views.py, with the blueprint: admins and coordinators, within their scope) and the versions
as the page shows them (versions.py). Not here: recording versions (store/revisions.py), checking a
restored version (store/directory_edits.py, the same checks as `helpline directory load`).
"""

from console.history.views import history

__all__ = ["history"]
