"""Sign-up: a new member, and the proof that its address is theirs.

Rules:
- A roster entry carrying an email is claimed only through that email: the sign-up is verified
  once the member confirms the address (the welcome email's link, or a completed password
  reset). A match by student number and family name verifies nothing: the sign-up waits for an
  admin, with the entry shown beside it in the office's queue (``roster_store.candidates_of``).
  Each roster entry verifies one member only (it is claimed in the same transaction).
- A password chosen at sign-up opens nothing until the address is confirmed
  (``accounts.email_confirmed``). Confirming revokes every password and session made before
  it: an impostor who signed up with someone else's address is left with nothing when the
  owner confirms; the confirmer may set the password there and then.
- Sign-up looks the same whatever the address: a taken one creates nothing and publishes
  ``members.member.signed_up_again``, whose email tells the owner to log in or reset.
- Nothing from the roster reaches the member before verification.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.members.accounts import rules as accounts
from services.members.accounts import store as accounts_store
from services.members.email_change import store as email_change
from services.members.messages import CATALOG, MEMBER_REGISTERED, MEMBER_SIGNED_UP_AGAIN, MEMBER_VERIFIED
from services.members.profiles import rules as profiles
from services.members.profiles import store as profiles_store
from services.members.roster import store as roster_store
from shared.bus import outbox
from shared.logs import current_correlation_id

# Roster fields a verified sign-up takes from the roster: the university's record wins for
# graduation year and faculty, and fills programme, specialty and Latin names if not given.
ROSTER_WINS = ("graduation_year", "faculty")
AWAITING_EMAIL = "awaiting_email"
ROSTER_FILLS = ("programme", "specialty", "given_name_latin", "family_name_latin")
EVENT_FIELDS = (*sorted(profiles.SHARED_FIELDS), "consent")


def _match_roster(db, session: ClientSession, member: dict, student_number: str | None, at: datetime) -> None:
    entry = roster_store.entry_for_email(db, session, member["email"])
    if entry is not None and roster_store.claim(db, session, entry["_id"], member["_id"]):
        # Verified once the member proves the address is theirs (``address_proven``): a
        # roster match alone would let anyone who knows a graduate's email become them.
        member["verification"] = {"status": AWAITING_EMAIL, "method": "roster_email", "at": at, "by": None,
                                  "reason": None, "roster_entry": entry["_id"]}
        for name in ROSTER_WINS:
            if entry.get(name) is not None:
                member[name] = entry[name]
        for name in ROSTER_FILLS:
            if member.get(name) is None and entry.get(name):
                member[name] = entry[name]
        return
    candidate = roster_store.candidate_for_number(db, session, student_number=student_number,
                                                  family_name=member["family_name"])
    if candidate is not None:
        roster_store.propose(db, session, candidate["_id"], member["_id"])


def register(store, profile: dict, *, roles: list[str], correlation_id: str, password: str | None = None,
             student_number: str | None = None, operator: bool = False, token_key: str | None = None) -> dict | None:
    """Store a new member (with its credential if it chose a password) and publish
    ``members.member.registered``. A taken email stores nothing and publishes
    ``members.member.signed_up_again`` for its owner instead; returns None then (the caller
    answers as for a new address). ``operator``: created by an operator command, verified
    and confirmed without the roster or a link; raises ``EmailTaken`` for a taken email.
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
        "email_confirmed_at": at if operator else None,
        "registered_at": at,
        "updated_at": at,
    }
    # Hashed whether or not the address is taken: both answers take as long.
    password_hash = None if password is None else accounts.hash_password(password)
    token = accounts.new_token() if token_key and not operator else None

    def work(session: ClientSession) -> dict | None:
        # Looked up first rather than left to the unique index: a duplicate key aborts the
        # transaction, and a request's Idempotency-Key record shares this one.
        # An address changed away from is its owner's until the undo link expires (email_change).
        if (accounts_store.member_by_email(store.db, member["email"], session) is not None
                or email_change.reserved_by(store.db, member["email"], at, session) is not None):
            if operator:
                raise profiles_store.EmailTaken(member["email"])
            _tell_owner(store.db, session, member["email"], at, correlation_id)
            return None
        stored = dict(member)
        if not operator:
            _match_roster(store.db, session, stored, student_number, at)
        stored = profiles_store.save_member(store.db, session, stored, insert=True)
        if password_hash is not None:
            accounts_store.add_credential(store.db, session, stored["_id"], stored["email"], password_hash, at)
        if token is not None:
            accounts_store.add_email_confirmation(store.db, session, token, stored["_id"], stored["email"], at)
        outbox.add(store.db, session, CATALOG.create(MEMBER_REGISTERED, stored["_id"], {
            "member_id": stored["_id"], **{k: stored.get(k) for k in EVENT_FIELDS},
            "registered_at": at.isoformat(), "status": stored["status"], "roles": stored["roles"],
            "encrypted_confirmation_token": None if token is None else accounts.encrypt_token(token_key, token)},
            correlation_id))
        return stored

    try:
        return store.transaction(work)
    except DuplicateKeyError:  # the same address signed up at the same instant
        if operator:
            raise profiles_store.EmailTaken(member["email"]) from None
    store.transaction(lambda session: _tell_owner(store.db, session, member["email"], at, correlation_id))
    return None


def _tell_owner(db, session: ClientSession, email: str, at: datetime, correlation_id: str) -> None:
    """Someone signed up with a registered address: its owner is told (``signed_up_again``)."""
    owner = accounts_store.member_by_email(db, email, session)
    if owner is not None and owner.get("status") != "erased":
        outbox.add(db, session, CATALOG.create(MEMBER_SIGNED_UP_AGAIN, owner["_id"], {
            "member_id": owner["_id"], "at": at.isoformat()}, correlation_id))


def address_proven(db: Database, session: ClientSession, member: dict, at: datetime) -> dict:
    """The member proved the address is theirs (inside the caller's transaction): it is
    confirmed, and a sign-up its roster email matched becomes verified
    (``members.member.verified``). Returns the member as stored."""
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


def confirm_email(store, token: str, at: datetime, password_hash: str | None = None) -> dict | None:
    """Use an email confirmation token once: every password and session made before it is
    revoked, ``password_hash`` (if given) becomes the password, and the address is proven
    (``address_proven``). Returns the member, or ``None`` for an unknown, used or expired
    token, or one for an address since changed."""
    db = store.db

    def work(session: ClientSession) -> dict | None:
        record = accounts_store.use_email_confirmation(db, session, token, at)
        if record is None:
            return None
        member = db.members.find_one({"_id": record["member_id"]}, session=session)
        if member is None or member.get("status") == "erased" or member.get("email") != record["email"]:
            return None
        accounts_store.revoke_credentials(db, session, member["_id"], at, reason="email_confirmed")
        if password_hash is not None:
            accounts_store.set_password(db, session, member["_id"], member["email"], password_hash, at)
        accounts_store.clear_account_failures(db, accounts.account_key(member["email"]), session=session)
        return address_proven(db, session, member, at)

    return store.transaction(work)
