"""Public holidays kept on disk: a webhooks' worker says the holiday's name without importing the `holidays` library
(17 MB in every worker) once the days are prepared, as gunicorn.conf.py does before its workers start."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from schedules import holiday_calendar, holiday_files

ROOT = Path(__file__).resolve().parents[2]
AUTH_TOKEN = secrets.token_hex(16)
PUBLIC_URL = "https://ivr.example.org"
CHRISTMAS_CLOSED = "Nous sommes actuellement fermés en raison du jour férié : Noël."
REOPENS = "Nous rouvrons lundi à 9 heures."

# A worker of the webhooks' pool, in an interpreter of its own: one signed call to the Belgian line on Christmas
# morning; prints what the caller is told and whether the library was imported.
WORKER = """
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from twilio.request_validator import RequestValidator
from app import create_app

settings = json.loads(sys.argv[1])
at = datetime(2026, 12, 25, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
app = create_app({**settings, "CONSOLE": False, "CLOCK": lambda: at})
params = {"CallSid": "CA" + "7" * 32, "From": "+32470000001", "To": "+3225550300", "CallStatus": "ringing"}
signature = RequestValidator(settings["TWILIO_AUTH_TOKEN"]).compute_signature(
    settings["PUBLIC_URL"] + "/voice/incoming", params)
answer = app.test_client().post("/voice/incoming", data=params, headers={"X-Twilio-Signature": signature},
                                base_url=settings["PUBLIC_URL"])
print(json.dumps({"status": answer.status_code, "twiml": answer.get_data(as_text=True),
                  "library": "holidays" in sys.modules, "babel": "babel" in sys.modules}))
"""


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance folder with a database migrated and loaded with the shipped directory."""
    from app import create_app
    from commands.database import load_directory_files
    from directory_data.fields import DATA_DIR
    from store.db import upgrade
    from store.extension import database

    monkeypatch.setenv("HELPLINE_INSTANCE_PATH", str(tmp_path))
    settings = {"ENVIRONMENT": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'helpline.sqlite3'}",
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_URL": PUBLIC_URL, "LOG_LEVEL": "WARNING"}
    app = create_app(settings)
    with app.app_context():
        upgrade(database.engine)
        load_directory_files(DATA_DIR)
        database.engine.dispose()
    yield app, settings, tmp_path
    holiday_files.keep_in(None)


def worker_call(settings: dict, folder: Path) -> dict:
    run = subprocess.run([sys.executable, "-c", WORKER, json.dumps(settings)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={"HELPLINE_INSTANCE_PATH": str(folder), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_a_worker_says_the_prepared_holiday_without_importing_the_library(instance):
    from app import prepare_holidays

    app, settings, folder = instance
    assert prepare_holidays(app) > 0
    heard = worker_call(settings, folder)
    assert heard["status"] == 200
    assert CHRISTMAS_CLOSED in heard["twiml"]
    assert heard["library"] is False


def test_a_worker_says_the_day_it_reopens_without_loading_babel(instance):
    # Babel's CLDR data and the console's catalogues took about 9 MB in every webhooks' worker, for nineteen names.
    from app import prepare_holidays

    app, settings, folder = instance
    prepare_holidays(app)
    heard = worker_call(settings, folder)
    assert REOPENS in heard["twiml"]
    assert heard["babel"] is False


def test_the_first_worker_to_meet_an_unprepared_year_computes_it_for_the_next_ones(instance):
    _app, settings, folder = instance
    first, second = worker_call(settings, folder), worker_call(settings, folder)
    assert CHRISTMAS_CLOSED in first["twiml"] and CHRISTMAS_CLOSED in second["twiml"]
    assert (first["library"], second["library"]) == (True, False)


def test_a_damaged_or_unwritable_cache_is_only_slower(tmp_path):
    key = ("FR", "6AE", 2031, "fr")
    try:
        holiday_files.keep_in(tmp_path)
        holiday_calendar.holiday_names.cache_clear()
        alsace = holiday_calendar.holiday_names(*key)
        assert alsace[date(2031, 12, 26)] == "Saint-Étienne"  # Alsace-Moselle's own day, from the library
        (kept,) = tmp_path.glob("holidays-*/FR-6AE-2031-fr.json")
        kept.write_text("{not json", encoding="utf-8")
        holiday_calendar.holiday_names.cache_clear()
        assert holiday_calendar.holiday_names(*key) == alsace  # computed again, and the file mended
        assert json.loads(kept.read_text(encoding="utf-8"))["2031-12-26"] == "Saint-Étienne"
        blocked = tmp_path / "a file where the folder should be"
        blocked.write_text("")
        holiday_files.keep_in(blocked)
        holiday_calendar.holiday_names.cache_clear()
        assert holiday_calendar.holiday_names(*key) == alsace  # nothing can be kept: the days are still right
    finally:
        holiday_files.keep_in(None)
        holiday_calendar.holiday_names.cache_clear()
