"""What callers hear is French first, English available, and reads naturally when spoken."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ivr import prompts
from ivr.spoken import spoken_digits, spoken_email, spoken_moment

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 27, 22, 0, tzinfo=PARIS)  # a Friday evening
CONTEXT = {
    "line_name": "3977", "display_number": "39 77", "now": NOW, "reason": "holiday", "detail": "Noël",
    "reopens": datetime(2026, 11, 30, 9, 0, tzinfo=PARIS), "email": "08victimes@inavem.org",
    "services": [{"spoken": "le 39 19", "name": "Violences Femmes Info", "hours": "24 heures sur 24"}],
    "label": "le 107, Télé-Accueil", "department": "94", "department_name": "Val-de-Marne",
    "position": 3, "minutes": 4, "key": "0", "caller_type": "victime", "seconds": 60, "name": "Camille",
    "status": "disponible", "digits": "06 12 34 56 78", "windows": [{"words": "Le matin", "key": 1}],
    "window_words": "Le matin", "merged": False, "requested": datetime(2026, 11, 27, 21, 10, tzinfo=PARIS),
    "message_allowed": False, "attempt": 1, "max_attempts": 3,
    "categories": [{"key": 1, "label": "Cybercriminalité"}],
    "hours": "du lundi au vendredi de 9 heures à 17 heures",
    "targets": [{"key": 1, "label": "le 107, Télé-Accueil"}], "warm": True, "why": "no-answer",
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("key", prompts.prompt_keys("fr"))
def test_every_prompt_exists_in_both_languages_and_renders(key, language):
    assert key in prompts.prompt_keys(language)
    for country in ("FR", "BE"):
        text = prompts.render(key, language, country, **CONTEXT)
        assert text.strip()
        assert "{{" not in text and "{%" not in text


def test_closed_prompt_says_why_and_when_in_french_and_english():
    assert prompts.render("closed", "fr", **CONTEXT) == (
        "Nous sommes actuellement fermés en raison du jour férié : Noël. Nous rouvrons lundi à 9 heures."
    )
    assert prompts.render("closed", "en", **CONTEXT) == (
        "We are closed at the moment for the public holiday: Noël. We open again on Monday at 9 am."
    )


def test_danger_notice_names_the_countrys_emergency_numbers():
    assert "17 ou le 112" in prompts.render("danger_notice", "fr", "FR")
    assert "SMS au 114" in prompts.render("danger_notice", "fr", "FR")
    assert "101 ou le 112" in prompts.render("danger_notice", "fr", "BE")


@pytest.mark.parametrize("key", ["danger_notice", "final", "flagged_message", "throttled"])
def test_a_country_given_by_keyword_is_the_country_heard(key):
    # The webhooks pass the line's country by keyword: it was once silently dropped and Belgium heard France's 17.
    for language in ("fr", "en"):
        belgian = prompts.render(key, language, country="BE")
        assert "101" in belgian and "17 " not in belgian and "114" not in belgian
        assert "17 " in prompts.render(key, language, country="FR")


def test_a_prompt_naming_emergency_numbers_never_guesses_the_country():
    with pytest.raises(prompts.NoCountryVariant):
        prompts.render("danger_notice", "fr")
    with pytest.raises(prompts.NoCountryVariant):
        prompts.render("final", "en", country="LU")


@pytest.mark.parametrize("moment, french, english", [
    (datetime(2026, 11, 27, 23, 30, tzinfo=PARIS), "aujourd'hui à 23 heures 30", "today at 11:30 pm"),
    (datetime(2026, 11, 28, 9, 0, tzinfo=PARIS), "demain à 9 heures", "tomorrow at 9 am"),
    (datetime(2026, 12, 1, 12, 0, tzinfo=PARIS), "mardi à midi", "on Tuesday at noon"),
    (datetime(2026, 12, 1, 0, 0, tzinfo=PARIS), "mardi à minuit", "on Tuesday at 12 am"),
    (datetime(2027, 1, 1, 9, 0, tzinfo=PARIS), "le vendredi 1er janvier à 9 heures", "on Friday 1 January at 9 am"),
])
def test_reopening_times_are_spoken_as_people_say_them(moment, french, english):
    assert spoken_moment(moment, NOW, "fr") == french
    assert spoken_moment(moment, NOW, "en") == english


def test_email_addresses_and_numbers_are_spelled_for_a_voice():
    assert spoken_email("08victimes@inavem.org", "fr") == "08victimes arobase inavem point org"
    assert spoken_email("contact-94@alma.fr", "en") == "contact dash 94 at alma dot fr"
    assert spoken_digits("0612345678") == "06 12 34 56 78"
    assert spoken_digits("+33612345678") == "3 36 12 34 56 78"
