"""The office's events: the list, creating and editing events in both languages, publishing,
cancelling, registrations and the attendance list (admins), and the check-in page at the door
(admins and staff)."""
from flask import Blueprint

blp = Blueprint("console_events", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/console_events")

from frontends.portal.console_events import door, views  # noqa: E402,F401  (registers the routes)
