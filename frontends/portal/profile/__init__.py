"""Portal area `profile`: my profile with who sees each field, and changing my email address."""
from flask import Blueprint

blp = Blueprint("profile", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/profile")

from frontends.portal.profile import views  # noqa: E402,F401  (registers the routes)
