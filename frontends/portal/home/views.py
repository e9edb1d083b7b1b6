"""The `home` pages (to be built)."""
from __future__ import annotations

from flask import render_template

from frontends.portal.home import blp


@blp.route("/")
def index():
    return render_template("stub.html", title="home")
