"""The `console_members` pages (to be built)."""
from __future__ import annotations

from flask import render_template

from frontends.portal.console_members import blp


@blp.route("/office/roster")
def roster():
    return render_template("stub.html", title="console_members")
