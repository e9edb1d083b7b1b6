"""The `profile` pages (to be built)."""
from __future__ import annotations

from flask import render_template

from frontends.portal.profile import blp


@blp.route("/me")
def mine():
    return render_template("stub.html", title="profile")
