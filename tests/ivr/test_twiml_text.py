"""ivr/twiml_text.py writes exactly what twilio's str(response) writes, kept verbs or not (issue 17)."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr import twiml_text as module
from ivr.twiml_text import twiml_text


def documents() -> list[VoiceResponse]:
    plain = VoiceResponse()
    plain.say("Bonjour, vous êtes bien à l'écoute <3 & \"merci\"", language="fr-FR", voice="Polly.Lea")
    gather = plain.gather(num_digits=1, timeout=5, action="https://h.example/voice/menu?l=fr&r=0",
                          action_on_empty_result=False)
    gather.say("Tapez 1.\nPress 9\tfor English.", language="fr-FR")
    plain.redirect("https://h.example/voice/menu?l=fr&r=0&no_input=1")
    plain.hangup()
    dial = VoiceResponse()
    verb = Dial(action="/voice/dial_result?l=fr&r=2", timeout=30, caller_id="+33100000000")
    verb.number("+33612345678", url="/voice/whisper?kind=forward", method="POST")
    dial.append(verb)
    flags = VoiceResponse()
    flags.say("vrai", loop=1)
    flags.say("vrai", loop=True)  # twilio writes "true": not the same text as loop=1
    flags.play("/media/hold-music.wav", loop=3)
    mixed = VoiceResponse()  # a text among the verbs: another verb's tail, written the usual way
    mixed.say("a")
    mixed.append("tail")
    nested_text = VoiceResponse()
    inner = Gather(num_digits=1)
    inner.append("before")
    inner.say("b")
    inner.append("after")
    nested_text.append(inner)
    json_value = VoiceResponse()
    json_value.add_child("Custom", {"a": 1})
    attributes = VoiceResponse(xml_lang="fr")
    attributes.say("c")
    namespaced = VoiceResponse()  # ElementTree declares the namespaces on the root: not a verb's own text
    namespaced.add_child("{urn:x}Custom", "d")
    namespaced_attribute = VoiceResponse()
    namespaced_attribute.add_child("Custom", "e", **{"{urn:x}a": "1"})
    return [plain, dial, flags, mixed, nested_text, json_value, attributes, namespaced, namespaced_attribute,
            VoiceResponse()]


def test_every_document_is_written_as_twilio_writes_it_first_time_and_from_the_kept_verbs():
    module._KEPT.clear()
    first = [twiml_text(document) for document in documents()]
    again = [twiml_text(document) for document in documents()]
    expected = [str(document) for document in documents()]
    assert first == expected
    assert again == expected
    assert module._KEPT  # the verbs were kept, and gave the same text


def test_a_verb_equal_but_for_a_type_is_not_given_another_verbs_text():
    module._KEPT.clear()
    one, true = VoiceResponse(), VoiceResponse()
    one.say("x", loop=1)
    true.say("x", loop=True)
    assert twiml_text(one).endswith('<Say loop="1">x</Say></Response>')
    assert twiml_text(true).endswith('<Say loop="true">x</Say></Response>')


def test_the_kept_texts_are_bounded(monkeypatch):
    module._KEPT.clear()
    monkeypatch.setattr(module, "MAX_KEPT", 5)
    for number in range(12):
        response = VoiceResponse()
        response.say(f"numéro {number}")
        assert twiml_text(response) == str(response)
    assert len(module._KEPT) <= 5
