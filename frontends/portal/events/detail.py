"""An event's page: what, when, where, seats left; my registration (confirmed, or my place
on the waitlist), registering with guests, and cancelling after a confirmation."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timezone

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontends.portal.auth import signed_in, viewer
from frontends.portal.events import blp, present
from frontends.portal.gateway import ApiProblem, api

# Event ids are the events service's uuid4 hex; anything else never reaches the API's paths.
EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
# How a problem's status is answered by a page that shows it next to its form.
SHOWN_AS = (403, 404, 409, 422, 429)


def api_path(event_id: str, rest: str = "") -> str:
    if not EVENT_ID.match(event_id):
        abort(404)
    return f"/api/v1/events/{event_id}{rest}"


def load_event(event_id: str) -> dict | None:
    """The event as the signed-in member (or a visitor) may see it; None: not found or not for them."""
    try:
        return api().get(api_path(event_id))
    except ApiProblem as problem:
        if problem.status == 404:
            return None
        raise


def my_registration(event_id: str) -> dict | None:
    """The signed-in member's registration for the event (any status), None if they have none."""
    if viewer() is None:
        return None
    result = api().call("GET", api_path(event_id, "/registrations/mine"), ok=(404,))
    return None if result.status == 404 else result.json()


def not_for_you():
    return render_template("events/not_found.html", sentence=present.not_found_sentence()), 404


def with_event(view):
    """The view gets the event (as the caller sees it) in place of its id; "not found or not
    for you" if the caller does not see it."""
    @functools.wraps(view)
    def wrapped(event_id: str, **kwargs):
        event = load_event(event_id)
        if event is None:
            return not_for_you()
        return view(event, **kwargs)
    return wrapped


def now() -> datetime:
    return datetime.now(timezone.utc)


def show(event: dict, registration: dict | None, *, message: str | None = None, errors: dict | None = None,
         guests: str = "0", status: int = 200):
    active = registration is not None and registration.get("status") in ("confirmed", "waitlisted")
    return render_template("events/detail.html", event=event, registration=registration, active=active,
                           message=message, errors=errors or {}, guests=guests, over=present.ended(event, now()),
                           now_utc=now(), present=present), status


def shown_status(problem: ApiProblem) -> int:
    return problem.status if problem.status in SHOWN_AS else 400


@blp.route("/events/<event_id>")
@with_event
def detail(event: dict):
    return show(event, my_registration(event["id"]))


@blp.post("/events/<event_id>/register")
@signed_in
@with_event
def register(event: dict):
    event_id = event["id"]
    typed = request.form.get("guests", "").strip() or "0"
    if not re.fullmatch(r"\d{1,2}", typed):
        return show(event, my_registration(event_id), message=_("Please check the number of guests."),
                    errors={"guests": [_("Enter the number of guests as a whole number, 0 or more.")]},
                    guests=typed, status=400)
    try:
        result = api().call("POST", api_path(event_id, "/registrations"), json={"guests": int(typed)})
    except ApiProblem as problem:
        message, errors = present.register_problem(problem, event)
        return show(event, my_registration(event_id), message=message, errors=errors, guests=typed,
                    status=shown_status(problem))
    registration = result.json()
    if result.status == 200:
        flash(_("You were registered already; nothing has changed."), "success")
    elif registration["status"] == "waitlisted":
        flash(_("The event is full, so you are on the waitlist: number %(n)s. If seats free up, registrations "
                "are confirmed in waitlist order and we email you.", n=registration.get("position")), "success")
    else:
        flash(_("You are registered. Your ticket is ready."), "success")
    return redirect(url_for("events.detail", event_id=event_id))


@blp.route("/events/<event_id>/cancel", methods=["GET", "POST"])
@signed_in
@with_event
def cancel(event: dict):
    """A confirmation page first: cancelling gives the seats away to the waitlist at once."""
    event_id = event["id"]
    message, status = None, 200
    if request.method == "POST":
        try:
            api().call("DELETE", api_path(event_id, "/registrations/mine"))
        except ApiProblem as problem:
            message, status = present.cancel_problem(problem), shown_status(problem)
        else:
            flash(_("Your registration is cancelled."), "success")
            return redirect(url_for("events.detail", event_id=event_id))
    registration = my_registration(event_id)
    active = registration is not None and registration.get("status") in ("confirmed", "waitlisted")
    return render_template("events/cancel.html", event=event, registration=registration, active=active,
                           message=message, present=present), status
