"""MongoDB access for members' calendar feeds (collection ``calendar_feeds``, model.py).

A feed's URL holds a secret; only its SHA-256 is stored (``_id``), so the database alone does
not give anyone a working feed URL. A member has at most one feed (unique ``member_id``):
creating another rotates it, and the old URL stops working at once.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.events import readmodel_store
from services.events.events_store import EVENTS
from services.events.registrations_store import REGISTRATIONS
from shared.store import Index, asc

FEEDS = "calendar_feeds"
INDEXES: list[Index] = [Index(FEEDS, asc("member_id"), unique=True, name="calendar_feeds_member")]
# A feed shows events that ended at most this long ago, and at most this many.
FEED_HISTORY = timedelta(days=180)
FEED_LIMIT = 500
SECRET_MAX_LENGTH = 100


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Erased(Exception):
    """The member was erased (their token outlived the erasure by a moment)."""


def create(store, member_id: str, now: datetime) -> str:
    """Create the member's feed, ending any earlier one; return its secret. The member's view
    is held (``readmodel_store.hold_member``) so that their erasure handled meanwhile cannot
    leave a feed with their id behind; raises ``Erased`` once they are. A member the view
    does not know yet (signed up a moment ago) gets their feed."""
    db = store.db
    secret = secrets.token_urlsafe(32)

    def work(session: ClientSession) -> None:
        if readmodel_store.hold_member(db, session, member_id) is None and \
                readmodel_store.is_erased(db, session, member_id):
            raise Erased(member_id)
        db[FEEDS].delete_many({"member_id": member_id}, session=session)
        db[FEEDS].insert_one({"_id": digest(secret), "member_id": member_id, "created_at": now}, session=session)

    try:
        store.transaction(work)
    except DuplicateKeyError:  # a simultaneous create won: replace that one
        store.transaction(work)
    return secret


def revoke(store, member_id: str) -> bool:
    """End the member's feed. In a transaction, as the erasure's delete of the same documents
    is: the embedded store retries a multi-document write's conflict outside a transaction
    while holding its collection lock, which stalls a transaction waiting for that lock."""
    return store.transaction(
        lambda session: store.db[FEEDS].delete_many({"member_id": member_id}, session=session).deleted_count > 0)


def member_of(db: Database, secret: str) -> str | None:
    """The member whose feed ``secret`` opens, or ``None``."""
    if not secret or len(secret) > SECRET_MAX_LENGTH:
        return None
    feed = db[FEEDS].find_one({"_id": digest(secret)})
    return None if feed is None else feed["member_id"]


def feed_entries(db: Database, member_id: str, now: datetime) -> list[tuple[dict, bool]]:
    """``(event, waitlisted)`` for the member's confirmed and waitlisted registrations, and
    for those the event's cancellation ended (so calendars show it as cancelled), soonest
    first; events that ended long ago are left out."""
    registrations = list(db[REGISTRATIONS].find({"member_id": member_id, "$or": [
        {"status": {"$in": ["confirmed", "waitlisted"]}},
        {"status": "cancelled", "cancel_reason": "event_cancelled"}]}, {"event_id": 1, "status": 1}))
    waitlisted = {r["event_id"]: r["status"] == "waitlisted" for r in registrations}
    events = db[EVENTS].find({"_id": {"$in": list(waitlisted)}, "status": {"$in": ["published", "cancelled"]},
                              "ends_at": {"$gte": now - FEED_HISTORY}}).sort([("starts_at", 1), ("_id", 1)])
    return [(event, waitlisted[event["_id"]]) for event in events.limit(FEED_LIMIT)]
