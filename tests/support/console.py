"""The console as a person uses it in the tests: accounts, signing in (with a client or a browser page), forms."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from console.accounts.records import create_account
from store.directory import current_revision
from store.extension import database
from store.models import AuditEvent

ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery staple"
COORDINATOR_EMAIL = "coordination@unpremierpas.example.org"
COORDINATOR_PASSWORD = "un premier pas, toujours"
WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
LOCKED = "Trop de tentatives de connexion."
SAMPLE_ARGUMENTS = {"slug": "france-victimes", "filename": "console.css", "version_id": 1}


def make_account(app, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, role="admin", lines=(), centres=(),
                 name="Alex Admin", language="fr") -> int:
    with app.app_context(), database.session() as session:
        account = create_account(session, email=email, name=name, password=password, role=role, lines=lines,
                                 centres=centres, language=language, now=app.config["CLOCK"]())
        session.commit()
        return account.id


def csrf_token(client, path="/console/login") -> str:
    page = text(client.get(path))
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, **kwargs):
    return client.post("/console/login", data={"email": email, "password": password,
                                               "csrf_token": csrf_token(client)}, **kwargs)


def text(response) -> str:
    """The page as a person reads it (apostrophes are escaped in the HTML)."""
    return html.unescape(response.get_data(as_text=True))


def audit_events(app) -> list[AuditEvent]:
    with app.app_context(), database.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def console_rules(app):
    """Every route under /console, whichever blueprint adds it, but the sign-in page and the stylesheet."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/console") and rule.endpoint not in ("accounts.login", "console.static"):
            yield rule, rule.build({name: SAMPLE_ARGUMENTS.get(name, "x") for name in rule.arguments})[1]


def sign_in_page(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/console/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


# The hours editor of Un premier pas, as the schedules tests fill it in.
UPP = "+33199009494"  # Un premier pas (fictitious Twilio number)
UPP_HOURS = "/console/lines/un-premier-pas/hours"
CENTRE_94 = "/console/centres/3977-94/hours"


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def hours_fields(client, path=UPP_HOURS, **changes) -> dict[str, str]:
    """The hours form as the page fills it, with ``changes`` typed over it."""
    page = text(client.get(path))
    fields = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
              "fingerprint": re.search(r'name="fingerprint" value="([^"]+)"', page).group(1)}
    for name, value in re.findall(r'<input type="(?:hidden|time|text)"[^>]*?name="([^"]+)" value="([^"]*)"', page):
        fields.setdefault(name, value)
    for name in re.findall(r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="yes" checked', page):
        fields[name] = "yes"
    fields["holiday_closes"] = "yes" if 'id="holiday_closes-yes" name="holiday_closes" value="yes" checked' in page else "no"
    country = re.search(r'<select id="holiday_country".*?<option value="([^"]*)" selected', page, re.S)
    fields["holiday_country"] = country.group(1) if country else ""
    fields.update(changes)
    return fields


def changes(app) -> list[str]:
    return [e.action for e in audit_events(app) if e.action != "login"]


def revision(app) -> int:
    with app.app_context(), database.session() as session:
        return current_revision(session)


# The chain editor of Un premier pas, as the schedules tests fill it in.
CHAIN = "/console/lines/un-premier-pas/chain"


def chain_fields(page: str, **changes) -> dict[str, str]:
    """The chain form as the page fills it (inputs, ticked boxes, chosen options), with ``changes`` over it."""
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="(?:hidden|text)"[^>]*?name="([^"]+)" value="([^"]*)"', page)}
    fields.update({name: "yes" for name in
                   re.findall(r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="yes" checked', page)})
    for name, options in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        fields[name] = chosen.group(1) if chosen else ""
    fields.update(changes)
    return fields


def save(client, path=CHAIN, page: str | None = None, **changes):
    page = page if page is not None else text(client.get(path))
    return client.post(path, data=chain_fields(page, op="save", **changes))
