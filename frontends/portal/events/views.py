"""The `events` pages (to be built)."""
from __future__ import annotations

from flask import render_template

from frontends.portal.events import blp


@blp.route("/events")
def index():
    return render_template("stub.html", title="events")
