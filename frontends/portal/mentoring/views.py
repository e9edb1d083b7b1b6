"""The programme for me (``/mentoring``): my offer as a mentor, my requests as a mentee, the
asks waiting for my answer and my mentorships, each with what to do next; the lists of my
requests (withdraw one still waiting) and of the asks (accept or decline, signed in).

A part whose API does not answer is left out with a note: the rest of the page still helps.
"""
from __future__ import annotations

import logging
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal.auth import signed_in
from frontends.portal.gateway import ApiDown, ApiProblem, api
from frontends.portal.mentoring import blp, present

log = logging.getLogger("alumnet.portal.mentoring")
API = "/api/v1/members"
OFFER = f"{API}/me/mentoring/offer"
REQUESTS = f"{API}/me/mentoring/requests"
ASKS = f"{API}/me/mentoring/asks"
MENTORSHIPS = f"{API}/me/mentoring/mentorships"
LISTED = {"per_page": 100}
# Request and mentorship ids are the members service's uuid4 hex; anything else never reaches the API.
ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


def checked(object_id: str) -> str:
    if not ID.match(object_id):
        abort(404)
    return object_id


def request_path(request_id: str, action: str) -> str:
    return f"{API}/mentoring/requests/{checked(request_id)}/{action}"


@blp.context_processor
def _helpers():
    return {"present": present}


def my_offer() -> dict | None:
    """The signed-in member's offer, None when they make none."""
    result = api().call("GET", OFFER, ok=(404,))
    return None if result.status == 404 else result.json()


def _items(path: str) -> list[dict] | None:
    try:
        return api().get(path, params=LISTED)["items"]
    except (ApiProblem, ApiDown) as exc:
        log.warning("mentoring: a part is missing", extra={"path": path, "error": str(exc)})
        return None


@blp.route("/mentoring")
@signed_in
def index():
    try:
        offer, offer_missing = my_offer(), False
    except (ApiProblem, ApiDown):
        offer, offer_missing = None, True
    requests, asks, mentorships = _items(REQUESTS), _items(ASKS), _items(MENTORSHIPS)
    waiting = [a for a in asks or [] if a.get("outcome") == "pending"]
    return render_template("mentoring/index.html", offer=offer, offer_missing=offer_missing,
                           requests=requests, open_requests=[r for r in requests or [] if r.get("state") == "pending"],
                           asks=asks, waiting=waiting, mentorships=mentorships,
                           active=[m for m in mentorships or [] if m.get("state") == "active"])


@blp.route("/mentoring/requests")
@signed_in
def requests_page():
    listing = api().get(REQUESTS, params=LISTED)
    return render_template("mentoring/requests.html", requests=listing["items"])


@blp.post("/mentoring/requests/<request_id>/withdraw")
@signed_in
def withdraw(request_id: str):
    try:
        api().post(request_path(request_id, "withdraw"))
    except ApiProblem as problem:
        if problem.status not in (403, 404, 409, 410):
            raise
        flash(present.refusal(problem), "error")
    else:
        flash(_("Your request is withdrawn. The mentor's place is free again."), "success")
    return redirect(url_for("mentoring.requests_page"))


@blp.route("/mentoring/asks")
@signed_in
def asks_page():
    listing = api().get(ASKS, params=LISTED)
    items = listing["items"]
    return render_template("mentoring/asks.html", waiting=[a for a in items if a.get("outcome") == "pending"],
                           answered=[a for a in items if a.get("outcome") != "pending"])


@blp.post("/mentoring/asks/<request_id>")
@signed_in
def answer_ask(request_id: str):
    """The signed-in mentor's decision (the ask's two buttons)."""
    decision = request.form.get("d")
    if decision not in ("accept", "decline"):
        abort(400)
    try:
        result = api().post(request_path(request_id, decision), {})
    except ApiProblem as problem:
        if problem.status not in (403, 404, 409, 410):
            raise
        flash(present.refusal(problem), "error")
        return redirect(url_for("mentoring.asks_page"))
    ask = result["ask"]
    if result["decided"] == "accepted":
        flash(_("You accepted %(name)s as your mentee. We have told them.", name=present.name(ask)), "success")
        if ask.get("mentorship_id"):
            return redirect(url_for("mentoring.mentorship", mentorship_id=ask["mentorship_id"]))
    else:
        flash(_("You declined. We have told %(name)s, and their next choice is asked.", name=present.name(ask)),
              "success")
    return redirect(url_for("mentoring.asks_page"))
