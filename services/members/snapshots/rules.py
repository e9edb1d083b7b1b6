"""What a snapshot of a member says (``members.member.snapshot``): pure, no I/O.

A snapshot is the member as they are now, in the shape of a sign-up: the profile fields other
services keep (``profiles.SHARED_FIELDS``), the sign-up consent flags, status and roles, and the
latest consent decision per channel and category (the sign-up flags count as the first, as in
the ledger). Views merge it newest-change-wins at ``as_of``, the time of the member's last
change (``updated_at``: every change of a member document sets it to the time its event carries).
Not the time of the read: a change stamped just before the read but committed just after it would
be older than such a snapshot and lost by the views; every change the snapshot misses is newer
than its ``as_of``, and every change it includes is not.

Erased members are never snapshotted (their tombstone is all that is left, and views remember
them as erased).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from services.members.consent import rules as consent
from services.members.profiles import rules as profiles

# The statuses a snapshot may carry: every member but the erased.
STATUSES = ("pending_verification", "verified", "rejected")
# What a snapshot reads of a member document (the search fields and settings stay behind).
FIELDS = (*sorted(profiles.SHARED_FIELDS), "consent", "status", "roles", "registered_at", "updated_at")


def as_of(member: Mapping[str, Any]) -> datetime:
    """The time of the member's last change: what the snapshot is not older than."""
    return member.get("updated_at") or member["registered_at"]


def snapshot_data(member: Mapping[str, Any], ledger: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``data`` of a member's snapshot, from the member document and their consent ledger
    (implicit sign-up entries included: ``consent_store.ledgers``)."""
    latest = consent.latest_entries(ledger)
    return {
        "member_id": member["_id"],
        **{name: member.get(name) for name in sorted(profiles.SHARED_FIELDS)},
        "consent": {channel: bool((member.get("consent") or {}).get(channel)) for channel in consent.CHANNELS},
        "registered_at": member["registered_at"].isoformat(),
        "status": member["status"],
        "roles": sorted(member.get("roles") or []),
        "consents": [_decision(latest[key]) for key in sorted(latest)],
        "as_of": as_of(member).isoformat(),
    }


def _decision(entry: Mapping[str, Any]) -> dict[str, Any]:
    expires_at = entry.get("expires_at")
    return {"channel": entry["channel"], "category": entry["category"], "granted": bool(entry["granted"]),
            "source": entry["source"], "at": entry["at"].isoformat(),
            "expires_at": expires_at.isoformat() if expires_at else None}
