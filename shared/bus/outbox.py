"""The transactional outbox and its relay.

A service writes its state change and the events it causes in one MongoDB transaction
(``add`` with the transaction's session). The relay, running in the service's worker, follows
the outbox collection's **change stream**, which delivers inserts in commit order (the order
of the replication log, whichever process committed them), publishes them a window at a time
with publisher confirms and ``mandatory``, and only then records its position (the stream's
resume token). So one write per window marks a whole window sent, and a new event is
published within milliseconds of its commit, without polling.

- A broker outage delays events, never loses them: the position does not move until the
  broker has confirmed, and the relay resumes from it (republishing at most one window,
  which consumers deduplicate by event id).
- An event the broker returns (unroutable) or nacks is marked ``deferred`` with its error and
  retried with growing delays by a sweep; it is never counted as sent.
- If the store has forgotten the saved position (its change history was trimmed while the
  relay was down), the relay republishes everything committed since shortly before it last
  saved a position.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bson import Int64
from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import OperationFailure

from shared.bus import metrics
from shared.bus.envelope import Envelope
from shared.bus.publisher import PublishResult
from shared.leases import Lease
from shared.store import Index

log = logging.getLogger(__name__)

COLLECTION = "outbox"
STATE_COLLECTION = "outbox_relay"
NEW, DEFERRED = "new", "deferred"
# Published events are kept this long for inspection, then expire. An event still "new" after
# that long was published long ago (the relay follows inserts within milliseconds); deferred
# events never expire.
RETENTION_S = 30 * 24 * 3600
HISTORY_LOST_CODES = {280, 286}  # ChangeStreamFatalError, ChangeStreamHistoryLost
RECOVERY_MARGIN = timedelta(minutes=5)
SAVE_INTERVAL_S = 0.1
OUTBOX_INDEXES = [
    Index(COLLECTION, [("status", ASCENDING), ("order", ASCENDING)], name="status_in_order"),
    Index(COLLECTION, [("created_at", ASCENDING)], name="published_ttl",
          options={"expireAfterSeconds": RETENTION_S, "partialFilterExpression": {"status": NEW}}),
]


def add(db: Database, session: ClientSession | None, *events: Envelope) -> None:
    """Store events to publish; call inside the transaction that stores the state change."""
    if not events:
        return
    now = datetime.now(timezone.utc)
    # Microseconds since the epoch, then position in this call: the order of the recovery
    # sweep, which cannot use the change stream's order.
    base = time.time_ns() // 1000
    db[COLLECTION].insert_many([{
        "_id": event.id,
        "order": Int64(base + position),
        "type": event.type,
        "subject": event.subject,
        "body": event.to_json(),
        "status": NEW,
        "attempts": 0,
        "created_at": now,
    } for position, event in enumerate(events)], session=session)


@dataclass
class PendingEvent:
    key: str
    event_id: str
    type: str
    subject: str
    body: bytes

    @classmethod
    def from_document(cls, doc: dict) -> "PendingEvent":
        return cls(doc["_id"], doc["_id"], doc["type"], doc["subject"], doc["body"])


class OutboxRelay:
    """Publishes a service's outbox; one active relay per service (a lease)."""

    def __init__(self, db: Database, publisher, *, service: str = "", window: int = 1000,
                 await_ms: int = 20, retry_backoff_s: float = 2.0, deferred_sweep_s: float = 1.0,
                 lease_ttl_s: float = 10.0):
        self.db = db
        self.collection = db[COLLECTION]
        self.state = db[STATE_COLLECTION]
        self.publisher = publisher
        self.service = service or db.name
        self.window = window
        self.await_ms = await_ms
        self.retry_backoff_s = retry_backoff_s
        self.deferred_sweep_s = deferred_sweep_s
        self.lease = Lease(db, "outbox-relay", ttl_s=lease_ttl_s)
        self._stop = threading.Event()
        self._stream = None
        self._last_sweep = 0.0
        self.published = 0

    # ------------------------------------------------------------------ position
    def _saved(self) -> dict | None:
        return self.state.find_one({"_id": "position"})

    def _save(self, token) -> None:
        self.state.update_one({"_id": "position"}, {"$set": {
            "token": token, "saved_at": datetime.now(timezone.utc)}}, upsert=True)

    def _open_stream(self):
        """Open the change stream at the saved position; on first start, or if the store has
        forgotten that position, first publish what the stream will not show. Returns the
        stream and how many events that sweep published."""
        pipeline = [{"$match": {"operationType": "insert"}}]
        saved = self._saved()
        token = saved.get("token") if saved else None
        if token is not None:
            try:
                return self.collection.watch(pipeline, resume_after=token, batch_size=self.window,
                                             max_await_time_ms=self.await_ms), 0
            except OperationFailure as exc:
                if exc.code not in HISTORY_LOST_CODES:
                    raise
                log.error("%s outbox position lost (%s); republishing since %s", self.service, exc,
                          saved["saved_at"])
        # Open first, then sweep: an insert committed in between is seen by both, and a
        # duplicate is harmless where a gap would not be.
        stream = self.collection.watch(pipeline, batch_size=self.window, max_await_time_ms=self.await_ms)
        since = saved["saved_at"] - RECOVERY_MARGIN if saved else None
        swept = self._sweep(since)
        self._save(stream.resume_token)
        return stream, swept

    def _sweep(self, since: datetime | None) -> int:
        query = {"status": NEW}
        if since is not None:
            query["created_at"] = {"$gte": since}
        batch: list[PendingEvent] = []
        published = 0
        for doc in self.collection.find(query).sort("order", ASCENDING):
            batch.append(PendingEvent.from_document(doc))
            if len(batch) >= self.window:
                published += self._publish_or_raise(batch)
                batch = []
        if batch:
            published += self._publish_or_raise(batch)
        return published

    def _publish_or_raise(self, batch: list[PendingEvent]) -> int:
        result = self._publish(batch)
        self._raise_if_broken(result)
        return len(result.confirmed)

    # ------------------------------------------------------------------ publishing
    def _publish(self, batch: list[PendingEvent]) -> PublishResult:
        """Publish and defer what the broker refused; the caller raises on ``result.error``
        after its own bookkeeping (nothing after the first unconfirmed event counts)."""
        result = self.publisher.publish_batch(batch)
        now = datetime.now(timezone.utc)
        for key, error in result.failed.items():
            doc = self.collection.find_one_and_update(
                {"_id": key}, {"$inc": {"attempts": 1}, "$set": {"status": DEFERRED, "last_error": error}},
                projection={"attempts": 1}, return_document=True)
            attempts = doc["attempts"] if doc else 1
            delay = min(self.retry_backoff_s * 2 ** (attempts - 1), 300)
            self.collection.update_one({"_id": key}, {"$set": {"not_before": now + timedelta(seconds=delay)}})
            log.warning("%s outbox event %s deferred %.0fs: %s", self.service, key, delay, error)
        self.published += len(result.confirmed)
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(result.confirmed))
        metrics.OUTBOX_DEFERRED.labels(self.service).inc(len(result.failed))
        return result

    @staticmethod
    def _raise_if_broken(result: PublishResult) -> None:
        if result.error:
            raise ConnectionError(result.error)

    def _retry_deferred(self) -> int:
        """Publish deferred events that are due again; confirmed ones become ``new``."""
        now = datetime.now(timezone.utc)
        docs = list(self.collection.find({"status": DEFERRED, "not_before": {"$lte": now}})
                    .sort("order", ASCENDING).limit(self.window))
        if not docs:
            return 0
        result = self._publish([PendingEvent.from_document(d) for d in docs])
        if result.confirmed:
            self.collection.update_many({"_id": {"$in": list(result.confirmed)}, "status": DEFERRED},
                                        {"$set": {"status": NEW}, "$unset": {"not_before": "", "last_error": ""}})
        self._raise_if_broken(result)
        return len(result.confirmed)

    def relay_once(self) -> int:
        """Publish what has been committed since the saved position (one window at most) and
        the due deferred events; return how many the broker confirmed. For tests and tools;
        ``run`` keeps one stream open instead."""
        stream, swept = self._open_stream()
        with stream:
            batch: list[dict] = []
            while len(batch) < self.window and (change := stream.try_next()) is not None:
                batch.append(change)
            sent = self._publish_changes(batch)
            if batch:
                self._save(batch[-1]["_id"])
        return swept + sent + self._retry_deferred()

    def _publish_changes(self, changes: list[dict]) -> int:
        if not changes:
            return 0
        return self._publish_or_raise([PendingEvent.from_document(c["fullDocument"]) for c in changes])

    # ------------------------------------------------------------------ loop
    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """Follow the outbox until ``stop``: hold the lease, publish, back off on failures."""
        failures = 0
        while not self._stop.is_set():
            try:
                if not self.lease.acquire():
                    self._stop.wait(self.lease.ttl.total_seconds() / 3)
                    continue
                stream, _ = self._open_stream()
                with _StreamReader(stream, self.window * 4) as reader:
                    failures = 0
                    self._follow(reader)
            except Exception:  # broker or store down: the position has not moved; retry
                failures += 1
                log.exception("%s outbox relay failed (attempt %d)", self.service, failures)
                self.publisher.reset()
                self._stop.wait(min(0.2 * 2 ** failures, 5.0))
        self.publisher.close()
        self.lease.release()

    def _follow(self, reader: "_StreamReader") -> None:
        """Publish changes as they arrive: wait for the first, then take only what has
        already arrived (never wait to fill a window: that would add latency, not speed)."""
        unsaved, saved_at = None, time.monotonic()
        while not self._stop.is_set() and self.lease.acquire():
            batch = reader.take(self.window, wait_s=0.05)
            if batch:
                self._publish_changes(batch)
                unsaved = batch[-1]["_id"]
            # The position is saved at most every SAVE_INTERVAL_S while events flow, and as
            # soon as the flow pauses: a crash republishes at most that much (deduplicated).
            if unsaved is not None and (not batch or time.monotonic() - saved_at > SAVE_INTERVAL_S):
                self._save(unsaved)
                unsaved, saved_at = None, time.monotonic()
            if not batch and time.monotonic() - self._last_sweep > self.deferred_sweep_s:
                self._last_sweep = time.monotonic()
                self._retry_deferred()
        if unsaved is not None:
            self._save(unsaved)


class _StreamReader:
    """Reads a change stream on its own thread into a bounded queue, so the relay can take
    exactly what has arrived without blocking on the stream's await time."""

    def __init__(self, stream, capacity: int):
        self.stream = stream
        self.changes: queue.Queue = queue.Queue(maxsize=capacity)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="outbox-stream", daemon=True)

    def __enter__(self) -> "_StreamReader":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self.stream.close()

    def _read(self) -> None:
        try:
            while not self._stop.is_set():
                change = self.stream.try_next()  # returns None after the stream's await time
                while change is not None and not self._stop.is_set():
                    try:
                        self.changes.put(change, timeout=0.1)  # the relay is behind: wait
                        change = None
                    except queue.Full:
                        pass
        except Exception as exc:  # the store went away: hand the error to the relay
            self.changes.put(exc)

    def take(self, limit: int, wait_s: float) -> list[dict]:
        try:
            first = self.changes.get(timeout=wait_s)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < limit:
            try:
                batch.append(self.changes.get_nowait())
            except queue.Empty:
                break
        for item in batch:
            if isinstance(item, Exception):
                raise item
        return batch
