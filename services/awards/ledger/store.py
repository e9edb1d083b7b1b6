"""MongoDB access of the engagement ledger (the rules are ``rules.py``).

- ``ledger``: one row per credited member of a source event, ``_id = "<event id>:<member
  id>"``, ``{event_id, event_type, member_id, occurred_at, units, source, recorded_at}``.
  Insert only (an upsert with ``$setOnInsert``: a duplicate, a replay or a redelivery finds
  the row and changes nothing). Erasure replaces a member's rows by anonymous copies
  (``_id = "<event id>:erased:<hash>"``, ``member_id = "erased:<hash>"``, ``erased: true``,
  source ids kept; the hash is of the event and member ids, so the copies cannot be grouped
  back into one person) and leaves a tombstone (``ledger_forgotten``, the SHA-256 of the
  member id) so that a late or replayed event never credits them again.
- ``ledger_cycles``: what intake needs of a cycle (``open_cycle`` registers it): ``{_id:
  cycle_id, rules_version, activity_from, activity_to}``. The cycle itself is the cycles
  feature's document; the ledger never reads it.
- ``ledger_buckets``: ``(cycle, member, event type, cap period)`` with the raw sum of the
  rows' points (hundredths) and their count. ``ledger_standings``: ``(cycle, category,
  member)`` with the points after caps. A row changes its bucket with one atomic ``$inc``
  and the standings by ``rules.capped_delta`` of the bucket's value before and after, in
  the transaction that inserts the row, so the standings are the sum of capped buckets
  whatever the order of the rows; two rows of one bucket in concurrent transactions
  conflict on the bucket and one is retried.
- ``open_cycle`` and ``rebuild`` compute a cycle's buckets and standings from its rows
  (``rules.tally``) and replace the stored ones in one transaction: the same result as the
  incremental path (a test holds them equal). A handler transaction that began before a
  cycle's registration committed does not see the cycle (snapshots do not conflict on
  reads); ``rebuild`` (``alumnet awards rebuild-standings``) settles such a cycle exactly.
"""
from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import pymongo
from pymongo import ASCENDING, DESCENDING, DeleteMany, InsertOne, ReturnDocument, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from services.awards import readmodel_store
from services.awards.ledger import rules
from shared.store import Index, asc

LEDGER, CYCLES, BUCKETS, STANDINGS, FORGOTTEN = (
    "ledger", "ledger_cycles", "ledger_buckets", "ledger_standings", "ledger_forgotten")
# The members view the awards service keeps (readmodel_store): read for names and
# verification only, and tolerated absent.
MEMBER_VIEW = readmodel_store.MEMBERS  # the awards view of members (handlers.py keeps it)
REBUILD_TIMEOUT_S = 300.0  # a cycle's year of rows is read and written in one transaction
T = TypeVar("T")

INDEXES: list[Index] = [
    Index(LEDGER, asc("member_id", "event_type", "occurred_at"), name="ledger_of_member"),
    Index(LEDGER, asc("occurred_at"), name="ledger_by_time"),
    Index(CYCLES, asc("activity_from", "activity_to"), name="ledger_cycles_by_period"),
    Index(BUCKETS, asc("member_id", "cycle_id"), name="ledger_buckets_of_member"),
    Index(BUCKETS, asc("cycle_id"), name="ledger_buckets_of_cycle"),
    # top-N: equality on cycle and category, then points best first, ties by member id.
    Index(STANDINGS, [("cycle_id", ASCENDING), ("category", ASCENDING), ("points", DESCENDING),
                      ("member_id", ASCENDING)], name="ledger_standings_top"),
    Index(STANDINGS, asc("member_id"), name="ledger_standings_of_member"),
]


class UnknownCycle(LookupError):
    """No cycle of that id was registered with the ledger (``open_cycle``)."""


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


def _transaction(db: Database, work: Callable[[ClientSession], T], timeout_s: float = REBUILD_TIMEOUT_S) -> T:
    with pymongo.timeout(timeout_s), db.client.start_session() as session:
        return session.with_transaction(work, read_concern=ReadConcern("snapshot"),
                                        write_concern=WriteConcern("majority"))


# --------------------------------------------------------------------------- intake

def record(db: Database, session: ClientSession | None, event_id: str, event_type: str, data: dict,
           recorded_at: datetime) -> int:
    """Record an event's rows and credit them to every registered cycle whose activity
    period holds them; returns the rows new to the ledger (0 for a type without a rule, a
    condition that does not hold, a duplicate or an erased member)."""
    rule = rules.reading_rule(event_type)
    if rule is None:
        return 0
    recorded = 0
    for entry in rules.entries(rule, data):
        if db[FORGOTTEN].find_one({"_id": _digest(entry.member_id)}, {"_id": 1}, session=session):
            continue
        row = {"event_id": event_id, "event_type": event_type, "member_id": entry.member_id,
               "occurred_at": entry.occurred_at, "units": entry.units, "source": entry.source,
               "recorded_at": recorded_at}
        result = db[LEDGER].update_one({"_id": f"{event_id}:{entry.member_id}"}, {"$setOnInsert": row},
                                       upsert=True, session=session)
        if result.upserted_id is None:
            continue  # already recorded: credited then
        recorded += 1
        for cycle in _registered_cycles(db, session):
            if rules.in_period(entry.occurred_at, cycle["activity_from"], cycle["activity_to"]):
                _credit(db, session, cycle, row)
    return recorded


# The registered cycles (a handful: one a year) read once per transaction: the consumer
# handles a batch of events in one transaction, whose snapshot would answer every event's
# read the same anyway. Keyed by the session and its transaction number, so a retried
# transaction (a new snapshot) reads them again.
_cycles_read: "weakref.WeakKeyDictionary[ClientSession, tuple]" = weakref.WeakKeyDictionary()


def _registered_cycles(db: Database, session: ClientSession | None) -> list[dict]:
    if session is None or not session.in_transaction:
        return list(db[CYCLES].find({}, session=session))
    key = (db.name, int(session._transaction_id))
    read = _cycles_read.get(session)
    if read is None or read[0] != key:
        read = _cycles_read[session] = (key, list(db[CYCLES].find({}, session=session)))
    return read[1]


def _credit(db: Database, session: ClientSession | None, cycle: dict, row: dict) -> None:
    rule = rules.ruleset(cycle["rules_version"]).get(row["event_type"])
    if rule is None:
        return  # the cycle's rules do not count this source
    added = rules.amount(rule, row["units"])
    cycle_id, member_id = cycle["_id"], row["member_id"]
    period = rules.period_key(rule.cap_period, row["occurred_at"])
    bucket = db[BUCKETS].find_one_and_update(
        {"_id": f"{cycle_id}:{member_id}:{rule.event_type}:{period}"},
        {"$inc": {"raw": added, "count": 1},
         "$setOnInsert": {"cycle_id": cycle_id, "member_id": member_id, "event_type": rule.event_type,
                          "period": period}},
        upsert=True, return_document=ReturnDocument.AFTER, session=session)
    delta = rules.capped_delta(bucket["raw"] - added, added, rule.cap_centi)
    if delta:
        db[STANDINGS].bulk_write([
            UpdateOne({"_id": f"{cycle_id}:{category}:{member_id}"},
                      {"$inc": {"points": delta},
                       "$setOnInsert": {"cycle_id": cycle_id, "category": category, "member_id": member_id}},
                      upsert=True)
            for category in (rules.OVERALL, rule.category)], ordered=True, session=session)


# --------------------------------------------------------------------------- cycles

def open_cycle(db: Database, session: ClientSession | None, cycle_id: str, rules_version: str,
               activity_from: datetime, activity_to: datetime) -> None:
    """Register a cycle for intake and compute its standings from the rows already in its
    period (idempotent: opening again recomputes the same). ValueError: an unknown rules
    version or an empty period."""
    if rules_version not in rules.RULESETS:
        raise ValueError(f"unknown rules version {rules_version!r} (known: {', '.join(rules.RULESETS)})")
    if not activity_from < activity_to:
        raise ValueError("activity_from must be before activity_to")
    cycle = {"_id": cycle_id, "rules_version": rules_version, "activity_from": activity_from,
             "activity_to": activity_to}

    def work(s: ClientSession) -> None:
        db[CYCLES].replace_one({"_id": cycle_id}, cycle, upsert=True, session=s)
        _compute(db, s, cycle)

    if session is None:
        _transaction(db, work)
    else:
        work(session)


def cycle_of(db: Database, cycle_id: str) -> dict:
    cycle = db[CYCLES].find_one({"_id": cycle_id})
    if cycle is None:
        raise UnknownCycle(cycle_id)
    return cycle


def current_cycle(db: Database, now: datetime) -> dict | None:
    """The latest registered cycle that has started by ``now``."""
    return db[CYCLES].find_one({"activity_from": {"$lte": now}}, sort=[("activity_from", DESCENDING)])


def rebuild(db: Database, cycle_id: str) -> None:
    """Recompute a cycle's buckets and standings from the ledger under its own rules."""
    cycle = cycle_of(db, cycle_id)
    _transaction(db, lambda s: _compute(db, s, cycle))


def _rows_of(db: Database, session: ClientSession | None, activity_from: datetime, activity_to: datetime,
             event_types, member_id: str | None = None):
    query: dict[str, Any] = {"occurred_at": {"$gte": activity_from, "$lt": activity_to},
                             "event_type": {"$in": list(event_types)}}
    if member_id is not None:
        query["member_id"] = member_id
    projection = {"_id": 0, "member_id": 1, "event_type": 1, "occurred_at": 1, "units": 1, "erased": 1}
    return (row for row in db[LEDGER].find(query, projection, session=session) if not row.get("erased"))


def _compute(db: Database, session: ClientSession, cycle: dict) -> None:
    cycle_id, version = cycle["_id"], cycle["rules_version"]
    rows = _rows_of(db, session, cycle["activity_from"], cycle["activity_to"], rules.ruleset(version))
    buckets, standings = rules.tally(rows, version)
    db[BUCKETS].delete_many({"cycle_id": cycle_id}, session=session)
    db[STANDINGS].delete_many({"cycle_id": cycle_id}, session=session)
    bucket_docs = [{"_id": f"{cycle_id}:{member_id}:{event_type}:{period}", "cycle_id": cycle_id,
                    "member_id": member_id, "event_type": event_type, "period": period, **values}
                   for (member_id, event_type, period), values in buckets.items()]
    standing_docs = [{"_id": f"{cycle_id}:{category}:{member_id}", "cycle_id": cycle_id, "category": category,
                      "member_id": member_id, "points": value}
                     for (category, member_id), value in standings.items()]
    for collection, docs in ((BUCKETS, bucket_docs), (STANDINGS, standing_docs)):
        for start in range(0, len(docs), 1000):
            db[collection].insert_many(docs[start:start + 1000], ordered=False, session=session)


# --------------------------------------------------------------------------- reading

def top(db: Database, cycle_id: str, category: str, limit: int) -> list[dict]:
    """The best ``limit`` of a cycle's category, best first: ``[{member_id, points, rank}]``
    (competition ranks: 1, 2, 2, 4). One store command."""
    if category not in rules.STANDINGS:
        raise ValueError(f"unknown category {category!r}")
    docs = db[STANDINGS].find({"cycle_id": cycle_id, "category": category},
                              {"_id": 0, "member_id": 1, "points": 1},
                              sort=[("points", DESCENDING), ("member_id", ASCENDING)], limit=limit)
    return [{**item, "points": rules.points(item["points"])} for item in rules.ranked(list(docs))]


def points_of(db: Database, cycle_id: str, member_id: str) -> dict[str, float]:
    """A member's points per standings category in a cycle (0 where they have none)."""
    ids = [f"{cycle_id}:{category}:{member_id}" for category in rules.STANDINGS]
    found = {doc["category"]: doc["points"] for doc in db[STANDINGS].find({"_id": {"$in": ids}})}
    return {category: rules.points(found.get(category, 0)) for category in rules.STANDINGS}


def rank_of(db: Database, cycle_id: str, category: str, centi: int) -> int:
    return 1 + db[STANDINGS].count_documents({"cycle_id": cycle_id, "category": category, "points": {"$gt": centi}})


def count_in_period(db: Database, member_id: str, event_type: str, since: datetime, until: datetime) -> int:
    """How many ledger rows of ``event_type`` credit ``member_id`` in [since, until)."""
    return db[LEDGER].count_documents({"member_id": member_id, "event_type": event_type,
                                       "occurred_at": {"$gte": since, "$lt": until}})


def buckets_of(db: Database, cycle_id: str, member_id: str) -> list[dict]:
    return list(db[BUCKETS].find({"member_id": member_id, "cycle_id": cycle_id}))


def year_buckets(db: Database, member_id: str, since: datetime, until: datetime, version: str) -> list[dict]:
    """A member's buckets of [since, until) under ``version``, computed from their rows (no
    cycle holds them): the "running year" of a member's engagement."""
    rows = _rows_of(db, None, since, until, rules.ruleset(version), member_id)
    buckets, _ = rules.tally(rows, version)
    return [{"event_type": event_type, **values} for (_, event_type, _), values in buckets.items()]


def member_view(db: Database, member_ids: list[str]) -> dict[str, dict]:
    """Names and status from the awards members view, by id (empty while there is none)."""
    return {doc["_id"]: doc for doc in db[MEMBER_VIEW].find(
        {"_id": {"$in": member_ids}}, {"given_name": 1, "family_name": 1, "status": 1})}


# --------------------------------------------------------------------------- erasure

def forget_member(db: Database, session: ClientSession | None, member_id: str) -> None:
    """Erasure: the member's standings and buckets removed, their ledger rows anonymised
    (source ids kept), and a tombstone so that no later event credits them."""
    def work(s: ClientSession) -> None:
        db[STANDINGS].delete_many({"member_id": member_id}, session=s)
        db[BUCKETS].delete_many({"member_id": member_id}, session=s)
        writes: list = []
        for row in db[LEDGER].find({"member_id": member_id}, session=s):
            hashed = _digest(row["event_id"], member_id)
            writes.append(InsertOne({**row, "_id": f"{row['event_id']}:erased:{hashed}",
                                     "member_id": f"erased:{hashed}", "erased": True}))
        if writes:
            writes.append(DeleteMany({"member_id": member_id}))
            db[LEDGER].bulk_write(writes, ordered=True, session=s)
        db[FORGOTTEN].update_one({"_id": _digest(member_id)}, {"$setOnInsert": {"forgotten": True}},
                                 upsert=True, session=s)

    if session is None:
        _transaction(db, work)
    else:
        work(session)
