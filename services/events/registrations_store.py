"""MongoDB access for registrations: register, cancel, promote from the waitlist, end them
all, anonymise an erased member's, and list them (documents: ``model.py``; rules:
``registrations.py``).

Capacity is never exceeded, however many members register at once: every change of seats
or of the waitlist is an update of the event document inside the transaction that writes the
registration and its message, either conditional on its counters as they were read or (a
registration) deciding on them in the store itself (``_take_place``). Two transactions
that both touch one event conflict; the store aborts one with a transient error and
``ServiceStore.transaction`` runs it again on fresh data, so each decision "confirm or
waitlist" is taken on the seats as they are. If a conditional update ever finds the counters
changed without such a conflict, it raises the same transient error itself.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReplaceOne, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import OperationFailure

from services.events import events_store
from services.events import registrations as rules
from services.events.messages import (
    CATALOG,
    REGISTRATION_CANCELLED,
    REGISTRATION_CONFIRMED,
    REGISTRATION_PROMOTED,
    REGISTRATION_WAITLISTED,
)
from shared.bus import outbox
from shared.bus.envelope import Envelope
from shared.logs import current_correlation_id
from shared.store import Index, asc

REGISTRATIONS = "registrations"
EVENTS = "events"
INDEXES: list[Index] = [
    Index(REGISTRATIONS, asc("event_id", "status", "position"), name="registrations_event_status_position"),
    Index(REGISTRATIONS, asc("member_id"), name="registrations_member_id"),
    # Check-in looks a registration up by its code (not unique: cancelled ones have none).
    Index(REGISTRATIONS, asc("ticket_code"), name="registrations_ticket_code"),
]
# How the admins' list orders a status: confirmed by confirmation, the waitlist in FIFO order.
ORDER = {
    rules.CONFIRMED: [("confirmed_at", ASCENDING), ("_id", ASCENDING)],
    rules.WAITLISTED: [("position", ASCENDING)],
    rules.CANCELLED: [("cancelled_at", ASCENDING), ("_id", ASCENDING)],
}


class NotFound(Exception):
    """No such event (``what == "event"``) or registration (``"registration"``)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _changed_meanwhile() -> OperationFailure:
    """What a conditional update that found the event changed raises: a write conflict, which
    ``with_transaction`` retries like the store's own."""
    return OperationFailure("The event's seats changed during the transaction.", 112,
                            {"errorLabels": ["TransientTransactionError"], "codeName": "WriteConflict"})


def _event(db: Database, event_id: str, session: ClientSession | None) -> dict:
    event = db[EVENTS].find_one({"_id": event_id}, session=session)
    if event is None:
        raise NotFound("event")
    return event


def _move(db: Database, session: ClientSession, event: dict, *, seats: int = 0, waitlist: int = 0,
          seq: int = 0) -> dict:
    """Change the event's counters, if they are still what ``event`` says; the event after."""
    changes = {name: by for name, by in (("seats_taken", seats), ("waitlist_length", waitlist),
                                         ("waitlist_seq", seq)) if by}
    if not changes:
        return event
    updated = db[EVENTS].find_one_and_update(
        {"_id": event["_id"], "seats_taken": event["seats_taken"], "waitlist_length": event["waitlist_length"],
         "waitlist_seq": event["waitlist_seq"]},
        {"$inc": changes}, session=session, return_document=ReturnDocument.AFTER)
    if updated is None:
        raise _changed_meanwhile()
    return updated


def _message(event_type: str, event: dict, registration: dict, at: datetime, **extra: Any) -> Envelope:
    return CATALOG.create(event_type, registration["_id"], {
        **events_store.summary(event), "registration_id": registration["_id"],
        "member_id": registration["member_id"], "guests": registration["guests"],
        "status": registration["status"], "at": at.isoformat(), **extra}, current_correlation_id())


# --------------------------------------------------------------------------- reading

def get(db: Database, event_id: str, member_id: str, session: ClientSession | None = None) -> dict | None:
    return db[REGISTRATIONS].find_one({"_id": rules.registration_id(event_id, member_id)}, session=session)


def queue_place(db: Database, registration: dict, session: ClientSession | None = None) -> int | None:
    """A waitlisted registration's place in the queue (1 is next), else ``None``."""
    if registration.get("status") != rules.WAITLISTED:
        return None
    return db[REGISTRATIONS].count_documents({"event_id": registration["event_id"], "status": rules.WAITLISTED,
                                              "position": {"$lte": registration["position"]}}, session=session)


def for_event(db: Database, event_id: str, status: str | None, page: int, per_page: int
              ) -> tuple[list[tuple[dict, int | None]], int]:
    """One page of an event's registrations with their queue places: confirmed ones first,
    then the waitlist in FIFO order, then cancelled ones (or only ``status``); and the total."""
    statuses = [status] if status else [rules.CONFIRMED, rules.WAITLISTED, rules.CANCELLED]
    collection = db[REGISTRATIONS]
    skip, room, total, items = (page - 1) * per_page, per_page, 0, []
    for each in statuses:
        query = {"event_id": event_id, "status": each}
        count = collection.count_documents(query)
        total += count
        if room <= 0 or skip >= count:
            skip = max(skip - count, 0)
            continue
        found = list(collection.find(query).sort(ORDER[each]).skip(skip).limit(room))
        items += [(r, skip + i + 1 if each == rules.WAITLISTED else None) for i, r in enumerate(found)]
        room -= len(found)
        skip = 0
    return items, total


def for_member(db: Database, member_id: str, status: str | None, page: int, per_page: int
               ) -> tuple[list[tuple[dict, dict, int | None]], int]:
    """One page of a member's registrations, newest event first, each with its event and
    queue place; and the total. (A member has few registrations: they are sorted here.)"""
    query: dict[str, Any] = {"member_id": member_id}
    if status:
        query["status"] = status
    found = list(db[REGISTRATIONS].find(query))
    events = {e["_id"]: e for e in db[EVENTS].find({"_id": {"$in": list({r["event_id"] for r in found})}})}
    found = [r for r in found if r["event_id"] in events]
    found.sort(key=lambda r: (events[r["event_id"]]["starts_at"], r["event_id"]), reverse=True)
    start = (page - 1) * per_page
    return [(r, events[r["event_id"]], queue_place(db, r)) for r in found[start:start + per_page]], len(found)


def member_ids(db, session, event_id: str, statuses=("confirmed", "waitlisted")) -> list[str]:
    """Ids of members (not erased) with a registration of ``event_id`` in ``statuses``."""
    return [r["member_id"] for r in db[REGISTRATIONS].find(
        {"event_id": event_id, "status": {"$in": list(statuses)}, "member_id": {"$ne": None}},
        {"member_id": 1}, session=session).sort("_id", ASCENDING)]


# --------------------------------------------------------------------------- changing

class _Registered(Exception):
    """The member holds an active registration already: the attempt's writes are rolled back."""

    def __init__(self, registration: dict):
        super().__init__(registration["_id"])
        self.registration = registration


def _take_place(db: Database, session: ClientSession, event_id: str, party: int) -> dict:
    """The party's seats if they fit (``rules.fits``), else a place at the end of the
    waitlist: the event read in the transaction's snapshot, then its counters moved by an
    ``$inc``. Another registration committed since the snapshot makes the ``$inc`` a write
    conflict (retried), so the counters are never decided on stale values. Two commands, not
    one findAndModify: the embedded store (SecantusDB 0.7) answers a findAndModify with a scan
    of the whole collection (``_store_registration``). Returns the event as it was before.
    Raises ``NotFound``."""
    event = _event(db, event_id, session)
    change = {"seats_taken": party} if rules.fits(event, party) else {"waitlist_length": 1, "waitlist_seq": 1}
    db[EVENTS].update_one({"_id": event_id}, {"$inc": change}, session=session)
    return event


def register(store, event_id: str, member_id: str, guests: int, now: datetime, admission=None
             ) -> tuple[dict, bool, int | None]:
    """Register a member with ``guests``: confirmed if the party fits the seats left, else
    waitlisted at the next FIFO position; one ``events.registration.confirmed`` or
    ``.waitlisted``. Returns the registration, whether it is new, and a new waitlisted one's
    place in the queue. A member already registered (confirmed or waitlisted) gets that
    registration back and ``False``; a cancelled registration is made anew.

    Six commands and the commit: the caller's member view held and read (two), the event read
    and the seat or waitlist place taken (two), the registration written, the message, then
    the rules decide (on MongoDB alone each pair could be one findAndModify; the embedded
    store scans a collection for each findAndModify); a refusal (or an active
    registration found in its place) raises, which rolls every write back. ``admission``
    (``api.Admission``) sees the event (404) before the registration is looked at, and admits
    the caller (403) after, in the same transaction: an erasure cannot slip between the check
    and the seat. Not for use inside an enclosing transaction (``ServiceStore.transaction(
    enclose=True)``): a registration held already is answered by rolling the attempt back.
    This process's registrations for one event take turns (``_one_at_a_time``).
    Raises ``NotFound`` and ``registrations.Refusal``."""
    db = store.db
    rid = rules.registration_id(event_id, member_id)
    party = rules.party_of(guests)

    def work(session: ClientSession) -> tuple[dict, bool, int | None]:
        if admission is not None:
            # Before the event is written: from its write to the commit the event document
            # turns away every other registration for it (a write conflict, retried after a
            # backoff), so the fewer round trips in between, the better.
            admission.read_member(db, session)
        event = _take_place(db, session, event_id, party)
        if admission is not None:
            admission.see(db, session, event)
        registration = rules.new_registration(event_id, member_id, guests, now)
        if rules.fits(event, party):
            registration, place = rules.confirmed(registration, now), None
            message = _message(REGISTRATION_CONFIRMED, event, registration, now)
        else:
            # Every other waitlisted registration came earlier: the new one is last.
            registration = rules.waitlisted(registration, event["waitlist_seq"] + 1)
            place = event["waitlist_length"] + 1
            message = _message(REGISTRATION_WAITLISTED, event, registration, now, position=place)
        _store_registration(db, session, registration)
        if admission is not None:
            admission.admit(event)
        rules.check_register(event, guests, now)
        outbox.add(db, session, message)
        return registration, True, place

    try:
        with _one_at_a_time(event_id):
            return store.transaction(work)
    except _Registered as already:
        return already.registration, False, None


def _store_registration(db: Database, session: ClientSession, registration: dict) -> None:
    """Store a new registration in its member's place: inserted when the member holds none
    (one update by ``_id``, an upsert), or replacing a cancelled one (a read and a replace);
    raises ``_Registered`` when the member holds an active one. Not a findAndModify: the
    embedded store (SecantusDB 0.7) answers each findAndModify with a scan of the whole
    collection (it re-asserts the query with an ``$and`` that no index serves), and the
    registrations grow with every event (bench/README.md, events)."""
    rid = registration["_id"]
    if db[REGISTRATIONS].update_one({"_id": rid}, {"$setOnInsert": registration}, upsert=True,
                                    session=session).upserted_id is not None:
        return
    existing = db[REGISTRATIONS].find_one({"_id": rid}, session=session)
    if existing["status"] in rules.ACTIVE:
        raise _Registered(existing)
    db[REGISTRATIONS].replace_one({"_id": rid}, registration, session=session)


_event_locks: dict[str, threading.Lock] = {}
_event_locks_guard = threading.Lock()


@contextmanager
def _one_at_a_time(event_id: str):
    """This process's registrations for one event take turns: two in flight at once would
    conflict on the event's counters in the store, and the loser waits out a growing
    backoff (pymongo's ``with_transaction``) instead of a turn. Other processes' still
    conflict; the store keeps the counters right either way."""
    with _event_locks_guard:
        lock = _event_locks.get(event_id)
        if lock is None:
            if len(_event_locks) > 10_000:
                _event_locks.clear()
            lock = _event_locks[event_id] = threading.Lock()
    with lock:
        yield


def cancel(store, event_id: str, member_id: str, reason: str, now: datetime) -> tuple[dict, bool]:
    """Cancel a member's registration (reason ``member`` or ``admin``), publish
    ``events.registration.cancelled`` and give freed seats to the waitlist. Cancelling a
    cancelled registration changes nothing (``False``). Raises ``NotFound`` and
    ``registrations.Refusal`` (the event is over).

    With a promotion, six commands and the commit: the event read, the registration
    cancelled (findAndModify), the head of the waitlist read, the event's counters moved
    once for both, the promoted registrations written in one bulk write and every message in
    one insert."""
    db = store.db
    rid = rules.registration_id(event_id, member_id)

    def work(session: ClientSession) -> tuple[dict, bool]:
        event = _event(db, event_id, session)
        registration = db[REGISTRATIONS].find_one_and_update(
            {"_id": rid, "status": {"$in": list(rules.ACTIVE)}},
            {"$set": {"status": rules.CANCELLED, "cancelled_at": now, "cancel_reason": reason, "ticket_code": None}},
            session=session)
        if registration is None:
            existing = db[REGISTRATIONS].find_one({"_id": rid}, session=session)
            if existing is None:
                raise NotFound("registration")
            return existing, False
        rules.check_cancel(event, now)  # a refusal rolls the cancellation back
        was, party = registration["status"], registration["party"]
        registration = rules.cancelled(registration, reason, now)
        chosen = []
        if was == rules.CONFIRMED:
            chosen = _promotable(db, session, {**event, "seats_taken": event["seats_taken"] - party}, now)
            event = _move(db, session, event, seats=sum(r["party"] for r in chosen) - party, waitlist=-len(chosen))
        else:
            event = _move(db, session, event, waitlist=-1)
        outbox.add(db, session, _message(REGISTRATION_CANCELLED, event, registration, now, reason=reason),
                   *_promote(db, session, event, chosen, now))
        return registration, True

    return store.transaction(work)


def _free(db: Database, session: ClientSession, event: dict, status: str, party: int) -> dict:
    """Take an active registration that ended off the event's counters."""
    if status == rules.CONFIRMED:
        return _move(db, session, event, seats=-party)
    if status == rules.WAITLISTED:
        return _move(db, session, event, waitlist=-1)
    return event


def _promotable(db, session, event: dict, now: datetime) -> list[dict]:
    """The waitlisted registrations the event's free seats take, in FIFO order: each party
    that fits what is left (one read of the waitlist's head; none once the event has started,
    if it is not published, or with no seat free)."""
    if not rules.promotable(event, now) or not event.get("waitlist_length"):
        return []
    left = rules.seats_left(event)
    if left is not None and left <= 0:
        return []
    waiting = db[REGISTRATIONS].find({"event_id": event["_id"], "status": rules.WAITLISTED},
                                     session=session).sort("position", ASCENDING)
    return rules.pick_promotions(waiting, left)


def _promote(db, session, event: dict, chosen: list[dict], now: datetime) -> list[Envelope]:
    """Confirm the ``chosen`` registrations (one bulk write; the counters are the caller's);
    their ``events.registration.promoted``, in queue order (none about erased members)."""
    promoted = [rules.confirmed(registration, now, promoted=True) for registration in chosen]
    if promoted:
        db[REGISTRATIONS].bulk_write([ReplaceOne({"_id": r["_id"]}, r) for r in promoted], session=session)
    return [_message(REGISTRATION_PROMOTED, event, r, now) for r in promoted if r["member_id"] is not None]


def promote_waiting(db, session, event: dict, now: datetime) -> dict:
    """Seats were freed (or capacity raised): promote waitlisted registrations in FIFO order
    while their party fits; return the event document as updated.

    A party that does not fit the seats left keeps its place; one ``events.registration.
    promoted`` per promotion, in queue order. Nothing happens once the event has started or
    if it is not published."""
    chosen = _promotable(db, session, event, now)
    if not chosen:
        return event
    event = _move(db, session, event, seats=sum(r["party"] for r in chosen), waitlist=-len(chosen))
    outbox.add(db, session, *_promote(db, session, event, chosen, now))
    return event


def end_all(db, session, event: dict, now: datetime) -> list[str]:
    """The event was cancelled: cancel every confirmed or waitlisted registration (reason
    ``event_cancelled``, one ``events.registration.cancelled`` each); return their member ids."""
    active = list(db[REGISTRATIONS].find({"event_id": event["_id"], "status": {"$in": list(rules.ACTIVE)}},
                                         session=session).sort("_id", ASCENDING))
    if not active:
        return []
    db[REGISTRATIONS].update_many(
        {"event_id": event["_id"], "status": {"$in": list(rules.ACTIVE)}},
        {"$set": {"status": rules.CANCELLED, "cancelled_at": now, "cancel_reason": "event_cancelled",
                  "ticket_code": None}}, session=session)
    db[EVENTS].update_one({"_id": event["_id"]}, {"$set": {"seats_taken": 0, "waitlist_length": 0}},
                          session=session)
    ended = [rules.cancelled(r, "event_cancelled", now) for r in active if r["member_id"] is not None]
    outbox.add(db, session, *[_message(REGISTRATION_CANCELLED, event, r, now, reason="event_cancelled")
                              for r in ended])
    return [r["member_id"] for r in ended]


def anonymise_member(db, session, member_id: str, now: datetime) -> None:
    """The member was erased: their registrations lose the member id, active ones are
    cancelled (reason ``erased``), freeing seats for the waitlist.

    A registration's ``_id`` names its member, so each is stored anew under
    ``"<event_id>:erased:<random>"``. Nothing is published about the erased member (their
    id must not travel further); the promotions their seats allow are published. The
    registrations of events already over keep their status (attendance stays counted, as
    anonymous) and free nothing."""
    for registration in list(db[REGISTRATIONS].find({"member_id": member_id}, session=session)):
        event_id, was = registration["event_id"], registration["status"]
        event = db[EVENTS].find_one({"_id": event_id}, session=session)
        ends = event is not None and was in rules.ACTIVE and now < event["ends_at"]
        anonymous = {**registration, "_id": f"{event_id}:erased:{uuid.uuid4().hex}", "member_id": None,
                     "anonymised_at": now, "ticket_code": None}
        if ends:
            anonymous = rules.cancelled(anonymous, "erased", now)
        db[REGISTRATIONS].delete_one({"_id": registration["_id"]}, session=session)
        db[REGISTRATIONS].insert_one(anonymous, session=session)
        if not ends:
            continue
        event = _free(db, session, event, was, registration["party"])
        if was == rules.CONFIRMED:
            promote_waiting(db, session, event, now)

