"""MongoDB access for tickets, check-in and attendance (documents: model.py).

A ticket is a confirmed registration's ``ticket_code`` (set by registrations when it
confirms): a bearer secret, never published in a message. Checking in sets
``checked_in_at``/``checked_in_by`` with one conditional update, in the transaction that
stores ``events.attendance.checked_in``: however many scanners post the same code at once,
only one update matches, so exactly one message is published.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.events import readmodel_store
from services.events.messages import ATTENDANCE_CHECKED_IN, CATALOG
from services.events.registrations_store import REGISTRATIONS
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index

# None of its own: check-in finds a registration by ``ticket_code``, the attendance list by
# ``event_id`` and ``status``, both indexed by registrations_store (which owns the collection).
INDEXES: list[Index] = []
# Doors open this long before the start; check-in closes at the end.
CHECK_IN_OPENS_BEFORE = timedelta(hours=6)
# What a ticket's QR code holds: this prefix and the code (the scanner may post either).
TICKET_URI_PREFIX = "alumnet:ticket:"


class NoTicket(Exception):
    """The code is not a confirmed registration's ticket for this event."""


@dataclass(frozen=True)
class CheckIn:
    """The outcome of a scan: ``first`` is False when the ticket was already used."""

    first: bool
    registration: dict


def ticket_uri(code: str) -> str:
    return TICKET_URI_PREFIX + code


def check_in_window(event: dict) -> tuple[datetime, datetime]:
    """When check-in for ``event`` is open: [opens, closes)."""
    return event["starts_at"] - CHECK_IN_OPENS_BEFORE, event["ends_at"]


def ticket(db: Database, event_id: str, member_id: str) -> dict | None:
    """The member's confirmed registration with its ticket, or ``None``."""
    return db[REGISTRATIONS].find_one({"event_id": event_id, "member_id": member_id, "status": "confirmed",
                                       "ticket_code": {"$type": "string"}})


def check_in(store, event: dict, code: str, staff_id: str, now: datetime) -> CheckIn:
    """Check in the ticket ``code`` of ``event`` (raises ``NoTicket``)."""
    db = store.db

    def work(session: ClientSession) -> CheckIn:
        registration = db[REGISTRATIONS].find_one_and_update(
            {"event_id": event["_id"], "ticket_code": code, "status": "confirmed", "checked_in_at": None},
            {"$set": {"checked_in_at": now, "checked_in_by": staff_id}},
            return_document=ReturnDocument.AFTER, session=session)
        if registration is not None:
            outbox.add(db, session, CATALOG.create(ATTENDANCE_CHECKED_IN, registration["_id"], {
                "event_id": event["_id"], "registration_id": registration["_id"],
                "member_id": registration["member_id"], "guests": registration.get("guests", 0),
                "kind": event["kind"], "checked_in_at": now.isoformat()}, current_correlation_id()))
            return CheckIn(True, registration)
        used = db[REGISTRATIONS].find_one({"event_id": event["_id"], "ticket_code": code, "status": "confirmed"},
                                          session=session)
        if used is None:
            raise NoTicket(code)
        return CheckIn(False, used)

    return store.transaction(work)


def names(db: Database, member_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Given and family names the read model knows, by member id."""
    found = db[readmodel_store.MEMBERS].find({"_id": {"$in": [m for m in member_ids if m]}},
                                             {"given_name": 1, "family_name": 1})
    return {m["_id"]: m for m in found}


def attendance(db: Database, event_id: str) -> list[dict]:
    """The event's confirmed registrations: the checked-in first in the order they arrived,
    then the others in the order they registered."""
    registrations = list(db[REGISTRATIONS].find({"event_id": event_id, "status": "confirmed"}))
    far = datetime.max.replace(tzinfo=None)

    def order(r: dict) -> tuple:
        checked = r.get("checked_in_at")
        registered = r.get("registered_at")
        return (checked is None,
                checked.replace(tzinfo=None) if checked else far,
                registered.replace(tzinfo=None) if registered else far,
                r.get("member_id") or "")

    return sorted(registrations, key=order)
