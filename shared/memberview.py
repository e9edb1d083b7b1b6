"""The view of members that other services keep from members events: member fields merged
newest-change-wins, saved segments, and who an audience reaches.

The events service (event audiences) and the notifications service (who receives an event
announcement or an office announcement) both hold such a view in their own database; this
module is the one definition of how it is kept and read, so both answer "is this member in
this audience" the same way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from shared import clock, memberfilter, readmodel
from shared.memberfilter import FACULTIES, FIRST_GRADUATION_YEAR, LAST_GRADUATION_YEAR


class Expectation(Schema):
    """What a consumer needs of a producer's data; other fields are ignored."""

    class Meta:
        unknown = EXCLUDE


class KeptFields(Expectation):
    """The member fields a view keeps, what audiences and the member filter language read, as
    the members service sends them (all optional). A handler gets only the fields its
    expectation declares, so a sign-up's profile reaches a view through these."""

    given_name = fields.String()
    family_name = fields.String()
    given_name_latin = fields.String(allow_none=True)
    family_name_latin = fields.String(allow_none=True)
    graduation_year = fields.Integer(allow_none=True)
    faculty = fields.String(allow_none=True)
    programme = fields.String(allow_none=True)
    specialty = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    languages = fields.List(fields.String(), allow_none=True)
    interests = fields.List(fields.String(), allow_none=True)
    open_to_mentoring = fields.Boolean(allow_none=True)
    open_to_ambassador = fields.Boolean(allow_none=True)
    open_to_volunteer = fields.Boolean(allow_none=True)
    international_graduate = fields.Boolean(allow_none=True)


KEPT = tuple(KeptFields._declared_fields)
# A deleted segment stays as a marker newer than any version, so a late "saved" cannot revive it.
DELETED_VERSION = 2**62


def merge_member(members: Collection, session: ClientSession | None, member_id: str, fields: dict[str, Any],
                 at: datetime | None = None, *, erased: Callable[[], bool] | None = None) -> None:
    """Set fields of a member as they were at ``at`` (the producer's time of the change): a
    field keeps a newer value it already has, so messages retried out of order (a sign-up
    after a change, an approval after a rejection) never undo a later change. Recompute the
    filter's search fields. ``erased()`` (is the member erased?) is asked only when the view
    holds no document of the member: an erasure deletes it in the transaction that remembers
    the id, so a member the view holds is not erased (one read fewer for every change)."""
    at = readmodel.at_ms(at or clock.now())
    current = members.find_one({"_id": member_id}, session=session)
    if current is None:
        if erased is not None and erased():
            return
        current = {"_id": member_id}
    changes = readmodel.newer_fields(fields, current.get("field_times"), at)
    if not changes:
        return
    merged = {**current, **changes, "field_times": {**(current.get("field_times") or {}),
                                                    **dict.fromkeys(changes, at)}}
    merged.update(memberfilter.searchable_fields(merged))
    members.replace_one({"_id": member_id}, merged, upsert=True, session=session)


def forget_member(members: Collection, erased: Collection, session: ClientSession, member_id: str,
                  erased_at: datetime) -> None:
    """An erasure in a read model: the member's view deleted, the id remembered as erased.
    The view is written before it is deleted: a change about a member the view did not hold
    yet, handled at the same moment by another worker, inserts the document; a delete of
    nothing writes nothing, so both would commit and the new view would outlive the erasure.
    Writing the same document makes them conflict, and the store orders them."""
    members.update_one({"_id": member_id}, {"$set": {"erasing": True}}, upsert=True, session=session)
    members.delete_one({"_id": member_id}, session=session)
    erased.update_one({"_id": member_id}, {"$setOnInsert": {"erased_at": erased_at}}, upsert=True,
                      session=session)


def hold_member(members: Collection, session: ClientSession, member_id: str) -> dict | None:
    """Read a member's view in a transaction that goes on to store something about the
    member (a registration, a volunteer): one write of the view, so that the member's erasure,
    handled meanwhile, conflicts with it (its delete of the view writes the same document)
    and the store orders them; a read alone would let both commit, and what this transaction
    stores would keep the erased member's id. ``None`` for a member the view does not hold.
    A write and a read, not one findAndModify: the embedded store (SecantusDB 0.7) answers a
    findAndModify with a scan of the whole collection, and a view holds every member."""
    if members.update_one({"_id": member_id}, {"$inc": {"holds": 1}}, session=session).matched_count == 0:
        return None
    return members.find_one({"_id": member_id}, session=session)


def hold_members(members: Collection, session: ClientSession, member_ids: Iterable[str]) -> set[str]:
    """``hold_member`` of several members with one write; which of them the view holds (a
    second command, a find, only when some are missing)."""
    ids = sorted(set(member_ids))
    if not ids:
        return set()
    held = members.update_many({"_id": {"$in": ids}}, {"$inc": {"holds": 1}}, session=session).matched_count
    if held == len(ids):
        return set(ids)
    return {m["_id"] for m in members.find({"_id": {"$in": ids}}, {"_id": 1}, session=session)}


def segment(segments: Collection, segment_id: str | None, session: ClientSession | None = None) -> dict | None:
    return live_segments(segments, [segment_id] if segment_id else [], session).get(segment_id)


def live_segments(segments: Collection, segment_ids: Iterable[str],
                  session: ClientSession | None = None) -> dict[str, dict]:
    """The segments of ``segment_ids`` that exist and are not deleted, by id, in one query."""
    wanted = sorted(set(segment_ids))
    if not wanted:
        return {}
    # The limit lets the store answer in one batch and close the cursor: one store command
    # however many segments (a batch size alone may leave an empty getMore to make).
    return {found["_id"]: found for found in segments.find({"_id": {"$in": wanted}, "deleted": {"$ne": True}},
                                                           limit=len(wanted), session=session)}


def save_segment(segments: Collection, session: ClientSession | None, segment_id: str, spec: dict,
                 version: int) -> None:
    """Keep the newest version only (versions may arrive out of order)."""
    current = segments.find_one({"_id": segment_id}, session=session)
    if current is None or current.get("version", 0) < version:
        segments.replace_one({"_id": segment_id}, {"_id": segment_id, "filter": spec, "version": version},
                             upsert=True, session=session)


def delete_segment(segments: Collection, session: ClientSession | None, segment_id: str) -> None:
    segments.replace_one({"_id": segment_id}, {"_id": segment_id, "filter": None, "deleted": True,
                                               "version": DELETED_VERSION}, upsert=True, session=session)


def fits(audience: Mapping[str, Any], member: Mapping[str, Any] | None,
         segment: Mapping[str, Any] | None = None) -> bool:
    """Whether a member (their view document, or ``None`` if unknown) is in an audience
    (``{"kind": "all" | "graduation_years" | "faculty" | "segment" | "filter", ...}``); ``segment`` is
    the view's segment for a segment audience. Only verified members are in any audience."""
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
    if kind == "filter":  # a member filter given inline (a survey's audience); {} is everyone
        return memberfilter.matches(member, audience.get("filter") or {})
    return False


class AudienceSchema(Schema):
    """Who the event is for: everyone, graduates of some years, a faculty, or a members segment."""

    kind = fields.String(required=True, validate=validate.OneOf(["all", "graduation_years", "faculty", "segment"]))
    year_from = fields.Integer(allow_none=True, load_default=None,
                               validate=validate.Range(FIRST_GRADUATION_YEAR, LAST_GRADUATION_YEAR))
    year_to = fields.Integer(allow_none=True, load_default=None,
                             validate=validate.Range(FIRST_GRADUATION_YEAR, LAST_GRADUATION_YEAR))
    faculty = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(FACULTIES))
    segment_id = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(r"^[0-9a-f]{32}\Z"))

    @validates_schema
    def _complete(self, data: dict, **_) -> None:
        kind = data.get("kind")
        if kind == "graduation_years":
            if data.get("year_from") is None and data.get("year_to") is None:
                raise ValidationError("Give year_from, year_to or both.", "year_from")
            if None not in (data.get("year_from"), data.get("year_to")) and data["year_from"] > data["year_to"]:
                raise ValidationError("Must not be before year_from.", "year_to")
        if kind == "faculty" and not data.get("faculty"):
            raise ValidationError("Required for a faculty audience.", "faculty")
        if kind == "segment" and not data.get("segment_id"):
            raise ValidationError("Required for a segment audience.", "segment_id")


# What a view needs of the members events (the consumers' expectations, checked against the
# members catalogue by the contract tests); a consumer that needs more declares its own.
class MemberUpdated(Expectation):
    member_id = fields.String(required=True)
    changed = fields.Dict(required=True)
    updated_at = fields.AwareDateTime(required=True)


class MemberSnapshot(KeptFields):
    """A member republished as they are now (``alumnet members republish``): a view merges it as
    it merges a sign-up, at ``as_of`` (the time of the member's last change it includes), so a
    snapshot fills what the view lacks and never undoes a newer change; an erased member stays
    erased. A view that keeps more (contacts, roles) declares it in its own expectation."""

    member_id = fields.String(required=True)
    status = fields.String(required=True)
    as_of = fields.AwareDateTime(required=True)


SNAPSHOT = "members.member.snapshot"


class MemberErased(Expectation):
    member_id = fields.String(required=True)
    erased_at = fields.AwareDateTime(required=True)

class MemberVerified(Expectation):
    member_id = fields.String(required=True)
    verified_at = fields.AwareDateTime(required=True)
    graduation_year = fields.Integer(allow_none=True, load_default=None)
    faculty = fields.String(allow_none=True, load_default=None)


class MemberRejected(Expectation):
    member_id = fields.String(required=True)
    rejected_at = fields.AwareDateTime(required=True)


class SegmentSaved(Expectation):
    segment_id = fields.String(required=True)
    filter = fields.Dict(required=True)
    version = fields.Integer(required=True)


class SegmentDeleted(Expectation):
    segment_id = fields.String(required=True)
