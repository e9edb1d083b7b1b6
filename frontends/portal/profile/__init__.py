"""Portal area `profile` (see ``frontends.portal.app.AREAS``)."""
from flask import Blueprint

blp = Blueprint("profile", __name__, template_folder="templates")

from frontends.portal.profile import views  # noqa: E402,F401  (registers the routes)
