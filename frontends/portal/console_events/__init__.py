"""Portal area `console_events` (see ``frontends.portal.app.AREAS``)."""
from flask import Blueprint

blp = Blueprint("console_events", __name__, template_folder="templates")

from frontends.portal.console_events import views  # noqa: E402,F401  (registers the routes)
