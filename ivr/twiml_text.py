"""A TwiML document as text, as twilio's ``str(response)`` writes it, for less CPU (issue 17).

``str(response)`` rebuilds an ElementTree of the whole document and writes it through a UTF-8 byte stream on every
webhook, though most of a caller's answer is the same from call to call: the line's greeting, its menu, "a listener
will answer", the menu's <Gather> and <Redirect>. Here each top-level verb is still built by twilio's builders and
written by twilio's own ``xml()`` and ElementTree, once, then kept under a key that is everything the writing
depends on (the verb's name, its text, its attributes with their types, its children, recursively): the same verb
is the same text, whatever the call. Anything the key cannot describe exactly (an attribute of another type, a
text beside the verbs, attributes on <Response>) is written by ``str(response)`` itself.

The kept texts are bounded (MAX_KEPT, ivr/kept.py); an answer that carries a caller's number is never written
from here (ivr.twiml.twiml(..., keep=False)), so no caller's words are kept.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from twilio.twiml import TwiML

from ivr.kept import keep

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
MAX_KEPT = 2048  # verbs' texts kept per worker; past that the lot is dropped and kept again as calls come
_KEPT: dict[tuple, str] = {}
# Values whose text ElementTree's writer gets from str() — twilio writes a bool as "true"/"false" — and that
# equal only values of the same text once their type is in the key (1 == True, hence the type).
_PLAIN = (str, int, bool)


class _NotDescribable(Exception):
    """The verb holds something the key cannot describe exactly: write the document the usual way."""


def twiml_text(response: TwiML) -> str:
    """``str(response)``, from the verbs' kept texts where they have one."""
    if response.attrs or response.value or not response.verbs:
        return str(response)
    try:
        parts = [_verb_text(verb) for verb in response.verbs]
    except _NotDescribable:
        return str(response)
    return f"{DECLARATION}<{response.name}>{''.join(parts)}</{response.name}>"


def _verb_text(verb) -> str:
    key = _key(verb)  # a text beside the verbs (another verb's tail) has none
    text = _KEPT.get(key)
    if text is None:  # written as twilio's to_xml() writes it
        text = keep(_KEPT, key, ET.tostring(verb.xml(), encoding="utf-8").decode("utf-8"), MAX_KEPT)
    return text


def _key(verb: TwiML) -> tuple:
    if not isinstance(verb, TwiML):
        raise _NotDescribable
    value = verb.value
    if value is not None and type(value) is not str:
        raise _NotDescribable  # e.g. a dict twilio writes as JSON
    if verb.name[:1] == "{":
        raise _NotDescribable  # a namespaced tag: ElementTree declares its namespace on the document's root
    attributes = verb.attrs
    for name, attribute in attributes.items():
        if name[:1] == "{":
            raise _NotDescribable
        if type(attribute) is not str:
            attributes = _typed(attributes)  # (name, type, value) triples: never equal to a text's pair
            break
    children = verb.verbs
    nested = tuple([child if type(child) is str else _key(child) for child in children]) if children else ()
    return verb.name, value, tuple(attributes.items()) if type(attributes) is dict else attributes, nested


def _typed(attributes: dict) -> tuple:
    typed = []
    for name, attribute in attributes.items():
        kind = type(attribute)
        if kind not in _PLAIN:
            raise _NotDescribable
        typed.append((name, kind, attribute))
    return tuple(typed)
