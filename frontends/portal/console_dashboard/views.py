"""The `console_dashboard` pages (to be built)."""
from __future__ import annotations

from flask import render_template

from frontends.portal.console_dashboard import blp


@blp.route("/office")
def index():
    return render_template("stub.html", title="console_dashboard")
