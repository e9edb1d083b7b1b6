"""Portal area `preferences` (see ``frontends.portal.app.AREAS``)."""
from flask import Blueprint

blp = Blueprint("preferences", __name__, template_folder="templates")

from frontends.portal.preferences import views  # noqa: E402,F401  (registers the routes)
