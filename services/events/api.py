"""HTTP routes of events: the alumni office creates, edits, publishes and cancels them;
members and visitors list and read them, with seats left and the waitlist's length.

Who sees which event is ``access.visible``. A list reads the caller's member view once and
the segments its events name in one query, and asks the store for the events that fit
(``audience.fitting``): the same few store commands however many events there are.
"""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import g, url_for
from flask.views import MethodView

from services.events import access, audience, events_store, readmodel_store
from services.events.schemas import (
    DEFAULT_REMINDERS,
    DEFAULT_TIMEZONE,
    CancelSchema,
    EventCreateSchema,
    EventListQuerySchema,
    EventPageSchema,
    EventSchema,
    EventUpdateSchema,
    NoSuchTime,
    localise,
)
from shared.auth import optional_principal, require_auth
from shared.web import pagination
from shared.web.app import current_service
from shared.web.idempotency import idempotent
from shared.web.inputs import Blueprint
from shared.web.problems import Problem

blp = Blueprint("events", __name__, url_prefix="/api/v1/events",
                description="Events: reunions, lectures, webinars, club meetings, conferences, volunteering.")
TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


def now() -> datetime:
    return current_service().clock()


def registration_open(event: dict, at: datetime) -> bool:
    if event["status"] != "published":
        return False
    opens, closes = event.get("registration_opens_at"), event.get("registration_closes_at") or event["starts_at"]
    return (opens is None or at >= opens) and at < closes


def for_caller(event: dict, fits_me: bool | None) -> dict:
    """The event as the caller may see it: an online event's link only for those in its
    audience (and admins), so a members-only webinar's room is not public."""
    return event if fits_me or not event.get("online_url") else {**event, "online_url": None}


def day_start(day: date | None) -> datetime | None:
    """A calendar day of the list filters begins and ends in Sofia, where the club is."""
    return None if day is None else datetime.combine(day, time.min, ZoneInfo(DEFAULT_TIMEZONE))


def day_end(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.max, ZoneInfo(DEFAULT_TIMEZONE))


def public_view(event: dict, *, fits_me: bool | None = None) -> dict:
    event = for_caller(event, fits_me)
    capacity = event.get("capacity")
    local = event["starts_at"].astimezone(ZoneInfo(event["timezone"]))
    return {"id": event["_id"], **{k: v for k, v in event.items() if k not in (
        "_id", "seats_taken", "waitlist_seq", "created_by")},
        "local_starts_at": local.isoformat(), "registration_open": registration_open(event, now()),
        "seats_left": None if capacity is None else capacity - event["seats_taken"], "fits_me": fits_me}


def _not_found() -> Problem:
    return Problem(404, "No such event.", kind="not-found")


def _conflict(error: events_store.Conflict) -> Problem:
    return Problem(409, str(error), kind="conflict", errors=error.errors or None)


def fits_of(event: dict, principal, member: dict | None, segments: dict[str, dict]) -> bool | None:
    """Whether the caller is in the event's audience (``None``: anonymous; admins always are),
    given their member view and the live segments by id (no store read)."""
    if principal is None:
        return None
    if principal.is_admin:
        return True
    return audience.fits(event["audience"], member, segments.get(event["audience"].get("segment_id")))


def caller_fits(event: dict, principal) -> bool | None:
    """``fits_of`` for one event, reading the caller's member view and the event's segment."""
    if principal is None or principal.is_admin:
        return fits_of(event, principal, None, {})
    db = current_service().store.db
    segment_id = event["audience"].get("segment_id")
    return fits_of(event, principal, readmodel_store.member(db, principal.subject),
                   readmodel_store.segments(db, [segment_id] if segment_id else []))


def shown(event_id: str, principal) -> tuple[dict, bool | None]:
    """The event and whether the caller fits its audience, if the caller may see it (404
    otherwise: an event one may not see does not exist for them)."""
    try:
        event = events_store.get(current_service().store.db, event_id)
    except events_store.NotFound:
        raise _not_found() from None
    fits = caller_fits(event, principal)
    if not access.visible(event, principal, fits):
        raise _not_found()
    return event, fits


class Admission:
    """The audience checks a write runs inside its transaction (registering for an event,
    joining a cause), on the read model as that transaction reads it, so that an erasure cannot
    slip between the check and the seat; the caller's member view and the item's segment are
    read once for both checks. ``read_member(db, session)``: the caller's view (it does not
    depend on the item, so a transaction can read it before it writes a contended document),
    held (``readmodel_store.hold_member``: the caller's erasure handled meanwhile conflicts);
    ``see(db, session, item)``: 404 (``missing()``) unless the caller may see the item
    (``visible(item, principal, fits)``); ``admit(item)``, after ``see``: 403 unless the caller
    may do it, a verified member of its audience (admins always). ``doing`` and ``thing`` name
    what is refused ("register", "event")."""

    def __init__(self, principal, *, doing: str, thing: str, visible, missing):
        self.principal, self.doing, self.thing = principal, doing, thing
        self.visible, self.missing = visible, missing
        self.member: dict | None = None
        self.segment: dict | None = None

    def read_member(self, db, session) -> None:
        if not self.principal.is_admin:
            self.member = readmodel_store.hold_member(db, session, self.principal.subject)

    def see(self, db, session, item: dict) -> None:
        if not self.principal.is_admin:
            self.segment = readmodel_store.segment(db, item["audience"].get("segment_id"), session)
        segment_id = item["audience"].get("segment_id")
        fits = fits_of(item, self.principal, self.member, {segment_id: self.segment} if self.segment else {})
        if not self.visible(item, self.principal, fits):
            raise self.missing()

    def admit(self, item: dict) -> None:
        if self.principal.is_admin:
            return
        if not audience.verified(self.member):
            raise Problem(403, f"Only verified members can {self.doing}; your membership is not verified yet.",
                          kind="not-verified")
        if not audience.fits(item["audience"], self.member, self.segment):
            raise Problem(403, f"This {self.thing} is for another audience than you.", kind="other-audience")


def audience_view(db, principal, events_query: dict) -> tuple[dict | None, dict[str, dict]]:
    """What a list needs to decide audiences: the caller's member view (one read) and, for a
    verified member, the live segments that the events of ``events_query`` name (one read)."""
    if principal is None or principal.is_admin:
        return None, {}
    member = readmodel_store.member(db, principal.subject)
    if not audience.verified(member):
        return member, {}
    return member, readmodel_store.segments_named(db[events_store.EVENTS], events_query)


def _localised(data: dict, zone: str) -> dict:
    """The times of ``data`` in UTC; 422 naming each one the clocks skip in ``zone``."""
    out, errors = {}, {}
    for k, v in data.items():
        try:
            out[k] = localise(v, zone) if k in TIMES else v
        except NoSuchTime as error:
            errors[k] = [str(error)]
    if errors:
        raise Problem(422, "A time cannot be read in the event's time zone.", kind="validation", errors=errors)
    return out


@blp.route("")
class Events(MethodView):
    @require_auth("admin")
    @idempotent
    @blp.arguments(EventCreateSchema)
    @blp.response(201, EventSchema)
    def post(self, data: dict):
        """Create an event as a draft (admins). Times without an offset are read in its
        `timezone` (default Europe/Sofia): one its clocks skip is 422, one they show twice is the
        first pass. Nothing is announced until it is published."""
        zone = data.setdefault("timezone", DEFAULT_TIMEZONE)
        data.setdefault("reminders", list(DEFAULT_REMINDERS))
        try:
            event = events_store.create(current_service().store, _localised(data, zone), g.principal.subject, now())
        except events_store.Conflict as error:
            raise Problem(422, str(error), kind="validation", errors=error.errors) from None
        return public_view(event, fits_me=True), 201, {"Location": url_for("events.Event", event_id=event["_id"])}

    @blp.doc(security=[{}, {"bearerAuth": []}])
    @blp.arguments(EventListQuerySchema, location="query")
    @blp.response(200, EventPageSchema)
    def get(self, query: dict):
        """Events: `upcoming` (default, soonest first), `past` (latest first) or `all`.

        Anyone sees published and cancelled events open to all; verified members also those
        of the audiences they are in; staff and admins every published and cancelled event,
        admins drafts too. Each has `fits_me` (whether the caller is in its audience);
        `fits_me=true` keeps only those."""
        principal = optional_principal()
        is_admin = principal is not None and principal.is_admin
        if query.get("status") and not is_admin:
            raise Problem(403, "Only admins filter by status.", kind="forbidden")
        if query.get("fits_me") and principal is None:
            raise Problem(401, "Sign in to see the events for you.", kind="unauthenticated")
        statuses = [query["status"]] if query.get("status") else (
            ["draft", "published", "cancelled"] if is_admin else ["published", "cancelled"])
        db = current_service().store.db
        mongo_query, sort = events_store.listing(
            db, statuses=statuses, now=now(), when=query["when"], kinds=query.get("kind"),
            starts_from=day_start(query.get("starts_from")), starts_to=day_end(query.get("starts_to")))
        member, segments = audience_view(db, principal, mongo_query)
        if query.get("fits_me") and not is_admin:
            mongo_query = {"$and": [mongo_query, audience.fitting(member, segments)]}
        elif not access.sees_every_audience(principal):
            mongo_query = {"$and": [mongo_query, {"$or": [audience.OPEN, audience.fitting(member, segments)]}]}
        items, total = events_store.page(db, mongo_query, sort, query["page"], query["per_page"])
        return pagination.page([public_view(e, fits_me=fits_of(e, principal, member, segments)) for e in items],
                               query, total)


@blp.route("/<event_id>")
class Event(MethodView):
    @blp.doc(security=[{}, {"bearerAuth": []}])
    @blp.response(200, EventSchema)
    def get(self, event_id: str):
        """One event: drafts to admins only; an event for an audience only to its verified
        members, staff and admins (404 to anyone else)."""
        event, fits = shown(event_id, optional_principal())
        return public_view(event, fits_me=fits)

    @require_auth("admin")
    @blp.arguments(EventUpdateSchema)
    @blp.response(200, EventSchema)
    def patch(self, changes: dict, event_id: str):
        """Edit an event (admins). Changing the time or place of a published event publishes
        `events.event.rescheduled` to everyone registered and re-arms its reminders; a larger
        capacity promotes from the waitlist; a capacity below the confirmed people is 409."""
        store = current_service().store
        try:
            zone = changes.get("timezone") or events_store.get(store.db, event_id)["timezone"]
            event = events_store.update(store, event_id, _localised(changes, zone), now())
        except events_store.NotFound:
            raise _not_found() from None
        except events_store.Conflict as error:
            raise _conflict(error) from None
        return public_view(event, fits_me=True)


@blp.route("/<event_id>/publish")
class Publication(MethodView):
    @require_auth("admin")
    @blp.response(200, EventSchema)
    def post(self, event_id: str):
        """Publish a draft (admins): it becomes visible and open for registration, and
        `events.event.published` lets notifications announce it to its audience. Publishing
        again changes nothing."""
        try:
            event, _ = events_store.publish(current_service().store, event_id, now())
        except events_store.NotFound:
            raise _not_found() from None
        except events_store.Conflict as error:
            raise _conflict(error) from None
        return public_view(event, fits_me=True)


@blp.route("/<event_id>/cancel")
class Cancellation(MethodView):
    @require_auth("admin")
    @blp.arguments(CancelSchema)
    @blp.response(200, EventSchema)
    def post(self, body: dict, event_id: str):
        """Cancel an event (admins), with a reason: every registration ends, no reminder is
        sent, and `events.event.cancelled` tells everyone who was registered."""
        try:
            event, _ = events_store.cancel(current_service().store, event_id, body["reason"], now())
        except events_store.NotFound:
            raise _not_found() from None
        return public_view(event, fits_me=True)
