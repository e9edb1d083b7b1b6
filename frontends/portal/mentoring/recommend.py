"""Mentors for me (``/mentoring/recommendations``): the members API's ranking, each mentor with
the factors of their score (weight, how well they match, points), so that a mentee sees why;
picking up to 3 of them in order of preference with a short message sends the request.

Only students and recent graduates get recommendations; others are told why (the API's 403
``reason``), on a page of its own. The portal checks the picks' order before sending; the API's problems (a mentor
asked already, no longer mentoring: ``errors.mentors.<position>``) are shown at that mentor.
"""
from __future__ import annotations

import re
import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.auth import signed_in
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.mentoring import blp, present
from frontends.portal.mentoring.views import API, REQUESTS

RECOMMENDATIONS = f"{API}/me/mentoring/recommendations"
MAX_CHOICES = 3
RANKS = ("1", "2", "3")


def wishes() -> dict:
    """The topics the mentee chose to weigh (the rest comes from their profile)."""
    return {"topics": [t for t in request.values.getlist("topics") if t in present.TOPICS]}


def picks(items: list[dict]) -> tuple[list[str], dict[str, list[str]]]:
    """The mentors picked, in order of preference (``rank.<mentor id>`` = 1, 2 or 3), and what
    is wrong with the picking."""
    ranked: dict[str, list[str]] = {}
    for item in items:
        rank = request.form.get(f"rank.{item['mentor_id']}", "")
        if rank in RANKS:
            ranked.setdefault(rank, []).append(item["mentor_id"])
    errors: dict[str, list[str]] = {}
    for mentor_ids in ranked.values():
        if len(mentor_ids) > 1:
            for mentor_id in mentor_ids:
                errors[f"rank.{mentor_id}"] = [_("Give each mentor a different place in your order.")]
    order = [mentor_ids[0] for _rank, mentor_ids in sorted(ranked.items())]
    if not order:
        errors["mentors"] = [_("Choose at least one mentor: give them place 1.")]
    return order, errors


def _page(listing: dict, chosen: dict, *, errors=None, message=None, status=200):
    return render_template("mentoring/recommendations.html", items=listing.get("items") or [],
                           weights=listing.get("weights") or {}, chosen=chosen, topics=wishes()["topics"],
                           errors=errors or {}, message=message, text=request.form.get("message", ""),
                           key=uuid.uuid4().hex), status


@blp.route("/mentoring/recommendations", methods=["GET", "POST"])
@signed_in
def recommendations():
    try:
        listing = api().get(RECOMMENDATIONS, params=wishes())
    except ApiProblem as problem:
        if problem.status != 403:
            raise
        # Not an error of theirs: the page explains who mentoring is for (as /surveys does).
        reason = problem.body.get("reason")
        return render_template("mentoring/not_a_mentee.html", reason=str(
            present.NOT_A_MENTEE.get(reason, problems.summary(problem))))
    chosen = {key[5:]: value for key, value in request.form.items() if key.startswith("rank.")}
    if request.method == "GET":
        return _page(listing, chosen)
    order, errors = picks(listing.get("items") or [])
    message = request.form.get("message", "").strip()
    if not message:
        errors["message"] = [_("Write a few words to the mentor: who you are and what you hope for.")]
    if errors:
        return _page(listing, chosen, errors=errors, message=_("Please correct the fields marked below."), status=400)
    key = request.form.get("key", "")
    headers = {"Idempotency-Key": key} if re.fullmatch(r"[0-9a-f]{32}", key) else {}
    try:
        api().post(REQUESTS, {"mentors": order, "message": message}, headers=headers)
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = present.field_errors(problem)
        # ``mentors.<position>`` is about the mentor at that place of the order.
        for position, mentor_id in enumerate(order):
            if f"mentors.{position}" in errors:
                errors[f"rank.{mentor_id}"] = errors.pop(f"mentors.{position}")
        return _page(listing, chosen, errors=errors, message=present.refusal(problem), status=problem.status)
    flash(_("Your request is sent to your first choice. We email you when they answer."), "success")
    return redirect(url_for("mentoring.requests_page"))
