"""Portal area `console_ambassadors`: the office's side of the ambassador programme (admins
only; URLs under ``/office/ambassadors``): the applications to appoint or decline, the roster
of ambassadors (end a term, assign a contact), and the report per ambassador and country
with its CSV download."""
from flask import Blueprint

blp = Blueprint("console_ambassadors", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/console_ambassadors")

from frontends.portal.console_ambassadors import report, views  # noqa: E402,F401  (registers the routes)
