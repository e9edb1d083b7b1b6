"""Access revocations: every token of a subject issued before a moment (``not_before``) is
refused by every service, within seconds, not at its expiry.

- The members service decides (an erasure, a role change, a password reset, an email change or
  its undo): in the change's own transaction it writes the subject's row into its own
  ``revocations`` collection and publishes ``members.access.revoked`` (``member_id``,
  ``not_before``). Every other service keeps the same rows in its own database from that
  event (``subscription()``). A row only ever moves forward (``$max``): the newest
  ``not_before`` wins, so a redelivered or late event changes nothing.
- Each api process answers from memory (``Revocations``): subject -> not_before, read again
  at most every ``refresh_s`` with one indexed query for the rows changed since its last
  read. No store round trip per request, and a revocation counts in every process and copy
  about a second after its row is stored (a write by the process itself counts at its next
  request). A process that cannot read the rows for ``max_stale_s`` answers 503 rather than
  trust an old list.
- Times are wall-clock UTC at millisecond precision, as the tokens' ``iat``; a token issued
  at or after ``not_before`` (a fresh login after a password reset) is valid.
- Rows live ``KEEP_FOR`` after their ``not_before`` (a TTL index): longer than any token
  lives, refresh tokens (30 days) included.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from marshmallow import fields
from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import PyMongoError

from shared import clock, memberview, readmodel
from shared.auth import RevocationsUnavailable
from shared.bus.consumer import HandlerContext, Subscription
from shared.bus.envelope import Envelope
from shared.store import Index, asc

COLLECTION = "revocations"
EVENT_TYPE = "members.access.revoked"
KEEP_FOR = timedelta(days=35)
# A refresh re-reads rows changed this long before its previous read: a transaction stamps
# ``changed_at`` before it commits (at most shared.store.TRANSACTION_TIMEOUT_S later), and hosts'
# clocks differ a little. Revocations are rare, so the overlap costs a few rows.
OVERLAP = timedelta(minutes=2)
INDEXES: list[Index] = [
    Index(COLLECTION, asc("changed_at"), name="revocations_changed"),
    Index(COLLECTION, [("expires_at", ASCENDING)], name="revocations_ttl", options={"expireAfterSeconds": 0}),
]

log = logging.getLogger(__name__)
# Rows this process wrote (a members api's own revocations): its next check reads them.
_local_writes = 0


def record(db: Database, session: ClientSession | None, subject: str, not_before: datetime) -> None:
    """Refuse ``subject``'s tokens issued before ``not_before`` (a later revocation wins)."""
    global _local_writes
    not_before = readmodel.at_ms(not_before)
    db[COLLECTION].update_one({"_id": subject}, {
        "$max": {"not_before": not_before, "expires_at": not_before + KEEP_FOR},
        "$set": {"changed_at": clock.now()},
    }, upsert=True, session=session)
    _local_writes += 1


def not_before(db: Database, subject: str, session: ClientSession | None = None) -> datetime | None:
    """The subject's revocation moment, read from the store (for checks inside a transaction)."""
    row = db[COLLECTION].find_one({"_id": subject}, {"not_before": 1}, session=session)
    return None if row is None else _aware(row["not_before"])


def issued_before(issued_at: float | datetime | None, moment: datetime | None) -> bool:
    """Whether a credential issued at ``issued_at`` (a token's ``iat``, seconds since the
    epoch, or a time) falls under a revocation at ``moment``. Compared in whole milliseconds;
    a credential without an issue time falls under every revocation."""
    if moment is None:
        return False
    if issued_at is None:
        return True
    if isinstance(issued_at, datetime):
        issued_at = _aware(issued_at).timestamp()
    return round(float(issued_at) * 1000) < round(_aware(moment).timestamp() * 1000)


# --------------------------------------------------------------------------- the event

class AccessRevoked(memberview.Expectation):
    member_id = fields.String(required=True)
    not_before = fields.AwareDateTime(required=True)


def on_access_revoked(event: Envelope, ctx: HandlerContext) -> None:
    data = event.data
    record(ctx.db, ctx.session, data["member_id"], datetime.fromisoformat(data["not_before"].replace("Z", "+00:00")))


def subscription() -> Subscription:
    """What every consuming service subscribes to keep its rows."""
    return Subscription(EVENT_TYPE, AccessRevoked(), on_access_revoked)


# --------------------------------------------------------------------------- the api's check

class Revocations:
    """One api process's view of its service's rows (thread-safe; ``TokenVerifier.revocations``)."""

    def __init__(self, db: Database, *, refresh_s: float = 1.0, max_stale_s: float = 30.0,
                 full_reload_s: float = 600.0):
        self.db, self.refresh_s, self.max_stale_s, self.full_reload_s = db, refresh_s, max_stale_s, full_reload_s
        self._not_before: dict[str, datetime] = {}
        self._read_from: datetime | None = None  # wall time of the last read's start
        # Monotonic times of the last read, the last full read and the last failed read.
        self._read_at = self._loaded_at = self._failed_at = float("-inf")
        self._seen_writes = -1
        self._lock = threading.Lock()

    def revoked(self, subject: str, issued_at: float | None) -> bool:
        """Whether a token of ``subject`` issued at ``issued_at`` (its ``iat``) is revoked.
        Raises ``RevocationsUnavailable`` when the rows could not be read for too long."""
        self._refresh_if_due()
        return issued_before(issued_at, self._not_before.get(subject))

    def _refresh_if_due(self) -> None:
        now = time.monotonic()
        if now - self._read_at < self.refresh_s and self._seen_writes == _local_writes:
            return
        # One thread reads; the others go on with the list they have, unless it is too old.
        fresh_enough = now - self._read_at < self.max_stale_s
        if not fresh_enough and now - self._failed_at < self.refresh_s:
            # A read has just failed: answer at once instead of queueing behind another.
            raise RevocationsUnavailable("the revocations cannot be read")
        if not self._lock.acquire(blocking=not fresh_enough):
            return
        try:
            if time.monotonic() - self._read_at < self.refresh_s and self._seen_writes == _local_writes:
                return  # another thread read meanwhile
            self._read()
        except PyMongoError as exc:
            self._failed_at = time.monotonic()
            if self._failed_at - self._read_at >= self.max_stale_s:
                raise RevocationsUnavailable("the revocations cannot be read") from exc
            log.warning("revocations not refreshed: %s", exc)
        finally:
            self._lock.release()

    def _read(self) -> None:
        writes, started, now = _local_writes, clock.now(), time.monotonic()
        full = self._read_from is None or now - self._loaded_at >= self.full_reload_s
        query = {"expires_at": {"$gt": started}} if full else {"changed_at": {"$gte": self._read_from - OVERLAP}}
        found = {row["_id"]: _aware(row["not_before"]) for row in self.db[COLLECTION].find(query, {"not_before": 1})}
        if full:  # also forgets rows past their time
            self._not_before, self._loaded_at = found, now
        else:
            self._not_before.update(found)
        self._read_from, self._read_at, self._seen_writes = started, now, writes


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
