"""Portal area `console_mentoring`: the office's dashboard of the mentoring programme (admins
only; URL ``/office/mentoring``): who takes part by specialty and language, the requests
waiting, each mentor's figures, the stalled pairs and the feedback, and the CSV export."""
from flask import Blueprint

blp = Blueprint("console_mentoring", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/console_mentoring")

from frontends.portal.console_mentoring import views  # noqa: E402,F401  (registers the routes)
