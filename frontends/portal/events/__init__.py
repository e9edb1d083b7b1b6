"""Portal area `events` (see ``frontends.portal.app.AREAS``)."""
from flask import Blueprint

blp = Blueprint("events", __name__, template_folder="templates")

from frontends.portal.events import views  # noqa: E402,F401  (registers the routes)
