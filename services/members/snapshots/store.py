"""Republishing members as snapshots (``members.member.snapshot``), and erasures again
(``members.member.erased``), through the members outbox.

The members are read in ``_id`` order, a batch at a time; each batch is read and its events
are added to the outbox in one transaction, so a batch's snapshots are of one consistent moment
and a crash leaves whole batches behind (run the command again: views merge a snapshot twice to
the same result). A change made while the command runs publishes its own event, after or before
the batch that reads the member: either way views end with the newest value, because a snapshot
is merged at the time of the member's last change it includes (``rules.as_of``), never later.
The relay of the running members worker publishes them like any other event.

Erased members get no snapshot. A view restored from a backup may still hold members erased
since that backup was made: ``republish_erasures`` publishes their erasure again (views forget
a member twice to the same result), from the erasure records, which keep no personal data.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING
from pymongo.client_session import ClientSession

from services.members.consent import store as consent_store
from services.members.messages import CATALOG, MEMBER_SNAPSHOT
from services.members.privacy import store as privacy_store
from services.members.snapshots import rules
from shared.bus import outbox
from shared.bus.envelope import Envelope

BATCH_SIZE = 500
MAX_BATCH_SIZE = 5000  # one transaction's events: a MongoDB transaction should stay well under 16 MB


@dataclass
class Republished:
    members: int = 0
    batches: int = 0


Progress = Callable[[Republished], None]


def republish(store, *, correlation_id: str, batch_size: int = BATCH_SIZE, member_ids: Iterable[str] = (),
              progress: Progress | None = None) -> Republished:
    """Add a snapshot of every member (or of ``member_ids`` only) who is not erased to the
    outbox, ``batch_size`` members a transaction; ``progress`` is told after each batch."""
    wanted = sorted(set(member_ids))

    def batch(session: ClientSession, after_id: str) -> tuple[list[str], list[Envelope]]:
        ids: dict = {"$gt": after_id}
        if wanted:
            ids["$in"] = wanted
        members = list(store.db.members.find({"_id": ids, "status": {"$in": list(rules.STATUSES)}},
                                             dict.fromkeys(rules.FIELDS, 1), session=session)
                       .sort("_id", ASCENDING).limit(batch_size))
        ledgers = consent_store.ledgers(store.db, members, session)
        return [m["_id"] for m in members], [
            CATALOG.create(MEMBER_SNAPSHOT, m["_id"], rules.snapshot_data(m, ledgers[m["_id"]]), correlation_id)
            for m in members]

    return _in_batches(store, batch, batch_size, progress)


def republish_erasures(store, *, since: datetime, correlation_id: str, batch_size: int = BATCH_SIZE,
                       progress: Progress | None = None) -> Republished:
    """Add ``members.member.erased`` again for every member erased at or after ``since``."""
    def batch(session: ClientSession, after_id: str) -> tuple[list[str], list[Envelope]]:
        records = privacy_store.erasures_since(store.db, since, after_id, batch_size, session)
        return [r["_id"] for r in records], [privacy_store.erasure_event(r, correlation_id) for r in records]

    return _in_batches(store, batch, batch_size, progress)


def _in_batches(store, batch: Callable[[ClientSession, str], tuple[list[str], list[Envelope]]], batch_size: int,
                progress: Progress | None) -> Republished:
    """Run ``batch(session, after_id)`` (the ids it read, in order, and their events) one
    transaction at a time, adding its events to the outbox, until a batch comes back short."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH_SIZE} members")
    done, last = Republished(), ""  # member ids are non-empty strings: every one is after ""

    def work(session: ClientSession) -> list[str]:
        ids, events = batch(session, last)
        outbox.add(store.db, session, *events)
        return ids

    while True:
        ids = store.transaction(work)
        if not ids:
            return done
        done.members += len(ids)
        done.batches += 1
        last = ids[-1]
        if progress is not None:
            progress(done)
        if len(ids) < batch_size:
            return done
