"""The listener's keypad speaks the listener's first language (their record's ``languages``) when the engine has
words in it, whatever the line's language: the caller's line is French, Alex's first language is English."""

from __future__ import annotations

from tests.support.calls import qapp, tw  # noqa: F401 — fixtures
from tests.support.transfers import Scene, said


def test_the_star_menu_and_the_transfer_menu_speak_the_listener_s_first_language(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock, languages=("en", "fr"))
    menu = scene.star()
    assert said(menu).startswith("The caller is on hold with music.")
    assert menu.find("Gather/Say").get("language").startswith("en")
    targets = scene.press(menu, "4")
    assert said(targets).startswith("Transfer. For ") and "For the interpreting service, press 2." in said(targets)
    back = scene.press(targets, "0")
    assert "Back to the caller." in said(back)
    assert rest.hears(scene.caller.sid) == {scene.leg.sid}


def test_a_french_first_listener_hears_the_menu_in_french(qapp, tw, rest, clock):
    scene = Scene(qapp, tw, rest, clock, languages=("fr", "en"))
    menu = scene.star()
    assert said(menu).startswith("L'appelant est en attente avec de la musique.")
    kept = scene.press(menu, "1")
    assert "en attente" in said(kept)
