"""The transactional outbox and its relay.

A service writes its state change and the events it causes in one MongoDB transaction
(``add`` with the transaction's session). The relay, running in the service's worker, follows
the outbox collection's **change stream**, which delivers inserts in commit order (the order
of the replication log, whichever process committed them), publishes them a window at a time
with publisher confirms and ``mandatory``, marks the confirmed ones ``sent``, and only then
records its position (the stream's resume token). So a new event is published within
milliseconds of its commit, without polling.

- A broker outage delays events, never loses them: an event is ``new`` until the broker has
  confirmed it, the position does not move past it before that, and the relay resumes from
  the position (republishing at most one window, which consumers deduplicate by event id).
- An event the broker returns (unroutable) or nacks is marked ``deferred`` with its error and
  retried with growing delays, also while events keep flowing; it is never counted as sent.
- A sent event keeps its envelope but not its personal data (``redacted``): of ``data`` only
  ids, times, flags, numbers and encrypted tokens stay (the dev demo reads the confirmation
  token of sent sign-ups); free text (names, addresses, phones, titles) becomes null. Nothing reads a sent event's text: the catch-up sweep and the retries
  read ``new`` and ``deferred`` ones, which keep their body until the broker has it.
- If the store has forgotten the saved position (its change history was trimmed while the
  relay was down or behind), the relay publishes every event still ``new``, in order: the
  marks, not a clock, say what is left. Only ``sent`` events ever expire.
- One relay publishes at a time: it holds a lease (see ``shared.leases``) that outlives its
  slowest step, publishes nothing once the lease has less than that left, and saves its
  position only under its lease's epoch, so a relay that stalled through a takeover can
  neither move the position backwards nor keep going.
- ``ready`` is false until the relay has shown it works (a confirmed window, a healthy
  stream, or a standby behind another holder), again after any failure, such as a store
  that offers no change stream (not a replica set, missing privilege), and while its loop has
  made no pass for ``stalled_after_s`` (a call to a store or broker that hangs without
  failing): the relay is then not following its outbox, whatever it last reported. How far
  behind the outbox is (``measure_backlog``) is an alert, not readiness: a standby must not
  turn unready because the holder of the lease is slow, or a rollout would wait on it.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from bson import Int64
from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure

from shared.bus import metrics
from shared.bus.envelope import Envelope
from shared.bus.publisher import PublishResult
from shared.leases import Lease
from shared.store import Index

log = logging.getLogger(__name__)

COLLECTION = "outbox"
STATE_COLLECTION = "outbox_relay"
NEW, SENT, DEFERRED = "new", "sent", "deferred"
# Sent events are kept this long for inspection, then expire; new and deferred ones never do.
RETENTION_S = 30 * 24 * 3600
HISTORY_LOST_CODES = {280, 286}  # ChangeStreamFatalError, ChangeStreamHistoryLost
SAVE_INTERVAL_S = 0.1
# A relay publishes a window only while its lease has this much left beyond the publisher's
# confirm timeout: the store writes that follow (marks, position) must end before it expires.
STORE_STEP_S = 3.0
# A dead relay's events wait for its lease to expire: short enough that a killed worker's
# successor publishes within seconds, long enough to outlive a step (checked at start).
LEASE_TTL_S = 12.5
HEALTHY_AFTER_S = 1.0  # a stream followed this long without an error counts as working
MAX_BACKOFF_S = 5.0
# A relay whose loop has made no pass for this long (or two steps, if longer) is stuck.
STALLED_AFTER_S = 30.0
STANDBY_POLL_S = 1.0  # how often a standby relay asks for the lease
LEGACY_INDEXES = ["published_ttl"]  # expired events that were never sent; dropped at start
LEGACY_MARGIN = timedelta(minutes=5)  # see _adopt_legacy_marks
OUTBOX_INDEXES = [
    Index(COLLECTION, [("status", ASCENDING), ("order", ASCENDING)], name="status_in_order"),
    Index(COLLECTION, [("sent_at", ASCENDING)], name="sent_ttl",
          options={"expireAfterSeconds": RETENTION_S, "partialFilterExpression": {"status": SENT}}),
]


def redacted(body: bytes) -> bytes:
    """The body a sent event keeps: its envelope, and of ``data`` only what names or times
    things (keys ``id``, ``*_id``, ``*_ids``, ``*_at``, ``encrypted_*``) and non-text values.
    A body that is no JSON object cannot be sorted so: none of it is kept."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return b""
    if not isinstance(envelope, dict):
        return b""
    envelope["data"] = _without_text(envelope.get("data"), False)
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def _without_text(value, keep_text: bool):
    if isinstance(value, dict):
        return {key: _without_text(item, key == "id" or key.endswith(("_id", "_ids", "_at"))
                                   or key.startswith("encrypted_")) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_text(item, keep_text) for item in value]
    if isinstance(value, str) and not keep_text:
        return None
    return value


BACKLOG_EVERY_S = 15.0  # how often a worker measures its outbox backlog (a Prometheus scrape or so)


def unsent(db: Database, status: str) -> tuple[int, datetime | None]:
    """How many events of ``status`` (``new`` or ``deferred``) wait, and when the oldest was
    committed (UTC; None when none waits): two indexed reads (``status_in_order``)."""
    oldest = db[COLLECTION].find_one({"status": status}, {"created_at": 1}, sort=[("order", ASCENDING)])
    if oldest is None:
        return 0, None
    created = oldest["created_at"]
    if created.tzinfo is None:  # a client without tz_aware reads naive UTC
        created = created.replace(tzinfo=timezone.utc)
    return db[COLLECTION].count_documents({"status": status}), created


def measure_backlog(db: Database, service: str, now: Callable[[], datetime] | None = None) -> dict[str, tuple[int, float]]:
    """Count the events the broker has not confirmed yet and the age of the oldest, per
    status (``new``: waiting for the relay; ``deferred``: refused by the broker, retried),
    into the gauges the alerts watch; return ``{status: (count, oldest age in seconds)}``.
    Run on its own loop (``build_worker``), not the relay's, so a stuck relay is still seen."""
    moment = (now or (lambda: datetime.now(timezone.utc)))()
    measured = {}
    for status in (NEW, DEFERRED):
        count, oldest = unsent(db, status)
        age = 0.0 if oldest is None else max(0.0, (moment - oldest).total_seconds())
        metrics.OUTBOX_UNSENT.labels(service, status).set(count)
        metrics.OUTBOX_OLDEST_AGE.labels(service, status).set(age)
        measured[status] = (count, age)
    return measured


@dataclass
class Backlog:
    """What a service's outbox still has to publish (``alumnet outbox status``): events ``new``
    (not yet confirmed by the broker) and ``deferred`` (returned or nacked, retried with growing
    delays), when the oldest of them was committed, and when the broker last confirmed one."""

    new: int
    deferred: int
    oldest_at: datetime | None
    last_sent_at: datetime | None

    def oldest_age_s(self, now: datetime) -> float | None:
        return None if self.oldest_at is None else max((now - self.oldest_at).total_seconds(), 0.0)


def backlog(db: Database) -> Backlog:
    """The outbox's backlog (``alumnet outbox status``): ``unsent`` per status and the last
    confirmed event (``sent_ttl``)."""
    (new, new_oldest), (deferred, deferred_oldest) = unsent(db, NEW), unsent(db, DEFERRED)
    sent = db[COLLECTION].find_one({"status": SENT}, {"sent_at": 1}, sort=[("sent_at", -1)])
    return Backlog(new=new, deferred=deferred,
                   oldest_at=min((t for t in (new_oldest, deferred_oldest) if t is not None), default=None),
                   last_sent_at=sent["sent_at"] if sent else None)


class LeaseLost(Exception):
    """Another relay holds the lease now (or this one cannot be sure it still does)."""


def add(db: Database, session: ClientSession | None, *events: Envelope) -> None:
    """Store events to publish; call inside the transaction that stores the state change."""
    if not events:
        return
    now = datetime.now(timezone.utc)
    # Microseconds since the epoch, then position in this call: the order of the catch-up
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
                 lease_ttl_s: float = LEASE_TTL_S, monotonic: Callable[[], float] = time.monotonic):
        self.db = db
        self.collection = db[COLLECTION]
        self.state = db[STATE_COLLECTION]
        self.publisher = publisher
        self.service = service or db.name
        self.window = window
        self.await_ms = await_ms
        self.retry_backoff_s = retry_backoff_s
        self.deferred_sweep_s = deferred_sweep_s
        self.step_s = publisher.confirm_timeout_s + STORE_STEP_S
        if lease_ttl_s * 2 / 3 <= self.step_s:  # renewed at two thirds left: see Lease.acquire
            raise ValueError(f"a relay lease of {lease_ttl_s}s does not outlive a step of {self.step_s}s")
        self.lease = Lease(db, "outbox-relay", ttl_s=lease_ttl_s)
        self._epoch: int | None = None  # the lease epoch the position was claimed under
        self._stop = threading.Event()
        self._last_sweep = 0.0
        self._legacy_dropped = False
        self.published = 0
        self.failures = 0  # consecutive failed attempts; reset by progress, not by retrying
        self._proven = False
        # The stall check's clock only (the loop's own pacing reads time.monotonic).
        self._monotonic = monotonic
        self.stalled_after_s = max(STALLED_AFTER_S, 2 * self.step_s)
        self._last_pass = monotonic()

    @property
    def ready(self) -> bool:
        """Whether the relay is following its outbox (for the worker's ``/readyz``)."""
        return self._proven and self.failures == 0 and not self.stalled

    @property
    def stalled(self) -> bool:
        return self._monotonic() - self._last_pass > self.stalled_after_s

    def _pass(self) -> None:
        """The loop goes round: called at each turn, whatever state the relay is in."""
        self._last_pass = self._monotonic()

    def _progress(self) -> None:
        self.failures, self._proven = 0, True

    # ------------------------------------------------------------------ lease and position
    def _hold_lease(self) -> None:
        """Raise ``LeaseLost`` unless this relay holds the lease, under the epoch its
        position was claimed with, for at least one more step."""
        if (not self.lease.acquire() or self.lease.epoch != self._epoch
                or self.lease.remaining_s() < self.step_s):
            raise LeaseLost(f"{self.service} outbox relay lease lost")

    def _claim_position(self) -> dict:
        """Stamp the position with this holder's epoch and read it; from now on no older
        holder can save over it."""
        if not self.lease.acquire():
            raise LeaseLost(f"{self.service} outbox relay lease held elsewhere")
        epoch = self.lease.epoch
        legacy = self.state.find_one({"_id": "position", "token": {"$exists": True}, "epoch": {"$exists": False}})
        if legacy is not None:
            self._adopt_legacy_marks(legacy["saved_at"])
        try:
            doc = self.state.find_one_and_update(
                {"_id": "position", "$or": [{"epoch": {"$lte": epoch}}, {"epoch": {"$exists": False}}]},
                {"$set": {"epoch": epoch}}, upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # a newer epoch holds the position
            raise LeaseLost(f"{self.service} outbox relay lease taken over") from None
        self._epoch = epoch
        return doc

    def _adopt_legacy_marks(self, saved_at: datetime) -> None:
        """A relay from before the marks left the events it published ``new``; those it had
        surely passed (committed before its last save, less the margin it relied on itself)
        become ``sent`` once, so they expire as before instead of being published again."""
        marked = self.collection.update_many(
            {"status": NEW, "created_at": {"$lt": saved_at - LEGACY_MARGIN}},
            [{"$set": {"status": SENT, "sent_at": "$created_at"}}])
        log.warning("%s outbox: %d events published before marks existed marked sent",
                    self.service, marked.modified_count)

    def _save(self, token) -> None:
        saved = self.state.update_one({"_id": "position", "epoch": self._epoch},
                                      {"$set": {"token": token}, "$currentDate": {"saved_at": True}})
        if saved.matched_count == 0:
            raise LeaseLost(f"{self.service} outbox relay position fenced by a newer epoch")

    def _open_stream(self):
        """Open the change stream at the saved position; on first start, or if the store has
        forgotten that position, first publish what is still new. Returns the stream and how
        many events that sweep published."""
        pipeline = [{"$match": {"operationType": "insert"}}]
        saved = self._claim_position()
        token = saved.get("token")
        if token is not None:
            try:
                return self.collection.watch(pipeline, resume_after=token, batch_size=self.window,
                                             max_await_time_ms=self.await_ms), 0
            except OperationFailure as exc:
                if exc.code not in HISTORY_LOST_CODES:
                    raise
                log.error("%s outbox position lost (%s); publishing every event not yet sent",
                          self.service, exc)
        # Open first, then sweep: an insert committed in between is seen by both, and a
        # duplicate is harmless where a gap would not be.
        stream = self.collection.watch(pipeline, batch_size=self.window, max_await_time_ms=self.await_ms)
        try:
            swept = self._sweep()
            self._save(stream.resume_token)
        except BaseException:
            stream.close()
            raise
        return stream, swept

    def _sweep(self) -> int:
        batch: list[PendingEvent] = []
        published = 0
        for doc in self.collection.find({"status": NEW}).sort("order", ASCENDING):
            batch.append(PendingEvent.from_document(doc))
            if len(batch) >= self.window:
                published += self._publish_or_raise(batch)
                batch = []
        if batch:
            published += self._publish_or_raise(batch)
        return published

    def _drop_legacy_indexes(self) -> None:
        if self._legacy_dropped:
            return
        present = set(self.collection.index_information())
        for name in LEGACY_INDEXES:
            if name in present:
                self.collection.drop_index(name)
                log.warning("%s outbox: dropped the legacy index %s", self.service, name)
        self._legacy_dropped = True

    # ------------------------------------------------------------------ publishing
    def _publish_or_raise(self, batch: list[PendingEvent]) -> int:
        result = self._publish(batch)
        self._raise_if_broken(result)
        return len(result.confirmed)

    def _publish(self, batch: list[PendingEvent]) -> PublishResult:
        """Publish under the lease, mark what the broker confirmed ``sent`` and defer what it
        refused; the caller raises on ``result.error`` after this bookkeeping (nothing after
        the first unconfirmed event counts)."""
        self._hold_lease()
        result = self.publisher.publish_batch(batch)
        now = datetime.now(timezone.utc)
        if result.confirmed:
            # One plain update per event in one round trip: the embedded store takes a long
            # $in, or more operators, several times slower (about 0.5 ms an event here).
            bodies = {item.key: item.body for item in batch}
            self.collection.bulk_write([UpdateOne({"_id": key}, {"$set": {
                "status": SENT, "sent_at": now, "body": redacted(bodies[key])}}) for key in result.confirmed],
                ordered=False)
        for key, error in result.failed.items():
            doc = self.collection.find_one_and_update(
                {"_id": key}, {"$inc": {"attempts": 1}, "$set": {"status": DEFERRED, "last_error": error}},
                projection={"attempts": 1}, return_document=ReturnDocument.AFTER)
            attempts = doc["attempts"] if doc else 1
            delay = min(self.retry_backoff_s * 2 ** (attempts - 1), 300)
            self.collection.update_one({"_id": key}, {"$set": {"not_before": now + timedelta(seconds=delay)}})
            log.warning("%s outbox event %s deferred %.0fs: %s", self.service, key, delay, error)
        self.published += len(result.confirmed)
        metrics.OUTBOX_PUBLISHED.labels(self.service).inc(len(result.confirmed))
        metrics.OUTBOX_DEFERRED.labels(self.service).inc(len(result.failed))
        if result.confirmed and not result.error:
            self._progress()
        return result

    @staticmethod
    def _raise_if_broken(result: PublishResult) -> None:
        if result.error:
            raise ConnectionError(result.error)

    def _retry_deferred(self) -> int:
        """Publish deferred events that are due again; confirmed ones become ``sent``."""
        self._last_sweep = time.monotonic()
        now = datetime.now(timezone.utc)
        docs = list(self.collection.find({"status": DEFERRED, "not_before": {"$lte": now}})
                    .sort("order", ASCENDING).limit(self.window))
        if not docs:
            return 0
        sent = self._publish_or_raise([PendingEvent.from_document(d) for d in docs])
        # Single-document updates in one command: an erasure's transaction may be rewriting one
        # of these events, and the embedded store retries a multi-document update's write
        # conflict holding its collection lock (the transaction then waits for ever).
        self.collection.bulk_write([UpdateOne({"_id": d["_id"], "status": SENT},
                                              {"$unset": {"not_before": "", "last_error": ""}}) for d in docs],
                                   ordered=False)
        return sent

    def relay_once(self) -> int:
        """Publish what has been committed since the saved position (one window at most) and
        the due deferred events; return how many the broker confirmed (0 while another relay
        holds the lease). For tests and tools; ``run`` keeps one stream open instead."""
        if not self.lease.acquire():
            return 0
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
        while not self._stop.is_set():
            self._pass()
            try:
                self._drop_legacy_indexes()
                if not self.lease.acquire():
                    self._progress()  # a standby behind a live holder is as it should be
                    self._stop.wait(STANDBY_POLL_S)
                    continue
                stream, _ = self._open_stream()
                with _StreamReader(stream, self.window * 4) as reader:
                    self._follow(reader)
            except LeaseLost as lost:
                log.warning("%s; standing by", lost)
                self._stop.wait(STANDBY_POLL_S)
            except Exception:  # broker or store down, or no change stream: the position has not moved
                self.failures += 1
                log.exception("%s outbox relay failed (%d in a row)", self.service, self.failures)
                self.publisher.reset()
                self._stop.wait(min(0.2 * 2 ** self.failures, MAX_BACKOFF_S))
        self.publisher.close()
        try:
            self.lease.release()
        except Exception:  # the store is down; the lease expires by itself
            log.warning("%s outbox relay could not release its lease", self.service)

    def _follow(self, reader: "_StreamReader") -> None:
        """Publish changes as they arrive: wait for the first, then take only what has
        already arrived (never wait to fill a window: that would add latency, not speed)."""
        unsaved, saved_at, opened_at = None, time.monotonic(), time.monotonic()
        while not self._stop.is_set():
            self._pass()
            self._hold_lease()
            batch = reader.take(self.window, wait_s=0.05)
            if batch:
                self._publish_changes(batch)
                unsaved = batch[-1]["_id"]
            # The position is saved at most every SAVE_INTERVAL_S while events flow, and as
            # soon as the flow pauses: a crash republishes at most that much (deduplicated).
            if unsaved is not None and (not batch or time.monotonic() - saved_at > SAVE_INTERVAL_S):
                self._save(unsaved)
                unsaved, saved_at = None, time.monotonic()
            # Due deferred events go out on their own clock, not only when the stream is idle.
            if time.monotonic() - self._last_sweep > self.deferred_sweep_s:
                self._retry_deferred()
            if time.monotonic() - opened_at > HEALTHY_AFTER_S:
                self._progress()
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
