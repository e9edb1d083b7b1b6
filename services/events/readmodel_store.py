"""MongoDB access for the read model of members and segments (collections ``members``,
``segments``, ``erased_members``), kept from members events by ``handlers.py``."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database

from shared import memberview
from shared.store import Index, asc

MEMBERS, SEGMENTS, ERASED = "members", "segments", "erased_members"
INDEXES: list[Index] = [Index(MEMBERS, asc("status"), name="readmodel_members_status")]


def member(db: Database, member_id: str, session: ClientSession | None = None) -> dict | None:
    return db[MEMBERS].find_one({"_id": member_id}, session=session)


def hold_member(db: Database, session: ClientSession, member_id: str) -> dict | None:
    """The member's view, read by a transaction that stores something about the member
    (``memberview.hold_member``: their erasure handled meanwhile conflicts with it)."""
    return memberview.hold_member(db[MEMBERS], session, member_id)


def segment(db: Database, segment_id: str | None, session: ClientSession | None = None) -> dict | None:
    return memberview.segment(db[SEGMENTS], segment_id, session)


def segments(db: Database, segment_ids: list[str]) -> dict[str, dict]:
    """The live segments of ``segment_ids`` by id, in one query."""
    return memberview.live_segments(db[SEGMENTS], segment_ids)


def segments_named(items: Collection, query: dict) -> dict[str, dict]:
    """The live segments that the segment audiences of the ``items`` (events, causes) of
    ``query`` name, by id: one aggregate (the items' segment ids joined to ``segments``)."""
    found = items.aggregate([
        {"$match": {"$and": [query, {"audience.kind": "segment"}]}},
        {"$group": {"_id": "$audience.segment_id"}},
        {"$lookup": {"from": SEGMENTS, "localField": "_id", "foreignField": "_id", "as": "segment"}},
    ])
    return {row["_id"]: row["segment"][0] for row in found
            if row["_id"] and row["segment"] and not row["segment"][0].get("deleted")}


def is_erased(db: Database, session: ClientSession, member_id: str) -> bool:
    return db[ERASED].find_one({"_id": member_id}, {"_id": 1}, session=session) is not None


def merge_member(db: Database, session: ClientSession, member_id: str, fields: dict[str, Any],
                 at: datetime | None = None) -> None:
    """Merge a change into the member's view, unless the member was erased (no late event
    brings them back; the erased list is read only for a member the view does not hold)."""
    memberview.merge_member(db[MEMBERS], session, member_id, fields, at,
                            erased=lambda: is_erased(db, session, member_id))


def forget_member(db: Database, session: ClientSession, member_id: str, erased_at) -> None:
    memberview.forget_member(db[MEMBERS], db[ERASED], session, member_id, erased_at)


def save_segment(db: Database, session: ClientSession, segment_id: str, spec: dict, version: int) -> None:
    memberview.save_segment(db[SEGMENTS], session, segment_id, spec, version)


def delete_segment(db: Database, session: ClientSession, segment_id: str) -> None:
    memberview.delete_segment(db[SEGMENTS], session, segment_id)


def names(db: Database, member_ids: list[str]) -> dict[str, dict]:
    """The names of the known members of ``member_ids`` by id, in one query (lists that show
    people to those who run something: a cause's volunteers)."""
    found = db[MEMBERS].find({"_id": {"$in": list(set(member_ids))}}, {"given_name": 1, "family_name": 1})
    return {m["_id"]: {"given_name": m.get("given_name"), "family_name": m.get("family_name")} for m in found}
