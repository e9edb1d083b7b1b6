"""An ambassador's duties: the contacts to answer and the activities to log.

- ``/ambassadors/contacts``: my contacts (open, replied or all), each with its due time and
  marked when overdue, in words as well as colour; each open one links to its page.
- ``/ambassadors/contacts/<contact_id>``: the question or the office's note, the reply form (the
  reply is emailed by the platform: the contact never sees my address, and I never see
  theirs) and the log form (I answered another way: channel, day, note). One page per
  contact keeps each form's fields and labels unique.
- ``/ambassadors/activities``: the activities I logged and the form to log one (kind, day,
  place, people reached, note).

The API's routes are the ambassador's own (``/ambassadors/<my member id>/...``); a member who
is no ambassador is told what the programme is and how to apply (the API's 404, or 403).
"""
from __future__ import annotations

import functools
import re
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal.ambassadors import blp, present
from frontends.portal.auth import signed_in, viewer
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.mentoring.views import checked
from frontends.portal.profile import labels

STATES = ("open", "replied", "all")
PAGES_SEARCHED = 5
LISTED = {"per_page": 100}


def my_path(what: str) -> str:
    return f"{present.API}/ambassadors/{checked(viewer().member_id)}/{what}"


def not_an_ambassador(problem: ApiProblem):
    """The API's answer to a member who is no ambassador (404: no ambassador record; 403: not
    theirs), in words; anything else is not this page's to explain."""
    if problem.status not in (403, 404):
        raise problem
    return render_template("ambassadors/not_ambassador.html", reason=str(present.NOT_AMBASSADOR)), 403


def _idempotency() -> dict:
    key = request.form.get("key", "")
    return {"Idempotency-Key": key} if re.fullmatch(r"[0-9a-f]{32}", key) else {}


@blp.get("/ambassadors/contacts")
@signed_in
def contacts():
    state = request.args.get("state", "open")
    state = state if state in STATES else "open"
    try:
        found = api().get(my_path("contacts"), params={"state": state, **LISTED})
    except ApiProblem as problem:
        return not_an_ambassador(problem)
    return render_template("ambassadors/contacts.html", contacts=found.get("items") or [], state=state,
                           states=STATES)


def find_contact(contact_id: str) -> dict:
    """The contact among mine; 404 when it is not mine."""
    checked(contact_id)
    for page in range(1, PAGES_SEARCHED + 1):
        found = api().get(my_path("contacts"), params={"state": "all", "page": page, **LISTED})
        contact = next((c for c in found.get("items") or () if c.get("contact_id") == contact_id), None)
        if contact is not None:
            return contact
        if page * LISTED["per_page"] >= (found.get("total") or 0):
            break
    abort(404)


def _contact_page(contact: dict, *, typed=None, errors=None, message=None, status=200):
    return render_template("ambassadors/contact.html", contact=contact, typed=typed or {"on": present.today()},
                           errors=errors or {}, message=message, key=uuid.uuid4().hex,
                           channels=present.options(present.CHANNELS)), status


@blp.get("/ambassadors/contacts/<contact_id>")
@signed_in
def contact(contact_id: str):
    try:
        return _contact_page(find_contact(contact_id))
    except ApiProblem as problem:
        return not_an_ambassador(problem)


def _answer(contact_id: str, action: str, typed: dict, required: tuple[str, ...], body: dict, done: str):
    """Post a reply or a logged contact: beside the fields what is wrong, else back to my contacts."""
    try:
        found = find_contact(contact_id)
    except ApiProblem as problem:
        return not_an_ambassador(problem)
    refused = present.submitted(f"{my_path('contacts')}/{contact_id}/{action}", body,
                                present.blank_errors(typed, required),
                                functools.partial(_contact_page, found, typed=typed), headers=_idempotency())
    if refused:
        return refused
    flash(done, "success")
    return redirect(url_for("ambassadors.contacts"))


@blp.post("/ambassadors/contacts/<contact_id>/reply")
@signed_in
def reply(contact_id: str):
    typed = {"message": present.words("message")}
    return _answer(contact_id, "reply", typed, ("message",), typed,
                   _("Your reply is sent. It comes from the alumni club's address; yours is not shown."))


@blp.post("/ambassadors/contacts/<contact_id>/log")
@signed_in
def log(contact_id: str):
    typed = {name: present.words(name) for name in ("channel", "on", "note")}
    return _answer(contact_id, "log", typed, ("channel", "on"), {**typed, "note": typed["note"] or None},
                   _("The contact is logged as answered."))


def activity_from_form() -> tuple[dict, dict, dict[str, list[str]]]:
    """What the form typed (to show it again) and the body for the API, and what is wrong."""
    typed = {name: present.words(name) for name in (
        "kind", "on", "place.name", "place.city", "place.country", "people_reached", "note")}
    errors = present.blank_errors(typed, ("kind", "on", "place.name", "place.country", "people_reached"))
    if typed["people_reached"] and not re.fullmatch(r"\d{1,6}", typed["people_reached"]):
        errors["people_reached"] = [_("Enter a whole number.")]
    body = {"kind": typed["kind"], "on": typed["on"],
            "place": {"name": typed["place.name"], "city": typed["place.city"] or None,
                      "country": typed["place.country"].upper()},
            "people_reached": int(typed["people_reached"]) if not errors.get("people_reached") and
            typed["people_reached"] else None, "note": typed["note"] or None}
    return typed, body, errors


def _activities_page(activities: list, *, typed=None, errors=None, message=None, status=200):
    return render_template("ambassadors/activities.html", activities=activities,
                           typed=typed or {"on": present.today()}, errors=errors or {}, message=message,
                           key=uuid.uuid4().hex,
                           kinds=present.options(present.ACTIVITY_KINDS, _("Choose the kind")),
                           countries=labels.country_options(_("Choose a country"))), status


@blp.route("/ambassadors/activities", methods=["GET", "POST"])
@signed_in
def activities():
    try:
        logged = api().get(my_path("activities"), params=LISTED).get("items") or []
    except ApiProblem as problem:
        return not_an_ambassador(problem)
    if request.method == "GET":
        return _activities_page(logged)
    typed, body, errors = activity_from_form()
    refused = present.submitted(my_path("activities"), body, errors,
                                functools.partial(_activities_page, logged, typed=typed), headers=_idempotency())
    if refused:
        return refused
    flash(_("The activity is logged. Thank you!"), "success")
    return redirect(url_for("ambassadors.activities"))
