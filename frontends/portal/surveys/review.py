"""The profile changes my answers propose (``/surveys/<id>/review``): each field as it is now
and as my answer would make it, accepted or declined one by one, in one submit; then what
changed. Works with the personal link's token too.

Accept is preselected: the proposed value is what the member has just answered, and the
table shows it beside the current one before anything is sent; nothing changes until they
press the one button, and declining is one tap per row.
"""
from __future__ import annotations

from flask import abort, render_template, request

from frontends.portal import problems
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.profile import api_messages as profile_messages
from frontends.portal.surveys import blp, link
from frontends.portal.surveys.answer import refused, survey_path

DECISIONS = ("accept", "decline")


@blp.route("/surveys/<survey_id>/review", methods=["GET", "POST"])
def review(survey_id: str):
    missing = link.who_is_missing()
    if missing is not None:
        return missing
    if not link.plausible_survey_id(survey_id):
        abort(404)
    how = link.calls(link.token())
    try:
        survey = api().get(survey_path(survey_id), **how)
        proposals = api().get(survey_path(survey_id, "/proposals"), **how).get("proposals") or []
    except ApiProblem as problem:
        return refused(problem)
    pending = [p for p in proposals if p.get("state", "pending") == "pending"]
    decided = [p for p in proposals if p.get("state") in ("accepted", "declined")]
    if request.method == "GET" or not pending:
        return render_template("surveys/review.html", survey=survey, proposals=pending, decided=decided,
                               token=link.token(), errors={}, message=None)
    decisions = {p["field"]: (request.form.get(f"d.{p['field']}") if request.form.get(f"d.{p['field']}")
                              in DECISIONS else "decline") for p in pending}
    try:
        result = api().post(survey_path(survey_id, "/proposals"), {"decisions": decisions}, **how)
    except ApiProblem as problem:
        if problem.status != 422:
            return refused(problem, survey)
        # The accepted value failed the profile's own checks: said at its row.
        errors = profile_messages.field_errors(problem)
        return render_template("surveys/review.html", survey=survey, proposals=pending, decided=decided,
                               token=link.token(), errors=errors, message=problems.summary(problem)), 400
    changed = list((result or {}).get("profile_changed") or [])
    by_field = {p["field"]: p for p in pending}
    return render_template("surveys/reviewed.html", survey=survey, changed=[by_field[f] for f in changed if f in by_field],
                           kept=[p for p in pending if p["field"] not in changed])
