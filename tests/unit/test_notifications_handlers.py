"""The notifications handlers against the real local store: events created with the members
catalogue (what the producer really sends), validated with the consumer's expectation, and
handled in a store transaction with a ``HandlerContext``, as the consumer does.

Checked: sign-up builds the contact (with the sign-up flags as the first consent of every
category) and queues the welcome email; consent changes land per channel and category, and an
older decision never overwrites a newer one; erasure deletes the contact, anonymises the
member's deliveries, skips what is still queued, and no late event brings the member back;
a password reset queues a transactional email whose stored data holds the token only
encrypted, and whose link is made at send time. Every handler can run twice safely.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet, InvalidToken

from services.members.messages import (
    CATALOG,
    CONSENT_CHANGED,
    MEMBER_ERASED,
    MEMBER_REGISTERED,
    MEMBER_UPDATED,
    PASSWORD_RESET_REQUESTED,
)
from services.notifications import handlers
from services.notifications import store as notification_store
from services.notifications.rendering import render_email
from services.notifications.store import QUEUED, SENT, SKIPPED
from tests.support import consumer_like, member_snapshot

MEMBER = "6f1c2b9e4d8a4e5f9a0b1c2d"
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def config(make_config):
    return make_config(AMQP_URL="memory://")


@pytest.fixture
def store(notifications_store):
    return notifications_store


@pytest.fixture
def woken():
    return []


@pytest.fixture
def deliver(store, woken):
    """Handle one event as the consumer does: decode, validate, one transaction, then the
    after-commit hooks."""
    return consumer_like(store, handlers.subscriptions(lambda: woken.append(1)))


def registered(member_id=MEMBER, email="maria.ivanova@example.bg", sms=False, at=T0):
    return CATALOG.create(MEMBER_REGISTERED, member_id, {
        "member_id": member_id, "given_name": "Мария", "family_name": "Иванова", "email": email,
        "phone": "+359888123456", "preferred_language": "bg", "graduation_year": 2015, "faculty": "medicine",
        "programme": "Медицина", "consent": {"email": True, "sms": sms}, "registered_at": at.isoformat(),
    }, "corr-1")


def consent_changed(granted, at, channel="email", category="events", source="unsubscribe_link",
                    expires_at=None, member_id=MEMBER):
    return CATALOG.create(CONSENT_CHANGED, member_id, {
        "member_id": member_id, "channel": channel, "category": category, "granted": granted, "source": source,
        "at": at.isoformat(), "expires_at": expires_at.isoformat() if expires_at else None}, "corr-2")


def erased(member_id=MEMBER):
    return CATALOG.create(MEMBER_ERASED, member_id, {"member_id": member_id,
                                                    "erased_at": datetime.now(timezone.utc).isoformat()}, "corr-3")


def reset_requested(key: str, token: str = "s3cret-reset-token/+=", member_id=MEMBER):
    return CATALOG.create(PASSWORD_RESET_REQUESTED, member_id, {
        "member_id": member_id, "email": "maria.ivanova@example.bg", "preferred_language": "en",
        "given_name": "Maria", "encrypted_token": Fernet(key.encode()).encrypt(token.encode()).decode(),
        "expires_at": (T0 + timedelta(hours=1)).isoformat()}, "corr-4")


# --------------------------------------------------------------------------- sign-up

def test_signup_builds_the_contact_and_queues_one_welcome_email(store, deliver, woken):
    event = registered()
    deliver(event)
    deliver(event)  # redelivered: the same effect
    contact = store.contact(MEMBER)
    assert (contact["email"], contact["language"], contact["consent"]) == (
        "maria.ivanova@example.bg", "bg", {"email": True, "sms": False})
    assert contact["consents"]["email"]["news"]["granted"] is True
    assert contact["consents"]["sms"]["surveys"] == {"granted": False, "source": "signup", "at": T0,
                                                     "expires_at": None}
    items, total = store.deliveries(recipient=MEMBER)
    assert total == 1
    assert (items[0]["template"], items[0]["status"], items[0]["address"]) == (
        "welcome", QUEUED, "maria.ivanova@example.bg")
    assert len(woken) == 2


# --------------------------------------------------------------------------- consent

def test_consent_changes_are_stored_per_channel_and_category(store, deliver):
    deliver(registered())
    expires = T0 + timedelta(days=365)
    deliver(consent_changed(False, T0 + timedelta(minutes=1)))
    deliver(consent_changed(True, T0 + timedelta(minutes=2), channel="sms", category="mentoring",
                            source="profile_page", expires_at=expires))
    consents = store.contact(MEMBER)["consents"]
    assert consents["email"]["events"] == {"granted": False, "source": "unsubscribe_link",
                                           "at": T0 + timedelta(minutes=1), "expires_at": None}
    assert consents["sms"]["mentoring"] == {"granted": True, "source": "profile_page",
                                            "at": T0 + timedelta(minutes=2), "expires_at": expires}
    assert consents["email"]["news"]["source"] == "signup"


def test_an_older_decision_arriving_late_does_not_overwrite_a_newer_one(store, deliver):
    newer = consent_changed(True, T0 + timedelta(minutes=5), source="profile_page")
    older = consent_changed(False, T0 + timedelta(minutes=1))
    deliver(newer)
    deliver(older)
    deliver(newer)
    assert store.contact(MEMBER)["consents"]["email"]["events"]["granted"] is True
    # The sign-up arriving after a decision does not replace the decision either.
    deliver(registered())
    contact = store.contact(MEMBER)
    assert contact["consents"]["email"]["events"]["source"] == "profile_page"
    assert contact["email"] == "maria.ivanova@example.bg"


# --------------------------------------------------------------------------- erasure

def test_erasure_forgets_the_member_and_anonymises_the_delivery_log(store, deliver):
    deliver(registered())
    deliver(registered(member_id="other", email="other@example.bg"))
    welcome = store.deliveries(recipient=MEMBER)[0][0]
    store.db.deliveries.update_one({"_id": welcome["_id"]}, {"$set": {"status": SENT,
                                                                      "message_id": "<m1@alumnet.local>"}})
    deliver(reset_requested(Fernet.generate_key().decode()))  # still queued when the erasure comes
    store.db.deliveries.update_one({"_id": welcome["_id"]}, {"$set": {
        "last_error": "SMTPRecipientsRefused {'maria.ivanova@example.bg': (450, b'try later')}"}})

    event = erased()
    deliver(event)
    deliver(event)

    assert store.contact(MEMBER) is None
    items, total = store.deliveries(recipient=MEMBER)
    assert total == 2
    by_template = {d["template"]: d for d in items}
    assert by_template["welcome"]["status"] == SENT
    assert by_template["welcome"]["message_id"] == "<m1@alumnet.local>"
    assert by_template["password_reset"]["status"] == SKIPPED
    assert by_template["password_reset"]["last_error"] == "recipient erased"
    for delivery in items:
        assert "address" not in delivery and "context" not in delivery
        assert delivery["anonymised_at"]
        assert "maria" not in str(delivery).lower()
    # Nothing of the other member changed; the dispatcher finds nothing of the erased one.
    assert store.contact("other")["email"] == "other@example.bg"
    assert store.deliveries(recipient="other")[0][0]["address"] == "other@example.bg"
    [claimed] = store.claim_batch("w1")
    assert claimed["recipient"] == "other"
    assert store.claim_batch("w1") == []


def test_erasure_deletes_the_replies_about_the_member_and_their_parked_messages(store, deliver):
    """Stored replies (``Idempotency-Key``) of the member's requests go, others' stay; the
    parked messages are handed to ``forget_parked`` (the dead-letter queue's purge), whose
    failure undoes the erasure so that the consumer retries it whole."""
    deliver(registered())
    store.db.idempotency.insert_many([{"_id": f"POST /api/v1/notifications/things {MEMBER} k"},
                                      {"_id": "POST /api/v1/notifications/announcements office-1 k"}])
    event = erased()

    def broker_down(member_id: str) -> int:
        raise ConnectionError("broker unreachable")
    with pytest.raises(ConnectionError):
        consumer_like(store, handlers.subscriptions(forget_parked=broker_down))(event)
    assert store.contact(MEMBER) is not None and store.db.idempotency.count_documents({}) == 2

    forgotten: list[str] = []
    consumer_like(store, handlers.subscriptions(forget_parked=lambda m: forgotten.append(m) or 1))(event)
    assert forgotten == [MEMBER] and store.contact(MEMBER) is None
    assert [r["_id"] for r in store.db.idempotency.find()] == ["POST /api/v1/notifications/announcements office-1 k"]


def test_late_events_about_an_erased_member_bring_nothing_back(store, deliver):
    deliver(erased())
    deliver(registered())
    deliver(consent_changed(True, T0 + timedelta(minutes=1)))
    deliver(reset_requested(Fernet.generate_key().decode()))
    assert store.contact(MEMBER) is None
    assert store.deliveries(recipient=MEMBER) == ([], 0)


def test_an_erasure_committed_while_a_handler_runs_makes_the_handler_retry(store, deliver, monkeypatch):
    """Two workers at once (operators may scale them): the handler of a password reset has
    read the erased list (not erased yet), then the member's erasure commits, then the handler
    stores the email with the address. Snapshot isolation alone lets both commit (the delivery
    is a new document the erasure never saw). Both write the member's fence, so the handler's
    write conflicts, it is retried, and the retry sees the erasure."""
    deliver(registered())
    read, attempts = notification_store.erased_among, []

    def erased_among_then_an_erasure_commits(db, session, member_ids):
        found = read(db, session, member_ids)
        attempts.append(sorted(found))
        if len(attempts) == 1:  # inside the handler's first attempt, after its snapshot
            deliver(erased())
        return found
    monkeypatch.setattr(notification_store, "erased_among", erased_among_then_an_erasure_commits)
    deliver(reset_requested(Fernet.generate_key().decode()))
    assert attempts[0] == [] and attempts[-1] == [MEMBER]  # the first attempt conflicted and was retried
    assert [d["template"] for d in store.deliveries(recipient=MEMBER)[0]] == ["welcome"]
    assert "maria" not in str(list(store.db.deliveries.find({"recipient": MEMBER}))).lower()


def test_a_handler_committed_inside_an_erasures_transaction_leaves_nothing_of_the_member(store, deliver):
    """The other order: the erasure's transaction has taken its snapshot; a password reset is
    handled and committed (the email stored with the address); then the erasure writes. It
    did not see the new delivery; both write the member's fence, so the erasure conflicts, is
    retried, and the retry skips and anonymises the email."""
    deliver(registered())
    attempts = []

    def erasure(session):
        attempts.append(1)
        store.db.erased_members.find_one({"_id": MEMBER}, session=session)  # the snapshot starts here
        if len(attempts) == 1:
            deliver(reset_requested(Fernet.generate_key().decode()))
        notification_store.forget_member(store.db, session, MEMBER, T0)
    store.transaction(erasure)
    assert len(attempts) == 2  # the first attempt conflicted on the member's fence
    by_template = {d["template"]: d for d in store.deliveries(recipient=MEMBER)[0]}
    assert by_template["password_reset"]["status"] == SKIPPED
    assert "maria" not in str(list(store.db.deliveries.find({"recipient": MEMBER}))).lower()


# --------------------------------------------------------------------------- password reset

def test_password_reset_queues_a_transactional_email_with_the_token_encrypted(store, deliver, config):
    deliver(registered())
    deliver(consent_changed(False, T0 + timedelta(minutes=1), category="news"))  # marketing refusals...
    event = deliver(reset_requested(config.token_encryption_key))
    delivery = store.delivery(f"{event.id}:{MEMBER}:email")
    assert delivery["status"] == QUEUED  # ...do not block a transactional message
    assert (delivery["template"], delivery["language"], delivery["address"]) == (
        "password_reset", "en", "maria.ivanova@example.bg")
    assert "s3cret-reset-token" not in str(delivery)
    assert delivery["context"]["encrypted_token"] == event.data["encrypted_token"]

    context = handlers.context_for_sending(delivery, token_key=config.token_encryption_key,
                                           public_base_url=config.public_base_url + "/")
    link = f"{config.public_base_url}/reset-password?token=s3cret-reset-token%2F%2B%3D"
    assert context["reset_link"] == link and "encrypted_token" not in context
    rendered = render_email(delivery["template"], delivery["language"], context)
    assert link in rendered.text and link.replace("&", "&amp;") in rendered.html
    assert "Maria" in rendered.text and "2026-11-28 11:00 UTC" in rendered.text
    assert "s3cret" not in str(store.delivery(delivery["_id"]))  # sending context is never stored


def test_password_reset_redelivered_queues_one_email(store, deliver, config):
    event = reset_requested(config.token_encryption_key)
    deliver(event)
    deliver(event)
    assert store.deliveries(recipient=MEMBER)[1] == 1


def test_a_token_under_another_key_cannot_be_used(config):
    delivery = {"context": {"given_name": "Maria",
                            "encrypted_token": Fernet(Fernet.generate_key()).encrypt(b"t").decode()}}
    with pytest.raises(InvalidToken):
        handlers.context_for_sending(delivery, token_key=config.token_encryption_key,
                                     public_base_url=config.public_base_url)


def test_deliveries_without_a_token_keep_their_context():
    delivery = {"context": {"given_name": "Мария", "family_name": "Иванова"}}
    assert handlers.context_for_sending(delivery, token_key="unused", public_base_url="http://x") == \
        delivery["context"]


def test_the_welcome_email_links_to_the_email_confirmation_built_at_send_time(store, deliver, config):
    token = "confirm-me-3f9a"
    event = registered()
    event.data["encrypted_confirmation_token"] = Fernet(config.token_encryption_key.encode()).encrypt(
        token.encode()).decode()
    deliver(event)
    delivery = store.db.deliveries.find_one({"recipient": MEMBER})
    assert token not in str(delivery)  # stored encrypted only
    context = handlers.context_for_sending(delivery, token_key=config.token_encryption_key,
                                           public_base_url="https://alumni.example.bg/")
    assert context["confirm_link"] == f"https://alumni.example.bg/confirm-email?token={token}"
    assert "encrypted_confirmation_token" not in context


def updated(at, **changed):
    return CATALOG.create(MEMBER_UPDATED, MEMBER, {"member_id": MEMBER, "changed": changed,
                                                   "updated_at": at.isoformat()}, "corr-2")


def test_contact_changes_apply_and_a_late_sign_up_never_brings_the_old_address_back(store, deliver):
    deliver(updated(T0 + timedelta(minutes=5), email="new@example.bg", preferred_language="en", city="Varna"))
    deliver(registered(at=T0))  # the sign-up, retried, arrives after the change
    contact = store.contact(MEMBER)
    assert (contact["email"], contact["language"], contact["given_name"]) == ("new@example.bg", "en", "Мария")
    assert contact["city"] == "Varna"  # audiences filter on it
    assert "employer" not in contact and "password_hash" not in contact
    deliver(updated(T0 + timedelta(minutes=1), email="older@example.bg"))  # an older change, late
    assert store.contact(MEMBER)["email"] == "new@example.bg"
    deliver(erased())
    deliver(updated(T0 + timedelta(minutes=9), email="after@example.bg"))
    assert store.contact(MEMBER) is None


# --------------------------------------------------------------------------- snapshots (republish)

def decision(channel, category, granted, at, source="profile_page"):
    return {"channel": channel, "category": category, "granted": granted, "source": source,
            "at": at.isoformat(), "expires_at": None}


def test_a_snapshot_fills_an_empty_contact_with_its_consents_and_sends_nothing(store, deliver, woken):
    deliver(member_snapshot(MEMBER, T0 + timedelta(days=30), email="maria.ivanova@example.bg",
                            preferred_language="en", consent={"email": True, "sms": False},
                            consents=[decision("email", "news", True, T0, "signup"),
                                      decision("email", "events", False, T0 + timedelta(days=2), "unsubscribe_link")]))
    contact = store.contact(MEMBER)
    assert (contact["email"], contact["language"], contact["status"]) == ("maria.ivanova@example.bg", "en", "verified")
    assert contact["consent"] == {"email": True, "sms": False} and contact["city_key"] == "plovdiv"
    assert contact["consents"]["email"]["events"] == {"granted": False, "source": "unsubscribe_link",
                                                      "at": T0 + timedelta(days=2), "expires_at": None}
    assert contact["consents"]["email"]["news"]["granted"] is True
    assert store.deliveries(recipient=MEMBER)[1] == 0 and woken == []  # no welcome email: not a sign-up


def test_an_older_snapshot_does_not_undo_a_newer_change_or_consent(store, deliver):
    deliver(registered())
    deliver(updated(T0 + timedelta(minutes=5), email="new@example.bg"))
    deliver(consent_changed(False, T0 + timedelta(minutes=5), category="news"))
    deliver(member_snapshot(MEMBER, T0 + timedelta(minutes=1), email="old@example.bg", phone="+359888000000",
                            consents=[decision("email", "news", True, T0 + timedelta(minutes=1))]))
    contact = store.contact(MEMBER)
    assert contact["email"] == "new@example.bg"  # the change is newer than the snapshot
    assert contact["phone"] == "+359888000000"  # what no newer change set, the snapshot sets
    assert contact["consents"]["email"]["news"]["granted"] is False  # the newer decision stays


def test_a_snapshot_never_brings_an_erased_member_back(store, deliver):
    deliver(registered())
    deliver(erased())
    deliver(member_snapshot(MEMBER, datetime.now(timezone.utc) + timedelta(days=1)))
    assert store.contact(MEMBER) is None
