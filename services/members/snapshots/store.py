"""Republishing members as snapshots (``members.member.snapshot``) through the members outbox.

The members are read in ``_id`` order, a batch at a time; each batch is read and its events
are added to the outbox in one transaction, so a batch's snapshots are of one consistent moment
and a crash leaves whole batches behind (run the command again: views merge a snapshot twice to
the same result). A change made while the command runs publishes its own event, after or before
the batch that reads the member: either way views end with the newest value, because a snapshot
is merged at the time of the member's last change it includes (``rules.as_of``), never later.
The relay of the running members worker publishes them like any other event.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pymongo import ASCENDING
from pymongo.client_session import ClientSession

from services.members.consent import store as consent_store
from services.members.messages import CATALOG, MEMBER_SNAPSHOT
from services.members.snapshots import rules
from shared.bus import outbox

BATCH_SIZE = 500
MAX_BATCH_SIZE = 5000  # one transaction's events: a MongoDB transaction should stay well under 16 MB


@dataclass
class Republished:
    members: int = 0
    batches: int = 0


def republish(store, *, correlation_id: str, batch_size: int = BATCH_SIZE, member_ids: Iterable[str] = (),
              progress: Callable[[Republished], None] | None = None) -> Republished:
    """Add a snapshot of every member (or of ``member_ids`` only) who is not erased to the
    outbox, ``batch_size`` members a transaction; ``progress`` is told after each batch."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH_SIZE} members")
    wanted = sorted(set(member_ids))
    done, last = Republished(), ""  # member ids are non-empty strings: every one is after ""

    def batch(session: ClientSession) -> list[dict]:
        ids: dict = {"$gt": last}
        if wanted:
            ids["$in"] = wanted
        members = list(store.db.members.find({"_id": ids, "status": {"$in": list(rules.STATUSES)}},
                                             dict.fromkeys(rules.FIELDS, 1), session=session)
                       .sort("_id", ASCENDING).limit(batch_size))
        ledgers = consent_store.ledgers(store.db, members, session)
        outbox.add(store.db, session, *(
            CATALOG.create(MEMBER_SNAPSHOT, member["_id"], rules.snapshot_data(member, ledgers[member["_id"]]),
                           correlation_id) for member in members))
        return members

    while True:
        members = store.transaction(batch)
        if not members:
            return done
        done.members += len(members)
        done.batches += 1
        last = members[-1]["_id"]
        if progress is not None:
            progress(done)
        if len(members) < batch_size:
            return done
