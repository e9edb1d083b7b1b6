"""Portal area `causes`: the causes of university life a member may join (volunteering calls,
in-kind collections, campaigns), their progress, joining a role or pledging items, leaving,
my place on a role's waitlist, and a campaign's donation link (to the university's own page:
Alumnet takes no payments). The office's side is ``console_causes``."""
from flask import Blueprint

blp = Blueprint("causes", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/causes")

from frontends.portal.causes import views  # noqa: E402,F401  (registers the routes)
