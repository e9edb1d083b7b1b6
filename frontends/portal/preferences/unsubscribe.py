"""``/unsubscribe?token=``: stop one kind of message, from a link, without logging in.

The members API has its own page for the links in emails (``GET
/api/v1/members/unsubscribe``, Bulgarian then English, with the RFC 8058 one-click POST mail
providers use). This is the portal's page for the same token: in the visitor's language, with
the site around it. Opening it changes nothing (mail scanners follow links); its button POSTs
the token to the API's JSON route, which answers what was stopped.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.preferences import blp, words

UNSUBSCRIBE = "/api/v1/members/unsubscribe"
UNSUBSCRIBE_PROBLEMS = {
    "invalid-token": lazy_gettext("This unsubscribe link is not valid: it was changed, or it has expired."),
}


def _private(response_and_status):
    """The token in the address must not leave in a Referer header."""
    body, status = response_and_status
    return body, status, {"Referrer-Policy": "no-referrer"}


@blp.route("/unsubscribe", methods=["GET", "POST"])
def unsubscribe():
    token = (request.values.get("token") or "").strip()
    message, status = None, 200
    if not token:
        message, status = str(UNSUBSCRIBE_PROBLEMS["invalid-token"]), 400
    elif request.method == "POST":
        try:
            answer = api().post(UNSUBSCRIBE, {"token": token}, anonymous=True)
        except ApiProblem as problem:
            message, status = problems.summary(problem, UNSUBSCRIBE_PROBLEMS), \
                (429 if problem.status == 429 else 400)
        else:
            return _private((render_template(
                "preferences/unsubscribed.html", category=words.name(words.CATEGORIES, answer.get("category")),
                channel=words.name(words.BY_CHANNEL, answer.get("channel"))), 200))
    return _private((render_template("preferences/unsubscribe.html", token=token, message=message), status))
