"""All MongoDB access of the notifications service: contacts (a read model built from
members events) and deliveries (one per source event, recipient and channel)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database

from shared import readmodel
from shared.store import Index, ServiceStore, asc

QUEUED, SENDING, SENT, FAILED, UNKNOWN = "queued", "sending", "sent", "failed", "unknown"
SKIPPED = "skipped"  # never sent on purpose (the recipient was erased before sending)
RECIPIENT_ERASED = "recipient erased"
REDACTED_ERROR = "(error text removed: the recipient was erased)"
# Member ids the members service has erased: the read model must never hold them again, even
# when an older event about them arrives late (a retry, a replay from the dead-letter queue).
ERASED = "erased_members"


def delivery_id(event_id: str, recipient: str, channel: str) -> str:
    """One delivery per (source event, recipient, channel): the key of at-most-once sending."""
    return f"{event_id}:{recipient}:{channel}"


def upsert_contact(db: Database, session: ClientSession, member_id: str, fields: dict, at: datetime) -> None:
    """Set contact fields as they were at ``at`` (the producer's time of the change): a field
    keeps a newer value it already has, so a sign-up or change retried out of order never
    undoes a later change (an old address must never come back)."""
    contact = db.contacts.find_one({"_id": member_id}, {"field_times": 1}, session=session) or {}
    newer = readmodel.newer_fields(fields, contact.get("field_times"), at)
    if not newer:
        return
    at = readmodel.at_ms(at)
    db.contacts.update_one({"_id": member_id}, {"$set": {
        **newer, **{f"field_times.{name}": at for name in newer}, "updated_at": datetime.now(timezone.utc)}},
        upsert=True, session=session)


def is_erased(db: Database, session: ClientSession, member_id: str) -> bool:
    return db[ERASED].find_one({"_id": member_id}, {"_id": 1}, session=session) is not None


def apply_consent(db: Database, session: ClientSession, member_id: str, channel: str, category: str,
                  state: dict, *, only_if_absent: bool = False) -> bool:
    """Set ``contacts.consents.<channel>.<category>`` to ``state`` (granted, source, at,
    expires_at) unless the contact already holds a newer decision (events may arrive out of
    order). Applying the same decision twice changes nothing. Returns whether it was set."""
    contact = db.contacts.find_one({"_id": member_id}, {f"consents.{channel}.{category}": 1},
                                   session=session) or {}
    held = (contact.get("consents") or {}).get(channel, {}).get(category)
    if held is not None and (only_if_absent or _ms(held.get("at")) > _ms(state["at"])):
        return False
    db.contacts.update_one({"_id": member_id}, {"$set": {
        f"consents.{channel}.{category}": state, "updated_at": datetime.now(timezone.utc)}},
        upsert=True, session=session)
    return True


def _ms(moment: datetime | None) -> datetime:
    """Stored times keep milliseconds; compare event times at the same precision."""
    if moment is None:
        return datetime.min.replace(tzinfo=timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def forget_member(db: Database, session: ClientSession, member_id: str, erased_at: datetime) -> None:
    """Erasure: remember the id as erased, delete the contact, never send what is still queued
    for the member (``skipped``), and anonymise every delivery of the member: the address, the
    template data and any error text (SMTP errors quote the address) go; ids, template,
    channel, status and times stay for the log. Safe to run twice."""
    now = datetime.now(timezone.utc)
    db[ERASED].update_one({"_id": member_id}, {"$setOnInsert": {"erased_at": erased_at, "recorded_at": now}},
                          upsert=True, session=session)
    db.contacts.delete_one({"_id": member_id}, session=session)
    db.deliveries.update_many(
        {"recipient": member_id, "status": QUEUED},
        {"$set": {"status": SKIPPED, f"{SKIPPED}_at": now, "last_error": RECIPIENT_ERASED}},
        session=session)
    db.deliveries.update_many(
        {"recipient": member_id, "last_error": {"$nin": [None, RECIPIENT_ERASED, REDACTED_ERROR]}},
        {"$set": {"last_error": REDACTED_ERROR}}, session=session)
    db.deliveries.update_many(
        {"recipient": member_id, "anonymised_at": {"$exists": False}},
        {"$unset": {"address": "", "context": ""}, "$set": {"anonymised_at": now}}, session=session)


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
        """Queue again after a temporary failure, unless the recipient was erased meanwhile
        (the delivery has lost its address): then it is skipped for good."""
        requeued = self.db.deliveries.update_one(
            {"_id": delivery_id_, "anonymised_at": {"$exists": False}},
            {"$set": {"status": QUEUED, "last_error": error}})
        if requeued.matched_count == 0:
            self.db.deliveries.update_one({"_id": delivery_id_}, {"$set": {
                "status": SKIPPED, f"{SKIPPED}_at": datetime.now(timezone.utc), "last_error": RECIPIENT_ERASED}})

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

    def delivery(self, delivery_id_: str) -> dict | None:
        return self.db.deliveries.find_one({"_id": delivery_id_})

    def contact(self, member_id: str) -> dict | None:
        return self.db.contacts.find_one({"_id": member_id})
