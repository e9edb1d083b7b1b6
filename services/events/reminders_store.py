"""MongoDB access for reminders: arming them when an event is published or rescheduled,
voiding them when it is cancelled, and claiming the due ones (documents: model.py).

A reminder is one document per (event, offset), ``_id`` ``"<event_id>:<minutes>"``, due
``starts_at - minutes``. The rules of :func:`schedule`, run on publish and whenever the start
or the offsets of a published event change:

- an offset whose due time is still ahead is (re)armed: pending, due at the new time, even if
  it had been sent for an earlier start (the start moved later, so the member is reminded
  again before the new start);
- of the offsets already due, while the event has not started, only the latest-due one is
  sent (at once), and only if no reminder of the event was sent at or after its due time:
  a member never gets "24 h before" 30 minutes before, nor a second "1 h before" because the
  start moved a little earlier after it was sent; the earlier-due pending ones are voided;
- once the event has started nothing more is sent; offsets no longer configured are voided;
  sent reminders stay as they are (history).

:func:`claim_due` takes one due reminder at a time and, in the same transaction, marks it sent
and puts ``events.reminder.due`` in the outbox: two worker copies can never both publish one
(the second claim of a document is a write conflict, and the retried transaction finds it
sent), and a crash before the commit leaves it pending for the next run.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pymongo import ASCENDING, ReturnDocument

from services.events import events_store, registrations_store
from services.events.messages import CATALOG, REMINDER_DUE
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index, asc

log = logging.getLogger(__name__)

REMINDERS = "reminders"
PENDING, SENT, VOID = "pending", "sent", "void"
INDEXES: list[Index] = [
    Index(REMINDERS, asc("status", "due_at"), name="reminders_status_due_at"),
    Index(REMINDERS, asc("event_id"), name="reminders_event_id"),
]


def reminder_id(event_id: str, minutes: int) -> str:
    return f"{event_id}:{minutes}"


def schedule(db, session, event: dict, now: datetime) -> None:
    """(Re)arm one pending reminder per ``event["reminders"]`` offset of a published event,
    due ``starts_at - minutes``; offsets no longer configured are voided. Called on publish
    and whenever the start or the offsets change (rules: the module's docstring)."""
    event_id = event["_id"]
    collection = db[REMINDERS]
    existing = {doc["minutes"]: doc for doc in collection.find({"event_id": event_id}, session=session)}
    starts_at = event["starts_at"]
    offsets = sorted({int(m) for m in event.get("reminders") or []}, reverse=True)
    if event.get("status") != "published" or starts_at <= now:
        void(db, session, event_id)
        return
    due = {m: starts_at - timedelta(minutes=m) for m in offsets}
    ahead = [m for m in offsets if due[m] > now]
    past = [m for m in offsets if due[m] <= now]
    arm = set(ahead)
    if past:
        latest = min(past)  # the smallest offset: due most recently
        last_sent = max((d["sent_at"] for d in existing.values() if d.get("status") == SENT and d.get("sent_at")),
                        default=None)
        if last_sent is None or last_sent < due[latest]:
            arm.add(latest)
    for minutes in arm:
        doc = existing.get(minutes)
        if doc is not None and doc["status"] == PENDING and doc["due_at"] == due[minutes]:
            continue
        collection.update_one(
            {"_id": reminder_id(event_id, minutes)},
            {"$set": {"event_id": event_id, "minutes": minutes, "due_at": due[minutes], "status": PENDING,
                      "claimed_by": None, "sent_at": None}},
            upsert=True, session=session)
    stale = [doc["_id"] for m, doc in existing.items() if m not in arm and doc["status"] == PENDING]
    if stale:
        collection.update_many({"_id": {"$in": stale}, "status": PENDING}, {"$set": {"status": VOID}},
                               session=session)


def void(db, session, event_id: str) -> None:
    """The event was cancelled: no reminder of it will be sent."""
    db[REMINDERS].update_many({"event_id": event_id, "status": PENDING}, {"$set": {"status": VOID}},
                              session=session)


# A reminder this much late still says its offset ("in 1 hour" a minute late reads better than
# "in 59 minutes"); later than that it says the time left.
LATE_AFTER = timedelta(minutes=5)


def minutes_before(offset: int, starts_at: datetime, now: datetime) -> int:
    """How long before the start a reminder says the event is: its offset, or the time left
    when it goes later than ``LATE_AFTER`` past its due time (an event published or moved two
    hours before its start gets its "24 hours before" reminder at once, saying two hours)."""
    left = starts_at - now
    if left >= timedelta(minutes=offset) - LATE_AFTER:
        return offset
    return max(1, round(left.total_seconds() / 60))


def claim_one(store, now: datetime, worker_id: str) -> str | None:
    """Claim the earliest due reminder and publish it, in one transaction. Returns ``"sent"``,
    ``"void"`` (its event is no longer published or has started) or ``None`` (nothing due)."""
    db = store.db

    def work(session) -> str | None:
        reminder = db[REMINDERS].find_one_and_update(
            {"status": PENDING, "due_at": {"$lte": now}},
            {"$set": {"status": SENT, "claimed_by": worker_id, "sent_at": now}},
            sort=[("due_at", ASCENDING)], return_document=ReturnDocument.AFTER, session=session)
        if reminder is None:
            return None
        event = db[events_store.EVENTS].find_one({"_id": reminder["event_id"]}, session=session)
        if event is None or event["status"] != "published" or event["starts_at"] <= now:
            db[REMINDERS].update_one({"_id": reminder["_id"]}, {"$set": {"status": VOID, "sent_at": None}},
                                     session=session)
            return VOID
        member_ids = registrations_store.member_ids(db, session, event["_id"], ("confirmed",))
        outbox.add(db, session, CATALOG.create(REMINDER_DUE, event["_id"], {
            **events_store.summary(event), "minutes_before": minutes_before(reminder["minutes"], event["starts_at"], now),
            "member_ids": member_ids}, current_correlation_id()))
        return SENT

    return store.transaction(work)


def claim_due(store, now: datetime, worker_id: str, limit: int = 100) -> int:
    """Claim and publish up to ``limit`` due reminders, one transaction each; return how many
    were published (claimed ones whose event is gone, cancelled or started are voided)."""
    sent = 0
    for _ in range(limit):
        outcome = claim_one(store, now, worker_id)
        if outcome is None:
            break
        if outcome == SENT:
            sent += 1
        else:
            log.info("reminder skipped: its event is not published or has started")
    return sent
