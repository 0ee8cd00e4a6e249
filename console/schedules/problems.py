"""The loader's refusals (English, for files) put in the console's words, next to the field they concern."""

from __future__ import annotations

import re

from console.texts import t
from store.directory_edits import Problem

# The loader's messages that an editor of hours, holidays, closures or the chain can meet, and their words.
MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), key) for pattern, key in (
    (r"^'(?P<value>.*)' is not a time range like 09:00-17:00$", "problem.time_range"),
    (r"^no public holiday calendar for '?(?P<value>[^']*)'?$", "problem.holiday_country"),
    (r"^'(?P<value>.*)' is not a subdivision of (?P<country>\S+) \((?P<choices>.*)\)$", "problem.holiday_subdivision"),
    (r"^'?(?P<value>.*?)'? is not a date and time like 2026-12-24T12:00$", "problem.moment"),
    (r"^required: callers are told why the line is closed$", "problem.closure_reason"),
    (r"^must be after from$", "problem.closure_order"),
    (r"^forwards to the line's own number$", "problem.self_forward"),
    (r"^can never be reached: an earlier rule always ends the call$", "problem.unreachable"),
    (r"^waits for a failed forward, but no earlier rule dials anyone$", "problem.forward_failed_first"),
    (r"^forwarding loop between lines: (?P<value>.*)$", "problem.loop"),
    (r"^'?(?P<value>.*?)'? is neither a known service nor a phone number$", "problem.unknown_target"),
    (r"^service '(?P<value>.*)' has no number that can be dialled$", "problem.service_without_number"),
    (r"^must be a pool name, or true for the line's own pool$", "problem.pool_name"),
    (r"^must be a whole number from (?P<low>\d+) to (?P<high>\d+)$", "problem.whole_number"),
    (r"^list at least one rule: a caller must always be answered$", "problem.no_rule"),
    (r"^no centre belongs to network '(?P<value>.*)'$", "problem.no_centre"),
    (r"^callback.windows: (?P<value>.*) never meets the line's opening hours$", "problem.callback_window"),
    (r"^(?P<value>.*) never meets the line's opening hours$", "problem.callback_window"),
    (r"^required: the words in French \(fr\) and optionally English \(en\)$", "problem.message_missing"),
    (r"^changed by someone else since this page was opened$", "problem.stale"),
    (r"^the emergency fallback is the line's own number$", "problem.fallback_own_number"),
))


def problem_words(problem: Problem) -> str:
    """The problem in the account's language; a message with no translation yet is shown as the file says it."""
    message = problem.message
    for pattern, key in MESSAGES:
        found = pattern.match(message)
        if found:
            words = t(key, **found.groupdict())
            break
    else:
        words = t("problem.as_written", message=message)
    return t("problem.elsewhere", where=problem.elsewhere, words=words) if problem.elsewhere else words
