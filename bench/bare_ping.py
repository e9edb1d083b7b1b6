"""The baseline app of bench/members.py: bare Flask with one route, served by the same gunicorn
config as the members api (``gunicorn --config deploy/gunicorn.conf.py bench.bare_ping:app``).
What any Flask app on this gunicorn and machine answers at most, with no store, no auth, no
schemas and no logging."""
from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify(status="ok")
