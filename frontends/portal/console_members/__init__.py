"""Portal area `console_members` (see ``frontends.portal.app.AREAS``)."""
from flask import Blueprint

blp = Blueprint("console_members", __name__, template_folder="templates")

from frontends.portal.console_members import views  # noqa: E402,F401  (registers the routes)
