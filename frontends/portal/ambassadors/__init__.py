"""Portal area `ambassadors`: the university's ambassadors abroad.

Public, without a login: the finder (``/ambassadors``: filter by country and language, the
cards of the ambassadors who chose to be listed, only what they made public), the question
form of one ambassador and the asker's confirmation page of the email's link
(``finder.py``). For members: applying, my programme page with the listing settings
(``programme.py``), and for an ambassador the contacts to answer and the activities to log
(``duties.py``)."""
from flask import Blueprint

blp = Blueprint("ambassadors", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static/ambassadors")


@blp.after_request
def _no_referrer(response):
    # The confirmation link's token is in the page's address, and contacts' questions are private.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blp.context_processor
def _helpers():
    from frontends.portal.ambassadors import present
    from frontends.portal.profile import labels
    return {"present": present, "labels": labels}


from frontends.portal.ambassadors import duties, finder, programme  # noqa: E402,F401  (the routes)
