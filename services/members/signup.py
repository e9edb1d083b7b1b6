"""Sign-up: a new member, verified at once when the alumni roster knows them.

A sign-up is verified by the roster when its email is a roster entry's, or when its student
number and family name (in either alphabet) are; a student number alone is not enough (they
are guessable). Each roster entry verifies one member only (it is claimed in the same
transaction). Other sign-ups wait for an admin's decision (``profiles_store.decide``).
"""
from __future__ import annotations

import uuid
from datetime import datetime

from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from services.members import accounts, accounts_store, profiles, profiles_store, roster_store
from services.members.messages import CATALOG, MEMBER_REGISTERED
from services.members.profiles_store import EmailTaken
from shared.bus import outbox

# Roster fields a verified sign-up takes from the roster: the university's record wins for
# graduation year and faculty, and fills programme, specialty and Latin names if not given.
ROSTER_WINS = ("graduation_year", "faculty")
ROSTER_FILLS = ("programme", "specialty", "given_name_latin", "family_name_latin")
EVENT_FIELDS = (*sorted(profiles.SHARED_FIELDS), "consent")


def _verify_by_roster(db, session: ClientSession, member: dict, student_number: str | None,
                      at: datetime) -> None:
    entry = roster_store.match_for_signup(db, session, email=member["email"], student_number=student_number,
                                          family_name=member["family_name"])
    if entry is None or not roster_store.claim(db, session, entry["_id"], member["_id"]):
        return
    method = "roster_email" if entry.get("email") == member["email"] else "roster_student_number"
    member["status"] = "verified"
    member["verification"] = {"status": "verified", "method": method, "at": at, "by": None, "reason": None,
                              "roster_entry": entry["_id"]}
    for name in ROSTER_WINS:
        if entry.get(name) is not None:
            member[name] = entry[name]
    for name in ROSTER_FILLS:
        if member.get(name) is None and entry.get(name):
            member[name] = entry[name]


def register(store, profile: dict, *, roles: list[str], correlation_id: str, password: str | None = None,
             student_number: str | None = None, operator: bool = False) -> dict:
    """Store a new member (with its credential if it chose a password) and publish
    ``members.member.registered``; raise ``EmailTaken`` if the email is registered.
    ``operator``: created by an operator command, verified without the roster."""
    at = accounts.now()
    member = {
        "_id": uuid.uuid4().hex,
        **profile,
        "status": "verified" if operator else "pending_verification",
        "verification": ({"status": "verified", "method": "operator", "at": at, "by": None, "reason": None}
                         if operator else None),
        "roles": sorted(set(roles)),
        "in_directory": True,
        "registered_at": at,
        "updated_at": at,
    }
    password_hash = None if password is None else accounts.hash_password(password)

    def work(session: ClientSession) -> dict:
        stored = dict(member)
        if not operator:
            _verify_by_roster(store.db, session, stored, student_number, at)
        stored = profiles_store.save_member(store.db, session, stored, insert=True)
        if password_hash is not None:
            store.db[accounts_store.CREDENTIALS].insert_one(
                accounts_store.new_credential(stored["_id"], stored["email"], password_hash, at), session=session)
        outbox.add(store.db, session, CATALOG.create(MEMBER_REGISTERED, stored["_id"], {
            "member_id": stored["_id"], **{k: stored.get(k) for k in EVENT_FIELDS},
            "registered_at": at.isoformat(), "status": stored["status"]}, correlation_id))
        return stored

    try:
        return store.transaction(work)
    except DuplicateKeyError:
        raise EmailTaken(member["email"]) from None
