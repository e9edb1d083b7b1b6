"""The jury's page (``/judging``, role ``judge``): for each cycle in its judging phase, per
category, the confirmed nominations as blind ballots with the category's rubric: a whole
number from 0 to 10 per criterion, saved per ballot, or a declared conflict of interest.

Blind by construction: a ballot is shown only through ``blind()``, which keeps the ballot's
opaque id, the statements' text, the nominee's details, the rubric and the judge's own
scores or conflict. Whatever else the API's answer carries (a name, a member id, a photo, a
nominator) never reaches the template. A judge who nominated the person is refused a score by
the API (409 ``conflict_of_interest``): the page says to declare the conflict instead.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.auth import viewer, with_role
from frontends.portal.awards import blp, present
from frontends.portal.awards.views import ID, checked, items, path
from frontends.portal.gateway import ApiDown, ApiProblem, api

SCORE_MIN, SCORE_MAX = 0, 10
REASON_MAX = 1000


def _criteria(rubric: Any) -> list[dict]:
    return [{"key": str(c.get("key")), "title": c.get("title") or {}, "weight": c.get("weight")}
            for c in rubric or [] if isinstance(c, Mapping) and c.get("key")]


def blind(ballot: Mapping[str, Any], rubric: Any) -> dict:
    """What a judge may see of a ballot, and nothing else."""
    scores = ballot.get("my_scores") or {}
    return {
        "ballot_id": str(ballot.get("ballot_id", "")),
        "statements": [s for s in ballot.get("statements") or [] if isinstance(s, str) and s],
        "details": ballot.get("details") if isinstance(ballot.get("details"), str) else "",
        "rubric": _criteria(ballot.get("rubric") or rubric),
        "scores": {str(k): v for k, v in scores.items() if isinstance(v, (int, float))} if isinstance(scores, Mapping)
        else {},
        "conflict": bool(ballot.get("conflict")),
    }


def ballots_of(found: Any) -> list[dict]:
    """The judging answer's categories (``{category_id, title, rubric, ballots}``) with their blind ballots."""
    categories = found.get("categories") if isinstance(found, Mapping) else None
    return [{"category_id": c.get("category_id"), "title": c.get("title") or {},
             "rubric": _criteria(c.get("rubric")),
             "ballots": [blind(b, c.get("rubric")) for b in c.get("ballots") or []
                         if isinstance(b, Mapping) and ID.match(str(b.get("ballot_id", "")))]}
            for c in categories or [] if isinstance(c, Mapping)]


def _my_cycles() -> list[dict]:
    me = viewer().member_id
    return [c for c in items(api().get(path("cycles")))
            if c.get("phase") == "judging" and me in (c.get("judges") or [me])]


def _judging(cycle: dict) -> list[dict] | None:
    try:
        return ballots_of(api().get(path("cycles", cycle["id"], "judging")))
    except ApiProblem as problem:
        if problem.status in (403, 404, 409):
            return None  # not a judge of this one (or no longer judging): nothing to show
        raise
    except ApiDown:
        return None


def _page(errors: dict | None = None, typed: dict | None = None, message: str | None = None, status: int = 200):
    cycles = [{"cycle": c, "categories": _judging(c)} for c in _my_cycles()]
    return render_template("awards/judging.html", cycles=[c for c in cycles if c["categories"] is not None],
                           errors=errors or {}, typed=typed or {}, message=message,
                           low=SCORE_MIN, high=SCORE_MAX), status


@blp.route("/judging")
@with_role("judge")
def judging():
    return _page()


def _scores(form) -> tuple[dict[str, int], dict[str, str], dict[str, list[str]]]:
    """The typed scores (``scores.<criterion>``) as numbers, as typed, and the fields' problems."""
    typed = {name.split(".", 1)[1]: value.strip() for name, value in form.items()
             if name.startswith("scores.") and name.count(".") == 1}
    scores, errors = {}, {}
    for key, value in typed.items():
        if value.isdigit() and SCORE_MIN <= int(value) <= SCORE_MAX:
            scores[key] = int(value)
        else:
            errors[f"scores.{key}"] = [_("Enter a whole number from %(low)s to %(high)s.", low=SCORE_MIN,
                                         high=SCORE_MAX)]
    return scores, typed, errors


@blp.post("/judging/<cycle_id>/ballots/<ballot_id>")
@with_role("judge")
def score(cycle_id: str, ballot_id: str):
    checked(cycle_id), checked(ballot_id)
    scores, typed, errors = _scores(request.form)
    if not typed:
        abort(400)
    if errors:
        return _page({ballot_id: errors}, {ballot_id: typed}, _("Please correct the fields marked below."), 400)
    try:
        api().put(path("cycles", cycle_id, "judging", ballot_id), {"scores": scores})
    except ApiProblem as problem:
        if problem.status == 422:
            return _page({ballot_id: problems.field_errors(problem)}, {ballot_id: typed},
                         problems.summary(problem), 422)
        if problem.status not in (403, 404, 409, 410):
            raise
        flash(present.refusal(problem), "error")
    else:
        flash(_("Your scores are saved. You can change them until judging ends."), "success")
    return redirect(url_for("awards.judging", _anchor=f"ballot-{ballot_id}"))


@blp.post("/judging/<cycle_id>/ballots/<ballot_id>/conflict")
@with_role("judge")
def conflict(cycle_id: str, ballot_id: str):
    checked(cycle_id), checked(ballot_id)
    reason = request.form.get("reason", "").replace("\r\n", "\n").strip()
    if not reason or len(reason) > REASON_MAX:
        said = _("Say in a few words why you cannot judge this nomination.") if not reason else \
            problems.field_message(f"Longer than maximum length {REASON_MAX}.")
        return _page({ballot_id: {"reason": [said]}}, {ballot_id: {"reason": reason}}, said, 400)
    try:
        api().post(path("cycles", cycle_id, "judging", ballot_id, "conflict"), {"reason": reason})
    except ApiProblem as problem:
        if problem.status not in (403, 404, 409, 410, 422):
            raise
        flash(present.refusal(problem), "error")
    else:
        flash(_("Your conflict of interest is recorded: this nomination is judged without you."), "success")
    return redirect(url_for("awards.judging", _anchor=f"ballot-{ballot_id}"))
