"""MongoDB access for segments: named member filters the alumni office saves.

``segments``: ``{_id, name, filter (shared.memberfilter language), version, created_by,
created_at, saved_at}``. Every save bumps ``version`` and publishes ``members.segment.saved``
with the whole definition; deleting publishes ``members.segment.deleted``.
"""
from __future__ import annotations

import uuid

from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.members.messages import CATALOG, SEGMENT_DELETED, SEGMENT_SAVED
from services.members.profiles import store as profiles_store
from shared import clock
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index, asc

SEGMENTS = "segments"
INDEXES: list[Index] = [Index(SEGMENTS, asc("name"), name="segments_name")]


class NotFound(Exception):
    pass



def _publish_saved(db: Database, session: ClientSession, segment: dict) -> None:
    outbox.add(db, session, CATALOG.create(SEGMENT_SAVED, segment["_id"], {
        "segment_id": segment["_id"], "name": segment["name"], "filter": segment["filter"],
        "version": segment["version"], "saved_at": segment["saved_at"].isoformat()}, current_correlation_id()))


def create(store, name: str, spec: dict, admin_id: str) -> dict:
    now = clock.now()
    segment = {"_id": uuid.uuid4().hex, "name": name, "filter": spec, "version": 1, "created_by": admin_id,
               "created_at": now, "saved_at": now}

    def work(session: ClientSession) -> dict:
        store.db[SEGMENTS].insert_one(segment, session=session)
        _publish_saved(store.db, session, segment)
        return segment

    return store.transaction(work)


def replace(store, segment_id: str, name: str, spec: dict) -> dict:
    """Save a new definition; saving the same one again changes and publishes nothing."""
    def work(session: ClientSession) -> dict:
        segment = store.db[SEGMENTS].find_one({"_id": segment_id}, session=session)
        if segment is None:
            raise NotFound(segment_id)
        if segment["name"] == name and segment["filter"] == spec:
            return segment
        segment = {**segment, "name": name, "filter": spec, "version": segment["version"] + 1,
                   "saved_at": clock.now()}
        store.db[SEGMENTS].replace_one({"_id": segment_id}, segment, session=session)
        _publish_saved(store.db, session, segment)
        return segment

    return store.transaction(work)


def delete(store, segment_id: str) -> None:
    def work(session: ClientSession) -> None:
        if store.db[SEGMENTS].delete_one({"_id": segment_id}, session=session).deleted_count == 0:
            raise NotFound(segment_id)
        outbox.add(store.db, session, CATALOG.create(SEGMENT_DELETED, segment_id, {
            "segment_id": segment_id, "deleted_at": clock.now().isoformat()}, current_correlation_id()))

    store.transaction(work)


def get(db: Database, segment_id: str) -> dict:
    segment = db[SEGMENTS].find_one({"_id": segment_id})
    if segment is None:
        raise NotFound(segment_id)
    return segment


def page(db: Database, number: int, per_page: int) -> tuple[list[dict], int]:
    return profiles_store.page_of(db[SEGMENTS], {}, [("name", ASCENDING), ("_id", ASCENDING)], number, per_page)


# The two below take a filter, not a saved segment, so that a preview of an unsaved filter
# answers with exactly what the segment saved from it will.

def members_page(db: Database, spec: dict, number: int, per_page: int,
                 projection: tuple[str, ...] | None = None) -> tuple[list[dict], int]:
    """A page of the members a filter matches, by name, and how many it matches in all;
    ``projection``: only these fields of each (and the id)."""
    return profiles_store.page_of(db.members, profiles_store.segment_query(spec), profiles_store.SORTS["name"],
                                  number, per_page, dict.fromkeys(projection, 1) if projection else None)


def count(db: Database, spec: dict) -> int:
    """The verified members a segment with this filter matches now."""
    return db.members.count_documents(profiles_store.segment_query(spec))
