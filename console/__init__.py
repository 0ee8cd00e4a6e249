"""The coordinators' web console: accounts, sign-in, the audit log and the pages lines are run from."""

from console.blueprint import console, csrf, guard, init_console
# Each module adds its routes to the blueprint.
from console import auth_views, pages  # noqa: F401,E402
from console import association_views, operations_views, report_views, roster_views, schedule_views  # noqa: F401,E402

__all__ = ["console", "csrf", "guard", "init_console"]
