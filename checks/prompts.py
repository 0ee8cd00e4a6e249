"""What a leg hears from ``<Say>``, ``<Play>``, ``<Pause>`` and how it answers a ``<Gather>``: a mixin of
``checks.twilio_emulator._Call``."""

from __future__ import annotations

import re
import urllib.parse
import xml.etree.ElementTree as ET

from checks.call_record import SPEECH_CHARS_PER_SECOND

GATHER_NESTED = {"Say", "Play", "Pause"}
OPTION = "option:"  # a key given by the words of the menu's option: see option_key


class SoundAndKeys:
    def sound(self, verb: ET.Element, in_gather: bool = False) -> None:
        loops = int(verb.get("loop", "1") or 1)
        loops = 3 if loops == 0 else loops  # loop="0" repeats until something else happens: count a few
        if verb.tag == "Say":
            text = (verb.text or "").strip()  # kept as sent: doubled spaces are a finding, not noise
            for _ in range(loops):
                self._hear(len(text) / SPEECH_CHARS_PER_SECOND, "say", text, in_gather, verb.get("language", ""),
                           verb.get("voice", ""))
        elif verb.tag == "Play":
            what = (verb.text or "").strip() or f"digits {verb.get('digits', '')}"
            media = self.em.media(urllib.parse.urljoin(self.em.base_url, what)) if verb.text else (1.0, True)
            if media is None:
                self.record.problems.append(f"<Play> of {what}: the file cannot be fetched, the caller hears nothing")
                return
            seconds, audible = media
            for _ in range(loops):
                self._hear(seconds, "play" if audible else "silence", what if audible else f"silent file {what}",
                           in_gather)
        else:
            self._hear(float(verb.get("length", "1") or 1), "silence", "<Pause>", in_gather)

    def gather(self, verb: ET.Element, url: str):
        prompt = " ".join(" ".join((child.text or "").split()) for child in verb if child.tag == "Say")
        if not prompt and self.record.says():  # an empty <Gather> listens to what was just said before it
            prompt = " ".join(self.record.says()[-1].text.split())
        self._event("question", prompt)
        for child in verb:
            if child.tag in GATHER_NESTED:
                self.sound(child, in_gather=True)
            else:
                self.record.problems.append(f"<{child.tag}> nested in <Gather>")
        keys = self._keys_for(prompt)
        finish = verb.get("finishOnKey", "#")
        digits = keys
        if finish and finish in digits:
            digits = digits[:digits.index(finish)]
        if verb.get("numDigits"):
            digits = digits[:int(verb.get("numDigits"))]
        if not keys:
            self._hear(float(verb.get("timeout", "5") or 5), "silence", "<Gather> waiting", in_gather=True)
            if verb.get("actionOnEmptyResult") != "true":
                self._event("timeout")
                return None
        else:
            self._tick(1.0 + 0.3 * len(keys))  # the caller presses the keys after the prompt
            self._event("press", keys)
        target = urllib.parse.urljoin(url, verb.get("action") or url)
        return self.fetch(target, {"Digits": digits, "FinishedOnKey": finish if finish in keys else ""},
                          verb.get("method", "POST")), target

    def _keys_for(self, prompt: str) -> str:
        if self.queue is not None:
            return self.queue_presses.pop(0) if self.queue_presses else ""
        for pattern, keys in self.answers.items():
            if re.search(pattern, prompt, re.I):
                return option_key(prompt, keys.pop(0)) if keys else ""
        return self.presses.pop(0) if self.presses else ""


def option_key(prompt: str, keys: str) -> str:
    """``option:WORDS`` is the key the menu gives for the option named with those words ("Pour le service
    d'interprétariat, tapez 4." gives 4), as a person picks from a menu; none: no key. Other keys as they are."""
    if not keys.startswith(OPTION):
        return keys
    found = re.search(r"(?:Pour|For|To)\b[^.]*?(?:" + keys[len(OPTION):] + r")[^.]*?,\s*(?:tapez|press)\s+(\w)",
                      prompt, re.I)
    return found.group(1) if found else ""
