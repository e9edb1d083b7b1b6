"""Portal area `directory`: search of verified members, and a member's page as I may see it."""
from flask import Blueprint

blp = Blueprint("directory", __name__, template_folder="templates")

from frontends.portal.directory import views  # noqa: E402,F401  (registers the routes)
