"""The door (admins and staff): the events of the day, and each event's check-in page.

A handheld barcode/QR scanner is a keyboard: it types the ticket's code into the focused field
and presses Enter. The page's only field has ``autofocus``, so after each scan the answer page
(post/redirect/get) comes back with the field empty and focused for the next one; no script is
needed. The answer is shown big: who was checked in, or when and by whom they were before, or
that the code is not a ticket for this event.
"""
from __future__ import annotations

from datetime import datetime

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from frontends.portal.auth import viewer, with_role
from frontends.portal.console_events import blp, people, times
from frontends.portal.gateway import ApiProblem, api
from frontends.portal.i18n import DEFAULT_TIMEZONE

RESULT_KEY = "door_result"  # the last scan's answer, shown once by the page after the redirect
# The events API's refusals of a scan that are neither "no ticket" nor "not open now", by their detail.
CONFLICTS = {"The event is cancelled.": _l("This event is cancelled: nobody is checked in."),
             "The event is not published.": _l("This event is not published yet.")}


def today():
    """The events of today (Sofia) that have not ended, each with its check-in page: what the
    door team picks from. Staff see this instead of the office's list."""
    day = datetime.now(times.zone(DEFAULT_TIMEZONE)).date().isoformat()
    found = api().get("/api/v1/events", params={"when": "upcoming", "starts_to": day, "per_page": 50})
    events = [e for e in found.get("items", []) if e.get("status") == "published"]
    return render_template("console_events/today.html", events=events)


@blp.route("/office/events/today")
@with_role("staff")
def today_page():
    return today()


def _outcome(result: dict) -> dict:
    """What the page needs of a check-in answer, kept in the session until it is shown."""
    by = result.get("checked_in_by")
    return {"status": result.get("status"), "guests": int(result.get("guests") or 0),
            "name": people.full_name(result),
            "at": result.get("checked_in_at"), "by": by,
            "by_name": None if by == viewer().member_id else people.name(by)}


def _refusal(problem: ApiProblem, event: dict) -> tuple[str, int]:
    """A refused scan in words, and the page's status."""
    zone = event.get("timezone")
    if problem.kind == "no-ticket" or (problem.status == 422 and "code" in problem.errors):
        return _("Not a ticket for this event."), problem.status
    if problem.kind == "check-in-closed":
        opens, closes = problem.body.get("opens_at"), problem.body.get("closes_at")
        if problem.detail.startswith("Check-in opens"):  # else it closed, when the event ended
            return _("Check-in opens at %(at)s.", at=times.when(opens, zone)), 409
        return _("Check-in closed at %(at)s, when the event ended.", at=times.when(closes, zone)), 409
    if problem.status == 409:
        return str(CONFLICTS.get(problem.detail, _("Check-in is not possible for this event now."))), 409
    if problem.status == 429:
        return _("Too many scans at once. Wait a moment and scan again."), 429
    raise problem


@blp.route("/office/events/<event_id>/check-in", methods=["GET", "POST"])
@with_role("staff")
def check_in(event_id: str):
    problem, refusal, status = None, None, 200
    if request.method == "POST":
        # A scan goes straight to the API: the queue at the door waits for nothing else.
        code = request.form.get("code", "").strip()
        if not code:  # Enter on the empty field: nothing to ask the API
            refusal, status = _("Scan a ticket first: the field was empty."), 400
        else:
            try:
                result = api().post(f"/api/v1/events/{event_id}/check-ins", {"code": code})
            except ApiProblem as refused:
                if refused.kind == "not-found":
                    raise  # no such event (a ticket that is not this event's is "no-ticket")
                problem = refused
            else:
                session[RESULT_KEY] = {"event_id": event_id, **_outcome(result)}
                return redirect(url_for("console_events.check_in", event_id=event_id))
    event = api().get(f"/api/v1/events/{event_id}")
    if problem is not None:
        refusal, status = _refusal(problem, event)  # in words, its times in the event's zone
    outcome = None
    if request.method == "GET" and (session.get(RESULT_KEY) or {}).get("event_id") == event_id:
        outcome = session.pop(RESULT_KEY)  # shown once: a reload shows the empty field only
    return render_template("console_events/check_in.html", event=event, outcome=outcome, refusal=refusal), status
