"""MongoDB access for the office's statistics of members (documents: ``model.py``).

One aggregation over ``members``: the members not erased, grouped by status, whether the
address is proven, how they were verified, class and faculty. Erased members are tombstones
(``status: "erased"``, no other field) and never count. The groups are few (a status, a
class, a faculty: a few thousand at most), so what each figure means is decided in Python
(``stats_api``), with ``accounts.email_confirmed`` the one rule of a proven address.

It reads every live member (no index narrows "not erased"): an alumni base of tens of
thousands is one short scan, asked for by the office's dashboard, not by members.
"""
from __future__ import annotations

from pymongo.database import Database

# The aggregation features used here ($match with $ne, $group on a document of field paths,
# $cond over $ifNull, $sum) are pinned against the test store in tests/unit/test_members_stats.py.
PIPELINE = [
    {"$match": {"status": {"$ne": "erased"}}},
    {"$group": {
        "_id": {"status": "$status",
                # True when the member has a confirmation time (missing and null both mean none).
                "confirmed": {"$cond": [{"$ifNull": ["$email_confirmed_at", False]}, True, False]},
                "method": "$verification.method",
                "graduation_year": "$graduation_year",
                "faculty": "$faculty"},
        "count": {"$sum": 1}}},
]


def member_groups(db: Database) -> list[dict]:
    """``{status, confirmed, method, graduation_year, faculty, count}`` for each combination
    present among live members; a field a member lacks is ``None`` (real MongoDB leaves a
    missing value out of a group key, so it is read with ``get``)."""
    return [{"status": key.get("status"), "confirmed": bool(key.get("confirmed")), "method": key.get("method"),
             "graduation_year": key.get("graduation_year"), "faculty": key.get("faculty"), "count": group["count"]}
            for group in db.members.aggregate(PIPELINE) for key in [group["_id"]]]
