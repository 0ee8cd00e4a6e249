"""What every call must sound like, checked on the emulator's timeline.

Each check takes the scenario and the call record and returns findings (empty when the call is right)."""

from __future__ import annotations

import difflib
import re
from collections import Counter

from checks.call_record import CallRecord, Heard
from checks.french_words import french_slips, unique
from checks.queue_checks import check_listener_side, check_max_wait, check_queue_silence
from checks.scenarios import LINES, Scenario

MIN_REPEAT_CHARS = 20
NEAR_REPEAT = 0.75  # share of words in common, in order (difflib), for two sentences to say the same thing
DANGER_ANY = re.compile(r"\bdanger\b", re.I)
SAFETY_NUMBERS = {"BE": {"101", "112"}, "FR": {"17", "112", "114"}}
FOREIGN_SAFETY_NUMBERS = {"BE": {"17", "114", "115", "119", "3919"}, "FR": {"101", "103", "107"}}
EMERGENCY_NUMBERS = {"17", "101", "112", "114"}
NOT_A_SERVICE = re.compile(r"^\s*(heures?|h\b|hours?|:|minutes?|secondes?|seconds?|janvier|février|mars|avril|mai|"
                           r"juin|juillet|août|septembre|octobre|novembre|décembre|jours?|days?|ans|years?|%)", re.I)
# The line's own closing (not an association's or a centre's: "elle est fermée en ce moment").
CLOSED = re.compile(r"\bnous sommes[^.]*\bfermés\b|\bwe(?: are|'re)[^.]*\bclosed\b|\bligne est[^.]*\bfermée\b|"
                    r"\bline is[^.]*\bclosed\b|\bactuellement fermé|\bcurrently closed", re.I)
REOPENS = re.compile(r"rouvr|réouvr|ouvrons|ouvrirons|de retour|reopen|open again|back (?:on|at|tomorrow)", re.I)
HOLIDAY = re.compile(r"férié|holiday", re.I)
QUICK_EXIT = re.compile(r"[^.,;]*(étoile|\bstar\b)[^.,;]*", re.I)  # "*" ends the call: an exit, not a question
QUESTION = re.compile(r"\btapez\b|\bcomposez\b|\bappuyez\b|\bpress\b|\bdial\b|\benter\b|\btype\b|\?", re.I)
# Said in the same call as "we are closed", these claim the team is at work: the caller cannot know which is true.
STILL_AT_WORK = re.compile(r"tous nos écoutants sont occupés|all our listeners are busy|"
                           r"un écoutant va vous répondre|a listener will answer", re.I)
LISTENER_WILL_ANSWER = re.compile(r"un écoutant va vous répondre|a listener will answer", re.I)
RAW_VALUES = re.compile(r"\b(None|null|nan|NaN|undefined|True|False)\b|\{|\}|%\(|%s|\$\w|<[a-z]", re.U)
SNAKE_KEY = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
DOUBLED = re.compile(r"  |\.\.(?!\.)|,,|;;|::|\s[,.]|[,;:]\s*[.,;]|\.\s*,|!!|\?\?")
ENGLISH_IN_FRENCH = re.compile(r"\b(the|please|press|you|your|call|we are|closed|listener)\b", re.I)
FRENCH_IN_ENGLISH = re.compile(r"\b(vous|nous|appelez|tapez|sommes|votre|rouvrons|heures|ligne|écoutants?|plateforme|"
                               r"équipe|écoute|département)\b|\b(la|le|les) [a-zàâçéèêëîïôûù]|\bl'[a-zàâçéèêëîïôûù]",
                               re.I)
LANGUAGE_OFFER = re.compile(r"For English[^.]*\.?|Pour le français[^.]*\.?|In English[^.]*\.?|En français[^.]*\.?")



def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def spoken_numbers(text: str) -> list[str]:
    """Numbers as a listener hears them: "1 1 2" read digit by digit is 112; "39 19" and "01 99 00 50 94" are
    whole numbers; a figure followed by "heures", a month or a unit is a time or a date, not a service."""
    found = []
    for match in re.finditer(r"\d+(?:[ \u00a0\u202f]\d+)*", text):
        if NOT_A_SERVICE.match(text[match.end():]):
            continue
        groups = match.group().split()
        if len(groups) > 1 and all(len(g) == 1 for g in groups):
            found.append("".join(groups))
        elif len(groups) > 1 and len(groups[0]) <= 3 and all(len(g) in (2, 3) for g in groups):
            found.append("".join(groups))  # 39 19, 116 006, 01 99 00 50 94
        else:
            found.extend(groups)
    return found


def check_protocol(scenario: Scenario, record: CallRecord) -> list[str]:
    findings = list(record.problems)
    if record.ended_by.startswith("emulator stopped"):
        findings.append(f"the call never ended: {record.ended_by}")
    if not record.says():
        findings.append("the caller heard nothing")
    return findings


def check_country_numbers(scenario: Scenario, record: CallRecord) -> list[str]:
    country = LINES[scenario.line].country
    findings = []
    notice_heard = False
    says = record.says()
    for index, heard in enumerate(says):
        numbers = set(spoken_numbers(heard.text))
        foreign = numbers & FOREIGN_SAFETY_NUMBERS[country]
        if DANGER_ANY.search(heard.text) and foreign:
            findings.append(f"{country} line names {', '.join(sorted(foreign))} for danger: « {heard.text} »")
        elif country == "BE" and numbers & {"17", "114"}:
            findings.append(f"Belgian line says {', '.join(sorted(numbers & {'17', '114'}))}: « {heard.text} »")
        # The notice is the first sentence about danger that names emergency numbers; later ones (the goodbye's
        # "En cas de danger, appelez le 17 ou le 112") are reminders, checked only for foreign numbers above.
        if not notice_heard and DANGER_ANY.search(heard.text) and numbers & EMERGENCY_NUMBERS:
            notice_heard = True
            # The notice may go on in the next <Say> ("Si vous ne pouvez pas parler, ...").
            following = set(spoken_numbers(says[index + 1].text)) if index + 1 < len(says) else set()
            missing = SAFETY_NUMBERS[country] - numbers - following
            if missing:
                findings.append(f"danger notice without {', '.join(sorted(missing))} ({country}): « {heard.text} »")
    if not notice_heard:
        findings.append("no danger notice heard (every shipped line has danger_notice: true)")
    return findings


def check_clean_text(scenario: Scenario, record: CallRecord) -> list[str]:
    findings = []
    for heard in record.says():
        text = heard.text
        for pattern, what in ((RAW_VALUES, "raw value"), (SNAKE_KEY, "raw key"), (DOUBLED, "doubled space or mark")):
            match = pattern.search(text)
            if match:
                findings.append(f"{what} {match.group()!r}: « {text} »")
        if not text.strip():
            findings.append("an empty <Say>")
    return unique(findings)


def check_natural_language(scenario: Scenario, record: CallRecord) -> list[str]:
    findings = []
    # The English path starts with the first English prompt (the greeting and the offer are in French).
    english = [h.start for h in record.says() if h.language.startswith("en") and not LANGUAGE_OFFER.fullmatch(h.text)]
    if scenario.language == "en" and not english:
        findings.append("the caller asked for English, but this path never offers it or never speaks it")
    for heard in record.says():
        text = LANGUAGE_OFFER.sub("", heard.text)
        if scenario.language == "en" and (not english or heard.start < english[0]):
            continue  # greeted in the line's language until the caller chose English
        if scenario.language == "fr":
            findings.extend(f"{what}: « {heard.text} »" for what in french_slips(text))
            match = ENGLISH_IN_FRENCH.search(text)
            if match:
                findings.append(f"English word {match.group()!r} on a French call: « {heard.text} »")
        else:
            match = FRENCH_IN_ENGLISH.search(text)
            if match:
                findings.append(f"French word {match.group()!r} on an English call: « {heard.text} »")
    for whisper in record.whispers:  # what the 107, a centre or the listening room hears first: French lines
        findings.extend(f"{what} (whispered to the dialled party): « {whisper} »" for what in french_slips(whisper))
    return unique(findings)


# Amazon Polly voices' own locales (docs.aws.amazon.com/polly: "Voices in Amazon Polly"). Twilio's <Say> docs:
# "Using an invalid combination of voice and language may result in error and <Say> instruction failure."
POLLY_LOCALES = {"Polly.Lea": "fr-FR", "Polly.Celine": "fr-FR", "Polly.Mathieu": "fr-FR", "Polly.Remi": "fr-FR",
                 "Polly.Isabelle": "fr-BE", "Polly.Chantal": "fr-CA", "Polly.Gabrielle": "fr-CA",
                 "Polly.Liam": "fr-CA", "Polly.Amy": "en-GB", "Polly.Brian": "en-GB", "Polly.Emma": "en-GB",
                 "Polly.Arthur": "en-GB", "Polly.Joanna": "en-US", "Polly.Matthew": "en-US"}


def check_one_voice(scenario: Scenario, record: CallRecord) -> list[str]:
    """One voice per language through the whole call, each <Say> with a language its voice speaks: a prompt
    read by another voice sounds like another service, and a voice given a language it does not speak may
    fail to speak at all."""
    findings, voices = [], {}
    for heard in record.says():
        base = heard.voice.split("-Neural")[0]
        locale = POLLY_LOCALES.get(base)
        if locale and heard.language and heard.language.lower() != locale.lower():
            findings.append(f"{heard.voice} speaks {locale}, told language={heard.language}: « {heard.text} »")
        if not LANGUAGE_OFFER.fullmatch(heard.text.strip()):
            voices.setdefault(heard.language[:2], {}).setdefault((heard.language, heard.voice), heard.text)
    for language, seen in voices.items():
        if len(seen) > 1:
            findings.append("one call, several voices: " + " / ".join(
                f"{lang or 'no language'} {voice or 'default voice'} (« {text} »)"
                for (lang, voice), text in seen.items()))
    return unique(findings)[:4]


def check_truth_first(scenario: Scenario, record: CallRecord) -> list[str]:
    """Closed: "closed, why, when we reopen" before any question, and no promise of a listener. Open: no
    closed message (the boundary minute itself must be on the right side)."""
    says = [h for h in record.says() if not h.queued]
    closed = [h for h in says if CLOSED.search(h.text)]
    contradiction = _closed_and_at_work(says, closed)
    if contradiction:
        return contradiction
    if scenario.closed is None:  # the call straddles a boundary: either side is right, but not both at once
        return []
    if not scenario.closed:
        return [f"open line says it is closed: « {h.text} »" for h in closed[:1]]
    if not closed:
        return ["closed line never says it is closed"]
    first = closed[0]
    findings = _closed_message_gaps(scenario, first)
    findings += _question_before(scenario, record, first)
    findings += [f"promises a listener while closed: « {h.text} »"
                 for h in says if LISTENER_WILL_ANSWER.search(h.text)][:1]
    return findings


def _closed_and_at_work(says: list[Heard], closed: list[Heard]) -> list[str]:
    """In either order: "call again in a few minutes" then "we reopen tomorrow" misleads as much."""
    at_work = [h for h in says if STILL_AT_WORK.search(h.text)]
    if closed and at_work:
        return [f"says both « {closed[0].text} » and « {at_work[0].text} »"]
    return []


def _closed_message_gaps(scenario: Scenario, first: Heard) -> list[str]:
    """The first closed message says when we reopen, and why (the holiday's name, unless a generic holiday
    wording stands for a dated closure)."""
    findings = []
    if not REOPENS.search(first.text):
        findings.append(f"the closed message does not say when we reopen: « {first.text} »")
    generic_why = HOLIDAY.search(first.text) and scenario.why != "dated closure"
    if scenario.holiday and scenario.holiday.lower() not in first.text.lower() and not generic_why:
        findings.append(f"the closed message does not say why ({scenario.holiday}): « {first.text} »")
    return findings


def _question_before(scenario: Scenario, record: CallRecord, first: Heard) -> list[str]:
    """A question asked before the closed message, unless the scenario asks first on purpose."""
    # The language offer alone is no question: it is what lets an English speaker understand the closing.
    questions = [e for e in record.events if e.kind == "question"
                 and QUESTION.search(LANGUAGE_OFFER.sub("", QUICK_EXIT.sub("", e.detail)))]
    if questions and questions[0].at < first.start and not scenario.question_first:
        return [f"asked « {questions[0].detail} » at {questions[0].at:.0f} s, before saying closed at "
                f"{first.start:.0f} s"]
    return []


def check_nothing_twice(scenario: Scenario, record: CallRecord) -> list[str]:
    """No sentence twice in one call, word for word or nearly ("Nous allons vous mettre en relation avec X" then
    "Nous vous mettons en relation avec X"), and no service announced as there around the clock twice. Not
    repeats: a question asked again after a timeout, what the caller asked to hear again (both inside a
    <Gather>), what tells the caller why it is asked again ("Nous n'avons pas entendu de choix."), the queue's
    wait loop, and short instructions ("Restez en ligne.") after a failed transfer."""
    heard = [h for h in record.says() if not h.queued and not h.in_gather and not _retry_feedback(h, record)]
    sentences = [s for h in heard for s in _sentences(h.text) if len(s) >= MIN_REPEAT_CHARS]
    return _repeated(sentences) + _around_the_clock_twice(heard)


def _repeated(sentences: list[str]) -> list[str]:
    """Sentences said more than once, word for word, then pairs of distinct ones said in nearly the same words."""
    findings = [f"said {n} times: « {s} »" for s, n in Counter(sentences).items() if n > 1]
    distinct = list(dict.fromkeys(sentences))
    for i, first in enumerate(distinct):
        for second in distinct[i + 1:]:
            if difflib.SequenceMatcher(None, _words(first), _words(second)).ratio() >= NEAR_REPEAT:
                findings.append(f"said twice in other words: « {first} » / « {second} »")
    return findings


def _around_the_clock_twice(heard: list[Heard]) -> list[str]:
    """A number announced as there 24 h/24 in two different sentences of one call."""
    around_the_clock: dict[str, list[str]] = {}
    for h in heard:
        for sentence in _sentences(h.text):
            if re.search(r"24 heures sur 24|24 hours a day", sentence):
                for number in spoken_numbers(re.sub(r"24 heures sur 24|24 hours a day|7 jours sur 7|7 days a week",
                                                    "", sentence)):
                    around_the_clock.setdefault(number, []).append(sentence)
    return [f"the {number} is announced as there 24 h/24 {len(sentences)} times: "
            + " / ".join(f"« {s} »" for s in sentences)
            for number, sentences in around_the_clock.items() if len(sentences) > 1 and len(set(sentences)) > 1]


def _retry_feedback(heard: Heard, record: CallRecord) -> bool:
    """Whether the next thing said is a question asked before: then this sentence says why it is asked again."""
    says = record.says()
    index = says.index(heard)
    if index + 1 >= len(says) or not says[index + 1].in_gather:
        return False
    return any(h.in_gather and h.text == says[index + 1].text for h in says[:index])


def _words(sentence: str) -> list[str]:
    return re.findall(r"\w+", sentence.lower())


CHECKS = {
    "answers are valid TwiML and the call ends": check_protocol,
    "the right country's numbers": check_country_numbers,
    "no raw value, key, doubled space or mark": check_clean_text,
    "natural French (English on the English path)": check_natural_language,
    "one voice per language, in a language it speaks": check_one_voice,
    "closed: said before any question, and not contradicted": check_truth_first,
    "nothing said twice": check_nothing_twice,
    "no silence over 5 s while queued": check_queue_silence,
    "a queue's max_wait ends the wait within 5 s": check_max_wait,
    "a free listener takes the call and classifies it, whatever the webhook order": check_listener_side,
}
