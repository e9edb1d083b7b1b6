"""MongoDB access for the awards service's view of members (collections ``members`` and
``erased_members``), kept from members events by ``handlers.py``: the fields other services'
views keep (``shared.memberview.KEPT``), ``preferred_language`` (a notification's Party),
``status`` and ``roles`` (judges, staff, students). Read by eligibility, judge assignment,
names on the office's lists and the Party of events; never written elsewhere."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.database import Database

from shared import memberview
from shared.store import Index, asc

MEMBERS, ERASED = "members", "erased_members"
INDEXES: list[Index] = [Index(MEMBERS, asc("status"), name="readmodel_members_status")]
# A member whose sign-up said nothing of roles (an event older than the field) is an alumnus.
DEFAULT_ROLES = ("alumnus",)
NAME_FIELDS = ("given_name", "family_name", "preferred_language")


def member(db: Database, member_id: str, session: ClientSession | None = None) -> dict | None:
    return db[MEMBERS].find_one({"_id": member_id}, session=session)


def members(db: Database, member_ids) -> dict[str, dict]:
    wanted = sorted(set(member_ids))
    if not wanted:
        return {}
    return {m["_id"]: m for m in db[MEMBERS].find({"_id": {"$in": wanted}}, limit=len(wanted))}


def roles_of(member: dict | None) -> tuple[str, ...]:
    if member is None:
        return ()
    return tuple(member.get("roles") or DEFAULT_ROLES)


def party(member_id: str, member: dict | None) -> dict:
    """A member as an event addresses them: id, names, language."""
    return {"member_id": member_id, **{k: (member or {}).get(k) for k in NAME_FIELDS}}


def names(member_id: str, member: dict | None) -> dict:
    return {"member_id": member_id, "given_name": (member or {}).get("given_name"),
            "family_name": (member or {}).get("family_name")}


def hold_members(db: Database, session: ClientSession, member_ids) -> set[str]:
    """The members of ``member_ids`` the view holds, held against an erasure handled meanwhile
    (``memberview.hold_members``)."""
    return memberview.hold_members(db[MEMBERS], session, member_ids)


def is_erased(db: Database, session: ClientSession, member_id: str) -> bool:
    return db[ERASED].find_one({"_id": member_id}, {"_id": 1}, session=session) is not None


def merge_member(db: Database, session: ClientSession, member_id: str, fields: dict[str, Any],
                 at: datetime | None = None) -> None:
    memberview.merge_member(db[MEMBERS], session, member_id, fields, at)


def forget_member(db: Database, session: ClientSession, member_id: str, erased_at: datetime) -> None:
    memberview.forget_member(db[MEMBERS], db[ERASED], session, member_id, erased_at)
