"""MongoDB access for profiles, verification decisions and the directory.

The ``directory`` collection is a projection of ``members`` kept in the same transaction as
every write to a member: one document per listed, verified member holding only the fields
verified members may see (``profiles.directory_entry``) with their search fields. Searching
it can therefore never match on, or show, a field its owner hid. ``members`` documents carry
the same search fields computed from all their fields, for the office's segments.
"""
from __future__ import annotations

import time
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.client_session import ClientSession
from pymongo.database import Database

from services.members.access import store as access_store
from services.members.accounts import store as accounts_store
from services.members.profiles import rules as profiles
from services.members.messages import (
    CATALOG,
    MEMBER_REJECTED,
    MEMBER_ROLES_CHANGED,
    MEMBER_UPDATED,
    MEMBER_VERIFIED,
)
from shared import clock, memberfilter, translit
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index, asc

DIRECTORY = "directory"
# One member per address: the account's key (listed first in the service's registry, as before).
EMAIL_UNIQUE = Index("members", asc("email"), unique=True, name="email_unique")
INDEXES: list[Index] = [
    Index("members", asc("status"), name="members_status"),
    Index("members", asc("tokens"), name="members_tokens"),
    # A segment of "who said research" is driven by the interest (memberfilter.to_mongo).
    Index("members", asc("interest_keys"), name="members_interest_keys"),
    Index("members", asc("graduation_year"), name="members_graduation_year"),
    Index(DIRECTORY, asc("tokens"), name="directory_tokens"),
    # The sorts of SORTS, whole: an index walk serves a page without sorting (on MongoDB).
    Index(DIRECTORY, asc("sort_name", "_id"), name="directory_sort"),
    Index(DIRECTORY, asc("graduation_year", "sort_name", "_id"), name="directory_year_sort"),
    Index(DIRECTORY, asc("city_key"), name="directory_city"),
    Index(DIRECTORY, asc("interest_keys"), name="directory_interest_keys"),
    Index(DIRECTORY, asc("faculty"), name="directory_faculty"),
    Index(DIRECTORY, asc("country"), name="directory_country"),
]
SORTS = {
    "name": [("sort_name", ASCENDING), ("_id", ASCENDING)],
    "-name": [("sort_name", DESCENDING), ("_id", ASCENDING)],
    "graduation_year": [("graduation_year", ASCENDING), ("sort_name", ASCENDING), ("_id", ASCENDING)],
    "-graduation_year": [("graduation_year", DESCENDING), ("sort_name", ASCENDING), ("_id", ASCENDING)],
}


# The derived fields are an index of the profile: never shown.
HIDDEN = dict.fromkeys(memberfilter.DERIVED_FIELDS, 0)
# A search's matches come back in one reply (a driver's first batch is 101 documents, each
# further batch a getMore), up to the 16 MB a reply holds: ~150,000 matches of one word at
# ~100 bytes each, ~20,000 with the tokens that several words need.
MATCHES_BATCH = 100_000


class NotFound(Exception):
    pass


class EmailTaken(Exception):
    pass


class Locked(Exception):
    """Fields a verified member may not change themselves (``profiles.VERIFIED_FIELDS``)."""

    def __init__(self, fields: list[str]):
        super().__init__(", ".join(fields))
        self.fields = fields



def with_search_fields(member: dict) -> dict:
    """The member document with its derived search fields brought up to date."""
    return {**member, **profiles.search_fields(member)}


def save_member(db: Database, session: ClientSession | None, member: dict, *, insert: bool = False) -> dict:
    """Write a member document and its directory entry (one transaction: the caller's)."""
    member = with_search_fields(member)
    if insert:
        db.members.insert_one(member, session=session)
    else:
        db.members.replace_one({"_id": member["_id"]}, member, session=session)
    entry = profiles.directory_entry(member)
    if entry is None:
        if not insert:  # a new member has no entry to take out
            db[DIRECTORY].delete_one({"_id": member["_id"]}, session=session)
    else:
        db[DIRECTORY].replace_one({"_id": member["_id"]}, entry, upsert=True, session=session)
    return member


def tombstone(db: Database, session: ClientSession, member_id: str, at) -> None:
    """Erasure: replace the member by an anonymous tombstone and take them out of the
    directory (``privacy.store.erase``, in its transaction)."""
    db.members.replace_one({"_id": member_id}, {
        "_id": member_id, "status": "erased", "email": f"erased:{member_id}", "erased_at": at,
    }, session=session)
    db[DIRECTORY].delete_one({"_id": member_id}, session=session)


def live(db: Database, member_id: str, session: ClientSession | None = None) -> dict:
    member = db.members.find_one({"_id": member_id}, session=session)
    if member is None or member.get("status") == "erased":
        raise NotFound(member_id)
    return member


def update_profile(store, member_id: str, patch: dict[str, Any], *, by_admin: bool = False) -> tuple[dict, dict]:
    """Apply a validated partial profile; return the member and the changed fields.

    The address is not among them: it changes only once the new one is proven
    (``email_change``), which applies it through ``apply_changes`` inside its own transaction."""
    if "email" in patch:
        raise ValueError("the email address changes only through services.members.email_change.store")
    return store.transaction(lambda session: apply_changes(store.db, session, member_id, patch, by_admin=by_admin))


def apply_changes(db: Database, session: ClientSession, member_id: str, patch: dict[str, Any], *,
                  by_admin: bool = False) -> tuple[dict, dict]:
    """Apply a partial profile inside the caller's transaction; return the member and the
    changed fields. Publishes ``members.member.updated`` with the changed fields other
    services hold. A verified member cannot change what verification vouched for
    (``Locked``); admins can. A new ``email`` moves the login with it; the caller has checked
    that no other member holds it (the unique index would abort the transaction)."""
    before = live(db, member_id, session)
    if not by_admin and before.get("status") == "verified":
        locked = [f for f in profiles.VERIFIED_FIELDS if f in patch and patch[f] != before.get(f)]
        if locked:
            raise Locked(locked)
    after = {**before, **{k: v for k, v in patch.items() if k != "visibility"}}
    if "visibility" in patch:
        after["visibility"] = {**profiles.visibility_of(before), **patch["visibility"]}
    changed = profiles.changes(before, after)
    if not changed:
        return before, {}
    now = clock.now()
    after["updated_at"] = now
    if "email" in changed:
        db[accounts_store.CREDENTIALS].update_one({"_id": member_id}, {"$set": {"email": after["email"]}},
                                                  session=session)
    member = save_member(db, session, after)
    shared = profiles.shared_changes(changed)
    if shared:
        outbox.add(db, session, CATALOG.create(MEMBER_UPDATED, member_id, {
            "member_id": member_id, "changed": shared, "updated_at": now.isoformat()},
            current_correlation_id()))
    return member, changed


def decide(store, member_id: str, *, approve: bool, admin_id: str, reason: str | None) -> tuple[dict, bool]:
    """An admin verifies or rejects a member; return the member and whether it changed.

    Deciding what is already decided changes nothing and publishes nothing."""
    db = store.db
    status = "verified" if approve else "rejected"

    def work(session: ClientSession) -> tuple[dict, bool]:
        member = live(db, member_id, session)
        if member["status"] == status:
            return member, False
        now = clock.now()
        member = save_member(db, session, {
            **member, "status": status, "updated_at": now,
            "verification": {"status": status, "method": "admin", "at": now, "by": admin_id, "reason": reason}})
        if approve:
            event = CATALOG.create(MEMBER_VERIFIED, member_id, {
                "member_id": member_id, "method": "admin", "verified_at": now.isoformat(),
                "graduation_year": member.get("graduation_year"), "faculty": member.get("faculty")},
                current_correlation_id())
        else:
            event = CATALOG.create(MEMBER_REJECTED, member_id, {
                "member_id": member_id, "reason": reason, "rejected_at": now.isoformat()},
                current_correlation_id())
        outbox.add(db, session, event)
        return member, True

    return store.transaction(work)


def set_roles(store, member_id: str, roles: list[str]) -> dict:
    """Set a member's roles. A change revokes their tokens (``access_store``): tokens carry
    roles, so none may outlive the roles it names; and publishes ``members.member.roles_changed``
    in the same transaction (the awards service's view of members reads judges from it)."""
    db = store.db

    def work(session: ClientSession) -> dict:
        member = live(db, member_id, session)
        if sorted(member.get("roles", [])) == sorted(roles):
            return member
        at = clock.now()
        member = save_member(db, session, {**member, "roles": sorted(set(roles)), "updated_at": at})
        access_store.revoke(db, session, member_id, reason="roles_changed")
        outbox.add(db, session, CATALOG.create(MEMBER_ROLES_CHANGED, member_id, {
            "member_id": member_id, "roles": member["roles"], "changed_at": at.isoformat()},
            current_correlation_id()))
        return member

    return store.transaction(work)


def status_of(db: Database, member_id: str) -> str | None:
    found = db.members.find_one({"_id": member_id}, {"status": 1})
    return None if found is None else found.get("status")


class VerifiedViewers:
    """Who was verified a moment ago, per process: a directory or profile request then needs
    no store read to know its caller may see members. Only "verified" is remembered, so an
    approval counts at once; a rejection or erasure counts within ``ttl_s``."""

    def __init__(self, ttl_s: float = 5.0, max_entries: int = 10_000):
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._until: dict[str, float] = {}

    def is_verified(self, db: Database, member_id: str) -> bool:
        now = time.monotonic()
        if self._until.get(member_id, 0.0) > now:
            return True
        if status_of(db, member_id) != "verified":
            self._until.pop(member_id, None)
            return False
        if len(self._until) >= self.max_entries:
            self._until.clear()
        self._until[member_id] = now + self.ttl_s
        return True


def page_of(collection, query: dict, sort: list, page: int, per_page: int,
            projection: dict | None = None) -> tuple[list[dict], int]:
    skip = (page - 1) * per_page
    items = list(collection.find(query, projection).sort(sort).skip(skip).limit(per_page))
    if items and len(items) < per_page or not items and page == 1:
        return items, skip + len(items)  # a short page is the last one: no second pass to count
    return items, collection.count_documents(query)


def search_directory(db: Database, spec: dict, sort: str, page: int, per_page: int) -> tuple[list[dict], int]:
    """One page of the directory and the number of members it matches, in at most two store
    commands. Without ``q`` the store pages (an index walk of the sort on MongoDB) and counts
    only a full page. With ``q`` (``_searched``) the members matched are read once, as ids
    and sort keys, the api orders and counts them, and the page is then read by id."""
    directory = db[DIRECTORY]
    if not translit.query_tokens(spec.get("q")):
        return page_of(directory, memberfilter.to_mongo(spec), SORTS[sort], page, per_page, HIDDEN)
    return _searched(directory, spec, sort, page, per_page)


def _searched(directory, spec: dict, sort: str, page: int, per_page: int) -> tuple[list[dict], int]:
    """A search with words. The store gets one equality on ``tokens`` (the longest word: the
    most selective) and the filter's other conditions, and returns only each match's id and
    sort keys: no sort, no count and no skip in the store, which on the embedded test store
    (SecantusDB 0.7) fetch and compare every match again in Python (bench/README.md, members).
    Further words are checked here on the matches' ``tokens``: a top-level ``$and`` (or
    ``$all``) is answered by a scan of the whole collection there, where MongoDB intersects;
    both give the set ``memberfilter.matches`` gives, which the property test pins."""
    words = translit.query_tokens(spec["q"])
    fields = {"sort_name": 1, "graduation_year": 1, **({"tokens": 1} if len(words) > 1 else {})}
    matched = list(directory.find(memberfilter.to_mongo({**spec, "q": words[0]}), fields)
                   .batch_size(MATCHES_BATCH))
    if len(words) > 1:
        matched = [m for m in matched if set(words[1:]).issubset(m.get("tokens") or ())]
    ordered = sorted_like_store(matched, sort)
    start = (page - 1) * per_page
    ids = [m["_id"] for m in ordered[start:start + per_page]]
    if not ids:
        return [], len(matched)
    found = {d["_id"]: d for d in directory.find({"_id": {"$in": ids}}, HIDDEN)}
    return [found[i] for i in ids if i in found], len(matched)  # one who left in between: not shown


def sorted_like_store(docs: list[dict], sort: str) -> list[dict]:
    """``docs`` in the order the store gives for ``SORTS[sort]``: strings by code point (the
    folded ``sort_name`` is ASCII), a missing or null year before every year ascending and
    after every year descending, ties by ``_id``."""
    def year(doc: dict) -> tuple[bool, int]:
        value = doc.get("graduation_year")
        return value is not None, value or 0

    def name(doc: dict) -> tuple[bool, str]:
        value = doc.get("sort_name")
        return value is not None, value or ""

    out = sorted(docs, key=lambda d: d["_id"])
    if sort in ("name", "-name"):
        return sorted(out, key=name, reverse=sort == "-name")
    out.sort(key=name)
    return sorted(out, key=year, reverse=sort == "-graduation_year")


def list_members(db: Database, status: str | None, page: int, per_page: int) -> tuple[list[dict], int]:
    query = {"status": status} if status else {"status": {"$ne": "erased"}}
    return page_of(db.members, query, [("registered_at", DESCENDING), ("_id", ASCENDING)], page, per_page)


def segment_query(spec: dict) -> dict:
    """The office's view of a filter: every verified member, on all their fields."""
    # Status last: the embedded store drives the query by its first indexed field.
    return {**memberfilter.to_mongo(spec), "status": "verified"}
