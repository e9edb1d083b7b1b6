"""The transactional outbox and its relay.

A service writes its state change and the events it causes in one MongoDB transaction
(``add`` with the transaction's session). The relay, running in the service's worker, reads
pending events in commit order, publishes them with publisher confirms and ``mandatory``,
and marks them sent only once the broker has confirmed them. A broker outage delays events;
it never loses them, and an event the broker returned as unroutable stays pending.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bson import Int64, ObjectId
from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

from shared.bus import metrics
from shared.bus.envelope import Envelope
from shared.leases import Lease
from shared.store import Index

log = logging.getLogger(__name__)

COLLECTION = "outbox"
SENT_RETENTION_S = 7 * 24 * 3600
OUTBOX_INDEXES = [
    Index(COLLECTION, [("status", ASCENDING), ("order", ASCENDING)], name="pending_in_order"),
    Index(COLLECTION, [("event_id", ASCENDING)], unique=True, name="event_id_unique"),
    Index(COLLECTION, [("sent_at", ASCENDING)], name="sent_ttl",
          options={"expireAfterSeconds": SENT_RETENTION_S}),
]


def add(db: Database, session: ClientSession | None, *events: Envelope) -> None:
    """Store events to publish; call inside the transaction that stores the state change."""
    if not events:
        return
    now = datetime.now(timezone.utc)
    # Microseconds since the epoch, then position in this call: ObjectIds alone would order
    # two processes' events of one second by process id, not by time.
    base = time.time_ns() // 1000
    db[COLLECTION].insert_many([{
        "_id": ObjectId(),
        "order": Int64(base) + position,
        "event_id": event.id,
        "type": event.type,
        "subject": event.subject,
        "body": event.to_json(),
        "status": "pending",
        "attempts": 0,
        "not_before": now,
        "created_at": now,
    } for position, event in enumerate(events)], session=session)


@dataclass
class PendingEvent:
    key: ObjectId
    event_id: str
    type: str
    subject: str
    body: bytes


class OutboxRelay:
    """Publishes a service's pending outbox events; one active relay per service (a lease)."""

    def __init__(self, db: Database, publisher, *, service: str = "", window: int = 1000, idle_poll_s: float = 0.005,
                 max_idle_poll_s: float = 0.2, retry_backoff_s: float = 2.0, lease_ttl_s: float = 10.0):
        self.db = db
        self.collection = db[COLLECTION]
        self.publisher = publisher
        self.window = window
        self.idle_poll_s = idle_poll_s
        self.max_idle_poll_s = max_idle_poll_s
        self.retry_backoff_s = retry_backoff_s
        self.lease = Lease(db, "outbox-relay", ttl_s=lease_ttl_s)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.published = 0
        self.service = service or db.name

    def pending(self) -> list[PendingEvent]:
        """The next window of pending events, skipping any entity whose earliest pending event
        must wait (unroutable, retried later): its later events wait too, keeping order."""
        now = datetime.now(timezone.utc)
        blocked: set[str] = set()
        due: list[PendingEvent] = []
        cursor = self.collection.find({"status": "pending"}).sort("order", ASCENDING).limit(self.window)
        for doc in cursor:
            subject = doc["subject"]
            not_before = doc["not_before"]
            if not_before.tzinfo is None:
                not_before = not_before.replace(tzinfo=timezone.utc)
            if subject in blocked or not_before > now:
                blocked.add(subject)
                continue
            due.append(PendingEvent(doc["_id"], doc["event_id"], doc["type"], subject, doc["body"]))
        return due

    def relay_once(self) -> int:
        """Publish one window; return how many events were confirmed."""
        batch = self.pending()
        if not batch:
            return 0
        result = self.publisher.publish_batch(batch)
        # Whatever the broker confirmed is marked sent even when the connection broke midway;
        # the unconfirmed rest stays pending and is published again (consumers deduplicate).
        if result.confirmed:
            now = datetime.now(timezone.utc)
            self.collection.update_many(
                {"_id": {"$in": list(result.confirmed)}},
                {"$set": {"status": "sent", "sent_at": now}, "$unset": {"last_error": ""}},
            )
        for key, error in result.failed.items():
            doc = self.collection.find_one_and_update(
                {"_id": key}, {"$inc": {"attempts": 1}, "$set": {"last_error": error}},
                projection={"attempts": 1}, return_document=True,
            )
            attempts = doc["attempts"] if doc else 1
            delay = min(self.retry_backoff_s * 2 ** (attempts - 1), 300)
            self.collection.update_one({"_id": key}, {"$set": {
                "not_before": datetime.now(timezone.utc) + timedelta(seconds=delay)}})
            log.warning("outbox event not published, retrying in %.0fs: %s", delay, error,
                        extra={"event_key": str(key)})
        self.published += len(result.confirmed)
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(result.confirmed))
        metrics.OUTBOX_DEFERRED.labels(self.service).inc(len(result.failed))
        if result.error:
            raise ConnectionError(result.error)
        return len(result.confirmed)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Loop until ``stop``: hold the lease, publish, back off on broker failures."""
        failures = 0
        idle_wait = self.idle_poll_s
        while not self._stop.is_set():
            try:
                if not self.lease.acquire():
                    self._stop.wait(self.lease.ttl.total_seconds() / 3)
                    continue
                sent = self.relay_once()
                failures = 0
                if sent:
                    idle_wait = self.idle_poll_s
                else:
                    # Poll fast while events flow, slower the longer the outbox stays empty,
                    # so an idle service does not query its store hundreds of times a second.
                    self._wake.wait(idle_wait)
                    self._wake.clear()
                    idle_wait = min(idle_wait * 2, self.max_idle_poll_s)
            except Exception:  # broker or store down: keep the events, try again later
                failures += 1
                log.exception("outbox relay failed (attempt %d)", failures)
                self.publisher.reset()
                self._stop.wait(min(0.2 * 2 ** failures, 5.0))
        self.publisher.close()
        self.lease.release()
