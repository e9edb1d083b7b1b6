"""Portal area `console_awards`: the Alumni awards for the office (admins only; URLs under
``/office/awards``): the cycles, the cycle builder (new and, while a draft, edit), and one
cycle's page: open it, advance its phase, its nominations with statement redaction, the
shortlist from the standings, the standings' top 20 per category, the results table, the
winners (or no award) and the announcement."""
from flask import Blueprint

blp = Blueprint("console_awards", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/console_awards")

from frontends.portal.console_awards import cycle, views  # noqa: E402,F401  (registers the routes)
