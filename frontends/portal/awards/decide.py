"""The nominee's decision page (``/awards/nominations/<id>/decide``): from the email's
one-click link (``?t=<token>``, without a login) it says which award the nomination is for
and posts the link's decision: confirming takes optional details for the jury, declining
nothing. Signed in without a link, the nominee sees the nomination and chooses either.
A GET never decides: mail scanners open links.

After the button: what was decided (a second use says nothing changed); a link used after
the time to confirm says so (the API's 410); the other decision taken already is said too
(409); a link the API refuses (or someone else's) is "this link does not work".
"""
from __future__ import annotations

from flask import redirect, render_template, request

from frontends.portal import problems
from frontends.portal.auth import login_url, viewer
from frontends.portal.awards import blp, link, present
from frontends.portal.awards.views import checked, path
from frontends.portal.gateway import ApiDown, ApiProblem, api

PAGE = "awards/decide.html"
DETAILS_MAX = 4000


def _nomination(nomination_id: str, token: str) -> dict | None:
    """The nomination as the link (the API reads it with the link's token, either decision's)
    or the signed-in nominee may see it; None if it may not (the buttons still show: the API
    judges the link when it is used). A link past its time raises the API's 410."""
    try:
        return api().get(path("nominations", nomination_id), **(link.calls(token) if token else {}))
    except ApiProblem as problem:
        if problem.status == 410:
            raise
        return None
    except ApiDown:
        return None


def _page(nomination_id: str, token: str, decision: str, *, details: str = "", errors=None, message=None,
          status: int = 200):
    try:
        nomination = _nomination(nomination_id, token)
    except ApiProblem:
        return render_template("awards/gone.html", expired=True), 410
    return render_template(PAGE, nomination_id=nomination_id, token=token, decision=decision,
                           deadline=link.deadline(token) if token else None, details=details,
                           nomination=nomination, errors=errors or {}, message=message, limit=DETAILS_MAX), status


@blp.route("/awards/nominations/<nomination_id>/decide", methods=["GET", "POST"])
def decide(nomination_id: str):
    checked(nomination_id)
    token = link.token()
    if not token and viewer() is None:
        return redirect(login_url())
    decision = link.decision(token)
    if token and not decision:
        return render_template("awards/bad_link.html"), 400
    if request.method == "GET" or not decision:
        return _page(nomination_id, token, decision)
    details = request.form.get("details", "").replace("\r\n", "\n").strip()
    if decision == "confirm" and len(details) > DETAILS_MAX:
        return _page(nomination_id, token, decision, details=details, status=400,
                     errors={"details": [_too_long()]}, message=_too_long())
    body = {"details": details or None} if decision == "confirm" else {}
    try:
        result = api().post(path("nominations", nomination_id, decision), body,
                            **(link.calls(token) if token else {}))
    except ApiProblem as problem:
        return _refused(problem, nomination_id, token, decision, details)
    return render_template("awards/decided.html", decision=decision, nomination=result or {},
                           already=bool((result or {}).get("already")))


def _too_long() -> str:
    return problems.field_message(f"Longer than maximum length {DETAILS_MAX}.")


def _refused(problem: ApiProblem, nomination_id: str, token: str, decision: str, details: str):
    if problem.status == 410:
        return render_template("awards/gone.html", expired=True), 410
    if problem.status == 409:
        return render_template("awards/gone.html", expired=False, detail=present.refusal(problem),
                               status=problem.body.get("status_now")), 409
    if problem.status == 422:
        return _page(nomination_id, token, decision, details=details, errors=problems.field_errors(problem),
                     message=problems.summary(problem), status=422)
    if problem.status in (400, 401, 403, 404):
        return render_template("awards/bad_link.html"), 400 if problem.status == 400 else problem.status
    raise problem
