"""Portal area `home`: the front page, a welcome for visitors and what fits a member."""
from flask import Blueprint

blp = Blueprint("home", __name__, template_folder="templates")

from frontends.portal.home import views  # noqa: E402,F401  (registers the routes)
