"""MongoDB access for privacy: a member's data export and erasure (collections: model.py).

Erasure, in one transaction:

- the ``members`` document is replaced by an anonymous tombstone
  ``{_id, status: "erased", email: "erased:<id>", erased_at}``. The email placeholder exists only
  because the ``email_unique`` index is not partial (two tombstones without an email would
  collide); it is no address and can never match a login (emails are validated);
- their ``directory`` entry is deleted, and a roster entry they claimed is released (the
  roster is the university's own record of graduates, which erasure does not touch);
- their named survey responses leave the results and are deleted, with their survey
  participation records (``surveys_store.forget``; anonymous responses hold nothing of them);
- the member's ``consents``, ``credentials``, ``refresh_tokens``, ``password_resets`` and
  ``email_confirmations`` are deleted, and every throttling counter of their address (the
  account's, its (account, client) pairs', the per-email rate counters: ``accounts_store.forget_account``);
- their mentoring: active mentorships end (the other side is told), the notes and topics of
  their pairs' meetings, their feedback and their requests' messages are removed, waiting
  requests are withdrawn, asks waiting for them move on, their offer is withdrawn
  (``mentoring_store.forget``);
- their ambassador programme: applications and the ambassador record (the public listing) go,
  their contacts and activities stay as anonymous counts for the report, the askers of
  questions to them are erased (``ambassadors_store.forget``);
- stored replies about the member (``Idempotency-Key`` replays, which repeat what was sent:
  their own POSTs, those under ``/api/v1/members/<id>/``, their sign-up) are deleted
  (``shared.web.idempotency.purge_member``);
- the member's earlier events need nothing here: the outbox keeps no text of an event once the
  broker has it (``shared.bus.outbox.redacted``), and other services forget what they got;
- ``erasures`` gets ``{_id: member_id, erased_at, requested_by: "self"|"admin", admin_id, reason}``
  (the admin's id and reason are the office's accountability record, not the member's data);
- ``members.member.erased`` goes to the outbox, so every other service forgets the member, and
  ``members.access.revoked`` (``access_store``), so every token of theirs stops working at once.

Erasing again changes nothing and publishes nothing: the first erasure's record is returned.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pymongo.database import Database

from services.members.access import store as access_store
from services.members.accounts import rules as accounts
from services.members.accounts import store as accounts_store
from services.members.ambassadors import store as ambassadors_store
from services.members.consent import store as consent_store
from services.members.consent.store import live_member
from services.members.email_change import store as email_change
from services.members.mentoring import store as mentoring_store
from services.members.messages import CATALOG, MEMBER_ERASED
from services.members.profiles import store as profiles_store
from services.members.roster import store as roster_store
from services.members.surveys import store as surveys_store
from shared import memberfilter
from shared.bus import outbox
from shared.logs import current_correlation_id
from shared.store import Index
from shared.web import idempotency

ERASURES = "erasures"
# Erasure and export find refresh tokens and password resets by member_id: the accounts
# module, which owns those collections, declares their indexes.
INDEXES: list[Index] = []
# Fields that are secrets, never exported (hashes of passwords and tokens).
SECRET_FIELDS = {"password_hash"}
# Search keys computed from the profile: not data about the member, only an index of it.
DERIVED_FIELDS = memberfilter.DERIVED_FIELDS


class MemberNotFound(Exception):
    pass


def _without(doc: dict | None, *names: str) -> dict | None:
    if doc is None:
        return None
    return {k: v for k, v in doc.items() if k not in names}


def export(db: Database, member_id: str) -> dict | None:
    """Everything the members service holds about a live member, or ``None``.

    Hashes are left out: the password hash, and the ids of refresh tokens and password resets
    (which are hashes of the tokens).
    """
    member = live_member(db, member_id)
    if member is None:
        return None
    member = _without(member, *DERIVED_FIELDS)
    credentials = _without(db.credentials.find_one({"_id": member_id}), *SECRET_FIELDS)
    return {
        "member": member,
        "consents": {
            "current": consent_store.current(db, member),
            "ledger": consent_store.ledger(db, member),
        },
        "credentials": credentials,
        "refresh_tokens": [_without(t, "_id", "token_hash") for t in
                           db.refresh_tokens.find({"member_id": member_id}).sort("expires_at", 1)],
        "password_resets": [_without(r, "_id", "token_hash") for r in
                            db.password_resets.find({"member_id": member_id}).sort("expires_at", 1)],
        "email_changes": email_change.of_member(db, member_id),
        "roster_entry": db[roster_store.ROSTER].find_one({"claimed_by": member_id}),
        "surveys": surveys_store.of_member(db, member_id),
        "ambassadors": ambassadors_store.of_member(db, member_id),
        "login_failures": _without(db.login_failures.find_one({"_id": accounts.account_key(member["email"])}),
                                   "_id"),
    }


def erase(store, member_id: str, *, requested_by: str, admin_id: str | None = None,
          reason: str | None = None) -> tuple[dict, bool]:
    """Erase a member; return the erasure record and whether this call erased (``False`` when
    the member was already erased). Raises ``MemberNotFound`` for an unknown id."""
    db = store.db

    def work(session):
        done = db[ERASURES].find_one({"_id": member_id}, session=session)
        if done is not None:
            return done, False
        member = db.members.find_one({"_id": member_id}, session=session)
        if member is None:
            raise MemberNotFound(member_id)
        now = datetime.now(timezone.utc)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        record = {"_id": member_id, "erased_at": now, "requested_by": requested_by,
                  "admin_id": admin_id, "reason": reason}
        profiles_store.tombstone(db, session, member_id, now)
        # The roster is the university's record, not the member's: it stays, unclaimed.
        roster_store.release(db, session, member_id)
        consent_store.forget(db, session, member_id)
        accounts_store.forget_account(db, session, member_id, member.get("email"))
        email_change.forget(db, session, member_id)
        surveys_store.forget(db, session, member_id)
        mentoring_store.forget(db, session, member_id, now)
        ambassadors_store.forget(db, session, member_id, now)
        # Stored replies (Idempotency-Key replays) repeat what was sent: the sign-up's too.
        idempotency.purge_member(db, session, member_id)
        db[ERASURES].insert_one(record, session=session)
        access_store.revoke(db, session, member_id, reason="erased", at=now)
        outbox.add(db, session, erasure_event(record, current_correlation_id()))
        return record, True

    return store.transaction(work)


def erasure_event(record: dict, correlation_id: str):
    """``members.member.erased`` of an erasure record: at erasure, and again when an operator
    republishes erasures for a view restored from a backup (``snapshots.store``)."""
    return CATALOG.create(MEMBER_ERASED, record["_id"], {
        "member_id": record["_id"], "erased_at": record["erased_at"].isoformat()}, correlation_id)


def erasures_since(db: Database, since: datetime, after_id: str, limit: int, session=None) -> list[dict]:
    """Up to ``limit`` erasure records made at or after ``since``, of ids after ``after_id``, in
    id order (an operator's batches; the collection holds one small record per erased member)."""
    return list(db[ERASURES].find({"_id": {"$gt": after_id}, "erased_at": {"$gte": since}},
                                  {"erased_at": 1}, session=session).sort("_id", 1).limit(limit))
