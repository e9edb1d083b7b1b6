"""Portal area `console_members`: the alumni office's roster import, approval queue and
segments (admins only; URLs under ``/office/``)."""
from flask import Blueprint

blp = Blueprint("console_members", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/console_members")

from frontends.portal.console_members import approvals, roster_pages, segments  # noqa: E402,F401  (registers the routes)
