"""The one-click page of the email's link (``/mentoring/requests/<id>/decide?t=<token>``),
without a login: it says what the link decides and until when, and a button posts the
decision with the token. A GET never decides: mail scanners open links.

After the button: what was decided; a second use of the link shows the first decision (the
API's 200 ``already``); a link used after the time to answer, or after the mentee withdrew,
says what happened (the API's 410); the other decision taken already is said too (409).
A visitor without a link is sent to the login page; a signed-in member to their asks.
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from frontends.portal.auth import login_url, viewer
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.mentoring import blp, link, present
from frontends.portal.mentoring.views import ASKS, checked, request_path

PAGE = "mentoring/decide.html"


def _ask_of_viewer(request_id: str) -> dict | None:
    """The ask as the signed-in member sees it in their asks (to show the mentee's message)."""
    if viewer() is None:
        return None
    try:
        items = api().get(ASKS, params={"per_page": 100})["items"]
    except ApiProblem:
        return None
    return next((a for a in items if a["id"] == request_id), None)


@blp.route("/mentoring/requests/<request_id>/decide", methods=["GET", "POST"])
def decide(request_id: str):
    checked(request_id)
    token = link.token()
    if not token:
        return redirect(url_for("mentoring.asks_page") if viewer() else login_url())
    decision = link.decision(token)
    if not decision:
        return render_template("mentoring/bad_link.html"), 400
    if request.method == "GET":
        return render_template(PAGE, request_id=request_id, token=token, decision=decision,
                               deadline=link.deadline(token), ask=_ask_of_viewer(request_id))
    try:
        result = api().post(request_path(request_id, decision), {}, **link.calls(token))
    except ApiProblem as problem:
        return _refused(problem, decision)
    return render_template("mentoring/decided.html", result=result, ask=result["ask"],
                           decided=result["decided"], already=result.get("already", False))


def _refused(problem: ApiProblem, decision: str):
    if problem.status in (409, 410):
        # What happened instead: the time passed, the mentee withdrew, or the other decision.
        return render_template("mentoring/gone.html", gone=problem.status == 410, decision=decision,
                               reason=problem.body.get("reason"), outcome=problem.body.get("outcome"),
                               detail=present.refusal(problem)), problem.status
    if problem.status in (400, 401, 403, 404):
        return render_template("mentoring/bad_link.html"), 400 if problem.status == 400 else problem.status
    raise problem
