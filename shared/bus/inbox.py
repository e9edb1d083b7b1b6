"""The consumer's record of handled events: idempotency keyed on the event id.

The record is inserted in the same transaction as the handler's effects, so an event whose
effect is stored can never be handled again, however often the broker redelivers it. Only a
clash on this record says "this event is taken care of elsewhere": a duplicate key here
(another worker committed it) or a write conflict here (another open transaction is recording
it: a live worker's, or a killed worker's that the store has not aborted yet). A duplicate
key raised by a handler's own writes is the handler's failure, never "already handled".

Beside it, ``inbox_attempts`` counts the started attempts at a message the broker returned
unsettled, written outside the transaction so that the count survives the worker dying in the
middle; it is cleared when an attempt ends (stored, or failed with an error), so what stays
is the number of times its worker died while handling it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pymongo import ASCENDING, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from shared.store import Index

COLLECTION = "inbox"
ATTEMPTS = "inbox_attempts"
RETENTION_S = 90 * 24 * 3600  # longer than any parked message is kept before replay
INBOX_INDEXES = [
    # _id is the event id and is unique by itself; these indexes only expire old records.
    Index(COLLECTION, [("handled_at", ASCENDING)], name="handled_ttl",
          options={"expireAfterSeconds": RETENTION_S}),
    Index(ATTEMPTS, [("started_at", ASCENDING)], name="started_ttl",
          options={"expireAfterSeconds": RETENTION_S}),
]


def already_handled(db: Database, event_ids: list[str], session: ClientSession | None = None) -> set[str]:
    return {doc["_id"] for doc in db[COLLECTION].find(
        {"_id": {"$in": event_ids}}, {"_id": 1}, session=session)}


DUPLICATE_KEY, WRITE_CONFLICT = 11000, 112  # MongoDB error codes


class AlreadyHandled(Exception):
    """Another worker has committed the effect of one of these events since we looked."""


class InHand(Exception):
    """Another open transaction is recording one of these events right now."""


def record(db: Database, session: ClientSession, events) -> None:
    """Insert one record per event, raising ``AlreadyHandled`` or ``InHand`` when the record
    clashes with another worker's (the store's own write conflict is not retried here: the
    transaction holding the event may be a dead worker's, held for a minute)."""
    now = datetime.now(timezone.utc)
    try:
        db[COLLECTION].insert_many(
            [{"_id": e.id, "type": e.type, "handled_at": now} for e in events], session=session)
    except (DuplicateKeyError, BulkWriteError, OperationFailure) as exc:
        codes = _error_codes(exc)
        if DUPLICATE_KEY in codes:
            raise AlreadyHandled(str(exc)) from exc
        if WRITE_CONFLICT in codes:
            raise InHand(f"another transaction is recording this event: {exc}") from exc
        raise


def _error_codes(exc: OperationFailure) -> set[int]:
    details = exc.details or {}
    return {exc.code, *(error.get("code") for error in details.get("writeErrors", []))}



def start_attempt(db: Database, event_id: str) -> int:
    """Count one more started attempt at ``event_id`` (outside any transaction); return the
    number of attempts started and not ended, this one included."""
    doc = db[ATTEMPTS].find_one_and_update(
        {"_id": event_id}, {"$inc": {"started": 1}, "$set": {"started_at": datetime.now(timezone.utc)}},
        upsert=True, return_document=ReturnDocument.AFTER)
    return doc["started"]


def end_attempt(db: Database, event_id: str) -> None:
    db[ATTEMPTS].delete_one({"_id": event_id})
