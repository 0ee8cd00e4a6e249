"""What can be wrong in a directory file: a code with its values at a key path, and the English words for each code.

A validator says ``problems.add("hours.mon[0]", "time_range", value="9h-17h")``; the problem reads as the English
line the command line prints (``lines/upp.yaml: hours.mon[0]: '9h-17h' is not a time range like 09:00-17:00``)
and keeps its code and values, so that the console says it in French or English from its own catalogue
(words/translations, keys ``problem.<code>``) without reading the English back.
"""

from __future__ import annotations

from typing import Any

from routing.validation import MESSAGES as CHAIN_MESSAGES

# The English words of every code, as `helpline directory check` prints them. {value!r} quotes what the file says.
ENGLISH: dict[str, str] = {
    # a file as a whole
    "no_line_files": "no line files here (expected {expected}/*.yaml)",
    "yaml_invalid": "not valid YAML ({detail})",
    "unreadable": "cannot be read ({detail})",
    "empty": "is empty",
    # settings and their shape
    "unknown_setting": "unknown setting",
    "unknown_setting_of": "unknown setting ({choices})",
    "unknown_callback_setting": "unknown callback setting",
    "unknown_email_setting": "unknown email setting",
    "unknown_queue_setting": "unknown queue setting",
    "pair_with_ring_several": "a line that rings several listeners (strategy ring_several) cannot offer calls to pairs",
    "line_shape": "must be a mapping of line settings",
    "centre_shape": "must be a mapping of centre settings",
    "association_shape": "must be a mapping of association settings",
    "callback_shape": "must be a mapping of callback settings",
    "email_shape": "must be a mapping of email settings",
    "queue_shape": "must be a mapping of queue settings",
    "centres_list": "must be a list of centres",
    "associations_list": "must be a list of associations",
    "coordinators_list": "must be a list of numbers",
    "required_text": "required text",
    "slug": "required: lower-case letters, digits and dashes",
    "country": "must be FR or BE",
    "country_without_safety": "{value!r} has no danger notice and goodbye in directory_data/prompts (countries with "
                              "them: {choices})",
    "languages_list": "must be a list such as [fr, en]",
    "language_missing": "must include the line's language {value!r}",
    "language": "{value!r} is not a supported language ({choices})",
    "timezone": "{value!r} is not a time zone (e.g. Europe/Paris)",
    "voices": "must map a language to a Twilio voice, e.g. fr: Polly.Lea",
    "message_missing": "required: the words in French (fr) and optionally English (en)",
    "words_missing": "has no words in {language_name}, and callers of this line may speak {language_name}",
    "message_shape": "must give the words in French (fr:) and optionally English (en:)",
    "boolean": "must be true or false",
    "whole_number": "must be a whole number from {low} to {high}",
    "keypad_key": "must be one keypad key (0-9, * or #)",
    "choice": "must be one of {choices}",
    "email": "{value!r} is not an email address",
    "audio_url": "must be an http:// or https:// address of an audio file Twilio can play (mp3 or wav)",
    # numbers
    "no_number": "list at least one number",
    "phone_number": "{value!r} is not a phone number",
    "number_twice": "{value} is listed twice",
    "number_taken": "{value} already belongs to line {owner}",
    "number_kept": "{value} still belongs to line {owner}, which is not in the files (load with --prune to delete it)",
    "id_taken": "{value!r} is already used by {owner}",
    "used_twice": "{value!r} is used twice",
    "listed_twice": "{value!r} is listed twice",
    # hours, holidays, closures
    "hours_shape": "must map days (mon, tue... mon-fri, daily) to times like 09:00-17:00",
    "unknown_day": "unknown day: use mon..sun, a range like mon-fri, daily or weekend",
    "time_range": "{value!r} is not a time range like 09:00-17:00",
    "holidays_shape": "must give country, optional subdivision and closes: true/false",
    "holiday_country": "no public holiday calendar for {value!r}",
    "holiday_subdivision": "{value!r} is not a subdivision of {country} ({choices})",
    "closures_shape": "must be a list of {{from, to, reason}}",
    "closure_shape": "must have from, to and reason",
    "closure_reason": "required: callers are told why the line is closed",
    "closure_order": "must be after from",
    "moment": "{value!r} is not a date and time like 2026-12-24T12:00",
    # services and targets
    "alternatives": "must be a list of service ids (see directory_data/services.yaml)",
    "unknown_service": "unknown service {value!r}",
    "service_without_number": "service {value!r} has no number that can be dialled",
    "service_country": "service {value!r} is not a service of {country}",
    "unknown_target": "{value!r} is neither a known service nor a phone number",
    "forward_not_approved": "{value} is neither a number of the directory nor one approved for this line "
                            "(forward_numbers)",
    "transfer_numbers_shape": "must be a list of {{number, label: {{fr, en}}}}: the numbers listeners may transfer "
                              "calls to",
    "transfer_numbers_count": "at most {most} numbers: the listener's keypad offers nine targets in all; {count} are "
                              "listed",
    "transfer_number_shape": "must be a mapping with number and label",
    "transfer_number_own": "{value} is one of this line's own numbers",
    "transfer_label": "the words callers hear, with their article (e.g. {{fr: \"le service d'interprétariat\", en: "
                      "\"the interpreting service\"}})",
    # menu and overflow chain
    "quick_exit_key": "key {value} is the quick-exit key",
    "menu_shape": "must have a prompt and options",
    "menu_options": "must map keypad keys to what they do",
    "menu_key": "must be a single keypad key 0-9 or #",
    "no_rule": "list at least one rule: a caller must always be answered",
    "rule_shape": "must be a mapping like {{when: closed, forward: be-107}}",
    "rule_key": "unknown key; an action is one of {choices}",
    "rule_actions": "needs exactly one action ({choices})",
    "timeout_without_ring": "only forward and handoff ring for a time",
    "label_without_forward": "only a forward has a label",
    "forward_label": "a forward to a number needs a label, as callers hear it (e.g. {{fr: \"l'équipe d'écoute\", en: "
                     "\"the listening team\"}})",
    "when_shape": "must be a condition or a list of conditions",
    "handoff_target": "the only hand-off is to the caller's 'department' centre",
    "pool_name": "must be a pool name, or true for the line's own pool",
    "unknown_pool": "{value!r} is not a queue of the directory: no listener answers there",
    "association_mode": "must be read (tell the caller its details) or handoff (dial it)",
    "write_true": "write true",
    "not_condition": "{value!r} is not a condition",
    "no_threshold_allowed": "{value} takes no number; only {choices} do",
    "threshold_needed": "{value} needs a threshold, e.g. {value}>=5",
    "unknown_condition": "unknown condition {value!r}",
    "no_reason_allowed": "{value} takes no reason; only closed does (closed:holiday)",
    "unknown_reason": "unknown reason {value!r} for closed: one of {choices}",
    "no_centre": "no centre belongs to network {value!r}",
    # centres and départements
    "centre_network": "required: the line whose hand-offs this centre takes, e.g. \"3977\"",
    "centre_departments": "list the départements or provinces the centre serves",
    "unknown_department": "unknown département or province {value!r}",
    "unknown_department_quoted": "unknown département or province {value!r} (quote it: \"94\")",
    "department_served": "{value} is already served by {owner}",
    "department_kept": "{value} is still served by centre {owner}, which is not in the files (load with --prune to "
                       "delete it)",
    # callbacks, email, queue
    "callback_windows": "must list windows among {choices}",
    "callback_windows_count": "at most 8 windows: each is a key on the phone",
    "callback_window": "{value} never meets the line's opening hours",
    "queue_seconds": "give seconds, or seconds per caller type (default: 60, author: 120)",
    # categories
    "categories_shape": "must be a list of categories such as {{id: cybercrime, fr: Cybercriminalité, en: Cybercrime}}",
    "categories_count": "at most {most} categories: each one is a key (1 to 9) on the listener's phone after a call; "
                        "{count} are listed",
    "category_shape": "must be a mapping with id, fr and optionally en",
    "category_key": "unknown key: a category has id, fr and en",
    "category_name": "required: the category's name",
    "category_name_en": "must be the category's name in English",
    "category_length": "at most {most} characters (it is read out on the phone)",
    "throttle_shape": "must be {{calls: N, minutes: M}}: a caller's N+1th call within M minutes hears a message",
    # associations
    "association_name": "required: the association's name, as callers hear it",
    "too_long": "at most {most} characters",
    "association_hours": "give the hours callers can reach it, e.g. mon-fri: \"09:00-17:00\"",
    "topics_shape": "must be a list of words, e.g. [violences conjugales, aide juridique]",
    "topics_count": "at most {most} topics",
    # an edit in the console
    "stale": "changed by someone else since this page was opened",
    # words a validator gives without a code (tests/directory_data/test_directory_problems.py refuses them in directory_data/)
    "unworded": "{text}",
    **CHAIN_MESSAGES,
}


# Codes whose ``value`` is a language code ("en"), said by its name in the reader's language: "in English",
# "en anglais" (``{language_name}`` in their words; not ``{language}``: the console's t() takes that name).
LANGUAGE_VALUES = frozenset({"words_missing"})


def language_name(code: str, reader: str) -> str:
    """A language's name as the reader says it (Unicode CLDR, through Babel): "English", "anglais"."""
    from babel import Locale  # here: the command line's start-up does not pay for Babel's data

    return Locale.parse(reader).languages.get(code) or code


def readable_values(code: str, values: dict[str, Any], reader: str) -> dict[str, Any]:
    """The problem's values as ``reader``'s words need them: a language code gets its name beside it."""
    if code in LANGUAGE_VALUES and "value" in values:
        return {**values, "language_name": language_name(str(values["value"]), reader)}
    return values


def english(code: str, values: dict[str, Any]) -> str:
    return ENGLISH[code].format(**readable_values(code, values, "en"))


class Problem(str):
    """One thing wrong: reads as its English line (``file: key.path: words``, what the command line prints), and
    keeps ``file``, ``path`` (the key path inside the file, "" for the file as a whole), ``code`` and ``values``."""

    file: str
    path: str
    code: str
    values: dict[str, Any]

    def __new__(cls, file: str, path: str, code: str, **values: Any) -> Problem:
        if code not in ENGLISH:  # English words rather than a code: still said, as written, never lost
            code, values = "unworded", {"text": code}
        words = english(code, values)
        problem = super().__new__(cls, f"{file}: {path}: {words}" if path else f"{file}: {words}")
        problem.file, problem.path, problem.code, problem.values = file, path, code, values
        return problem

    @property
    def words(self) -> str:
        """What is wrong, in English, without the file and the key path."""
        return english(self.code, self.values)

    def __reduce__(self):
        return _rebuild, (self.file, self.path, self.code, self.values)


def _rebuild(file: str, path: str, code: str, values: dict[str, Any]) -> Problem:
    return Problem(file, path, code, **values)
