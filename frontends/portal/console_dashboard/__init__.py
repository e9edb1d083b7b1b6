"""Portal area `console_dashboard`: the office's front page with links to every console page
and charts of members, events and emails (admins only; URL ``/office``)."""
from flask import Blueprint

blp = Blueprint("console_dashboard", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/console_dashboard")

from frontends.portal.console_dashboard import views  # noqa: E402,F401  (registers the routes)
