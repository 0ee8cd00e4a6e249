"""What guards every console blueprint (sign-in, who may enter, session expiry, CSRF, headers) and the core one.

The core blueprint ``console`` serves only the layout: the stylesheets, scripts and base templates. Each feature
package under console/ has its own blueprint, mounted under /console, and states its access rule once by
passing it to ``guard()``; the application factory registers them all.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from console.describe import zone_city
from console.texts import current_language, t
from store.accounts import scope_allows
from store.console_sessions import open_session, session_is_open
from store.extension import database
from store.models import ConsoleAccount

log = logging.getLogger(__name__)

console = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                    static_folder="static")
csrf = CSRFProtect()

# Who may enter a feature's pages, by role. A listener's account opens their own page and nothing else.
STAFF = frozenset({"admin", "coordinator"})
LISTENERS = frozenset({"listener"})
EVERYONE = STAFF | LISTENERS
# A centre's referents (issue 14 §3) open the cases relayed to their centre and nothing else.
REFERENTS = frozenset({"referent"})
# Where a listener lands when they open the console's home page (the dashboard is for coordinators).
HOME = "lines.dashboard"
LISTENER_HOME = "me.my_page"
ROLE_HOMES = {"listener": LISTENER_HOME, "referent": "cases.case_list_page"}
IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=8)
MIN_SECRET_KEY_LENGTH = 32
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def init_console(app: Flask) -> None:
    """Session cookie, CSRF and header settings; the blueprint itself is registered with the others."""
    production = app.config.get("ENVIRONMENT") == "production"
    app.config["SESSION_COOKIE_SECURE"] = production or bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_PATH"] = "/console"  # only the console has sessions; webhooks never see the cookie
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    # CSRF is checked by the console's own guard: Twilio's webhooks are signed POSTs with no token to give.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # A token lives as long as its session (8 h at most), not one hour: a form left open is not an attack.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.after_request(_security_headers)
    if not console_enabled(app):
        # The phone engine still starts: callers must never pay for a console setting left out.
        log.error("console disabled: set HELPLINE_SECRET_KEY to at least %d random characters",
                  MIN_SECRET_KEY_LENGTH)


def console_enabled(app: Flask) -> bool:
    return len(app.config.get("SECRET_KEY") or "") >= MIN_SECRET_KEY_LENGTH


def _security_headers(response: Response) -> Response:
    if request.path == "/console" or request.path.startswith("/console/"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def now() -> datetime:
    return current_app.config["CLOCK"]()


def db():
    """The request's database session, opened on first use and closed when the request ends."""
    if "console_db" not in g:
        g.console_stack = ExitStack()
        # A page that is only read (GET) must not hold SQLite's write lock while it renders: callers' webhooks
        # wait for that lock (a year's report takes seconds). Every change is a POST.
        g.console_db = g.console_stack.enter_context(database.session(read_only=request.method in ("GET", "HEAD")))
    return g.console_db


def _close_db(_error) -> None:
    stack = g.pop("console_stack", None)
    g.pop("console_db", None)
    if stack is not None:
        stack.close()


def _guard(roles: frozenset[str], public: frozenset[str], passive: frozenset[str]):
    if not console_enabled(current_app):
        return render_template("console/error.html", message=t("error.disabled")), 503
    g.account, expired = _signed_in_account(now(), passive)
    if g.account is not None:  # the author of any version of a line this request writes
        db().info.update(author=g.account.email, source="console")
    if g.account is None and request.endpoint not in public:
        if request.method in ("GET", "HEAD"):
            flash("login.expired" if expired else "login.required")
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        abort(403)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    if g.account is not None and g.account.role not in roles and request.endpoint not in public:
        if request.endpoint == HOME and g.account.role in ROLE_HOMES:
            return redirect(url_for(ROLE_HOMES[g.account.role]))
        abort(403)
    return None


def _signed_in_account(moment: datetime, passive: frozenset[str]) -> tuple[ConsoleAccount | None, bool]:
    """The account of a live session, or (None, True) for one that has just expired or been revoked."""
    account_id = session.get("account_id")
    if account_id is None:
        return None, False
    stamp = moment.timestamp()
    idle = stamp - float(session.get("seen_at", 0))
    age = stamp - float(session.get("login_at", 0))
    account = db().get(ConsoleAccount, account_id)
    if (idle > IDLE_TIMEOUT.total_seconds() or age > SESSION_LIFETIME.total_seconds() or account is None
            or not account.active or not session_is_open(db(), account.id, session.get("token"))):
        language = session.get("language")
        session.clear()
        if language:
            session["language"] = language
        return None, True
    if request.endpoint not in passive:
        session["seen_at"] = stamp
    return account, False


def start_session(account: ConsoleAccount, moment: datetime) -> None:
    """A fresh session for the account (a new CSRF token too: nothing carried over from before sign-in). Its
    token is checked against the server's list on every request, so signing out really ends it."""
    session.clear()
    session.permanent = True
    session.update(account_id=account.id, login_at=moment.timestamp(), seen_at=moment.timestamp(),
                   token=open_session(db(), account, moment))


def safe_next(target: str | None) -> str | None:
    """Only a console path of this site: a crafted link must not send people elsewhere after sign-in."""
    # A control character (CR/LF above all) cannot go into a Location header: werkzeug refuses it with a 500.
    if not target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/") or "\\" in target:
        return None
    return target


def require_scope(kind: str, slug: str) -> None:
    """403 unless the signed-in account may see this line or centre (the same answer whether it exists)."""
    if not scope_allows(g.get("account"), kind, slug):
        abort(403)


def require_admin() -> None:
    account = g.get("account")
    if account is None or account.role != "admin":
        abort(403)


@console.app_template_global("t")
def _t(key: str, **values) -> str:
    return t(key, **values)


@console.app_template_global("tk")
def _tk(key: str, kind: str, **values) -> str:
    """``t`` with a centre's own words when the key has them (``hours.intro.centre``): "du centre", not "de la
    ligne"; a key without a centre variant reads the same for both."""
    if kind != "line":  # a centre's or an association's own words, when the key has them
        words = t(f"{key}.{kind}", **values)
        if words != f"{key}.{kind}":
            return words
    return t(key, **values)


@console.app_template_filter("city")
def _city(timezone: str) -> str:
    """``{{ zone | city }}``: Europe/Brussels as "Bruxelles" (in English "Brussels")."""
    return zone_city(timezone)


def _page_context() -> dict:
    account = g.get("account")
    return {"account": account, "lang": current_language(), "event_label": _event_label,
            "has_lines": _has_lines(account)}


def _has_lines(account: ConsoleAccount | None) -> bool:
    """Whether the menu offers the pages about lines (listeners, live boards, call log…): a coordinator of
    département centres only would find them empty."""
    if account is None or account.role == "admin":
        return True
    return any(scope.kind == "line" for scope in account.scopes)


def _event_label(action: str) -> str:
    """An audit action in words; an action with no words yet shows its code rather than nothing."""
    key = f"event.{action}"
    words = t(key)
    return action if words == key else words


def _csrf_refused(_error: CSRFError):
    return render_template("console/error.html", message=t("error.csrf")), 400


def _http_error(error: HTTPException):
    key = f"error.{error.code}"
    message = t(key) if t(key) != key else error.description
    return render_template("console/error.html", message=message), error.code


def guard(blueprint: Blueprint, roles: frozenset[str] = STAFF, public: tuple[str, ...] = (),
          passive: tuple[str, ...] = ()) -> Blueprint:
    """The console's protections for a blueprint of console pages: sign-in, its access rule, expiry, CSRF, errors.

    ``roles`` may open its pages once signed in (others get 403); ``public`` views need no account (the sign-in
    page); ``passive`` views are a page's own polling, which does not count as someone at the keyboard.
    """
    public_endpoints = frozenset(f"{blueprint.name}.{view}" for view in public)
    passive_endpoints = frozenset(f"{blueprint.name}.{view}" for view in passive)
    blueprint.before_request(lambda: _guard(frozenset(roles), public_endpoints, passive_endpoints))
    blueprint.teardown_request(_close_db)
    blueprint.context_processor(_page_context)
    blueprint.register_error_handler(CSRFError, _csrf_refused)
    blueprint.register_error_handler(HTTPException, _http_error)
    return blueprint


# The layout's files are for everyone, signed in or not (the sign-in page needs its stylesheet).
guard(console, roles=EVERYONE, public=("static",))
