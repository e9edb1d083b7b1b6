"""The office's events pages (admins): the list, create and edit in both languages, publish,
cancel, registrations and waitlist, and the attendance CSV. Staff reaching the list see the
events of the day at the door (``door.py``) instead."""
from __future__ import annotations

import re
import uuid

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
# Named so that the catalogue's extractor (its keywords include pgettext) finds the strings.
from flask_babel import lazy_pgettext as pgettext

from frontends.portal.auth import viewer, with_role
from frontends.portal.console_events import blp, door, forms, labels, people, times, wording
from frontends.portal.gateway import ApiProblem, api

PER_PAGE = 20
REGISTRATIONS_PER_PAGE = 25
# The list's tabs: what each asks the events API for.
SHOWS = {
    "upcoming": (pgettext("events tab", "Upcoming"), {"when": "upcoming"}),
    "draft": (pgettext("events tab", "Drafts"), {"when": "all", "status": "draft"}),
    "published": (pgettext("events tab", "Published"), {"when": "upcoming", "status": "published"}),
    "cancelled": (pgettext("events tab", "Cancelled"), {"when": "all", "status": "cancelled"}),
    "past": (pgettext("events tab", "Past"), {"when": "past"}),
}
EDIT_PROBLEMS = {"conflict": _l("This event is cancelled: it can no longer be changed.")}
PUBLISH_PROBLEMS = {"conflict": _l("A cancelled event cannot be published.")}
# The form's Idempotency-Key (one per rendering of the new event form) met again.
CREATE_PROBLEMS = {
    "idempotency-in-progress": _l("This event is being saved already. Look for it among the drafts in a moment."),
    "idempotency-mismatch": _l("This form has already created an event. Open a new form to create another."),
}


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _event(event_id: str) -> dict:
    return api().get(f"/api/v1/events/{event_id}")


def event_title(event: dict) -> str:
    """The title in the page's language, else in the other one."""
    title = event.get("title") or {}
    return title.get(g.get("locale", "bg")) or title.get("bg") or title.get("en") or ""


@blp.context_processor
def _helpers():
    """For this area's templates only (other areas may name their own helpers alike)."""
    return {"event_title": event_title, "events_when": times.when, "events_clock": times.clock,
            "events_labels": labels}


@blp.route("/office/events")
@with_role("staff")
def index():
    if not viewer().is_admin:
        return door.today()
    show = request.args.get("show", "upcoming")
    if show not in SHOWS:
        show = "upcoming"
    page = _page_number()
    listing = api().get("/api/v1/events", params={**SHOWS[show][1], "page": page, "per_page": PER_PAGE})
    items = listing.get("items", [])
    return render_template("console_events/index.html", shows=SHOWS, show=show, events=items, page=page,
                           has_next=page * PER_PAGE < listing.get("total", 0))


def segment_options() -> list[tuple[str, str]]:
    """The saved segments an event or a survey may be for (the form works without them)."""
    try:
        found = api().get("/api/v1/members/segments", params={"per_page": 100})
    except ApiProblem:
        return []
    return [(s["id"], s.get("name") or s["id"]) for s in found.get("items", [])]


def segment_name(audience: dict | None) -> str | None:
    """The name of the saved segment an audience names, if it has one and it is still there."""
    segment_id = (audience or {}).get("segment_id")
    return dict(segment_options()).get(segment_id) if segment_id else None


def _form_page(template_form: dict, *, event: dict | None, errors=None, message=None, status=200,
               idempotency_key: str | None = None):
    return render_template("console_events/form.html", form=template_form, event=event, errors=errors or {},
                           message=message, segments=segment_options(), timezones=forms.TIMEZONES,
                           idempotency_key=idempotency_key), status


@blp.route("/office/events/new", methods=["GET", "POST"])
@with_role("admin")
def create():
    if request.method == "GET":
        return _form_page(forms.blank(), event=None, idempotency_key=uuid.uuid4().hex)
    form = forms.typed(request.form)
    # The key the form was rendered with: a second click of "Create" answers the first event.
    key = request.form.get("idempotency_key") or uuid.uuid4().hex
    try:
        created = api().post("/api/v1/events", forms.body(form), headers={"Idempotency-Key": key[:255]})
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        if problem.kind in CREATE_PROBLEMS:  # about the form's key, not its fields
            return _form_page(form, event=None, message=str(CREATE_PROBLEMS[problem.kind]),
                              status=_form_status(problem), idempotency_key=uuid.uuid4().hex)
        return _form_page(form, event=None, errors=wording.field_errors(problem),
                          message=wording.summary(problem), status=_form_status(problem),
                          idempotency_key=uuid.uuid4().hex)
    flash(_("The event is saved as a draft. Publish it when it is ready."), "success")
    return redirect(url_for("console_events.event", event_id=created["id"]))


def _form_status(problem: ApiProblem) -> int:
    return problem.status if problem.status in (409, 422, 429) else 400


@blp.route("/office/events/<event_id>")
@with_role("admin")
def event(event_id: str):
    shown = _event(event_id)
    return render_template("console_events/event.html", event=shown, segment_name=segment_name(shown.get("audience")))


@blp.route("/office/events/<event_id>/edit", methods=["GET", "POST"])
@with_role("admin")
def edit(event_id: str):
    before = _event(event_id)
    if request.method == "GET":
        return _form_page(forms.of_event(before), event=before)
    form = forms.typed(request.form)
    changes = forms.changes(before, form)
    if not changes:
        flash(_("Nothing was changed."), "info")
        return redirect(url_for("console_events.event", event_id=event_id))
    try:
        api().patch(f"/api/v1/events/{event_id}", changes)
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        return _form_page(form, event=before, errors=wording.field_errors(problem),
                          message=wording.summary(problem, EDIT_PROBLEMS), status=_form_status(problem))
    flash(_("The changes are saved."), "success")
    return redirect(url_for("console_events.event", event_id=event_id))


@blp.post("/office/events/<event_id>/publish")
@with_role("admin")
def publish(event_id: str):
    try:
        api().post(f"/api/v1/events/{event_id}/publish")
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise
        flash(wording.summary(problem, PUBLISH_PROBLEMS) if not problem.errors else
              " ".join(m for ms in wording.field_errors(problem).values() for m in ms), "error")
        return redirect(url_for("console_events.event", event_id=event_id))
    flash(_("The event is published: its audience can see it and register."), "success")
    return redirect(url_for("console_events.event", event_id=event_id))


@blp.route("/office/events/<event_id>/cancel", methods=["GET", "POST"])
@with_role("admin")
def cancel(event_id: str):
    shown = _event(event_id)
    if shown.get("status") == "cancelled":
        flash(_("This event is already cancelled."), "info")
        return redirect(url_for("console_events.event", event_id=event_id))
    reason, errors, message, status = request.form.get("reason", "").strip(), {}, None, 200
    if request.method == "POST":
        try:
            api().post(f"/api/v1/events/{event_id}/cancel", {"reason": reason or None})
        except ApiProblem as problem:
            if problem.status in (403, 404):
                raise
            errors, message = wording.field_errors(problem), wording.summary(problem)
            status = _form_status(problem)
        else:
            flash(_("The event is cancelled. Everyone registered is told, with your reason."), "success")
            return redirect(url_for("console_events.event", event_id=event_id))
    return render_template("console_events/cancel.html", event=shown, reason=reason, errors=errors,
                           message=message), status


@blp.route("/office/events/<event_id>/registrations")
@with_role("admin")
def registrations(event_id: str):
    shown = _event(event_id)
    status = request.args.get("status", "")
    if status not in labels.REGISTRATION_STATUSES:
        status = ""
    page = _page_number()
    params = {"page": page, "per_page": REGISTRATIONS_PER_PAGE, **({"status": status} if status else {})}
    found = api().get(f"/api/v1/events/{event_id}/registrations", params=params)
    items = found.get("items", [])
    return render_template("console_events/registrations.html", event=shown, registrations=items,
                           names=people.names([r.get("member_id") for r in items]), status=status, page=page,
                           total=found.get("total", 0),
                           has_next=page * REGISTRATIONS_PER_PAGE < found.get("total", 0))


@blp.route("/office/events/<event_id>/attendance.csv")
@with_role("admin")
def attendance(event_id: str):
    """The events API's attendance list, passed through with the admin's token (the browser
    holds none), as a download."""
    result = api().call("GET", f"/api/v1/events/{event_id}/attendance.csv")
    filename = "attendance-" + re.sub(r"[^A-Za-z0-9_-]", "", event_id) + ".csv"
    return Response(result.content, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})
