"""The desk as tests use it: a listener with a console login, and a call put in progress by signed webhooks."""

from __future__ import annotations

import re

from console.accounts.records import create_account
from routing.queueing import ListenerStatus
from store.extension import database
from store.listeners import create_listener, set_status
from tests.support.calls import Caller, ListenerLeg, bridge, deliver, dial_ended, path_of, rung, xml
from tests.support.console import sign_in, text

EVC = "ecoute-violences-conjugales"
LISTENER_PASSWORD = "a listener's own password"


def add_listener(app, name, phone, status=ListenerStatus.AVAILABLE, pools=(EVC,)) -> int:
    with app.app_context(), database.session() as session:
        now = app.config["CLOCK"]()
        listener = create_listener(session, name, phone, pools, "1234", now)
        set_status(session, listener, status, now, "chosen by test")
        session.commit()
        return listener.id


def listener_login(app, listener_id, email, language="fr"):
    """A listener's console account (as `helpline accounts add --role listener --listener ID` makes), signed in."""
    with app.app_context(), database.session() as session:
        create_account(session, email=email, name=email.split("@")[0].title(), password=LISTENER_PASSWORD,
                       role="listener", listener_id=listener_id, now=app.config["CLOCK"](), language=language)
        session.commit()
    client = app.test_client()
    sign_in(client, email, LISTENER_PASSWORD)
    return client


def call_in_progress(tw, rest) -> Caller:
    """A caller queues, the listener rung answers, presses 1 and is bridged: a conversation going on."""
    caller = Caller(tw)
    assert caller.queued
    leg = ListenerLeg(tw, rest, rung(rest)[-1])
    dial = leg.press("1")
    bridge(tw, caller, dial, leg)
    caller.leg, caller.dial = leg, dial
    return caller


def caller_hangs_up(tw, rest, caller):
    """The caller hangs up: the conference ends with them (its status callbacks delivered), the listener's <Dial>
    ends and Twilio fetches its action (the wrap-up menu, returned)."""
    rest.hang_up(caller.sid)
    deliver(tw, rest)
    return dial_ended(tw, rest, caller.leg, caller.dial)


def press(tw, leg, document, digits):
    """The listener presses ``digits`` in the menu ``document`` gathers for."""
    return xml(tw.post(path_of(document.find("Gather").get("action")), leg.params(Digits=digits)))


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form that posts to ``action`` (its CSRF token, the call it is about)."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form posting to {action}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))


def post_form(client, page_path: str, action: str, **extra):
    fields = form_fields(text(client.get(page_path)), action)
    return client.post(action, data={**fields, **extra})
