"""Portal area `events`: the alumni's side of events (list, detail, registering with guests,
cancelling, the waitlist, tickets with their QR code, calendar files and the calendar feed).
The office's side is ``console_events``."""
from flask import Blueprint

blp = Blueprint("events", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/events")

from frontends.portal.events import detail, feed, tickets, views  # noqa: E402,F401  (registers the routes)
