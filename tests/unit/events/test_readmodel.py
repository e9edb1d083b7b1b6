"""The events service's read model of members and segments, from the members events the
producer really sends (members catalogue), handled as the consumer does.

Checked: sign-up, changes, verification and rejection build the member's audience data;
a sign-up arriving after a later change fills only what is unknown; erasure forgets the
member and no late event brings them back; segments keep their newest version and stay
deleted; every handler can run twice.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.events import handlers, readmodel_store
from services.members.messages import (
    CATALOG,
    MEMBER_ERASED,
    MEMBER_REGISTERED,
    MEMBER_UPDATED,
    MEMBER_VERIFIED,
    SEGMENT_DELETED,
    SEGMENT_SAVED,
)
from shared import memberview
from tests.support import consumer_like, member_snapshot

MEMBER = "6f1c2b9e4d8a4e5f9a0b1c2d"
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def handle(store):
    return consumer_like(store, handlers.subscriptions())


def registered(status="pending_verification", year=2006):
    return CATALOG.create(MEMBER_REGISTERED, MEMBER, {
        "member_id": MEMBER, "given_name": "Мария", "family_name": "Иванова", "email": "maria@example.bg",
        "phone": None, "preferred_language": "bg", "graduation_year": year, "faculty": "medicine",
        "programme": "Медицина", "consent": {"email": True, "sms": False}, "registered_at": T0.isoformat(),
        "status": status}, "corr")


def updated(**changed):
    """A change a second after the sign-up."""
    return CATALOG.create(MEMBER_UPDATED, MEMBER, {"member_id": MEMBER, "changed": changed,
                                                   "updated_at": T0.replace(second=1).isoformat()}, "corr")


def test_sign_up_verification_and_changes_build_the_audience_data(store, handle):
    event = handle(registered())
    handle(event)  # twice: same result
    member = readmodel_store.member(store.db, MEMBER)
    assert (member["status"], member["graduation_year"], member["faculty"]) == ("pending_verification", 2006, "medicine")
    handle(CATALOG.create(MEMBER_VERIFIED, MEMBER, {"member_id": MEMBER, "method": "admin",
                                                     "verified_at": T0.isoformat()}, "corr"))
    handle(updated(city="Пловдив", open_to_mentoring=True, email="new@example.bg"))
    member = readmodel_store.member(store.db, MEMBER)
    assert member["status"] == "verified" and member["city"] == "Пловдив" and member["city_key"] == "plovdiv"
    assert "email" not in member  # contact details are not the events service's business
    assert "mariya" not in member["tokens"] and "maria" in member["tokens"]


def test_the_profile_a_sign_up_carries_reaches_the_view_and_nothing_else(store, handle):
    """Handlers get only what their expectation declares: the kept profile fields must be
    declared, contact details and unknown fields never arrive."""
    event = CATALOG.create(MEMBER_REGISTERED, MEMBER, {
        **CATALOG.examples[MEMBER_REGISTERED], "member_id": MEMBER, "city": "Пловдив", "interests": ["research"]},
        "corr")
    handled = handle(event)
    member = readmodel_store.member(store.db, MEMBER)
    assert member["city"] == "Пловдив" and member["interests"] == ["research"] and member["open_to_mentoring"]
    assert "email" not in handled.data and "consent" not in handled.data


def test_what_surveys_fill_reaches_the_view_and_decides_segment_audiences(store, handle):
    """Interests and the volunteer flag, from the sign-up and from later changes, are what a
    segment of "who said research and would volunteer" reads."""
    handle(CATALOG.create(MEMBER_REGISTERED, MEMBER, {
        **CATALOG.examples[MEMBER_REGISTERED], "member_id": MEMBER, "status": "verified",
        "registered_at": T0.isoformat(),
        "interests": ["Research"], "open_to_volunteer": False}, "corr"))
    member = readmodel_store.member(store.db, MEMBER)
    assert member["open_to_volunteer"] is False and member["interest_keys"] == ["research"]
    spec = {"interest": "research", "open_to_volunteer": True}
    handle(CATALOG.create(SEGMENT_SAVED, "s" * 32, {"segment_id": "s" * 32, "name": "Research volunteers",
                                                    "filter": spec, "version": 1, "saved_at": T0.isoformat()}, "corr"))
    segment = readmodel_store.segments(store.db, ["s" * 32])["s" * 32]
    audience = {"kind": "segment", "segment_id": "s" * 32}
    assert not memberview.fits(audience, member, segment)
    handle(updated(open_to_volunteer=True, interests=["Sports medicine", "  RESEARCH "]))
    member = readmodel_store.member(store.db, MEMBER)
    assert member["interest_keys"] == ["research", "sports medicine"]
    assert memberview.fits(audience, member, segment)


def test_a_late_sign_up_fills_only_what_is_unknown(store, handle):
    handle(updated(graduation_year=2007))
    handle(registered(status="verified", year=2006))
    member = readmodel_store.member(store.db, MEMBER)
    assert member["graduation_year"] == 2007 and member["status"] == "verified" and member["given_name"] == "Мария"


def test_erasure_forgets_and_no_late_event_brings_the_member_back(store, handle):
    handle(registered(status="verified"))
    handle(CATALOG.create(MEMBER_ERASED, MEMBER, {"member_id": MEMBER, "erased_at": T0.isoformat()}, "corr"))
    assert readmodel_store.member(store.db, MEMBER) is None
    handle(updated(city="Sofia"))
    handle(registered(status="verified"))
    assert readmodel_store.member(store.db, MEMBER) is None


def test_segments_keep_the_newest_version_and_stay_deleted(store, handle):
    def saved(version, city):
        return CATALOG.create(SEGMENT_SAVED, "s" * 32, {"segment_id": "s" * 32, "name": "n", "version": version,
                                                        "filter": {"city": city}, "saved_at": T0.isoformat()}, "c")
    handle(saved(2, "Plovdiv"))
    handle(saved(1, "Sofia"))
    assert readmodel_store.segment(store.db, "s" * 32)["filter"] == {"city": "Plovdiv"}
    handle(CATALOG.create(SEGMENT_DELETED, "s" * 32, {"segment_id": "s" * 32, "deleted_at": T0.isoformat()}, "c"))
    handle(saved(3, "Varna"))
    assert readmodel_store.segment(store.db, "s" * 32) is None


def test_changes_retried_out_of_order_never_undo_a_later_change(store, handle):
    from services.members.messages import MEMBER_REJECTED
    later = T0.replace(hour=11)
    handle(registered(status="pending_verification"))
    handle(CATALOG.create(MEMBER_REJECTED, MEMBER, {"member_id": MEMBER, "reason": "no record",
                                                     "rejected_at": later.isoformat()}, "corr"))
    handle(CATALOG.create(MEMBER_VERIFIED, MEMBER, {"member_id": MEMBER, "method": "admin",
                                                     "verified_at": T0.replace(hour=10, minute=30).isoformat()}, "c"))
    assert readmodel_store.member(store.db, MEMBER)["status"] == "rejected"
    handle(CATALOG.create(MEMBER_UPDATED, MEMBER, {"member_id": MEMBER, "changed": {"city": "Varna"},
                                                    "updated_at": later.isoformat()}, "corr"))
    handle(CATALOG.create(MEMBER_UPDATED, MEMBER, {"member_id": MEMBER, "changed": {"city": "Sofia"},
                                                    "updated_at": T0.replace(hour=10, minute=45).isoformat()}, "c"))
    assert readmodel_store.member(store.db, MEMBER)["city"] == "Varna"


def test_erasure_deletes_the_replies_about_the_member_and_their_parked_messages(store, handle):
    """Stored replies (``Idempotency-Key``) of the member's requests go, others' stay; the
    parked messages are handed to ``forget_parked`` (the dead-letter queue's purge), whose
    failure undoes the erasure so that the consumer retries it whole."""
    handle(registered(status="verified"))
    store.db.idempotency.insert_many([{"_id": f"POST /api/v1/events/e1/registrations {MEMBER} k"},
                                      {"_id": "POST /api/v1/events office-1 k"}])
    erasure = CATALOG.create(MEMBER_ERASED, MEMBER, {"member_id": MEMBER, "erased_at": T0.isoformat()}, "corr")

    def broker_down(member_id: str) -> int:
        raise ConnectionError("broker unreachable")
    with pytest.raises(ConnectionError):
        consumer_like(store, handlers.subscriptions(forget_parked=broker_down))(erasure)
    assert readmodel_store.member(store.db, MEMBER) is not None
    assert store.db.idempotency.count_documents({}) == 2

    forgotten: list[str] = []
    consumer_like(store, handlers.subscriptions(forget_parked=lambda m: forgotten.append(m) or 1))(erasure)
    assert forgotten == [MEMBER] and readmodel_store.member(store.db, MEMBER) is None
    assert [r["_id"] for r in store.db.idempotency.find()] == ["POST /api/v1/events office-1 k"]


# --------------------------------------------------------------------------- snapshots (republish)

def test_a_snapshot_fills_an_empty_view_as_a_sign_up_would(store, handle):
    handle(member_snapshot(MEMBER, T0, graduation_year=2006, faculty="medicine", city="Пловдив"))
    member = readmodel_store.member(store.db, MEMBER)
    assert (member["status"], member["graduation_year"], member["faculty"]) == ("verified", 2006, "medicine")
    assert member["city_key"] == "plovdiv" and "maria" in member["tokens"]  # the filter's search fields
    assert "email" not in member and "roles" not in member and "consents" not in member


def test_an_older_snapshot_does_not_undo_a_newer_change(store, handle):
    handle(registered())
    handle(updated(city="Варна"))  # at T0 + 1 s
    handle(member_snapshot(MEMBER, T0, city="Пловдив", status="verified", graduation_year=2006))
    member = readmodel_store.member(store.db, MEMBER)
    assert member["city"] == "Варна"  # the change is newer than the snapshot
    assert member["status"] == "verified"  # what no newer change set, the snapshot fills
    handle(member_snapshot(MEMBER, T0.replace(second=2), city="Пловдив"))
    assert readmodel_store.member(store.db, MEMBER)["city"] == "Пловдив"  # a newer snapshot wins


def test_a_snapshot_never_brings_an_erased_member_back(store, handle):
    handle(registered())
    handle(CATALOG.create(MEMBER_ERASED, MEMBER, {"member_id": MEMBER, "erased_at": T0.isoformat()}, "corr"))
    handle(member_snapshot(MEMBER, T0.replace(year=2027)))
    assert readmodel_store.member(store.db, MEMBER) is None


def test_a_first_change_committed_inside_an_erasures_transaction_is_forgotten(store, handle):
    """Two workers at once: the erasure's transaction has taken its snapshot (the view holds no
    document of the member yet), a sign-up is handled and committed (the view's first
    document), then the erasure writes. A delete of a document its snapshot lacks writes
    nothing; the erasure writes the view first (``memberview.forget_member``), so it conflicts,
    is retried, and the retry deletes the new document."""
    attempts = []

    def erasure(session):
        attempts.append(1)
        store.db.erased_members.find_one({"_id": MEMBER}, session=session)  # the snapshot starts here
        if len(attempts) == 1:
            handle(registered(status="verified"))
        readmodel_store.forget_member(store.db, session, MEMBER, T0)
    store.transaction(erasure)
    assert len(attempts) == 2  # the first attempt conflicted on the member's view
    assert readmodel_store.member(store.db, MEMBER) is None
    handle(updated(city="Пловдив"))  # and nothing late brings them back
    assert readmodel_store.member(store.db, MEMBER) is None
