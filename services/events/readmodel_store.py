"""MongoDB access for the read model of members and segments (collections ``members``,
``segments``, ``erased_members``), kept from members events by ``handlers.py``."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from shared import clock, memberfilter, readmodel
from shared.store import Index, asc

MEMBERS, SEGMENTS, ERASED = "members", "segments", "erased_members"
INDEXES: list[Index] = [Index(MEMBERS, asc("status"), name="readmodel_members_status")]


def member(db: Database, member_id: str, session: ClientSession | None = None) -> dict | None:
    return db[MEMBERS].find_one({"_id": member_id}, session=session)


def segment(db: Database, segment_id: str | None, session: ClientSession | None = None) -> dict | None:
    found = None if not segment_id else db[SEGMENTS].find_one({"_id": segment_id}, session=session)
    return None if found is None or found.get("deleted") else found


def is_erased(db: Database, session: ClientSession, member_id: str) -> bool:
    return db[ERASED].find_one({"_id": member_id}, {"_id": 1}, session=session) is not None


def merge_member(db: Database, session: ClientSession, member_id: str, fields: dict[str, Any],
                 at: datetime | None = None) -> None:
    """Set fields of a member as they were at ``at`` (the producer's time of the change): a
    field keeps a newer value it already has, so messages retried out of order (a sign-up
    after a change, an approval after a rejection) never undo a later change. Recompute the
    filter's search fields."""
    at = readmodel.at_ms(at or clock.now())
    current = db[MEMBERS].find_one({"_id": member_id}, session=session) or {"_id": member_id}
    changes = readmodel.newer_fields(fields, current.get("field_times"), at)
    if not changes:
        return
    merged = {**current, **changes, "field_times": {**(current.get("field_times") or {}),
                                                    **dict.fromkeys(changes, at)}}
    merged.update(memberfilter.searchable_fields(merged))
    db[MEMBERS].replace_one({"_id": member_id}, merged, upsert=True, session=session)


def forget_member(db: Database, session: ClientSession, member_id: str, erased_at) -> None:
    db[MEMBERS].delete_one({"_id": member_id}, session=session)
    db[ERASED].update_one({"_id": member_id}, {"$setOnInsert": {"erased_at": erased_at}}, upsert=True,
                          session=session)


def save_segment(db: Database, session: ClientSession, segment_id: str, spec: dict, version: int) -> None:
    """Keep the newest version only (versions may arrive out of order)."""
    current = db[SEGMENTS].find_one({"_id": segment_id}, session=session)
    if current is None or current.get("version", 0) < version:
        db[SEGMENTS].replace_one({"_id": segment_id}, {"_id": segment_id, "filter": spec, "version": version},
                                 upsert=True, session=session)


# A deleted segment stays as a marker newer than any version, so a late "saved" cannot revive it.
DELETED_VERSION = 2**62


def delete_segment(db: Database, session: ClientSession, segment_id: str) -> None:
    db[SEGMENTS].replace_one({"_id": segment_id}, {"_id": segment_id, "filter": None, "deleted": True,
                                                   "version": DELETED_VERSION}, upsert=True, session=session)
