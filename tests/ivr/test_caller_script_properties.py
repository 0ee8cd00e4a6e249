"""Properties of every sentence every caller hears, on every shipped line and path, in both languages.

The scripts in tests/scripts/ are proved to be what the signed webhooks say by test_caller_scripts.py; here
each of their lines is checked for what a reviewer could miss: another country's numbers, a number that
cannot be dialled, a service that does not exist where the caller is, a sentence in the wrong language,
template leftovers, doubled words or punctuation, a sentence said twice.
"""

from __future__ import annotations

import re
from collections import Counter

import phonenumbers
import pytest

from directory_data.reference import load_services
from tests.support.paths import SCRIPTS

COUNTRY = {"3977": "FR", "ecoute-violences-conjugales": "BE", "france-victimes": "FR", "un-premier-pas": "FR"}
DISPLAY = {"3977": "3977", "ecoute-violences-conjugales": "080030030", "france-victimes": "116006",
           "un-premier-pas": "0189119494"}
LANGUAGE_OFFERS = {"For English, press 9.", "Pour le français, tapez 8."}  # the one sentence in the other language
ENGLISH_WORDS = re.compile(r"\b(the|you|your|please|press|call|we|our|hello|thank|line)\b", re.IGNORECASE)
FRENCH_WORDS = re.compile(r"\b(vous|nous|tapez|appelez|êtes|sommes|merci|bonjour|pouvez|rappeler|ligne)\b",
                          re.IGNORECASE)
LEFTOVERS = re.compile(r"\{\{|\{%|\bNone\b|\b[a-z]+_[a-z_]+\b|\s{2,}|[.,;]{2}|\(\s*\)")
# French puts a space before ; : ! ? and English never does; neither puts one before . or ,
SPACE_BEFORE = {"fr": re.compile(r"\s[.,]|[^\s\d][;:!?]"), "en": re.compile(r"\s[.,;:!?]")}
DANGER = re.compile(r"danger immédiat|En cas de danger|Si vous êtes en danger|in immediate danger|If you are in danger")
DIGIT_GROUPS = re.compile(r"\b\d[\d ]*\d\b|\b\d\b")


def scenarios(slug: str, language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, [(kind, text)]) for each scenario of a committed script."""
    found, current = [], None
    for line in (SCRIPTS / f"{slug}.{language}.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = (line[3:], [])
            found.append(current)
        elif current is not None and line.startswith("  "):
            kind, _, text = line.strip().partition(" ")
            current[1].append((kind, text.strip()))
    return found


def said(slug: str, language: str) -> list[tuple[str, str, str]]:
    """(scenario title, sentence, the language the caller chose by then) for everything the caller hears (not
    the receiving side's whisper): a caller who takes the language offer hears the other language after it."""
    found = []
    for title, entries in scenarios(slug, language):
        current, offer = language, None
        for kind, text in entries:
            if kind == "says":
                found.append((title, text, current))
                offer = text if text in LANGUAGE_OFFERS else None
            elif kind == "presses" and offer is not None and text == offer[-2]:
                current = "en" if offer.startswith("For English") else "fr"
    return found


PATHS = [(slug, language) for slug in COUNTRY for language in ("fr", "en")]


@pytest.mark.parametrize("slug, language", PATHS)
def test_a_belgian_caller_never_hears_french_emergency_numbers_and_the_reverse(slug, language):
    foreign = {"BE": r"\b(17|114|115|119|39 19|3 9 1 9|1 7|1 1 4)\b", "FR": r"\b(101|107|103|1 0 1|1 0 7)\b"}
    wrong = [(title, text) for title, text, _ in said(slug, language) if re.search(foreign[COUNTRY[slug]], text)]
    assert wrong == []


@pytest.mark.parametrize("slug, language", PATHS)
def test_the_danger_notice_names_the_callers_own_police_and_112(slug, language):
    police = {"BE": "101", "FR": "17"}[COUNTRY[slug]]
    for title, entries in scenarios(slug, language):
        danger = [t for kind, t in entries if kind == "says" and DANGER.search(t)]
        for text in danger:
            assert police in text and "112" in text, (title, text)


@pytest.mark.parametrize("slug, language", PATHS)
def test_every_number_heard_dialled_or_shown_is_valid_and_every_short_number_a_service_of_the_country(slug, language):
    country = COUNTRY[slug]
    services = {s.number for s in load_services().values() if s.country == country} | {DISPLAY[slug]}
    for title, entries in scenarios(slug, language):
        for kind, text in entries:
            if kind == "dials":
                number, _, rest = text.partition(" ")
                caller_id = re.search(r"caller ID (\+\d+)", rest)
                for value in [number] + ([caller_id.group(1)] if caller_id else []):
                    assert phonenumbers.is_valid_number(phonenumbers.parse(value)), (title, value)
            if kind != "says":
                continue
            for group in DIGIT_GROUPS.findall(text):
                digits = group.replace(" ", "")
                if len(digits) >= 9:
                    parsed = phonenumbers.parse(digits, country)
                    assert phonenumbers.is_valid_number(parsed), (title, group, text)
                elif len(digits) >= 2 and (" " in group or len(digits) == len(group)) and _is_a_number_to_call(text, group):
                    assert digits in services, (title, group, text)


def _is_a_number_to_call(text: str, group: str) -> bool:
    """A short number named as one to call or reach (not a time, a position, a count of minutes)."""
    return re.search(rf"(\ble |\bau |\bcall |\breach |\bdial |; ){re.escape(group)}\b", text) is not None


@pytest.mark.parametrize("slug, language", PATHS)
def test_every_french_path_is_french_and_every_english_path_english(slug, language):
    other = {"fr": ENGLISH_WORDS, "en": FRENCH_WORDS}
    wrong = [(title, text) for title, text, chosen in said(slug, language)
             if text not in LANGUAGE_OFFERS and other[chosen].search(_without_names(text))]
    assert wrong == []


def _without_times(text: str) -> str:
    return re.sub(r"\d+:\d+|24/7", "0", text)


def _without_names(text: str) -> str:
    """Proper names stay as they are in either language (Écoute Violences Conjugales, Télé-Accueil...)."""
    return re.sub(r"Écoute Violences Conjugales|Violences Femmes Info|Allô Enfance en Danger|Un premier pas|"
                  r"Aide aux victimes[^.(]*|\(association fictive\)|France Victimes", "", text)


@pytest.mark.parametrize("slug, language", PATHS)
def test_no_placeholder_raw_key_none_or_doubled_space_or_punctuation(slug, language):
    wrong = [(title, text) for title, text, chosen in said(slug, language)
             if LEFTOVERS.search(text) or SPACE_BEFORE[chosen].search(_without_times(text))]
    assert wrong == []


@pytest.mark.parametrize("slug, language", PATHS)
def test_no_sentence_is_said_twice_in_one_call_except_what_is_asked_again(slug, language):
    """A question asked again after a wrong key or silence, and the queue's periodic reminders, are repeats
    by design; anything else said twice in one call is not."""
    for title, entries in scenarios(slug, language):
        in_queue, counted = False, Counter()
        previous_kind = None
        for kind, text in entries:
            if kind == "queue":
                in_queue = True
            if kind == "says" and not in_queue and previous_kind != "presses":
                counted[text] += 1
            previous_kind = kind
        asked_again = {text for title_, entries_ in [(title, entries)] for k, text in entries_ if k == "says"
                       and _asked_again(entries_, text)}
        twice = [text for text, n in counted.items() if n > 1 and text not in asked_again]
        assert twice == [], title


def _asked_again(entries: list[tuple[str, str]], text: str) -> bool:
    """``text`` is followed by a key press (a question) each time it is said."""
    positions = [i for i, (kind, t) in enumerate(entries) if kind == "says" and t == text]
    return all(i + 1 < len(entries) and entries[i + 1][0] == "presses" for i in positions)


@pytest.mark.parametrize("slug, language", PATHS)
def test_a_closed_line_says_so_before_any_question_that_does_not_say_why_it_is_asked(slug, language):
    closed = {"fr": "Nous sommes actuellement fermés", "en": "We are closed at the moment"}[language]
    explained = {"fr": ("Pour être mis en relation avec l'équipe", "Pour connaître l'association", "For English"),
                 "en": ("To reach the team", "To hear about the victim-support", "Pour le français")}[language]
    for title, entries in scenarios(slug, language):
        texts = [(kind, text) for kind, text in entries]
        if not any(kind == "says" and text.startswith(closed) for kind, text in texts):
            continue
        first_closed = next(i for i, (k, t) in enumerate(texts) if k == "says" and t.startswith(closed))
        questions = [t for i, (k, t) in enumerate(texts[:first_closed])
                     if k == "says" and i + 1 < len(texts) and texts[i + 1][0] == "presses"]
        assert all(q.startswith(explained) for q in questions), (title, questions)
