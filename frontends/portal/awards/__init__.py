"""Portal area `awards`: the members' side of the annual Alumni awards: the open cycles and
their phases, a cycle's categories with the nominate form (the nominee found in the
directory), the nominee's one-click decision page of the email's link (also signed in,
without it), my engagement points with their breakdown as a chart, my nominations, the
judges' blind ballots, and a cycle's winners once announced."""
from flask import Blueprint

blp = Blueprint("awards", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/awards")


@blp.after_request
def _no_referrer(response):
    # The decision link's token is in the first page's address; statements and ballots are private.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


from frontends.portal.awards import decide, judging, mine, views  # noqa: E402,F401  (the routes)
