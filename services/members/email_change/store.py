"""Changing a member's email address: the change waits until the new address proves itself,
and the old address can undo it.

Rules:
- Asking needs the current password, or a login less than ``accounts.RECENT_LOGIN`` ago (the
  access token's ``auth_time``): a session alone (a borrowed laptop, a stolen token) cannot
  move the account (checked by the route).
- Asking stores a pending change (its token's digest, valid ``accounts.EMAIL_CHANGE_TTL``) and
  publishes ``members.email_change.requested``, whose email carries the link to the NEW
  address; a newer request voids the earlier links. An address another member holds is
  answered alike by the route, and nothing is stored or sent: nothing tells who is a member.
- Confirming (that link, once) applies the address through the profile path
  (``profiles_store.apply_changes``: directory, login, ``members.member.updated``), revokes
  every session of the member (refresh tokens, and access tokens everywhere with
  ``email_changed``) and publishes ``members.email_change.confirmed``, whose email tells the
  OLD address, with a link that undoes the change for ``accounts.EMAIL_CHANGE_UNDO_TTL``.
- Undoing (that link, once) puts the old address back, voids every other link of the member's
  changes, revokes every session again (``email_change_undone``) and removes the password:
  whoever made the change may know it; the member sets a new one through the password reset.
- Until its undo link expires (or is used), the old address stays the member's: no sign-up
  and no other member's change may take it (``reserved_by``), or whoever made the change
  could defeat the undo by signing up with it.
- Each step is one transaction: the token is used, the change stored and its events put in
  the outbox together, or nothing at all. Tokens are stored only as digests.
"""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING
from pymongo.client_session import ClientSession

from services.members.access import store as access_store
from services.members.accounts import rules as accounts
from services.members.accounts import store as accounts_store
from services.members.messages import CATALOG, EMAIL_CHANGE_REQUESTED, EMAIL_CHANGED
from services.members.profiles import store as profiles_store
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index, asc

EMAIL_CHANGES = "email_changes"
CONFIRM, UNDO = "confirm", "undo"
INDEXES: list[Index] = [
    Index(EMAIL_CHANGES, asc("member_id"), name="email_change_member"),
    Index(EMAIL_CHANGES, asc("old_email"), name="email_change_old_email"),
    Index(EMAIL_CHANGES, [("expires_at", ASCENDING)], name="email_change_ttl", options={"expireAfterSeconds": 0}),
]


class AddressTaken(Exception):
    """The address the change would set belongs to another member by now."""


def _record(kind: str, token: str, member_id: str, old_email: str, new_email: str, at: datetime,
            expires_at: datetime) -> dict:
    return {"_id": accounts.digest(token), "kind": kind, "member_id": member_id, "old_email": old_email,
            "new_email": new_email, "created_at": at, "expires_at": expires_at, "used_at": None}


def _use(db, session: ClientSession, kind: str, token: str, at: datetime) -> dict | None:
    """Mark a usable token of ``kind`` used; its record, or None (unknown, used, expired)."""
    return db[EMAIL_CHANGES].find_one_and_update(
        {"_id": accounts.digest(token), "kind": kind, "used_at": None, "expires_at": {"$gt": at}},
        {"$set": {"used_at": at}}, session=session)


def _void(db, session: ClientSession, member_id: str, at: datetime, *, newer_than: datetime | None = None) -> None:
    """Unused confirmation links of the member stop working, and with ``newer_than`` also the
    undo links of changes made after that time (never an older one: see ``undo``)."""
    kinds = [{"kind": CONFIRM}] + ([{"created_at": {"$gt": newer_than}}] if newer_than else [])
    db[EMAIL_CHANGES].update_many({"member_id": member_id, "used_at": None, "$or": kinds},
                                  {"$set": {"used_at": at, "superseded": True}}, session=session)


def reserved_by(db, email: str, at: datetime, session: ClientSession | None = None) -> str | None:
    """The member whose changed-away address ``email`` is while its undo link lives, or None."""
    record = db[EMAIL_CHANGES].find_one({"old_email": email, "kind": UNDO, "used_at": None,
                                         "expires_at": {"$gt": at}}, {"member_id": 1}, session=session)
    return None if record is None else record["member_id"]


def _held_by_another(db, session: ClientSession, email: str, member_id: str, at: datetime) -> bool:
    holder = accounts_store.member_by_email(db, email, session)
    if holder is not None:
        return holder["_id"] != member_id
    return reserved_by(db, email, at, session) not in (None, member_id)


def request(store, member: dict, new_email: str, at: datetime, token_key: str) -> bool:
    """Store a pending change of ``member``'s address to ``new_email`` and its event; False
    (nothing stored, nothing sent) when another member holds ``new_email``."""
    db, token = store.db, accounts.new_token()
    expires_at = at + accounts.EMAIL_CHANGE_TTL
    event = CATALOG.create(EMAIL_CHANGE_REQUESTED, member["_id"], {
        "member_id": member["_id"], "new_email": new_email,
        "preferred_language": member.get("preferred_language") or "en", "given_name": member.get("given_name") or "",
        "encrypted_token": accounts.encrypt_token(token_key, token), "expires_at": expires_at.isoformat(),
    }, current_correlation_id())

    def work(session: ClientSession) -> bool:
        if _held_by_another(db, session, new_email, member["_id"], at):
            return False
        _void(db, session, member["_id"], at)
        db[EMAIL_CHANGES].insert_one(_record(CONFIRM, token, member["_id"], member["email"], new_email, at,
                                             expires_at), session=session)
        outbox.add(db, session, event)
        return True

    return store.transaction(work)


def confirm(store, token: str, at: datetime, token_key: str) -> dict | None:
    """Apply the change a confirmation token names (once); return the member, or None for an
    unknown, used or expired token or one whose old address is no longer the member's.
    Raises ``AddressTaken`` (nothing changes) when another member took the address meanwhile."""
    db, undo_token = store.db, accounts.new_token()

    def work(session: ClientSession) -> dict | None:
        record = _use(db, session, CONFIRM, token, at)
        if record is None:
            return None
        member = db.members.find_one({"_id": record["member_id"]}, session=session)
        if member is None or not accounts.can_log_in(member) or member["email"] != record["old_email"]:
            return None
        if _held_by_another(db, session, record["new_email"], member["_id"], at):
            raise AddressTaken(record["new_email"])
        member, _ = profiles_store.apply_changes(db, session, member["_id"],
                                                 {"email": record["new_email"], "email_confirmed_at": at})
        accounts_store.revoke_member_tokens(db, session, member["_id"], at, reason="email_changed")
        # A reset link mailed to the old address must not set the password of the account now
        # at the new one.
        accounts_store.void_password_resets(db, session, member["_id"], at)
        access_store.revoke(db, session, member["_id"], reason="email_changed")
        undo_expires = at + accounts.EMAIL_CHANGE_UNDO_TTL
        db[EMAIL_CHANGES].insert_one(_record(UNDO, undo_token, member["_id"], record["old_email"],
                                             record["new_email"], at, undo_expires), session=session)
        outbox.add(db, session, CATALOG.create(EMAIL_CHANGED, member["_id"], {
            "member_id": member["_id"], "old_email": record["old_email"], "new_email": record["new_email"],
            "preferred_language": member.get("preferred_language") or "en",
            "given_name": member.get("given_name") or "",
            "encrypted_undo_token": accounts.encrypt_token(token_key, undo_token),
            "undo_expires_at": undo_expires.isoformat(), "changed_at": at.isoformat(),
        }, current_correlation_id()))
        return member

    return store.transaction(work)


def undo(store, token: str, at: datetime) -> dict | None:
    """Put back the address an undo token names (once), whatever the address is now (a second
    change by the same hand does not defeat the owner's link); return the member, or None for
    an unknown, used or expired token. Raises ``AddressTaken`` when another member holds the
    old address by now."""
    db = store.db

    def work(session: ClientSession) -> dict | None:
        record = _use(db, session, UNDO, token, at)
        if record is None:
            return None
        member = db.members.find_one({"_id": record["member_id"]}, session=session)
        if member is None or member.get("status") == "erased":
            return None
        if _held_by_another(db, session, record["old_email"], member["_id"], at):
            raise AddressTaken(record["old_email"])
        member, _ = profiles_store.apply_changes(db, session, member["_id"],
                                                 {"email": record["old_email"], "email_confirmed_at": at})
        # Older undo links stay, so an impostor's own undo link (from a second change) cannot
        # void the owner's.
        _void(db, session, member["_id"], at, newer_than=record["created_at"])
        accounts_store.revoke_credentials(db, session, member["_id"], at, reason="email_change_undone")
        access_store.revoke(db, session, member["_id"], reason="email_change_undone")
        accounts_store.clear_account_failures(db, accounts.account_key(record["old_email"]), session=session)
        return member

    return store.transaction(work)


# -- for the member's own export and erasure (privacy_store) ----------------------------------
def of_member(db, member_id: str) -> list[dict]:
    """The member's email changes for their export: addresses and times, no token hashes."""
    return [{k: v for k, v in change.items() if k != "_id"}
            for change in db[EMAIL_CHANGES].find({"member_id": member_id}).sort("created_at", 1)]


def forget(db, session: ClientSession, member_id: str) -> None:
    """Erasure: the member's pending and undoable changes go (they hold both addresses)."""
    db[EMAIL_CHANGES].delete_many({"member_id": member_id}, session=session)
