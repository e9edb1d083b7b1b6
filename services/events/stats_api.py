"""HTTP route of the office's statistics of events, for the portal's dashboard (admins only):
how full each published event is and how many came.

Per event: seats taken (confirmed members and their guests, what the capacity counts), the
waitlist (registrations and people), check-ins (registrations and their parties), the fill
(seats taken over capacity; null when unlimited) and attendance (people checked in over
seats taken; null with nobody confirmed). By default the events starting from
``RECENT_DAYS`` days ago (Sofia days, as the event list's filters), earliest first, at most
``limit``; drafts and cancelled events are left out (they seat nobody).
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.events import registrations as rules
from services.events import stats_store
from services.events.api import day_end, day_start, now
from services.events.schemas import DEFAULT_TIMEZONE, BilingualLine
from shared.auth import require_auth
from shared.web.app import current_service
from shared.web.inputs import Blueprint

blp = Blueprint("event_stats", __name__, url_prefix="/api/v1/events/stats",
                description="Fill and attendance of events for the office's dashboard (admins only).")
RECENT_DAYS = 90
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class EventStatsQuerySchema(Schema):
    starts_from = fields.Date(metadata={"description": f"events starting on or after this day (Sofia time); "
                                                      f"default {RECENT_DAYS} days ago"})
    starts_to = fields.Date(metadata={"description": "events starting on or before this day (Sofia time); "
                                                     "default: no end"})
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": "at most this many events, earliest first"})

    @validates_schema
    def _range(self, data: dict, **_) -> None:
        if data.get("starts_from") and data.get("starts_to") and data["starts_from"] > data["starts_to"]:
            raise ValidationError("Must not be before starts_from.", "starts_to")


class EventFillSchema(Schema):
    id = fields.String(required=True)
    title = fields.Nested(BilingualLine, required=True)
    kind = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(required=True)
    past = fields.Boolean(required=True, metadata={"description": "the event has ended"})
    capacity = fields.Integer(required=True, allow_none=True, metadata={"description": "null: unlimited"})
    seats_taken = fields.Integer(required=True, metadata={"description": "confirmed people, guests included"})
    confirmed_registrations = fields.Integer(required=True)
    waitlist_length = fields.Integer(required=True, metadata={"description": "waitlisted registrations"})
    waitlisted_people = fields.Integer(required=True, metadata={"description": "guests included"})
    checked_in = fields.Integer(required=True, metadata={"description": "registrations checked in"})
    checked_in_people = fields.Integer(required=True, metadata={"description": "their parties, guests included"})
    fill = fields.Float(required=True, allow_none=True, metadata={
        "description": "seats_taken / capacity; null: unlimited"})
    attendance = fields.Float(required=True, allow_none=True, metadata={
        "description": "checked_in_people / seats_taken; null: nobody confirmed"})


class EventStatsSchema(Schema):
    starts_from = fields.Date(required=True)
    starts_to = fields.Date(required=True, allow_none=True)
    events = fields.List(fields.Nested(EventFillSchema), required=True)
    more = fields.Boolean(required=True, metadata={
        "description": "more events start in the period than `limit` let through"})


def _ratio(part: int, whole: int | None) -> float | None:
    return None if not whole else round(part / whole, 3)


def fill_of(event: dict, groups: list[dict], at: datetime) -> dict:
    """One event's figures from its ``stats_store.registration_groups`` (no I/O)."""
    registrations, people = Counter(), Counter()
    for group in groups:
        keys = [group["status"]] + (["checked_in"] if group["checked_in"] else [])
        for key in keys:
            registrations[key] += group["registrations"]
            people[key] += group["people"]
    seats = people[rules.CONFIRMED]
    return {"id": event["_id"], **{k: event.get(k) for k in ("title", "kind", "starts_at", "ends_at", "timezone",
                                                              "capacity")},
            "past": event["ends_at"] <= at, "seats_taken": seats,
            "confirmed_registrations": registrations[rules.CONFIRMED],
            "waitlist_length": registrations[rules.WAITLISTED], "waitlisted_people": people[rules.WAITLISTED],
            "checked_in": registrations["checked_in"], "checked_in_people": people["checked_in"],
            "fill": _ratio(seats, event.get("capacity")), "attendance": _ratio(people["checked_in"], seats)}


@blp.route("")
class EventStats(MethodView):
    @require_auth("admin")
    @blp.arguments(EventStatsQuerySchema, location="query")
    @blp.response(200, EventStatsSchema)
    def get(self, query: dict):
        """Fill and attendance of published events: by default those that started in the last
        90 days and every upcoming one, earliest first. Check-ins count only confirmed
        registrations; cancelled registrations count nowhere."""
        at = now()
        first: date = query.get("starts_from") or (at.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()
                                                   - timedelta(days=RECENT_DAYS))
        last: date | None = query.get("starts_to")
        db = current_service().store.db
        # One more than asked for, to tell whether the list was cut.
        events = stats_store.published_events(db, day_start(first), day_end(last), query["limit"] + 1)
        more, events = len(events) > query["limit"], events[:query["limit"]]
        groups = stats_store.registration_groups(db, [e["_id"] for e in events])
        by_event: dict[str, list[dict]] = {}
        for group in groups:
            by_event.setdefault(group["event_id"], []).append(group)
        return {"starts_from": first, "starts_to": last, "more": more,
                "events": [fill_of(e, by_event.get(e["_id"], []), at) for e in events]}
