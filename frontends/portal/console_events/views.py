"""The `console_events` pages (to be built)."""
from __future__ import annotations

from flask import render_template

from frontends.portal.console_events import blp


@blp.route("/office/events")
def index():
    return render_template("stub.html", title="console_events")
