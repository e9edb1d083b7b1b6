"""The consumer's record of handled events: idempotency keyed on the event id.

The record is inserted in the same transaction as the handler's effects, so an event whose
effect is stored can never be handled again, however often the broker redelivers it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

from shared.store import Index

COLLECTION = "inbox"
RETENTION_S = 90 * 24 * 3600  # longer than any parked message is kept before replay
INBOX_INDEXES = [
    # _id is the event id and is unique by itself; this index only expires old records.
    Index(COLLECTION, [("handled_at", ASCENDING)], name="handled_ttl",
          options={"expireAfterSeconds": RETENTION_S}),
]


def already_handled(db: Database, event_ids: list[str], session: ClientSession | None = None) -> set[str]:
    return {doc["_id"] for doc in db[COLLECTION].find(
        {"_id": {"$in": event_ids}}, {"_id": 1}, session=session)}


def record(db: Database, session: ClientSession, events) -> None:
    """Insert one record per event; a duplicate id raises ``DuplicateKeyError``."""
    now = datetime.now(timezone.utc)
    db[COLLECTION].insert_many(
        [{"_id": e.id, "type": e.type, "handled_at": now} for e in events], session=session)
