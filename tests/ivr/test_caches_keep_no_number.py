"""The worker's caches of what callers hear (rendered prompts, URL queries, TwiML texts: issue 17) keep the
line's words, never a caller's number: not read back, not spoken, not as the encrypted token its URLs carry."""

from __future__ import annotations

from ivr import prompts, twiml, twiml_text
from ivr.spoken import spoken_digits
from phones.numbers import national
from tests.support.callbacks import LINE_3977, MOBILE, SATURDAY_EVENING

TYPED = "+33698765432"
FERNET = "gAAAAA"  # how every Fernet token starts (its version byte, base64): the numbers' tokens in URLs


def kept() -> str:
    """Everything the caches hold, keys and values, as one text."""
    return "\n".join(repr(entry) for cache in (prompts._RENDERED, twiml.QUERIES, twiml_text._KEPT)
                     for entry in cache.items())


def forms(number: str) -> list[str]:
    local = national(number)
    return [number, number[1:], local, local.replace(" ", ""), local.replace(" ", "")[1:], spoken_digits(local)]


def test_a_callers_number_read_back_or_carried_in_a_url_is_never_kept(app, call):
    # Caller ID confirmed (said back to them), then a withheld caller's typed number read back; each then chooses
    # a window and the message, through URLs carrying the number's encrypted token.
    confirmed = call(LINE_3977, at=SATURDAY_EVENING, caller=MOBILE, presses=["#", "1", "1", "2", "2"])
    typed = call(LINE_3977, at=SATURDAY_EVENING, caller="anonymous", presses=["#", "1", "0698765432#", "1", "1", "1"])
    assert "au 06 12 34 56 78" in confirmed.said() and "Vous avez tapé le 06 98 76 54 32" in typed.said()
    everything = kept()
    assert "Souhaitez-vous qu'un écoutant vous rappelle" in everything  # the line's own words are kept
    for number in (MOBILE, TYPED):
        for form in forms(number):
            assert form not in everything, form
    assert FERNET not in everything  # no URL with a number's encrypted token (a Fernet token, "gAAAAA…")
