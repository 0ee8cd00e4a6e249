"""A line's or centre's history in the console: every version, what changed, and "restore this version"."""

from console.history.views import history

__all__ = ["history"]
