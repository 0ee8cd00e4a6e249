"""What a binôme hears on answering: who the call is for and that they join listening. A pair's second listener
hears it on their own leg before entering the conference, muted; an invited binôme (dialled into the conference by
the Participants API, which plays no document first) hears it announced to them alone as they come in, muted.
Either way the caller never hears it."""

from __future__ import annotations

from flask import current_app
from twilio.twiml.voice_response import Dial, VoiceResponse

from ivr import prompts
from ivr.call_rest import EVENTS, conference_sid, events_url, rest_client
from ivr.twiml import public, say
from store.extension import database
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


def announce_whisper(conversation_id: int, leg_id: int, call_sid: str) -> bool:
    """The invited binôme answered: the whisper, played to their participant alone (Twilio's ``announceUrl``)."""
    client = rest_client()
    try:
        with database.session() as session:
            sid = conference_sid(client, session.get(Conversation, conversation_id))
        client.conferences(sid).participants(call_sid).update(
            announce_url=public(f"/voice/conference/binome-whisper?cv={conversation_id}&leg={leg_id}"),
            announce_method="POST")
        return True
    except Exception as error:  # noqa: BLE001 — a whisper not said is no reason to fail the webhook
        current_app.logger.error("binôme whisper failed: %s", type(error).__name__)
        return False
