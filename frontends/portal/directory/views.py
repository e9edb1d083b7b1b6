"""The `directory` pages (to be built)."""
from __future__ import annotations

from flask import render_template

from frontends.portal.directory import blp


@blp.route("/directory")
def search():
    return render_template("stub.html", title="directory")
