"""What a binôme hears on answering, before the call: who the call is for and that they join listening, then the
conference, muted. It plays on the binôme's own leg, before it enters the conference: the caller never hears it."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, VoiceResponse

from ivr import prompts
from ivr.call_rest import EVENTS, events_url
from ivr.twiml import public, say
from store.models import Conversation


def binome_whisper(line, department: str | None) -> str:
    return prompts.render("binome_whisper", line.language, line.country, line_name=line.name,
                          department=department or "")


def binome_document(conversation: Conversation, line, department: str | None, label: str) -> VoiceResponse:
    """The whisper, then the call's conference, muted and listening until the listener gives them the floor. The
    caller's leg is the anchor: when the conference ends, the binôme's Dial ends and their call with it."""
    response = VoiceResponse()
    say(response, binome_whisper(line, department), line.language, line)
    dial = Dial()
    dial.conference(conversation.name, muted=True, start_conference_on_enter=False, end_conference_on_exit=False,
                    beep="false", wait_url=public(f"/voice/conference/wait?cv={conversation.id}&who=listener"),
                    wait_method="POST", status_callback=events_url(conversation.id), status_callback_method="POST",
                    status_callback_event=EVENTS, participant_label=label)
    response.append(dial)
    response.hangup()
    return response
