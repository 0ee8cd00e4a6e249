"""A coordinator closes a line now (or forces it open) from its console page, and the next call hears it."""

from __future__ import annotations

import re
from datetime import timedelta, timezone

from sqlalchemy import select

from store.directory import current_revision
from store.extension import database
from store.models import LineRow, OverrideRow
from tests.conftest import at_brussels
from tests.support.console import (
    ADMIN_EMAIL,
    COORDINATOR_EMAIL,
    COORDINATOR_PASSWORD,
    audit_events,
    csrf_token,
    make_account,
    sign_in,
    text,
)

EVC = "+3225550300"
EVC_PAGE = "/console/lines/ecoute-violences-conjugales"
REASON = "réunion d'équipe"


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def save(client, path=EVC_PAGE, **fields):
    data = {"mode": "closed", "until_kind": "next_change", "reason": REASON, "csrf_token": csrf_token(client, path)}
    data.update(fields)
    return client.post(f"{path}/overrides", data=data)


def lift(client, override_id, path=EVC_PAGE):
    return client.post(f"{path}/overrides/delete",
                       data={"override_id": str(override_id), "csrf_token": csrf_token(client, path)})


def overrides(app) -> list[OverrideRow]:
    with app.app_context(), database.session() as session:
        return list(session.scalars(select(OverrideRow).order_by(OverrideRow.id)))


def revision(app) -> int:
    with app.app_context(), database.session() as session:
        return current_revision(session)


def test_closing_now_saves_an_override_audits_it_and_the_page_says_so(app, client, clock):
    make_account(app)
    sign_in(client)
    before = revision(app)
    response = save(client, until_kind="at", until="2026-11-24T14:00")
    assert response.status_code == 302 and response.headers["Location"] == EVC_PAGE

    [row] = overrides(app)
    with app.app_context(), database.session() as session:
        schedule_id = session.scalar(select(LineRow.schedule_id).where(LineRow.slug == "ecoute-violences-conjugales"))
    assert (row.schedule_id, row.mode, row.reason, row.created_by) == (schedule_id, "closed", REASON, ADMIN_EMAIL)
    assert row.starts_at == clock.now and row.starts_at.tzinfo is not None
    assert row.until == at_brussels(2026, 11, 24, 14, 0) and row.until.utcoffset() == timedelta(0)
    assert row.until.tzinfo is not None and row.until.astimezone(timezone.utc).hour == 13
    assert revision(app) == before + 1

    page = words(client.get(EVC_PAGE))
    assert ("La ligne est fermée jusqu'au mardi 24 novembre 2026 à 14:00 (heure de Bruxelles). Les appelants "
            "l'entendent dès maintenant.") in page  # the notice after saving: exactly until when, in the line's time
    assert f"Fermée par décision d'un coordinateur : {REASON} — rouvre aujourd'hui à 14:00" in page
    assert (f"Fermée par décision d'un coordinateur : {REASON} — prend fin aujourd'hui à 14:00 "
            f"(décidé aujourd'hui à 10:00 par {ADMIN_EMAIL})") in page

    event = audit_events(app)[-1]
    assert (event.action, event.target_kind, event.target_slug) == ("override.create", "line",
                                                                    "ecoute-violences-conjugales")
    assert event.account_email == ADMIN_EMAIL
    assert event.before == {"status": "Ouverte selon les horaires habituels — ferme aujourd'hui à 19:00"}
    assert event.after == {"status": f"Fermée par décision d'un coordinateur : {REASON} — rouvre aujourd'hui à 14:00"}
    assert "décision de coordinateur" in text(client.get("/console/audit"))


def test_the_next_call_hears_the_line_closed_until_the_override_ends(app, client, clock, call):
    make_account(app)
    clock.now = at_brussels(2026, 11, 24, 10, 0)  # a Tuesday: the line is open 09:00-19:00
    assert call(EVC).dialled == ["+3225550301"]  # the workers have a snapshot from before the decision

    sign_in(client)
    assert save(client, until_kind="at", until="2026-11-24T11:30").status_code == 302

    transcript = call(EVC, at=at_brussels(2026, 11, 24, 10, 5))
    said = transcript.said()
    assert f"Nous sommes actuellement fermés : {REASON}" in said
    assert "+3225550301" not in transcript.dialled

    transcript = call(EVC, at=at_brussels(2026, 11, 24, 11, 30))
    assert transcript.dialled == ["+3225550301"] and "fermés" not in transcript.said()


def test_lifting_an_override_reopens_the_line_at_once(app, client, clock, call):
    make_account(app)
    sign_in(client)
    save(client)  # until the next scheduled change: 19:00 today
    [row] = overrides(app)
    assert "fermés" in call(EVC).said()
    before = revision(app)

    response = lift(client, row.id)
    assert response.status_code == 302 and response.headers["Location"] == EVC_PAGE
    assert overrides(app) == [] and revision(app) == before + 1
    page = words(client.get(EVC_PAGE))
    assert "La décision est levée" in page and "Ouverte selon les horaires habituels" in page
    assert "Aucune décision de coordinateur en cours" in page
    event = audit_events(app)[-1]
    assert event.action == "override.delete"
    assert event.before["status"].startswith("Fermée par décision d'un coordinateur : ")
    assert event.after == {"status": "Ouverte selon les horaires habituels — ferme aujourd'hui à 19:00"}
    assert call(EVC).dialled == ["+3225550301"]

    assert "Cette décision avait déjà été levée." in words(client.get(lift(client, row.id).headers["Location"]))
    assert audit_events(app)[-1].action == "override.delete" and len(
        [e for e in audit_events(app) if e.action == "override.delete"]) == 1


def test_forcing_open_on_a_saturday_puts_callers_through(app, client, clock, call):
    make_account(app)
    clock.now = at_brussels(2026, 11, 28, 11, 0)  # Saturday: closed all day, 107 answers
    sign_in(client)
    assert save(client, mode="open", reason="permanence exceptionnelle", until_kind="at",
                until="2026-11-28T16:00").status_code == 302
    page = words(client.get(EVC_PAGE))
    assert ("Ouverte par décision d'un coordinateur : permanence exceptionnelle "
            "— ferme aujourd'hui à 16:00") in page
    assert call(EVC).dialled == ["+3225550301"]
    assert call(EVC, at=at_brussels(2026, 11, 28, 16, 0)).dialled == ["+3225550107"]


def test_mistakes_are_told_in_french_next_to_their_field_and_nothing_is_saved(app, client, clock):
    make_account(app)
    sign_in(client)
    before = revision(app)
    cases = {
        "Indiquez la raison de cette décision.": {"reason": "   "},
        "Cette date et cette heure sont déjà passées": {"until_kind": "at", "until": "2026-11-24T09:59"},
        "La fin ne peut pas être à plus de 30 jours d'aujourd'hui.": {"until_kind": "at", "until": "2026-12-25T10:01"},
        "Indiquez la date et l'heure de fin": {"until_kind": "at", "until": ""},
        "Cette date et cette heure ne sont pas valides.": {"until_kind": "at", "until": "demain midi"},
    }
    for message, fields in cases.items():
        response = save(client, **fields)
        assert response.status_code == 400, fields
        page = text(response)
        field = "reason" if "reason" in fields else "until"
        assert re.search(rf'id="{field}-error">{re.escape(message)}', page), (message, fields)
        assert f'aria-describedby="{field}-error" aria-invalid="true"' in page
    page = text(save(client, reason="", until_kind="at", until="2026-11-24T09:00"))
    assert "Indiquez la raison" in page and "déjà passées" in page  # both errors at once
    assert 'value="2026-11-24T09:00"' in page  # what was typed stays in the form
    assert save(client, until_kind="at", until="2026-12-24T10:00").status_code == 302  # 30 days is allowed
    assert len(overrides(app)) == 1 and revision(app) == before + 1
    assert [e.action for e in audit_events(app)].count("override.create") == 1


def test_a_made_up_mode_or_a_missing_token_is_refused(app, client):
    make_account(app)
    sign_in(client)
    assert save(client, mode="sideways").status_code == 400
    response = client.post(f"{EVC_PAGE}/overrides", data={"mode": "closed", "reason": REASON})
    assert response.status_code == 400 and "Le formulaire a expiré" in text(response)
    assert overrides(app) == []


def test_a_coordinator_decides_only_for_their_own_lines(app, client, clock):
    make_account(app)
    make_account(app, COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "coordinator", lines=["un-premier-pas"],
                 name="Camille Coordination")
    sign_in(client)
    save(client)  # the admin closes Écoute Violences Conjugales
    [evc_override] = overrides(app)
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/")})

    sign_in(client, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    own = "/console/lines/un-premier-pas"
    token = csrf_token(client, own)
    assert client.post(f"{EVC_PAGE}/overrides", data={"mode": "closed", "reason": "x", "csrf_token": token}
                       ).status_code == 403
    assert client.post(f"{EVC_PAGE}/overrides/delete", data={"override_id": evc_override.id, "csrf_token": token}
                       ).status_code == 403
    # Another line's override cannot be lifted through one's own line either.
    response = lift(client, evc_override.id, own)
    assert "Cette décision avait déjà été levée." in text(client.get(response.headers["Location"]))
    assert [o.id for o in overrides(app)] == [evc_override.id]

    assert save(client, own, reason="formation").status_code == 302
    assert overrides(app)[-1].created_by == COORDINATOR_EMAIL


def test_a_typed_end_is_chosen_even_when_its_button_was_not(app, client, clock):
    """The trap seen in the field: a typed time was ignored unless its radio button was chosen (closed till Monday)."""
    make_account(app)
    sign_in(client)
    assert save(client, until_kind="next_change", until="2026-11-24T15:30").status_code == 302
    [row] = overrides(app)
    assert row.until == at_brussels(2026, 11, 24, 15, 30)
    assert ("La ligne est fermée jusqu'au mardi 24 novembre 2026 à 15:30 (heure de Bruxelles)."
            in words(client.get(EVC_PAGE)))


def test_until_the_next_change_says_when_callers_hear_the_line_open_again(app, client, clock):
    make_account(app)
    sign_in(client)
    assert save(client, until_kind="next_change", until="").status_code == 302
    # Tuesday 10:00: the decision lasts until 19:00, then it is night: the line reopens on Wednesday at 09:00.
    assert ("La ligne est fermée jusqu'au mercredi 25 novembre 2026 à 09:00 (heure de Bruxelles)."
            in words(client.get(EVC_PAGE)))
    assert save(client, mode="open", reason="renfort ce soir").status_code == 302
    assert "La ligne est ouverte jusqu'au" in words(client.get(EVC_PAGE))


def test_a_refused_decision_lists_its_errors_above_the_form(app, client, clock):
    make_account(app)
    sign_in(client)
    page = text(save(client, reason="", until_kind="at", until="2026-11-24T09:00"))
    summary = re.search(r'<div class="error-summary"(.*?)</div>', page, re.S).group(1)
    assert re.findall(r'<a href="#([^"]+)">([^<]*)</a>', summary) == [
        ("until", "Cette date et cette heure sont déjà passées : choisissez une fin à venir."),
        ("reason", "Indiquez la raison de cette décision.")]
