"""MongoDB access for the consent ledger (collection ``consents``, see model.py).

The ledger is append-only: entries are inserted, never updated; only erasure deletes them
(``privacy_store``). Entry ids are ObjectId strings, so they grow with time and break ties
between entries recorded in the same millisecond.

Sign-up consent: the member document's ``consent: {email, sms}`` flags count as an implicit
first entry for every category of each channel, source ``signup``, at ``registered_at``
(``consent.signup_entries``). They are added when the ledger is read, not stored, unless the
member already has stored ``signup`` entries (should sign-up ever write them itself).
"""
from __future__ import annotations

from datetime import datetime, timezone

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.database import Database

from services.members.consent import rules as consent
from services.members.messages import CATALOG, CONSENT_CHANGED
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index

COLLECTION = "consents"
INDEXES: list[Index] = [
    Index(COLLECTION, [("member_id", 1), ("at", DESCENDING), ("_id", DESCENDING)], name="consents_by_member"),
]
NEWEST_FIRST = [("at", DESCENDING), ("_id", DESCENDING)]


class MemberNotFound(Exception):
    """No such member, or the member was erased."""


def live_member(db: Database, member_id: str, session=None) -> dict | None:
    member = db.members.find_one({"_id": member_id}, session=session)
    if member is None or member.get("status") == "erased":
        return None
    return member


def _implicit(db: Database, member: dict, session=None) -> list[dict]:
    if db[COLLECTION].find_one({"member_id": member["_id"], "source": consent.SIGNUP}, {"_id": 1},
                               session=session):
        return []
    return consent.signup_entries(member)


def ledger(db: Database, member: dict) -> list[dict]:
    """Every entry of a member, implicit sign-up entries included, newest first."""
    stored = list(db[COLLECTION].find({"member_id": member["_id"]}).sort(NEWEST_FIRST))
    return stored + _implicit(db, member)


def ledgers(db: Database, members: list[dict], session=None) -> dict[str, list[dict]]:
    """The ledger of each of ``members`` by member id (implicit sign-up entries included, in
    no particular order), in one query: what a batch of snapshots reads."""
    by_member: dict[str, list[dict]] = {member["_id"]: [] for member in members}
    if by_member:
        for entry in db[COLLECTION].find({"member_id": {"$in": list(by_member)}}, session=session):
            by_member[entry["member_id"]].append(entry)
    for member in members:
        stored = by_member[member["_id"]]
        if not any(entry.get("source") == consent.SIGNUP for entry in stored):
            stored.extend(consent.signup_entries(member))
    return by_member


def current(db: Database, member: dict, now: datetime | None = None) -> list[dict]:
    return consent.current_state(ledger(db, member), now or datetime.now(timezone.utc))


def history(db: Database, member: dict, page: int, page_size: int) -> tuple[list[dict], int]:
    """One page of the ledger, newest first; the implicit sign-up entries come last (they are
    the oldest)."""
    query = {"member_id": member["_id"]}
    stored_total = db[COLLECTION].count_documents(query)
    implicit = _implicit(db, member)
    start, end = (page - 1) * page_size, page * page_size
    items: list[dict] = []
    if start < stored_total:
        items = list(db[COLLECTION].find(query).sort(NEWEST_FIRST).skip(start).limit(page_size))
    if end > stored_total:
        items += implicit[max(start - stored_total, 0):end - stored_total]
    return items, stored_total + len(implicit)


def record(store, member_id: str, change: dict, *, recorded_by: str, reason: str | None) -> dict:
    """Append one entry and its ``members.consent.changed`` event in one transaction.

    ``change`` holds channel, category, granted, source and optionally expires_at. Raises
    ``MemberNotFound`` for an unknown or erased member.
    """
    now = datetime.now(timezone.utc)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # what the store keeps
    entry = {
        "_id": str(ObjectId()),
        "member_id": member_id,
        "channel": change["channel"],
        "category": change["category"],
        "granted": change["granted"],
        "source": change["source"],
        "at": now,
        "expires_at": change.get("expires_at"),
        "recorded_by": recorded_by,
        "reason": reason,
    }
    event = CATALOG.create(CONSENT_CHANGED, member_id, {
        "member_id": member_id,
        "channel": entry["channel"],
        "category": entry["category"],
        "granted": entry["granted"],
        "source": entry["source"],
        "at": now.isoformat(),
        "expires_at": entry["expires_at"].isoformat() if entry["expires_at"] else None,
    }, current_correlation_id())

    def work(session):
        if live_member(store.db, member_id, session) is None:
            raise MemberNotFound(member_id)
        store.db[COLLECTION].insert_one(entry, session=session)
        outbox.add(store.db, session, event)

    store.transaction(work)
    return entry


def forget(db: Database, session, member_id: str) -> None:
    """Erasure: the member's whole ledger goes (``privacy.store.erase``, in its transaction)."""
    db[COLLECTION].delete_many({"member_id": member_id}, session=session)
