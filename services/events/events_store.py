"""MongoDB access for events: create, edit, publish, cancel, list (documents: model.py).

Every state change and its message are one transaction. Editing the time or place of a
published event publishes ``events.event.rescheduled`` and re-arms its reminders; raising
the capacity promotes from the waitlist; cancelling ends every registration and voids the
reminders.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.events import registrations_store, reminders_store
from services.events.messages import CATALOG, EVENT_CANCELLED, EVENT_PUBLISHED, EVENT_RESCHEDULED
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index, asc
from shared.web import pagination

EVENTS = "events"
INDEXES: list[Index] = [
    Index(EVENTS, asc("starts_at"), name="events_starts_at"),
    Index(EVENTS, asc("status", "starts_at"), name="events_status_starts_at"),
]
# What a reschedule is: a change of any of these on a published event.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "place", "online_url")


class NotFound(Exception):
    pass


class Conflict(Exception):
    """The change contradicts the event's state; ``errors`` names the fields."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}


def summary(event: dict) -> dict[str, Any]:
    """The event as every message shows it (messages.EventSummary)."""
    return {"event_id": event["_id"], "title": event["title"], "kind": event["kind"],
            "starts_at": event["starts_at"].isoformat(), "ends_at": event["ends_at"].isoformat(),
            "timezone": event["timezone"], "place": event.get("place"), "online_url": event.get("online_url")}


def check(event: dict) -> dict[str, list[str]]:
    """Contradictions within an event's fields (field -> messages)."""
    errors: dict[str, list[str]] = {}
    if event["ends_at"] <= event["starts_at"]:
        errors["ends_at"] = ["Must be after starts_at."]
    opens, closes = event.get("registration_opens_at"), event.get("registration_closes_at")
    if closes is not None and closes > event["ends_at"]:
        errors["registration_closes_at"] = ["Must not be after the end."]
    if opens is not None and closes is not None and opens >= closes:
        errors["registration_opens_at"] = ["Must be before registration_closes_at."]
    if event["kind"] == "webinar" and not event.get("online_url"):
        errors["online_url"] = ["A webinar needs its link."]
    if event["kind"] != "webinar" and not event.get("place") and not event.get("online_url"):
        errors["place"] = ["Give a place or an online link."]
    return errors


def _get(db: Database, event_id: str, session: ClientSession | None = None) -> dict:
    event = db[EVENTS].find_one({"_id": event_id}, session=session)
    if event is None:
        raise NotFound(event_id)
    return event


def get(db: Database, event_id: str) -> dict:
    return _get(db, event_id)


def create(store, fields: dict, admin_id: str, now: datetime) -> dict:
    event = {"_id": uuid.uuid4().hex, "status": "draft", "place": None, "online_url": None, "capacity": None,
             "guests_allowed": 0, "registration_opens_at": None, "registration_closes_at": None,
             "audience": {"kind": "all"}, "cover_image_url": None, **fields, "seats_taken": 0,
             "waitlist_length": 0, "waitlist_seq": 0, "created_by": admin_id, "created_at": now, "updated_at": now,
             "published_at": None, "cancelled_at": None, "cancel_reason": None}
    errors = check(event)
    if errors:
        raise Conflict("The event's fields contradict each other.", errors)
    # In a transaction, so that a request's Idempotency-Key record commits with it.
    store.transaction(lambda session: store.db[EVENTS].insert_one(event, session=session))
    return event


def update(store, event_id: str, changes: dict, now: datetime) -> dict:
    db = store.db

    def work(session: ClientSession) -> dict:
        before = _get(db, event_id, session)
        if before["status"] == "cancelled":
            raise Conflict("A cancelled event cannot change.")
        after = {**before, **changes, "updated_at": now}
        errors = check(after)
        capacity = after.get("capacity")
        if capacity is not None and capacity < before["seats_taken"]:
            errors["capacity"] = [f"{before['seats_taken']} people are already confirmed."]
        if errors:
            raise Conflict("The change contradicts the event.", errors)
        db[EVENTS].replace_one({"_id": event_id}, after, session=session)
        if before["status"] != "published":
            return after
        if any(before.get(f) != after.get(f) for f in SCHEDULE_FIELDS):
            outbox.add(db, session, CATALOG.create(EVENT_RESCHEDULED, event_id, {
                **summary(after),
                "previous": {"starts_at": before["starts_at"].isoformat(), "ends_at": before["ends_at"].isoformat(),
                             "place": before.get("place"), "online_url": before.get("online_url")},
                "member_ids": registrations_store.member_ids(db, session, event_id)}, current_correlation_id()))
        if before["starts_at"] != after["starts_at"] or before.get("reminders") != after.get("reminders"):
            reminders_store.schedule(db, session, after, now)
        if before.get("capacity") is not None and (capacity is None or capacity > before["capacity"]):
            after = registrations_store.promote_waiting(db, session, after, now)
        return after

    return store.transaction(work)


def publish(store, event_id: str, now: datetime) -> tuple[dict, bool]:
    """Publish a draft; publishing a published event changes nothing (``False``)."""
    db = store.db

    def work(session: ClientSession) -> tuple[dict, bool]:
        event = _get(db, event_id, session)
        if event["status"] == "published":
            return event, False
        if event["status"] == "cancelled":
            raise Conflict("A cancelled event cannot be published.")
        if event["ends_at"] <= now:
            raise Conflict("The event is over.", {"ends_at": ["Already past."]})
        event = {**event, "status": "published", "published_at": now, "updated_at": now}
        db[EVENTS].replace_one({"_id": event_id}, event, session=session)
        outbox.add(db, session, CATALOG.create(EVENT_PUBLISHED, event_id, {
            **summary(event), "description": event["description"], "audience": _audience(event["audience"]),
            "capacity": event.get("capacity"),
            "registration_closes_at": _iso(event.get("registration_closes_at")),
            "published_at": now.isoformat()}, current_correlation_id()))
        reminders_store.schedule(db, session, event, now)
        return event, True

    return store.transaction(work)


def cancel(store, event_id: str, reason: str, now: datetime) -> tuple[dict, bool]:
    """Cancel an event: every registration ends, no reminder is sent. Cancelling again
    changes nothing (``False``)."""
    db = store.db

    def work(session: ClientSession) -> tuple[dict, bool]:
        event = _get(db, event_id, session)
        if event["status"] == "cancelled":
            return event, False
        was_published = event["status"] == "published"
        event = {**event, "status": "cancelled", "cancelled_at": now, "cancel_reason": reason, "updated_at": now}
        db[EVENTS].replace_one({"_id": event_id}, event, session=session)
        member_ids = registrations_store.end_all(db, session, event, now)
        event = _get(db, event_id, session)
        reminders_store.void(db, session, event_id)
        if was_published:
            outbox.add(db, session, CATALOG.create(EVENT_CANCELLED, event_id, {
                **summary(event), "reason": reason, "cancelled_at": now.isoformat(), "member_ids": member_ids},
                current_correlation_id()))
        return event, True

    return store.transaction(work)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _audience(audience: dict) -> dict:
    return {"kind": audience.get("kind", "all"), **{k: audience.get(k) for k in ("year_from", "year_to", "faculty",
                                                                                 "segment_id")}}


def page(db: Database, query: dict, sort: list, number: int, per_page: int) -> tuple[list[dict], int]:
    """One page of the events of ``query`` and their total (counted only when the page is full
    or past the end: a shorter page tells it)."""
    skip = (number - 1) * per_page
    found = list(db[EVENTS].find(query).sort(sort).skip(skip).limit(per_page))
    total = pagination.known_total(skip, len(found), per_page)
    return found, db[EVENTS].count_documents(query) if total is None else total


def listing(db: Database, *, statuses: list[str], now: datetime, when: str, kinds: list[str] | None,
            starts_from: datetime | None, starts_to: datetime | None) -> tuple[dict, list]:
    """The query and sort of an event list (the caller pages it)."""
    query: dict[str, Any] = {"status": {"$in": statuses}}
    starts: dict[str, Any] = {}
    if when == "upcoming":
        query["ends_at"] = {"$gt": now}
    elif when == "past":
        query["ends_at"] = {"$lte": now}
    if starts_from is not None:
        starts["$gte"] = starts_from
    if starts_to is not None:
        starts["$lt"] = starts_to
    if starts:
        query["starts_at"] = starts
    if kinds:
        query["kind"] = {"$in": kinds}
    order = DESCENDING if when == "past" else ASCENDING
    return query, [("starts_at", order), ("_id", ASCENDING)]
