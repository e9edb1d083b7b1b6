"""MongoDB access for the office's statistics of deliveries (the dashboard's email and SMS
outcomes; documents: ``store.py``).

One aggregation over ``deliveries`` queued since a moment (the ``by_time_id`` index), grouped
by the day they were queued in the office's time zone, channel and status: at most a year of
days times two channels times a few statuses, however many deliveries there were. Erased
members' deliveries count too: they stay in the log, anonymised, and a count names nobody.
"""
from __future__ import annotations

from datetime import datetime

from pymongo.database import Database

from services.notifications.store import DELIVERIES

DAY_FORMAT = "%Y-%m-%d"


def delivery_groups(db: Database, since: datetime, zone: str) -> list[dict]:
    """``{day: "YYYY-MM-DD" in ``zone``, channel, status, count}`` for the deliveries queued
    since ``since``. The aggregation's features ($dateToString with a named time zone inside a
    $group key) are pinned against the test store in tests/unit/test_notifications_stats.py."""
    pipeline = [
        {"$match": {"queued_at": {"$gte": since}}},
        {"$group": {"_id": {"day": {"$dateToString": {"format": DAY_FORMAT, "date": "$queued_at", "timezone": zone}},
                            "channel": "$channel", "status": "$status"},
                    "count": {"$sum": 1}}},
    ]
    return [{"day": group["_id"]["day"], "channel": group["_id"].get("channel"),
             "status": group["_id"].get("status"), "count": group["count"]}
            for group in db[DELIVERIES].aggregate(pipeline)]
