"""What callers hear on a line, on every path, in French or English — and the line's hold music.

The page plays the same scenarios as `helpline script LINE` (ivr/scripts.py) in a throwaway copy of the
directory (ivr/sandbox.py), so it shows the line as it is now, coordinators' edits included; nothing is kept
and nobody is dialled. Playing them takes seconds, so a worker remembers the result for the directory's
revision: the next edit of any line makes it play them again.
"""

from __future__ import annotations

import re
import threading

from flask import abort, current_app, redirect, render_template, request, url_for

from console.blueprint import db, now, require_scope
from console.schedules.hours_views import saved
from console.schedules.preview_views import transcript_words
from console.texts import t
from ivr.sandbox import sandbox
from ivr.scripts import play_all
from ivr.simulator import SimulatedClock
from store.directory import current_revision
from store.directory_edits import start_edit, save_edit
from store.extension import directory

LANGUAGES = ("fr", "en")
AUDIO_URL = re.compile(r"^https?://[^\s/]+/\S*$")
_heard: dict[tuple[str, str, int], list] = {}  # (line, language, directory revision) -> scenarios as played
_lock = threading.Lock()  # one worker plays a line's scenarios once, however many coordinators open the page


def callers_hear(slug: str):
    require_scope("line", slug)
    moment = now()
    line = directory.get(db(), moment).lines_by_slug.get(slug)
    if line is None:
        abort(404)
    language = request.args.get("lang") if request.args.get("lang") in LANGUAGES else "fr"
    scenarios = [(heard.title, heard.when, transcript_words(heard.transcript)) for heard in _played(slug, language)]
    return render_template("console/callers_hear.html", line=line, language=language, scenarios=scenarios,
                           hold_music=line.hold_music or "", error=None)


def save_hold_music(slug: str):
    """The line's hold music: an http(s) address of an audio file, or empty for the engine's own."""
    require_scope("line", slug)
    edit = start_edit(db(), "line", slug)
    if edit is None:
        abort(404)
    typed = " ".join(request.form.get("hold_music", "").split())[:500]
    if typed and not AUDIO_URL.match(typed):
        line = directory.get(db(), now()).lines_by_slug[slug]
        return render_template("console/callers_hear.html", line=line, language="fr", scenarios=[],
                               hold_music=typed, error=t("callers.hold_music_invalid")), 400
    raw = {**edit.raw, "hold_music": typed or None}
    if not typed:
        raw.pop("hold_music", None)
    result = save_edit(db(), edit, raw, ("hold_music",), now())
    if result.problems:
        db().rollback()
        abort(400)
    saved(edit, "line.hold_music", result, "callers.hold_music_saved")
    return redirect(url_for("schedules.callers_hear", slug=slug))


def _played(slug: str, language: str) -> list:
    key = (slug, language, current_revision(db()))
    with _lock:
        if key not in _heard:
            _heard.clear()  # an older revision's scripts are no use any more
            _heard[key] = _play(slug, language)
        return _heard[key]


def _play(slug: str, language: str) -> list:
    moment = now()
    with sandbox(current_app._get_current_object(), db(), SimulatedClock(moment), moment) as app:
        return play_all(app, slug, language)
