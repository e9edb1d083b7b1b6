"""Who an event is for, decided on the events service's own read model of members (built
from members events: no call to the members service at request time).

Only verified members are in any audience; admins see and may register for everything.
A segment audience is evaluated with the shared member filter language on the read model,
the same way the members service evaluates it on its own data (``shared.memberview.fits``,
which the notifications service uses for the same audiences).

A list of events asks the other way round, which events fit one member: ``fitting`` turns
the member (and the segments the listed events name) into a query on the events'
``audience`` fields that keeps exactly the events ``fits`` accepts, so a list costs the same
few store reads however many events there are.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.memberview import fits

__all__ = ["NOTHING", "OPEN", "fits", "fitting", "verified"]

# Events for everyone: anyone, signed in or not, sees them.
OPEN: dict[str, Any] = {"audience.kind": "all"}
# A query no event matches.
NOTHING: dict[str, Any] = {"_id": {"$in": []}}
EVERYONE, ANY_SEGMENT = {"kind": "all"}, {"kind": "segment"}


def verified(member: Mapping[str, Any] | None) -> bool:
    """A verified member: in the audience of the events for everyone, and of no other if not."""
    return fits(EVERYONE, member)


def fitting(member: Mapping[str, Any] | None, segments: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The events query of the audiences ``member`` is in (``fits`` for every event);
    ``segments`` by id must hold every live segment the queried events name."""
    if not verified(member):
        return NOTHING
    ways: list[dict[str, Any]] = [OPEN, {"audience.kind": "faculty", "audience.faculty": member.get("faculty")}]
    year = member.get("graduation_year")
    if isinstance(year, int):
        # A missing bound is stored as null; the query's null also matches a missing field.
        ways.append({"audience.kind": "graduation_years", "$and": [
            {"$or": [{"audience.year_from": None}, {"audience.year_from": {"$lte": year}}]},
            {"$or": [{"audience.year_to": None}, {"audience.year_to": {"$gte": year}}]}]})
    mine = sorted(segment_id for segment_id, segment in segments.items() if fits(ANY_SEGMENT, member, segment))
    if mine:
        ways.append({"audience.kind": "segment", "audience.segment_id": {"$in": mine}})
    return {"$or": ways}
