"""A line's or centre's history, under /console: the blueprint, its URL rules in views.py, guarded once."""

from console.history.views import history

__all__ = ["history"]
