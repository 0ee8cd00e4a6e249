"""The floor for webhook_throughput.py: a bare Flask app whose one endpoint answers a constant TwiML string.

Same path and method as the real incoming-call webhook, so the same load generator and the same gunicorn
set-up drive both; it reads no form, checks no signature and touches no database.

    gunicorn -w 2 -b 127.0.0.1:8001 benchmarks.bare_app:app
"""

from __future__ import annotations

from flask import Flask, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Say language="fr-FR">Bonjour, vous êtes en relation avec une ligne d\'écoute.</Say>'
    "<Hangup /></Response>"
)

app = Flask(__name__)


@app.route("/voice/incoming", methods=("GET", "POST"))
def incoming() -> Response:
    return Response(TWIML, mimetype="text/xml")
