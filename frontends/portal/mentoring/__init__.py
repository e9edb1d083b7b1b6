"""Portal area `mentoring`: the members' side of the mentoring programme: my roles and next
steps, my offer as a mentor, recommendations with the factors of their scores, my requests as
a mentee, the asks waiting for me as a mentor, a pair's page (meetings, end, feedback), and
the one-click decision page of the email's link, which works without a login (``link.py``)."""
from flask import Blueprint

blp = Blueprint("mentoring", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/mentoring")


@blp.after_request
def _no_referrer(response):
    # The decision link's token is in the first page's address, and the pair's notes are private.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


from frontends.portal.mentoring import decide, offer, pair, recommend, views  # noqa: E402,F401  (the routes)
