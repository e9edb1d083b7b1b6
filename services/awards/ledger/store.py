"""MongoDB access of the engagement ledger (the rules are ``rules.py``).

- ``ledger``: one row per credited member of a source event, ``_id = "<event id>:<member
  id>"``, ``{event_id, event_type, member_id, occurred_at, units, source, recorded_at}``.
  Insert only (an upsert with ``$setOnInsert``: a duplicate, a replay or a redelivery finds
  the row and changes nothing). Erasure replaces a member's rows by anonymous copies
  (``_id = "<event id>:erased:<hash>"``, ``member_id = "erased:<hash>"``, ``erased: true``,
  source ids kept; the hash is of the event and member ids, so the copies cannot be grouped
  back into one person) and leaves a tombstone (``ledger_forgotten``, the SHA-256 of the
  member id, ``forgotten_at``; the member id and ``settle_at`` only until ``settle``) so
  that a late or replayed event never credits them again.
- ``ledger_cycles``: what intake needs of a cycle (``open_cycle`` registers it): ``{_id:
  cycle_id, rules_version, activity_from, activity_to, settle_at (until settled)}``. The
  cycle itself is the cycles feature's document; the ledger never reads it.
- ``ledger_buckets``: ``(cycle, member, event type, cap period)`` with the raw sum of the
  rows' points (hundredths) and their count. ``ledger_standings``: ``(cycle, category,
  member)`` with the points after caps. Rows change their bucket with an atomic ``$inc``
  and the standings by ``rules.capped_delta`` of the bucket's value before and after, in
  the transaction that inserts the rows, so the standings are the sum of capped buckets
  whatever the order of the rows; two rows of one bucket in concurrent transactions
  conflict on the bucket and one is retried.
- Intake (``record``) takes the rows of a whole batch of events (``intake.py`` buffers them
  until every handler of the consumer's transaction has run) and writes them with a fixed
  number of commands: the ledger, then the buckets (their values before read in the same
  command for one bucket, else one read), then the standings. The registered cycles and the
  tombstones come from the process's view (``VIEWS``), not from a read per batch: a view
  may lag another process's registration or erasure by ``CACHE_TTL_S``, and a transaction
  that began before either committed does not see it either (snapshots do not conflict on
  reads); ``settle`` (the worker's timer) makes both exact once no such view or transaction
  can be left: it computes a newly registered cycle again and forgets a newly erased member
  again.
- ``open_cycle`` and ``rebuild`` compute a cycle's buckets and standings from its rows
  (``rules.tally``) and replace the stored ones in one transaction: the same result as the
  incremental path (a test holds them equal). ``rebuild`` is also the operator's command
  (``alumnet awards rebuild-standings``).
"""
from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pymongo
from pymongo import ASCENDING, DESCENDING, DeleteMany, MongoClient, ReturnDocument, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from services.awards import readmodel_store
from services.awards.ledger import rules
from shared import clock
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
    # Every index costs each write (the embedded store maintains all of a document's
    # entries on any change), and intake writes buckets and standings: one index each.
    # Erasure finds a member's by the registered cycles (a handful), by this one or by id.
    Index(BUCKETS, asc("cycle_id", "member_id"), name="ledger_buckets_of_cycle"),
    # top-N: equality on cycle and category, then points best first, ties by member id.
    Index(STANDINGS, [("cycle_id", ASCENDING), ("category", ASCENDING), ("points", DESCENDING),
                      ("member_id", ASCENDING)], name="ledger_standings_top"),
    Index(FORGOTTEN, asc("forgotten_at"), name="ledger_forgotten_by_time"),  # the workers' views
    Index(FORGOTTEN, asc("settle_at"), name="ledger_forgotten_to_settle", options={"sparse": True}),
]


class UnknownCycle(LookupError):
    """No cycle of that id was registered with the ledger (``open_cycle``)."""


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


def _transaction(db: Database, work: Callable[[ClientSession], T], timeout_s: float = REBUILD_TIMEOUT_S) -> T:
    with pymongo.timeout(timeout_s), db.client.start_session() as session:
        return session.with_transaction(work, read_concern=ReadConcern("snapshot"),
                                        write_concern=WriteConcern("majority"))


# --------------------------------------------------------------------------- what intake knows

CACHE_TTL_S = 5.0  # how old a worker's view of the cycles and tombstones may be
TRANSACTION_BOUND_S = 60.0  # no transaction lives longer (MongoDB's transactionLifetimeLimitSeconds)
CLOCK_MARGIN_S = 10.0  # between the clocks of the processes
# A registration or an erasure is settled (``settle``) once no transaction can still be using
# a view read before it committed: it commits at most a transaction after its own clock said
# ``now``, every view holds it one TTL later, and a transaction that used an older view ends
# within another transaction's time.
SETTLE_AFTER_S = CACHE_TTL_S + 2 * TRANSACTION_BOUND_S + CLOCK_MARGIN_S
SETTLE_INTERVAL_S = 30.0


@dataclass
class IntakeView:
    """What intake reads of the store for every batch: the registered cycles and the digests
    of the forgotten members."""

    cycles: list[dict]
    erased: set[str]
    loaded_at: float  # monotonic
    read_at: datetime  # wall clock: the next reading of tombstones starts a bound before it


class IntakeViews:
    """The process's views, per client and database, read again when ``CACHE_TTL_S`` old
    (cycles: all of them, a handful; tombstones: those written since the last reading, a
    transaction's lifetime back, so one committed late is not missed), and told at once of
    what this process registers (``open_cycle``) or forgets (``forget_member``). Another
    process's registration or erasure reaches a view within the TTL; ``settle`` makes up
    for that window."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, ttl_s: float = CACHE_TTL_S):
        self.monotonic, self.ttl_s = monotonic, ttl_s
        # By the client's identity (clients of one address compare equal): (the client, views by database).
        self._views: dict[int, tuple[weakref.ref, dict[str, IntakeView]]] = {}
        self._lock = threading.Lock()

    def _of(self, client: MongoClient) -> dict[str, IntakeView]:
        held = self._views.get(id(client))
        if held is None or held[0]() is not client:  # none yet, or a closed client's id reused
            held = self._views[id(client)] = (weakref.ref(client), {})
        return held[1]

    def get(self, db: Database) -> IntakeView:
        with self._lock:
            views = self._of(db.client)
            view = views.get(db.name)
        if view is not None and self.monotonic() - view.loaded_at < self.ttl_s:
            return view
        loaded_at, read_at = self.monotonic(), clock.now()
        cycles = list(db[CYCLES].find({}, {"rules_version": 1, "activity_from": 1, "activity_to": 1}))
        since = {} if view is None else {
            "forgotten_at": {"$gte": view.read_at - timedelta(seconds=TRANSACTION_BOUND_S + CLOCK_MARGIN_S)}}
        erased = {doc["_id"] for doc in db[FORGOTTEN].find(since, {"_id": 1})}
        fresh = IntakeView(cycles, erased | (view.erased if view else set()), loaded_at, read_at)
        with self._lock:
            views[db.name] = fresh
        return fresh

    def reload(self, db: Database) -> None:
        """Read everything again at the next ``get`` (a cycle was registered here)."""
        with self._lock:
            self._of(db.client).pop(db.name, None)

    def forgotten(self, db: Database, member_id: str) -> None:
        with self._lock:
            view = self._of(db.client).get(db.name)
            if view is not None:
                view.erased.add(_digest(member_id))


VIEWS = IntakeViews()


# --------------------------------------------------------------------------- intake

def rows_of(event_id: str, event_type: str, data: dict, recorded_at: datetime) -> list[tuple[str, dict]]:
    """The ledger rows of an event, ``(_id, row)``: none for a type without a rule or a
    condition that does not hold."""
    rule = rules.reading_rule(event_type)
    if rule is None:
        return []
    return [(f"{event_id}:{entry.member_id}",
             {"event_id": event_id, "event_type": event_type, "member_id": entry.member_id,
              "occurred_at": entry.occurred_at, "units": entry.units, "source": entry.source,
              "recorded_at": recorded_at})
            for entry in rules.entries(rule, data)]


def record(db: Database, session: ClientSession | None, rows: list[tuple[str, dict]],
           skip: frozenset[str] | set[str] = frozenset()) -> int:
    """Record rows (``rows_of``; of a whole batch of events) and credit the new ones to every
    registered cycle whose activity period holds them; returns the rows new to the ledger
    (a duplicate, a member in ``skip`` or forgotten adds none). A fixed number of store
    commands whatever the number of rows: one ledger write; then, if a cycle holds them, the
    buckets' values before (read with the write when there is one bucket) and their write,
    and one standings write unless the caps leave nothing to add."""
    view = VIEWS.get(db)
    rows = [(row_id, row) for row_id, row in rows
            if row["member_id"] not in skip and _digest(row["member_id"]) not in view.erased]
    if not rows:
        return 0
    if len(rows) == 1:  # one event alone, as a rule: an upsert tells in one command whether it is new
        [(row_id, row)] = rows
        result = db[LEDGER].update_one({"_id": row_id}, {"$setOnInsert": row}, upsert=True, session=session)
        new = [row] if result.upserted_id is not None else []
    else:  # a batch: an insert costs the store a fraction of an upsert, and one read finds the recorded
        recorded = {doc["_id"] for doc in db[LEDGER].find({"_id": {"$in": [row_id for row_id, _ in rows]}},
                                                          {"_id": 1}, session=session)}
        new = [row for row_id, row in rows if row_id not in recorded]  # the others were credited then
        if new:
            db[LEDGER].insert_many([{"_id": row_id, **row} for row_id, row in rows if row_id not in recorded],
                                   ordered=False, session=session)
    _credit(db, session, view.cycles, new)
    return len(new)


@dataclass
class _Added:
    """What a batch adds to one bucket."""

    cycle_id: str
    member_id: str
    rule: rules.Rule
    period: str
    raw: int = 0
    count: int = 0


def _credit(db: Database, session: ClientSession | None, cycles: list[dict], rows: list[dict]) -> None:
    added: dict[str, _Added] = {}
    for cycle in cycles:
        ruleset = rules.ruleset(cycle["rules_version"])
        for row in rows:
            rule = ruleset.get(row["event_type"])  # None: the cycle's rules do not count this source
            if rule is None or not rules.in_period(row["occurred_at"], cycle["activity_from"], cycle["activity_to"]):
                continue
            period = rules.period_key(rule.cap_period, row["occurred_at"])
            into = added.setdefault(f"{cycle['_id']}:{row['member_id']}:{rule.event_type}:{period}",
                                    _Added(cycle["_id"], row["member_id"], rule, period))
            into.raw += rules.amount(rule, row["units"])
            into.count += 1
    if not added:
        return
    before = _add_to_buckets(db, session, added)
    deltas: Counter = Counter()
    for bucket_id, into in added.items():
        # Rows added together or one by one give the same: the cap applies to the sum.
        delta = rules.capped_delta(before.get(bucket_id, 0), into.raw, into.rule.cap_centi)
        if delta:
            for category in (rules.OVERALL, into.rule.category):
                deltas[(into.cycle_id, category, into.member_id)] += delta
    writes = [UpdateOne({"_id": f"{cycle_id}:{category}:{member_id}"},
                        {"$inc": {"points": delta},
                         "$setOnInsert": {"cycle_id": cycle_id, "category": category, "member_id": member_id}},
                        upsert=True)
              for (cycle_id, category, member_id), delta in deltas.items() if delta]
    if writes:
        db[STANDINGS].bulk_write(writes, ordered=False, session=session)


def _add_to_buckets(db: Database, session: ClientSession | None, added: dict[str, _Added]) -> dict[str, int]:
    """Add to the buckets; their raw values before, by id (absent: new). Another transaction
    changing one of them after this one's snapshot makes this write conflict (and retry)."""
    def change(into: _Added) -> dict:
        return {"$inc": {"raw": into.raw, "count": into.count},
                "$setOnInsert": {"cycle_id": into.cycle_id, "member_id": into.member_id,
                                 "event_type": into.rule.event_type, "period": into.period}}

    if len(added) == 1:  # one event alone, as a rule: read and write in one command
        [(bucket_id, into)] = added.items()
        doc = db[BUCKETS].find_one_and_update({"_id": bucket_id}, change(into), {"raw": 1}, upsert=True,
                                              return_document=ReturnDocument.BEFORE, session=session)
        return {bucket_id: doc["raw"]} if doc else {}
    before = {doc["_id"]: doc["raw"] for doc in db[BUCKETS].find({"_id": {"$in": list(added)}}, {"raw": 1},
                                                                  session=session)}
    db[BUCKETS].bulk_write([UpdateOne({"_id": bucket_id}, change(into), upsert=True)
                            for bucket_id, into in added.items()], ordered=False, session=session)
    return before


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
    # Workers that read the cycles before this commits do not credit it for a while:
    # ``settle`` computes it again once none can be left (``settle_at``).
    cycle = {"_id": cycle_id, "rules_version": rules_version, "activity_from": activity_from,
             "activity_to": activity_to, "settle_at": clock.now() + timedelta(seconds=SETTLE_AFTER_S)}

    def work(s: ClientSession) -> None:
        db[CYCLES].replace_one({"_id": cycle_id}, cycle, upsert=True, session=s)
        _compute(db, s, cycle)

    if session is None:
        _transaction(db, work)
    else:
        work(session)
    VIEWS.reload(db)  # this process's own view at once (the caller's transaction may yet commit)


def cycle_of(db: Database, cycle_id: str) -> dict:
    """A registered cycle (``_id``, ``rules_version``, ``activity_from``, ``activity_to``):
    from the process's view (no round trip for a read route), from the store when the view
    does not hold it (registered elsewhere in the last few seconds, or unknown)."""
    for cycle in VIEWS.get(db).cycles:
        if cycle["_id"] == cycle_id:
            return cycle
    cycle = db[CYCLES].find_one({"_id": cycle_id})
    if cycle is None:
        raise UnknownCycle(cycle_id)
    return cycle


def current_cycle(db: Database, now: datetime) -> dict | None:
    """The latest registered cycle that has started by ``now``."""
    return db[CYCLES].find_one({"activity_from": {"$lte": now}}, sort=[("activity_from", DESCENDING)])


def rebuild(db: Database, cycle_id: str) -> None:
    """Recompute a cycle's buckets and standings from the ledger under its own rules."""
    cycle = db[CYCLES].find_one({"_id": cycle_id})  # as registered now, not as a view saw it
    if cycle is None:
        raise UnknownCycle(cycle_id)
    _transaction(db, lambda s: _compute(db, s, cycle))


def settle(db: Database, now: datetime) -> int:
    """The worker's timer (every ``SETTLE_INTERVAL_S``): what a worker's view missed while it
    was older than a registration or an erasure is made exact once no such view can be in
    use. A cycle registered ``SETTLE_AFTER_S`` ago is computed again from its rows (the
    rows of events handled at the instant it was registered, by a worker that did not know
    it yet, count); a member forgotten that long ago is forgotten again (a row of theirs
    recorded by a worker that did not know yet, or by a transaction that began before the
    erasure, is anonymised), and only then does the tombstone drop their id, keeping its
    digest. Returns how many it settled; each is settled once (twice at worst, harmlessly)."""
    settled = 0
    for cycle in db[CYCLES].find({"settle_at": {"$lte": now}}):
        def compute(s: ClientSession, cycle: dict = cycle) -> None:
            _compute(db, s, cycle)
            db[CYCLES].update_one({"_id": cycle["_id"], "settle_at": cycle["settle_at"]},
                                  {"$unset": {"settle_at": ""}}, session=s)
        _transaction(db, compute)
        settled += 1
    for tombstone in db[FORGOTTEN].find({"settle_at": {"$lte": now}}):
        def forget(s: ClientSession, tombstone: dict = tombstone) -> None:
            _anonymise(db, s, tombstone["member_id"])
            db[FORGOTTEN].update_one({"_id": tombstone["_id"], "settle_at": tombstone["settle_at"]},
                                     {"$unset": {"settle_at": "", "member_id": ""}}, session=s)
        _transaction(db, forget)
        settled += 1
    return settled


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
    (source ids kept), and a tombstone so that no later event credits them. The tombstone
    keeps the member id until ``settle`` has forgotten them once more (a couple of minutes):
    a worker whose view did not know of it yet may have credited them meanwhile. With a
    ``session``, the caller tells this process's view once it commits (``VIEWS.forgotten``)."""
    now = clock.now()

    def work(s: ClientSession) -> None:
        _anonymise(db, s, member_id)
        db[FORGOTTEN].update_one({"_id": _digest(member_id)}, {"$set": {
            "forgotten_at": now, "member_id": member_id, "settle_at": now + timedelta(seconds=SETTLE_AFTER_S)}},
            upsert=True, session=s)

    if session is None:
        _transaction(db, work)
        VIEWS.forgotten(db, member_id)
    else:
        work(session)


def _anonymise(db: Database, s: ClientSession, member_id: str) -> None:
    cycles = [cycle["_id"] for cycle in db[CYCLES].find({}, {"_id": 1}, session=s)]
    db[STANDINGS].delete_many({"_id": {"$in": [f"{cycle_id}:{category}:{member_id}" for cycle_id in cycles
                                               for category in rules.STANDINGS]}}, session=s)
    db[BUCKETS].delete_many({"cycle_id": {"$in": cycles}, "member_id": member_id}, session=s)
    writes: list = []
    for row in db[LEDGER].find({"member_id": member_id}, session=s):
        hashed = _digest(row["event_id"], member_id)
        # An upsert: a row recorded again before ``settle`` (a replay) has its copy already.
        copy = {**row, "member_id": f"erased:{hashed}", "erased": True}
        del copy["_id"]
        writes.append(UpdateOne({"_id": f"{row['event_id']}:erased:{hashed}"}, {"$setOnInsert": copy}, upsert=True))
    if writes:
        writes.append(DeleteMany({"member_id": member_id}))
        db[LEDGER].bulk_write(writes, ordered=True, session=s)
