"""Portal area `console_dashboard` (see ``frontends.portal.app.AREAS``)."""
from flask import Blueprint

blp = Blueprint("console_dashboard", __name__, template_folder="templates")

from frontends.portal.console_dashboard import views  # noqa: E402,F401  (registers the routes)
