"""The surveys for me (``/surveys``): the open surveys whose audience includes me, with their
close, their length, whether they are anonymous and where my answers stand; and the thank-you
page after a submission."""
from __future__ import annotations

from flask import abort, render_template, request

from frontends.portal.auth import signed_in
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.profile import labels
from frontends.portal.surveys import blp, link, present

MINE = "/api/v1/members/me/surveys"


@blp.context_processor
def _helpers():
    return {"present": present, "labels": labels, "token": link.token()}


@blp.route("/surveys")
@signed_in
def index():
    try:
        listing = api().get(MINE)
    except ApiProblem as problem:
        if problem.status != 403:
            raise
        # Surveys are for verified members; the others are told why the list is empty.
        return render_template("surveys/index.html", surveys=[], unverified=True)
    return render_template("surveys/index.html", surveys=listing.get("items") or [], unverified=False)


@blp.route("/surveys/<survey_id>/thanks")
@signed_in
def thanks(survey_id: str):
    if not link.plausible_survey_id(survey_id):
        abort(404)
    return render_template("surveys/thanks.html", survey=None, anonymous=request.args.get("anonymous") == "1")
