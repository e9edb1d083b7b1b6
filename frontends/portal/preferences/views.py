"""The `preferences` pages (to be built)."""
from __future__ import annotations

from flask import render_template

from frontends.portal.preferences import blp


@blp.route("/me/notifications")
def preferences():
    return render_template("stub.html", title="preferences")
