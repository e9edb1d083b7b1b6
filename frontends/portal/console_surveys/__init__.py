"""Portal area `console_surveys`: the office's surveys (admins only; URLs under
``/office/surveys``): the list, the builder of drafts, the preview in both languages, opening
and closing, and the results with charts, free texts and the CSV export."""
from flask import Blueprint

blp = Blueprint("console_surveys", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/console_surveys")

from frontends.portal.console_surveys import views  # noqa: E402,F401  (registers the routes)
