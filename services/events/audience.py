"""Who an event is for, decided on the events service's own read model of members (built
from members events: no call to the members service at request time).

Only verified members are in any audience; admins see and may register for everything.
A segment audience is evaluated with the shared member filter language on the read model,
the same way the members service evaluates it on its own data.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared import memberfilter


def fits(audience: Mapping[str, Any], member: Mapping[str, Any] | None,
         segment: Mapping[str, Any] | None = None) -> bool:
    """Whether a member (their read-model document, or ``None`` if unknown) is in an
    audience; ``segment`` is the read-model segment for a segment audience."""
    if member is None or member.get("status") != "verified":
        return False
    kind = audience.get("kind", "all")
    if kind == "all":
        return True
    if kind == "graduation_years":
        year = member.get("graduation_year")
        low, high = audience.get("year_from"), audience.get("year_to")
        return isinstance(year, int) and (low is None or year >= low) and (high is None or year <= high)
    if kind == "faculty":
        return member.get("faculty") == audience.get("faculty")
    if kind == "segment":
        return segment is not None and memberfilter.matches(member, segment.get("filter") or {})
    return False
