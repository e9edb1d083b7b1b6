"""HTTP routes of registrations: a member registers (with guests, if the event allows),
cancels and sees their registrations; the alumni office sees an event's registrations and
waitlist and can cancel anyone's; staff (the door) see an event's registrations, without
the ticket codes.

Capacity counts people (members and their guests) and is never exceeded, however many
register at once; once full, registrations join a FIFO waitlist and a cancellation promotes
the first waitlisted parties that fit the seats it freed.
"""
from __future__ import annotations

from datetime import datetime

from flask import g, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from services.events import access, registrations_store
from services.events import registrations as rules
from services.events.api import Admission, shown
from services.events.schemas import MAX_GUESTS, BilingualLine, PlaceSchema
from shared.auth import require_auth
from shared.web import pagination
from shared.web.app import current_service
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("registrations", __name__, url_prefix="/api/v1/events", description="Registrations and waitlists.")

STATUSES = [rules.CONFIRMED, rules.WAITLISTED, rules.CANCELLED]
# How each refusal of the rules is answered: the event's state (409) or the request (422).
CONFLICTS = {"event-cancelled", "not-published", "registration-not-open", "registration-closed", "event-over"}


# --------------------------------------------------------------------------- schemas

class RegistrationRequestSchema(Schema):
    guests = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_GUESTS),
                            metadata={"description": "guests coming with the member (at most the event's "
                                                     "`guests_allowed`); they take seats too"})


class EventBriefSchema(Schema):
    id = fields.String(required=True)
    title = fields.Nested(BilingualLine)
    kind = fields.String()
    status = fields.String(metadata={"description": "published or cancelled"})
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    timezone = fields.String()
    place = fields.Nested(PlaceSchema, allow_none=True)
    online_url = fields.String(allow_none=True)


class RegistrationSchema(Schema):
    id = fields.String(required=True)
    event_id = fields.String(required=True)
    member_id = fields.String(allow_none=True, metadata={"description": "null once the member was erased"})
    guests = fields.Integer()
    party = fields.Integer(metadata={"description": "seats the registration takes: the member and their guests"})
    status = fields.String(metadata={"description": "confirmed, waitlisted or cancelled"})
    position = fields.Integer(allow_none=True,
                              metadata={"description": "waitlisted: place in the queue, 1 is next; else null"})
    ticket_code = fields.String(allow_none=True,
                                metadata={"description": "confirmed: the check-in code (shown to the member and "
                                                         "admins only)"})
    registered_at = fields.AwareDateTime()
    confirmed_at = fields.AwareDateTime(allow_none=True)
    promoted_at = fields.AwareDateTime(allow_none=True, metadata={"description": "when it left the waitlist"})
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True, metadata={"description": "member, admin, event_cancelled or "
                                                                            "erased"})
    checked_in_at = fields.AwareDateTime(allow_none=True)
    event = fields.Nested(EventBriefSchema, metadata={"description": "in the caller's own list only"})


class MyRegistrationsQuerySchema(pagination.page_query_schema(name="MyRegistrationsQueryBase")):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "only this status"})


class EventRegistrationsQuerySchema(pagination.page_query_schema(name="EventRegistrationsQueryBase", maximum=100)):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "only this status"})


RegistrationPageSchema = pagination.page_schema(RegistrationSchema, "RegistrationPage")


# --------------------------------------------------------------------------- helpers

def now() -> datetime:
    return current_service().clock()


def _db():
    return current_service().store.db


def view(registration: dict, *, place: int | None = None, show_ticket: bool = True, event: dict | None = None
         ) -> dict:
    shown = {"id": registration["_id"], **{k: registration.get(k) for k in (
        "event_id", "member_id", "guests", "party", "status", "registered_at", "confirmed_at", "promoted_at",
        "cancelled_at", "cancel_reason", "checked_in_at")},
        "position": place if registration["status"] == rules.WAITLISTED else None,
        "ticket_code": registration.get("ticket_code") if show_ticket else None}
    if event is not None:
        shown["event"] = {"id": event["_id"], **{k: event.get(k) for k in (
            "title", "kind", "status", "starts_at", "ends_at", "timezone", "place", "online_url")}}
    return shown


def _shown(registration: dict) -> dict:
    """A registration as its member or an admin sees it, with its queue place."""
    return view(registration, place=registrations_store.queue_place(_db(), registration))


def _no_event() -> Problem:
    return Problem(404, "No such event.", kind="not-found")


def _refused(refusal: rules.Refusal) -> Problem:
    if refusal.kind in CONFLICTS:
        extra = {}
        if refusal.kind == "registration-not-open":
            extra["opens_at"] = refusal.at.isoformat()
        elif refusal.kind == "registration-closed":
            extra["closes_at"] = refusal.at.isoformat()
        return Problem(409, str(refusal), kind=refusal.kind, **extra)
    return Problem(422, str(refusal), kind="validation", errors={refusal.field or "_schema": [str(refusal)]})


def _cancel(event_id: str, member_id: str, reason: str) -> dict:
    try:
        registration, _ = registrations_store.cancel(current_service().store, event_id, member_id, reason, now())
    except registrations_store.NotFound as error:
        if error.what == "event":
            raise _no_event() from None
        raise Problem(404, "There is no registration of this member for this event." if reason == "admin"
                      else "You are not registered for this event.", kind="not-found") from None
    except rules.Refusal as refusal:
        raise _refused(refusal) from None
    return _shown(registration)


# --------------------------------------------------------------------------- routes

@blp.route("/<event_id>/registrations")
class EventRegistrations(MethodView):
    @require_auth()
    @blp.arguments(RegistrationRequestSchema)
    @blp.response(201, RegistrationSchema, description="Registered: confirmed, or waitlisted with its place.")
    @blp.alt_response(200, schema=RegistrationSchema, description="Already registered: that registration, "
                                                                  "unchanged.")
    @blp.alt_response(403, description="Not in the event's audience (or not a verified member).")
    @blp.alt_response(404, description="No such event, or one the caller does not see (another audience's).")
    @blp.alt_response(409, description="The event is not open for registration: not published, cancelled, "
                                       "not open yet (`opens_at`) or closed (`closes_at`).")
    @blp.alt_response(422, description="More guests than the event allows, or a party larger than its capacity.")
    def post(self, body: dict, event_id: str):
        """Register for an event (the caller, a verified member in its audience; admins always).

        The party (the member and `guests`) is confirmed if it fits the seats left, with a
        `ticket_code` for check-in (`events.registration.confirmed`); otherwise it joins the
        waitlist in FIFO order, `position` being its place in the queue
        (`events.registration.waitlisted`). Registering again while registered answers 200
        with the registration unchanged; after a cancellation it registers anew.
        Registration is open from `registration_opens_at` until `registration_closes_at`
        (default: the start)."""
        # One transaction sees the event (404 for unknown events, drafts and other audiences'),
        # finds a registration held already (200, in the audience, open or closed, full or
        # not), admits the caller (403) and applies the rules (409, 422): see ``register``.
        admission = Admission(g.principal, doing="register", thing="event", visible=access.visible,
                              missing=_no_event)
        try:
            registration, created, place = registrations_store.register(
                current_service().store, event_id, g.principal.subject, body["guests"], now(), admission)
        except registrations_store.NotFound:
            raise _no_event() from None
        except rules.Refusal as refusal:
            raise _refused(refusal) from None
        location = {"Location": url_for("registrations.MyEventRegistration", event_id=event_id)}
        if not created:
            return _shown(registration), 200, location
        return view(registration, place=place), 201, location

    @require_auth(*access.DOOR)
    @blp.arguments(EventRegistrationsQuerySchema, location="query")
    @blp.response(200, RegistrationPageSchema)
    @blp.alt_response(404, description="No such event (or, to staff, a draft).")
    def get(self, query: dict, event_id: str):
        """An event's registrations (admins and staff; `ticket_code` to admins only):
        confirmed ones first, then the waitlist in FIFO order (`position` is the place in the
        queue), then cancelled ones; `status` keeps one."""
        shown(event_id, g.principal)
        items, total = registrations_store.for_event(_db(), event_id, query.get("status"), query["page"],
                                                     query["per_page"])
        return pagination.page([view(r, place=place, show_ticket=g.principal.is_admin) for r, place in items],
                               query, total)


@blp.route("/<event_id>/registrations/mine")
class MyEventRegistration(MethodView):
    @require_auth()
    @blp.response(200, RegistrationSchema)
    @blp.alt_response(404, description="Not registered for this event.")
    def get(self, event_id: str):
        """The caller's registration for an event (any status)."""
        registration = registrations_store.get(_db(), event_id, g.principal.subject)
        if registration is None:
            raise Problem(404, "You are not registered for this event.", kind="not-found")
        return _shown(registration)

    @require_auth()
    @blp.response(200, RegistrationSchema, description="The registration, cancelled.")
    @blp.alt_response(404, description="Not registered for this event.")
    @blp.alt_response(409, description="The event is over.")
    def delete(self, event_id: str):
        """Cancel the caller's registration (`events.registration.cancelled`, reason `member`).

        The seats it frees go to the waitlist at once: the first waitlisted parties that fit
        are confirmed (`events.registration.promoted`). Cancelling again changes nothing."""
        return _cancel(event_id, g.principal.subject, "member")


@blp.route("/<event_id>/registrations/<member_id>")
class MemberRegistration(MethodView):
    @require_auth("admin")
    @blp.response(200, RegistrationSchema)
    @blp.alt_response(404, description="No registration of this member for this event.")
    def get(self, event_id: str, member_id: str):
        """A member's registration for an event (admins)."""
        registration = registrations_store.get(_db(), event_id, member_id)
        if registration is None:
            raise Problem(404, "There is no registration of this member for this event.", kind="not-found")
        return _shown(registration)

    @require_auth("admin")
    @blp.response(200, RegistrationSchema, description="The registration, cancelled.")
    @blp.alt_response(404, description="No registration of this member for this event.")
    @blp.alt_response(409, description="The event is over.")
    def delete(self, event_id: str, member_id: str):
        """Cancel a member's registration (admins; reason `admin`), promoting from the waitlist
        like any cancellation."""
        return _cancel(event_id, member_id, "admin")


@blp.route("/registrations/mine")
class MyRegistrations(MethodView):
    @require_auth()
    @blp.arguments(MyRegistrationsQuerySchema, location="query")
    @blp.response(200, RegistrationPageSchema)
    def get(self, query: dict):
        """The caller's registrations, newest event first, each with a short `event`;
        `status` keeps one status."""
        items, total = registrations_store.for_member(_db(), g.principal.subject, query.get("status"),
                                                      query["page"], query["per_page"])
        return pagination.page([view(r, place=place, event=e) for r, e, place in items], query, total)
