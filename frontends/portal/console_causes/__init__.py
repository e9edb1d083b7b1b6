"""The office's causes (admins): the list, the builder of a cause in both languages with its
repeatable roles (or a collection's items, or a campaign's goal), publishing, closing, the
volunteers with the hours each gave, and a campaign's progress."""
from flask import Blueprint

blp = Blueprint("console_causes", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/console_causes")

from frontends.portal.console_causes import views  # noqa: E402,F401  (registers the routes)
