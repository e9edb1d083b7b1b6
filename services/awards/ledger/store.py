"""PLACEHOLDER until the ledger's own store arrives (issue 16, part A, another change): the
functions the cycles feature calls, with the signatures the contract gives them, over two
simple collections (``ledger`` rows, ``standings`` per cycle, category and member)."""
from __future__ import annotations

import hashlib
from datetime import datetime

from pymongo import DESCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

from shared.store import Index, asc

LEDGER, STANDINGS, CYCLES = "ledger", "standings", "ledger_cycles"
INDEXES: list[Index] = [
    Index(LEDGER, asc("member_id", "event_type", "occurred_at"), name="ledger_of_member"),
    Index(STANDINGS, [("cycle_id", 1), ("category", 1), ("points", DESCENDING)], name="standings_top"),
]


def open_cycle(db: Database, session: ClientSession | None, cycle_id: str, rules_version: str,
               activity_from: datetime, activity_to: datetime) -> None:
    db[CYCLES].update_one({"_id": cycle_id}, {"$setOnInsert": {
        "rules_version": rules_version, "activity_from": activity_from, "activity_to": activity_to}},
        upsert=True, session=session)


def top(db: Database, cycle_id: str, category: str, limit: int) -> list[dict]:
    found = db[STANDINGS].find({"cycle_id": cycle_id, "category": category}).sort("points", DESCENDING).limit(limit)
    return [{"member_id": s["member_id"], "points": s["points"], "rank": rank} for rank, s in enumerate(found, 1)]


def points_of(db: Database, cycle_id: str, member_id: str) -> dict[str, float]:
    return {s["category"]: s["points"] for s in db[STANDINGS].find({"cycle_id": cycle_id, "member_id": member_id})}


def count_in_period(db: Database, member_id: str, event_type: str, since: datetime, until: datetime) -> int:
    return db[LEDGER].count_documents({"member_id": member_id, "event_type": event_type,
                                       "occurred_at": {"$gte": since, "$lt": until}})


def forget_member(db: Database, session: ClientSession | None, member_id: str) -> None:
    db[STANDINGS].delete_many({"member_id": member_id}, session=session)
    erased = "erased:" + hashlib.sha256(member_id.encode()).hexdigest()[:16]
    db[LEDGER].update_many({"member_id": member_id}, {"$set": {"member_id": erased}}, session=session)


def rebuild(db: Database, cycle_id: str) -> None:
    """Nothing to recompute in the placeholder."""
