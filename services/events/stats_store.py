"""MongoDB access for the office's statistics of events: how full each event is and who came
(documents: ``model.py``).

Two store commands for any number of events: one read of the published events in the period
(the ``events_status_starts_at`` index), one aggregation over their registrations (the
``registrations_event_status_position`` index), grouped by event, status and whether the
registration checked in. Confirmed and waitlisted registrations count; cancelled ones do not.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database

from services.events import registrations as rules
from services.events.events_store import EVENTS
from services.events.registrations_store import REGISTRATIONS

FIELDS = {"title": 1, "kind": 1, "status": 1, "starts_at": 1, "ends_at": 1, "timezone": 1, "capacity": 1}
COUNTED = (rules.CONFIRMED, rules.WAITLISTED)


def published_events(db: Database, starts_from: datetime | None, starts_to: datetime | None,
                     limit: int) -> list[dict]:
    """The published events starting in [``starts_from``, ``starts_to``], earliest first, at
    most ``limit``."""
    starts: dict[str, Any] = {}
    if starts_from is not None:
        starts["$gte"] = starts_from
    if starts_to is not None:
        starts["$lte"] = starts_to
    query: dict[str, Any] = {"status": "published", **({"starts_at": starts} if starts else {})}
    return list(db[EVENTS].find(query, FIELDS).sort([("starts_at", ASCENDING), ("_id", ASCENDING)]).limit(limit))


def registration_groups(db: Database, event_ids: list[str]) -> list[dict]:
    """``{event_id, status, checked_in, registrations, people}`` for each combination present
    among the confirmed and waitlisted registrations of ``event_ids`` (``people``: the
    parties, members and their guests). The aggregation's features ($match with $in, $group
    on a document of paths, $cond over $ifNull, $sum of a field) are pinned against the test
    store in tests/unit/events/test_stats.py."""
    if not event_ids:
        return []
    pipeline = [
        {"$match": {"event_id": {"$in": event_ids}, "status": {"$in": list(COUNTED)}}},
        {"$group": {"_id": {"event_id": "$event_id", "status": "$status",
                            "checked_in": {"$cond": [{"$ifNull": ["$checked_in_at", False]}, True, False]}},
                    "registrations": {"$sum": 1}, "people": {"$sum": "$party"}}},
    ]
    return [{"event_id": group["_id"]["event_id"], "status": group["_id"]["status"],
             "checked_in": bool(group["_id"].get("checked_in")), "registrations": group["registrations"],
             "people": group["people"]} for group in db[REGISTRATIONS].aggregate(pipeline)]
