"""Profiles: which fields a member has, who may see each of them, and what a change means
for the directory and for the other services (pure rules, no storage).

Each profile field has a visibility chosen by the member: ``private`` (the member and the
alumni office), ``members`` (verified members) or ``public`` (anyone). Names are never
private: a directory entry without a name is no entry; a member who wants to be invisible
turns ``in_directory`` off instead.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared import memberfilter

PRIVATE, MEMBERS, PUBLIC = "private", "members", "public"
LEVELS = (PRIVATE, MEMBERS, PUBLIC)
# What a viewer is allowed to see: the levels each kind of viewer reaches.
SEES = {PUBLIC: {PUBLIC}, MEMBERS: {PUBLIC, MEMBERS}}

NAME_FIELDS = memberfilter.NAME_FIELDS
# Fields with a member-chosen visibility, and its default. Contact details start private.
DEFAULT_VISIBILITY = {
    "names": MEMBERS,
    "email": PRIVATE,
    "phone": PRIVATE,
    "graduation_year": MEMBERS,
    "faculty": MEMBERS,
    "programme": MEMBERS,
    "specialty": MEMBERS,
    "position": MEMBERS,
    "employer": MEMBERS,
    "city": MEMBERS,
    "country": MEMBERS,
    "languages": MEMBERS,
    "interests": MEMBERS,
    "open_to_mentoring": MEMBERS,
    "open_to_ambassador": MEMBERS,
    "open_to_volunteer": MEMBERS,
    "international_graduate": MEMBERS,
}
VISIBILITY_FIELDS = tuple(DEFAULT_VISIBILITY)
# Fields a member may edit on their profile (``names`` is the visibility group of NAME_FIELDS).
EDITABLE = (*NAME_FIELDS, *(f for f in VISIBILITY_FIELDS if f != "names"), "preferred_language",
            "visibility", "in_directory")
# What verification vouches for: once verified, only the alumni office changes these (they
# decide event audiences such as "class of 2006").
VERIFIED_FIELDS = ("graduation_year", "faculty")
# Fields other services keep copies of (contact details for notifications, and everything the
# member filter language reads, so that they can evaluate segments and audiences themselves).
SHARED_FIELDS = frozenset({*NAME_FIELDS, "email", "phone", "preferred_language", "programme", "city",
                           *memberfilter.FILTERED_FIELDS, *memberfilter.TEXT_FIELDS})
# Fields shown to another member or the public besides the visible profile fields.
ALWAYS_SHOWN = ("id",)


def visibility_of(member: Mapping[str, Any]) -> dict[str, str]:
    return {**DEFAULT_VISIBILITY, **(member.get("visibility") or {})}


def _group(field: str) -> str:
    return "names" if field in NAME_FIELDS else field


def view(member: Mapping[str, Any], audience: str) -> dict[str, Any]:
    """What ``audience`` (``members`` or ``public``) sees of a member: only the profile fields
    whose visibility it reaches, never account data (status, roles, consents, settings)."""
    levels = SEES[audience]
    visibility = visibility_of(member)
    shown = {"id": member["_id"]}
    for field in (*NAME_FIELDS, *VISIBILITY_FIELDS):
        if field == "names" or visibility[_group(field)] not in levels:
            continue
        if member.get(field) is not None:
            shown[field] = member[field]
    return shown


def directory_entry(member: Mapping[str, Any]) -> dict[str, Any] | None:
    """The member's ``directory`` document (what verified members search), or ``None`` when
    the member is not listed: not verified, erased, or out of the directory by choice.
    It holds only fields visible to members, so a filter can never reveal a hidden one."""
    if member.get("status") != "verified" or not member.get("in_directory", True):
        return None
    shown = view(member, MEMBERS)
    entry = {"_id": member["_id"], **{k: v for k, v in shown.items() if k != "id"}}
    return {**entry, **memberfilter.searchable_fields(entry)}


def search_fields(member: Mapping[str, Any]) -> dict[str, Any]:
    """Derived search fields of the full member document (the office's segments see all)."""
    return memberfilter.searchable_fields(member)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The editable fields whose value differs."""
    return {f: after.get(f) for f in EDITABLE if before.get(f) != after.get(f)}


def shared_changes(changed: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a change other services hold copies of (``members.member.updated``)."""
    return {f: v for f, v in changed.items() if f in SHARED_FIELDS}
