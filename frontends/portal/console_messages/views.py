"""The `console_messages` pages (to be built)."""
from __future__ import annotations

from flask import render_template

from frontends.portal.console_messages import blp


@blp.route("/office/announcements")
def announcements():
    return render_template("stub.html", title="console_messages")
