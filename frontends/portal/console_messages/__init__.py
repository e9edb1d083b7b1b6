"""Portal area `console_messages` (see ``frontends.portal.app.AREAS``)."""
from flask import Blueprint

blp = Blueprint("console_messages", __name__, template_folder="templates")

from frontends.portal.console_messages import views  # noqa: E402,F401  (registers the routes)
