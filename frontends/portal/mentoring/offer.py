"""My offer as a mentor (``/mentoring/offer``): topics, specialties, languages, formats (online,
in person in a city), how many mentees at once, and the pause switch; withdrawing it.

The whole offer is sent each time (``PUT``); the API checks it and its problems are shown
beside the fields. A member who may not mentor (not verified, or a student) is told why.
"""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal import problems
from frontends.portal.auth import signed_in
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.mentoring import blp, present
from frontends.portal.mentoring.views import OFFER, my_offer
from frontends.portal.profile import labels

EMPTY = {"topics": [], "specialties": [], "languages": [], "formats": ["online"], "city": "", "capacity": 2,
         "paused": False}


def offer_from_form() -> tuple[dict, dict[str, list[str]]]:
    """The offer the form describes, and what the portal can tell is wrong before sending it."""
    errors: dict[str, list[str]] = {}
    extra = request.form.get("language_more", "").strip()
    languages = list(dict.fromkeys([*request.form.getlist("languages"), *([extra] if extra else [])]))
    specialties = [line.strip() for line in request.form.get("specialties", "").splitlines() if line.strip()]
    typed = request.form.get("capacity", "").strip()
    capacity: int | str = typed
    if re.fullmatch(r"\d{1,2}", typed):
        capacity = int(typed)
    else:
        errors["capacity"] = [_("Enter a whole number.")]
    offer = {"topics": request.form.getlist("topics"), "specialties": specialties, "languages": languages,
             "formats": request.form.getlist("formats"), "city": request.form.get("city", "").strip() or None,
             "capacity": capacity, "paused": request.form.get("paused") == "on"}
    return offer, errors


def _page(offer: dict, saved: dict | None, *, errors=None, message=None, refused=None, status=200):
    choices = list(present.COMMON_LANGUAGES)
    choices += [code for code in offer.get("languages") or () if code not in choices]
    return render_template("mentoring/offer.html", offer=offer, saved=saved, errors=errors or {}, message=message,
                           refused=refused, language_choices=[(code, labels.language_name(code)) for code in choices],
                           language_options=labels.language_options(_("Another language…"))), status


@blp.route("/mentoring/offer", methods=["GET", "POST"])
@signed_in
def offer():
    saved = my_offer()
    if request.method == "GET":
        return _page({**EMPTY, **(saved or {})}, saved)
    wanted, errors = offer_from_form()
    if errors:
        return _page(wanted, saved, errors=errors, message=_("Please correct the fields marked below."), status=400)
    try:
        api().put(OFFER, wanted)
    except ApiProblem as problem:
        if problem.status == 403:
            reason = problem.body.get("reason")
            return _page(wanted, saved, refused=str(present.NOT_A_MENTOR.get(reason, problems.summary(problem))),
                         status=403)
        if problem.status != 422:
            raise
        return _page(wanted, saved, errors=present.field_errors(problem), message=problems.summary(problem),
                     status=400)
    flash(_("Your mentoring offer is saved.") if saved else
          _("Thank you: you are now a mentor. Students and recent graduates can find you and ask."), "success")
    return redirect(url_for("mentoring.index"))


@blp.post("/mentoring/offer/withdraw")
@signed_in
def withdraw_offer():
    try:
        api().delete(OFFER)
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        flash(present.refusal(problem), "error")
        return redirect(url_for("mentoring.offer"))
    flash(_("Your mentoring offer is withdrawn. You can make a new one any time."), "success")
    return redirect(url_for("mentoring.index"))
