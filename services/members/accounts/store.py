"""MongoDB access for accounts (collections: see model.py): ``credentials``,
``refresh_tokens``, ``login_failures``, ``rate_limits``, ``password_resets`` and
``email_confirmations``.

Throttling and rate counters live here, not in a process, so every gunicorn worker and api
copy counts together; each counter is one atomic ``$inc`` (an upsert for a new rate window)
and expires by TTL index.

Functions take the database (and, inside a transaction, its session); the few operations
that must be one atomic step take the service's store and run their own transaction.
Tokens are never stored, only their SHA-256 digests (``accounts.digest``).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.members.access import store as access_store
from services.members.accounts import rules as accounts
from shared import revocations
from shared.bus import outbox
from shared.bus.envelope import Envelope
from shared.store import Index, asc

CREDENTIALS = "credentials"
REFRESH_TOKENS = "refresh_tokens"
LOGIN_FAILURES = "login_failures"
RATE_LIMITS = "rate_limits"
PASSWORD_RESETS = "password_resets"
EMAIL_CONFIRMATIONS = "email_confirmations"

INDEXES: list[Index] = [
    Index(CREDENTIALS, asc("email"), name="credentials_email"),
    Index(REFRESH_TOKENS, asc("family"), name="refresh_family"),
    Index(REFRESH_TOKENS, asc("member_id"), name="refresh_member"),
    Index(REFRESH_TOKENS, [("expires_at", ASCENDING)], name="refresh_ttl", options={"expireAfterSeconds": 0}),
    Index(LOGIN_FAILURES, [("expires_at", ASCENDING)], name="login_failures_ttl",
          options={"expireAfterSeconds": 0}),
    Index(LOGIN_FAILURES, asc("account"), name="login_failures_account", options={"sparse": True}),
    Index(RATE_LIMITS, [("expires_at", ASCENDING)], name="rate_limits_ttl", options={"expireAfterSeconds": 0}),
    Index(PASSWORD_RESETS, asc("member_id"), name="reset_member"),
    Index(PASSWORD_RESETS, [("expires_at", ASCENDING)], name="reset_ttl", options={"expireAfterSeconds": 0}),
    Index(EMAIL_CONFIRMATIONS, asc("member_id"), name="confirmation_member"),
    Index(EMAIL_CONFIRMATIONS, [("expires_at", ASCENDING)], name="confirmation_ttl",
          options={"expireAfterSeconds": 0}),
]


# --------------------------------------------------------------------------- members and credentials

def new_credential(member_id: str, email: str, password_hash: str, at: datetime) -> dict:
    return {"_id": member_id, "email": email, "password_hash": password_hash, "created_at": at, "changed_at": at}


def add_credential(db: Database, session: ClientSession | None, member_id: str, email: str, password_hash: str,
                   at: datetime) -> None:
    """A new member's password (sign-up): inserted, never replaced (``set_password`` does that)."""
    db[CREDENTIALS].insert_one(new_credential(member_id, email, password_hash, at), session=session)


def add_email_confirmation(db: Database, session: ClientSession | None, token: str, member_id: str, email: str,
                           at: datetime) -> None:
    """Remember the sign-up's confirmation token (its digest) for ``accounts.EMAIL_CONFIRMATION_TTL``."""
    db[EMAIL_CONFIRMATIONS].insert_one({
        "_id": accounts.digest(token), "member_id": member_id, "email": email,
        "created_at": at, "expires_at": at + accounts.EMAIL_CONFIRMATION_TTL, "used_at": None},
        session=session)


def use_email_confirmation(db: Database, session: ClientSession | None, token: str, at: datetime) -> dict | None:
    """Mark a live, unused confirmation token used; its record, or ``None`` if there is none."""
    return db[EMAIL_CONFIRMATIONS].find_one_and_update(
        {"_id": accounts.digest(token), "used_at": None, "expires_at": {"$gt": at}},
        {"$set": {"used_at": at}}, session=session)


def member_by_email(db: Database, email: str, session: ClientSession | None = None) -> dict | None:
    return db.members.find_one({"email": email.strip().lower()}, session=session)


def credential_of(db: Database, member_id: str, session: ClientSession | None = None) -> dict | None:
    return db[CREDENTIALS].find_one({"_id": member_id}, session=session)


def set_password(db: Database, session: ClientSession | None, member_id: str, email: str,
                 password_hash: str, at: datetime) -> None:
    db[CREDENTIALS].update_one({"_id": member_id}, {
        "$set": {"email": email, "password_hash": password_hash, "changed_at": at},
        "$setOnInsert": {"created_at": at},
    }, upsert=True, session=session)


# --------------------------------------------------------------------------- throttling

def throttles(db: Database, keys: Sequence[str]) -> dict[str, accounts.Throttle]:
    """The failure counters of ``keys`` that exist (one read for all of them)."""
    return {doc["_id"]: accounts.Throttle.from_document(doc)
            for doc in db[LOGIN_FAILURES].find({"_id": {"$in": list(keys)}})}


def record_failure(db: Database, key: str, at: datetime,
                   blocked_until: Callable[[int, datetime], datetime | None], *,
                   account: str | None = None) -> accounts.Throttle:
    """Count one failed login for ``key`` atomically, in the current window (a new one if
    the last has passed), and block the key as ``blocked_until`` says for its count.
    ``account``: the account key a pair's counter belongs to (cleared with the account)."""
    failures = db[LOGIN_FAILURES]
    cutoff = at - accounts.FAILURE_WINDOW
    expires_at = at + accounts.FAILURE_WINDOW + accounts.LOCKOUT
    doc = None
    for _ in range(5):  # only a race with another first failure makes this go round
        doc = failures.find_one_and_update(
            {"_id": key, "window_started": {"$gt": cutoff}},
            {"$inc": {"count": 1}, "$set": {"expires_at": expires_at}},
            return_document=ReturnDocument.AFTER)
        if doc is not None:
            break
        fresh = {"count": 1, "window_started": at, "blocked_until": None, "expires_at": expires_at,
                 **({"account": account} if account else {})}
        doc = failures.find_one_and_update(  # the last window has passed: start a new one
            {"_id": key, "window_started": {"$lte": cutoff}}, {"$set": fresh},
            return_document=ReturnDocument.AFTER)
        if doc is not None:
            break
        try:
            failures.insert_one({"_id": key, **fresh})
            doc = {"_id": key, **fresh}
            break
        except DuplicateKeyError:
            continue
    if doc is None:  # pragma: no cover - five lost races in a row
        return accounts.Throttle(0, at, at + accounts.LOCKOUT)
    until = blocked_until(doc["count"], at)
    if until is not None:
        # $max: concurrent failures may only extend a block, never shorten it.
        doc = failures.find_one_and_update({"_id": key}, {"$max": {"blocked_until": until}},
                                           return_document=ReturnDocument.AFTER) or doc
    return accounts.Throttle.from_document(doc)


def clear_failures(db: Database, keys: Sequence[str], session: ClientSession | None = None) -> None:
    if keys:  # nothing counted, nothing to send
        db[LOGIN_FAILURES].delete_many({"_id": {"$in": list(keys)}}, session=session)


def clear_account_failures(db: Database, account: str, session: ClientSession | None = None) -> None:
    """The account's own counter and every pair (account, client) of it (a password reset)."""
    db[LOGIN_FAILURES].delete_many({"$or": [{"_id": account}, {"account": account}]}, session=session)


def count_request(db: Database, key: str, limit: accounts.RateLimit, at: datetime) -> int | None:
    """Count one request against ``limit`` for ``key`` (an account or address key prefixed
    with its action); return the seconds to wait when it is over the limit, else None."""
    number, ends = accounts.rate_window(limit, at)
    counters = db[RATE_LIMITS]
    for _ in range(2):  # a lost race to create the window's counter goes round once
        try:
            doc = counters.find_one_and_update({"_id": f"{key}:{number}"},
                                               {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": ends}},
                                               upsert=True, return_document=ReturnDocument.AFTER)
            break
        except DuplicateKeyError:
            continue
    else:  # pragma: no cover
        return None
    if doc["count"] <= limit.requests:
        return None
    return max(1, math.ceil((ends - at).total_seconds()))


# --------------------------------------------------------------------------- refresh tokens

def issue_refresh_token(db: Database, session: ClientSession | None, member_id: str, family: str,
                        at: datetime, authenticated_at: datetime | None = None) -> str:
    """Store a new refresh token (its digest) in ``family``; return the token itself.
    ``authenticated_at``: when the family's login was (the access tokens' ``auth_time``);
    every token of the family carries it on."""
    token = accounts.new_token()
    db[REFRESH_TOKENS].insert_one({
        "_id": accounts.digest(token), "member_id": member_id, "family": family, "created_at": at,
        "expires_at": at + accounts.REFRESH_TOKEN_TTL, "revoked_at": None, "authenticated_at": authenticated_at,
    }, session=session)
    return token


@dataclass(frozen=True)
class Rotation:
    """The outcome of presenting a refresh token: ``member`` and ``token`` when it was valid."""

    outcome: str  # "rotated", "invalid" (unknown, expired, member may not log in), "reused"
    member: dict | None = None
    token: str | None = None
    authenticated_at: datetime | None = None  # the family's login (None: stored before it was kept)


def rotate_refresh_token(store, token: str, at: datetime) -> Rotation:
    """Exchange a refresh token for a new one of the same family, in one transaction.

    A token that was already revoked is a sign of theft (one of two holders used it first):
    its whole family is revoked, so neither holder can go on.
    """
    db, presented = store.db, accounts.digest(token)
    tokens = db[REFRESH_TOKENS]

    def work(session: ClientSession) -> Rotation:
        doc = tokens.find_one_and_update({"_id": presented, "revoked_at": None},
                                         {"$set": {"revoked_at": at, "revoked_reason": "rotated"}},
                                         session=session)
        if doc is None:
            old = tokens.find_one({"_id": presented}, session=session)
            if old is None:
                return Rotation("invalid")
            revoke_family(db, session, old["family"], at, reason="reused")
            return Rotation("reused")
        if accounts.aware(doc["expires_at"]) <= at:
            return Rotation("invalid")
        member = db.members.find_one({"_id": doc["member_id"]}, session=session)
        if member is None or not accounts.can_log_in(member):
            revoke_family(db, session, doc["family"], at, reason="member_cannot_log_in")
            return Rotation("invalid")
        if revocations.issued_before(doc["created_at"], revocations.not_before(db, member["_id"], session)):
            revoke_family(db, session, doc["family"], at, reason="access_revoked")
            return Rotation("invalid")  # issued before the member's access was revoked
        authenticated_at = accounts.aware(doc.get("authenticated_at"))
        return Rotation("rotated", member, issue_refresh_token(db, session, member["_id"], doc["family"], at,
                                                               authenticated_at), authenticated_at)

    return store.transaction(work)


def revoke_family(db: Database, session: ClientSession | None, family: str, at: datetime, *,
                  reason: str) -> int:
    return db[REFRESH_TOKENS].update_many({"family": family, "revoked_at": None},
                                          {"$set": {"revoked_at": at, "revoked_reason": reason}},
                                          session=session).modified_count


def revoke_token_family(db: Database, token: str, at: datetime) -> bool:
    """Log out: revoke the session (family) a refresh token belongs to. False if unknown."""
    doc = db[REFRESH_TOKENS].find_one({"_id": accounts.digest(token)})
    if doc is None:
        return False
    revoke_family(db, None, doc["family"], at, reason="logout")
    return True


def revoke_member_tokens(db: Database, session: ClientSession | None, member_id: str, at: datetime,
                         *, reason: str) -> int:
    return db[REFRESH_TOKENS].update_many({"member_id": member_id, "revoked_at": None},
                                          {"$set": {"revoked_at": at, "revoked_reason": reason}},
                                          session=session).modified_count


# --------------------------------------------------------------------------- password resets

def request_password_reset(store, member_id: str, token: str, at: datetime, event: Envelope) -> None:
    """Store a reset token (its digest) and its event in one transaction; earlier unused
    tokens of the member stop working (only the newest email's link does)."""
    db = store.db

    def work(session: ClientSession) -> None:
        void_password_resets(db, session, member_id, at)
        db[PASSWORD_RESETS].insert_one({
            "_id": accounts.digest(token), "member_id": member_id, "created_at": at,
            "expires_at": at + accounts.PASSWORD_RESET_TTL, "used_at": None,
        }, session=session)
        outbox.add(db, session, event)

    store.transaction(work)


def void_password_resets(db: Database, session: ClientSession, member_id: str, at: datetime) -> None:
    """Every unused reset link of the member stops working."""
    db[PASSWORD_RESETS].update_many({"member_id": member_id, "used_at": None},
                                    {"$set": {"used_at": at, "superseded": True}}, session=session)


def recent_reset(db: Database, member_id: str, at: datetime) -> bool:
    """Was a reset asked for this member within ``PASSWORD_RESET_INTERVAL``?"""
    since = at - accounts.PASSWORD_RESET_INTERVAL
    return db[PASSWORD_RESETS].find_one({"member_id": member_id, "created_at": {"$gt": since}}) is not None


def usable_reset(db: Database, token: str, at: datetime) -> dict | None:
    """The unused, unexpired reset record of ``token``, or None."""
    doc = db[PASSWORD_RESETS].find_one({"_id": accounts.digest(token), "used_at": None})
    if doc is None or accounts.aware(doc["expires_at"]) <= at:
        return None
    return doc


def confirmation_email(db: Database, token: str) -> str | None:
    """The address an email confirmation token was sent to (None if unknown)."""
    record = db[EMAIL_CONFIRMATIONS].find_one({"_id": accounts.digest(token)}, {"email": 1})
    return None if record is None else record["email"]


def revoke_credentials(db: Database, session: ClientSession, member_id: str, at: datetime, *, reason: str) -> None:
    """Every password, reset link and session of the member stops working (an address just
    confirmed, or an email change undone: whatever was set or mailed before may be an
    impostor's)."""
    db[CREDENTIALS].delete_one({"_id": member_id}, session=session)
    void_password_resets(db, session, member_id, at)
    revoke_member_tokens(db, session, member_id, at, reason=reason)


def complete_password_reset(store, token: str, at: datetime, password_hash: str,
                            address_proven: Callable[[Database, ClientSession, dict, datetime], dict]) -> dict | None:
    """Use a reset token once: set the new password, revoke every refresh token of the
    member and clear its login failures, in one transaction; the token came by email, so the
    address is proven too (``address_proven``, which may verify the member). Returns the
    member, or None when the token is unknown, used or expired."""
    db = store.db

    def work(session: ClientSession) -> dict | None:
        doc = db[PASSWORD_RESETS].find_one_and_update(
            {"_id": accounts.digest(token), "used_at": None, "expires_at": {"$gt": at}},
            {"$set": {"used_at": at}}, session=session)
        if doc is None:
            return None
        member = db.members.find_one({"_id": doc["member_id"]}, session=session)
        if member is None or not accounts.can_log_in(member):
            return None
        set_password(db, session, member["_id"], member["email"], password_hash, at)
        revoke_member_tokens(db, session, member["_id"], at, reason="password_reset")
        access_store.revoke(db, session, member["_id"], reason="password_reset")
        clear_account_failures(db, accounts.account_key(member["email"]), session=session)
        return address_proven(db, session, member, at)

    return store.transaction(work)


# --------------------------------------------------------------------------- erasure
# (kept apart: called by privacy_store.erase; every write of these collections stays here)

def forget_account(db: Database, session: ClientSession, member_id: str, email: str | None) -> None:
    """Erasure: the member's password, sessions, reset and confirmation tokens (the latter hold
    the address) go, and every throttling counter of their address: the account's own, each
    (account, client) pair's and the rate counters per email (keyed by ``account_key``)."""
    db[CREDENTIALS].delete_many({"_id": member_id}, session=session)
    db[REFRESH_TOKENS].delete_many({"member_id": member_id}, session=session)
    db[PASSWORD_RESETS].delete_many({"member_id": member_id}, session=session)
    db[EMAIL_CONFIRMATIONS].delete_many({"member_id": member_id}, session=session)
    if email:
        account = accounts.account_key(email)
        clear_account_failures(db, account, session=session)
        # Rate counters are "<action>:<key>:<window>" (count_request, accounts_api.limit_rate).
        db[RATE_LIMITS].delete_many({"_id": {"$regex": f"^[^:]+:{re.escape(account)}:"}}, session=session)
