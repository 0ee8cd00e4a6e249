"""The coordinators' web console: accounts, sign-in, the audit log and the pages lines are run from."""

from console.blueprint import console, csrf, guard, init_console
from console import auth_views, pages  # noqa: F401,E402  (each adds its routes to the blueprint)

__all__ = ["console", "csrf", "guard", "init_console"]
