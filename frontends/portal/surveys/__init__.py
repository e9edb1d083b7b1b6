"""Portal area `surveys`: the members' side of surveys: the surveys for me, answering one a
section at a page (drafts saved at each step), and reviewing the profile changes my answers
propose. Answering and reviewing also work from the invitation's personal link without a login
(``link.py``). The office's side is ``console_surveys``."""
from flask import Blueprint

blp = Blueprint("surveys", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/surveys")


@blp.after_request
def _no_referrer(response):
    # The personal link's token is in the first page's address: no other site may see it.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


from frontends.portal.surveys import answer, review, views  # noqa: E402,F401  (registers the routes)
