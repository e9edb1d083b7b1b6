"""A pair's page (``/mentoring/mentorships/<id>``), for its mentor and mentee only: the other
side, the meetings with their private notes, logging a meeting (date, minutes, topic, notes),
ending the mentorship with optional feedback (1-5 and a text the other side never sees), and
giving one's feedback after the other side ended it.

The API has no single-mentorship route: the page finds it among mine. Logging posts an
``Idempotency-Key`` made with the form, so a double click logs one meeting.
"""
from __future__ import annotations

import re
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal.auth import signed_in
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.mentoring import blp, present
from frontends.portal.mentoring.views import API, MENTORSHIPS, checked

PAGES_SEARCHED = 5
RATINGS = ("1", "2", "3", "4", "5")


def pair_path(mentorship_id: str, action: str) -> str:
    return f"{API}/mentoring/mentorships/{checked(mentorship_id)}/{action}"


def find_mentorship(mentorship_id: str) -> dict:
    """The mentorship among mine (as the API words it for me); 404 when it is not mine."""
    checked(mentorship_id)
    for page in range(1, PAGES_SEARCHED + 1):
        listing = api().get(MENTORSHIPS, params={"page": page, "per_page": 100})
        found = next((m for m in listing["items"] if m["id"] == mentorship_id), None)
        if found is not None:
            return found
        if page * 100 >= listing["total"]:
            break
    abort(404)


def _page(mentorship: dict, *, meeting=None, errors=None, message=None, status=200):
    meetings = api().get(pair_path(mentorship["id"], "meetings"), params={"per_page": 100})["items"]
    return render_template("mentoring/mentorship.html", mentorship=mentorship, meetings=meetings,
                           meeting=meeting or {}, errors=errors or {}, message=message, key=uuid.uuid4().hex,
                           ratings=RATINGS), status


@blp.route("/mentoring/mentorships/<mentorship_id>")
@signed_in
def mentorship(mentorship_id: str):
    return _page(find_mentorship(mentorship_id))


@blp.post("/mentoring/mentorships/<mentorship_id>/meetings")
@signed_in
def log_meeting(mentorship_id: str):
    pair = find_mentorship(mentorship_id)
    typed = {name: request.form.get(name, "").strip() for name in ("on", "minutes", "topic", "notes")}
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"\d{1,3}", typed["minutes"]):
        errors["minutes"] = [_("Enter the minutes as a whole number.")]
    for required in ("on", "topic"):
        if not typed[required]:
            errors[required] = [_("This field is required.")]
    if errors:
        return _page(pair, meeting=typed, errors=errors, message=_("Please correct the fields marked below."),
                     status=400)
    key = request.form.get("key", "")
    headers = {"Idempotency-Key": key} if re.fullmatch(r"[0-9a-f]{32}", key) else {}
    body = {"on": typed["on"], "minutes": int(typed["minutes"]), "topic": typed["topic"],
            "notes": typed["notes"] or None}
    try:
        api().post(pair_path(mentorship_id, "meetings"), body, headers=headers)
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        return _page(pair, meeting=typed, errors=present.field_errors(problem),
                     message=present.refusal(problem), status=problem.status)
    flash(_("The meeting is logged."), "success")
    return redirect(url_for("mentoring.mentorship", mentorship_id=mentorship_id))


def feedback_from_form() -> tuple[dict | None, dict[str, list[str]]]:
    """The feedback given (None: none), and what is wrong with it."""
    rating, text = request.form.get("rating", ""), request.form.get("text", "").strip()
    if rating in RATINGS:
        return {"rating": int(rating), "text": text or None}, {}
    if text or rating:
        return None, {"rating": [_("Choose a rating from 1 to 5 to go with your words.")]}
    return None, {}


def _pair_change(mentorship_id: str, action: str, body: dict, done: str):
    try:
        api().post(pair_path(mentorship_id, action), body)
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        return _page(find_mentorship(mentorship_id), errors=present.field_errors(problem, {"feedback.rating": "rating",
                     "feedback.text": "text"}), message=present.refusal(problem), status=problem.status)
    flash(done, "success")
    return redirect(url_for("mentoring.mentorship", mentorship_id=mentorship_id))


@blp.post("/mentoring/mentorships/<mentorship_id>/end")
@signed_in
def end(mentorship_id: str):
    feedback, errors = feedback_from_form()
    if errors:
        return _page(find_mentorship(mentorship_id), errors=errors, message=_("Please correct the fields marked below."),
                     status=400)
    return _pair_change(mentorship_id, "end", {"feedback": feedback},
                        _("The mentorship has ended. Thank you for taking part."))


@blp.post("/mentoring/mentorships/<mentorship_id>/feedback")
@signed_in
def feedback(mentorship_id: str):
    given, errors = feedback_from_form()
    if given is None:
        errors = errors or {"rating": [_("Choose a rating from 1 to 5.")]}
        return _page(find_mentorship(mentorship_id), errors=errors, message=_("Please correct the fields marked below."),
                     status=400)
    return _pair_change(mentorship_id, "feedback", given, _("Thank you for your feedback."))
