"""All MongoDB access of the notifications service: contacts (a read model built from
members events) and deliveries (one per source event, recipient and channel)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database

from shared.store import Index, ServiceStore, asc

QUEUED, SENDING, SENT, FAILED, UNKNOWN = "queued", "sending", "sent", "failed", "unknown"


def delivery_id(event_id: str, recipient: str, channel: str) -> str:
    """One delivery per (source event, recipient, channel): the key of at-most-once sending."""
    return f"{event_id}:{recipient}:{channel}"


def upsert_contact(db: Database, session: ClientSession, member_id: str, fields: dict) -> None:
    db.contacts.update_one({"_id": member_id},
                           {"$set": {**fields, "updated_at": datetime.now(timezone.utc)}},
                           upsert=True, session=session)


def queue_delivery(db: Database, session: ClientSession, *, event_id: str, recipient: str,
                   channel: str, template: str, language: str, address: str, context: dict,
                   correlation_id: str) -> None:
    now = datetime.now(timezone.utc)
    db.deliveries.update_one(
        {"_id": delivery_id(event_id, recipient, channel)},
        {"$setOnInsert": {
            "event_id": event_id, "recipient": recipient, "channel": channel, "template": template,
            "language": language, "address": address, "context": context, "status": QUEUED,
            "correlation_id": correlation_id, "queued_at": now, "attempts": 0,
        }},
        upsert=True, session=session,
    )


class NotificationsStore(ServiceStore):
    indexes = [
        Index("deliveries", asc("status", "queued_at"), name="by_status"),
        Index("deliveries", [("recipient", ASCENDING), ("queued_at", DESCENDING)], name="by_recipient"),
    ]

    def claim_next(self, worker_id: str) -> dict | None:
        """Atomically take one queued delivery; no other worker can take it after this."""
        return self.db.deliveries.find_one_and_update(
            {"status": QUEUED},
            {"$set": {"status": SENDING, "claimed_by": worker_id, "claimed_at": datetime.now(timezone.utc)},
             "$inc": {"attempts": 1}},
            sort=[("queued_at", ASCENDING)], return_document=ReturnDocument.AFTER,
        )

    def mark(self, delivery_id_: str, status: str, **fields) -> None:
        self.db.deliveries.update_one({"_id": delivery_id_},
                                      {"$set": {"status": status, f"{status}_at": datetime.now(timezone.utc), **fields}})

    def requeue(self, delivery_id_: str, error: str) -> None:
        self.db.deliveries.update_one({"_id": delivery_id_},
                                      {"$set": {"status": QUEUED, "last_error": error}})

    def expire_stale_claims(self, older_than: timedelta) -> int:
        """A claim never recorded means the worker died mid-send: we cannot know whether the
        message left, so it is marked ``unknown`` rather than sent again (at most once)."""
        cutoff = datetime.now(timezone.utc) - older_than
        return self.db.deliveries.update_many(
            {"status": SENDING, "claimed_at": {"$lt": cutoff}},
            {"$set": {"status": UNKNOWN, "last_error": "worker stopped during sending"}},
        ).modified_count

    def deliveries(self, *, recipient: str | None = None, status: str | None = None,
                   page: int = 1, page_size: int = 50) -> tuple[list[dict], int]:
        query = {k: v for k, v in (("recipient", recipient), ("status", status)) if v}
        total = self.db.deliveries.count_documents(query)
        cursor = self.db.deliveries.find(query).sort("queued_at", DESCENDING) \
            .skip((page - 1) * page_size).limit(page_size)
        return list(cursor), total

    def contact(self, member_id: str) -> dict | None:
        return self.db.contacts.find_one({"_id": member_id})
