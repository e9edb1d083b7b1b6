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
from services.members.messages import CATALOG, MEMBER_REGISTERED, MEMBER_VERIFIED
from services.members.profiles_store import EmailTaken
from shared.bus import outbox
from shared.logs import current_correlation_id

# Roster fields a verified sign-up takes from the roster: the university's record wins for
# graduation year and faculty, and fills programme, specialty and Latin names if not given.
ROSTER_WINS = ("graduation_year", "faculty")
AWAITING_EMAIL = "awaiting_email"
ROSTER_FILLS = ("programme", "specialty", "given_name_latin", "family_name_latin")
EVENT_FIELDS = (*sorted(profiles.SHARED_FIELDS), "consent")


def _verify_by_roster(db, session: ClientSession, member: dict, student_number: str | None,
                      at: datetime) -> None:
    entry = roster_store.match_for_signup(db, session, email=member["email"], student_number=student_number,
                                          family_name=member["family_name"])
    if entry is None or not roster_store.claim(db, session, entry["_id"], member["_id"]):
        return
    method = "roster_email" if entry.get("email") == member["email"] else "roster_student_number"
    # Verified once the member proves the address is theirs (the welcome email's link): a
    # roster match alone would let anyone who knows a graduate's email become them.
    member["verification"] = {"status": AWAITING_EMAIL, "method": method, "at": at, "by": None, "reason": None,
                              "roster_entry": entry["_id"]}
    for name in ROSTER_WINS:
        if entry.get(name) is not None:
            member[name] = entry[name]
    for name in ROSTER_FILLS:
        if member.get(name) is None and entry.get(name):
            member[name] = entry[name]


def register(store, profile: dict, *, roles: list[str], correlation_id: str, password: str | None = None,
             student_number: str | None = None, operator: bool = False, token_key: str | None = None) -> dict:
    """Store a new member (with its credential if it chose a password) and publish
    ``members.member.registered``; raise ``EmailTaken`` if the email is registered.
    ``operator``: created by an operator command, verified without the roster.
    With ``token_key`` (TOKEN_ENCRYPTION_KEY) the event carries an email confirmation token,
    encrypted, for the welcome email's link (``confirm_email``)."""
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
    token = accounts.new_token() if token_key and not operator else None

    def work(session: ClientSession) -> dict:
        stored = dict(member)
        if not operator:
            _verify_by_roster(store.db, session, stored, student_number, at)
        stored = profiles_store.save_member(store.db, session, stored, insert=True)
        if password_hash is not None:
            store.db[accounts_store.CREDENTIALS].insert_one(
                accounts_store.new_credential(stored["_id"], stored["email"], password_hash, at), session=session)
        if token is not None:
            store.db[accounts_store.EMAIL_CONFIRMATIONS].insert_one({
                "_id": accounts.digest(token), "member_id": stored["_id"], "email": stored["email"],
                "created_at": at, "expires_at": at + accounts.EMAIL_CONFIRMATION_TTL, "used_at": None},
                session=session)
        outbox.add(store.db, session, CATALOG.create(MEMBER_REGISTERED, stored["_id"], {
            "member_id": stored["_id"], **{k: stored.get(k) for k in EVENT_FIELDS},
            "registered_at": at.isoformat(), "status": stored["status"],
            "encrypted_confirmation_token": None if token is None else accounts.encrypt_token(token_key, token)},
            correlation_id))
        return stored

    try:
        return store.transaction(work)
    except DuplicateKeyError:
        raise EmailTaken(member["email"]) from None


def confirm_email(store, token: str, at: datetime) -> dict | None:
    """Use an email confirmation token once: the address is confirmed and a sign-up the
    roster matched becomes verified (``members.member.verified``). Returns the member, or
    ``None`` for an unknown, used or expired token, or one for an address since changed."""
    db = store.db

    def work(session: ClientSession) -> dict | None:
        record = db[accounts_store.EMAIL_CONFIRMATIONS].find_one_and_update(
            {"_id": accounts.digest(token), "used_at": None, "expires_at": {"$gt": at}},
            {"$set": {"used_at": at}}, session=session)
        if record is None:
            return None
        member = db.members.find_one({"_id": record["member_id"]}, session=session)
        if member is None or member.get("status") == "erased" or member.get("email") != record["email"]:
            return None
        member = {**member, "email_confirmed_at": at, "updated_at": at}
        verification = member.get("verification") or {}
        if verification.get("status") == AWAITING_EMAIL and member["status"] == "pending_verification":
            member["status"] = "verified"
            member["verification"] = {**verification, "status": "verified", "at": at}
            outbox.add(db, session, CATALOG.create(MEMBER_VERIFIED, member["_id"], {
                "member_id": member["_id"], "method": verification["method"], "verified_at": at.isoformat(),
                "graduation_year": member.get("graduation_year"), "faculty": member.get("faculty")},
                current_correlation_id()))
        return profiles_store.save_member(db, session, member)

    return store.transaction(work)
