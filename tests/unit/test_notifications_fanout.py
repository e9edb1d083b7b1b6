"""Marketing messages spread over an audience: ``events.event.published`` and the office's
announcements, with consent, preferences, quiet hours, digests and the unsubscribe link.

Contacts come from members events handled as the consumer does (the real path); the fan-out
and digest loops run as the worker runs them; sending goes through the real dispatcher into a
recording provider (the transports themselves are tested against real servers elsewhere).

Checked: only verified members in the audience are queued; a member without consent is
skipped with the reason, one who switched the category off too; redelivery and a second
spread queue nobody twice; a segment audience follows the segment; cancelling midway stops
the spread and skips what waits; SMS waits for the end of quiet hours; digest members get
one email a day with every held message; every marketing email carries the RFC 8058 headers
and a link whose token withdraws exactly that consent; a store error in the middle of a page
strands nothing (the page is stored whole or not at all, and the resumed spread sends it);
the sweeper gives queued deliveries left in no batch their batch again, once, in one worker
copy, keeping when they are due.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from pymongo.errors import PyMongoError

from services.events.messages import CATALOG as EVENTS
from services.events.messages import EVENT_PUBLISHED, SUMMARY_EXAMPLE
from services.members.messages import CATALOG as MEMBERS
from services.members.messages import (
    CONSENT_CHANGED,
    MEMBER_ERASED,
    MEMBER_REGISTERED,
    MEMBER_UPDATED,
    MEMBER_VERIFIED,
    SEGMENT_SAVED,
)
from services.notifications import handlers
from services.notifications import store as notification_store
from services.notifications.digest import DigestBuilder
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.fanout import FanoutSpreader, NewFanouts, StrandedSweeper
from services.notifications.store import (
    DIGESTED,
    HELD,
    QUEUED,
    SENT,
    SKIPPED,
)
from services.notifications.transports import Channel, Provider, RateLimiter
from services.notifications.worker import fanout_context
from shared import unsubscribe
from shared.clock import FixedClock
from tests.support import consumer_like, wait_until

BASE = "https://alumni.mu-plovdiv.bg"
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def config(make_config):
    return make_config(AMQP_URL="memory://")


@pytest.fixture
def store(notifications_store):
    return notifications_store


@pytest.fixture
def deliver(store):
    return consumer_like(store, handlers.subscriptions(public_base_url=BASE))


@pytest.fixture
def spreader(store):
    return FanoutSpreader(store, fanout_context(BASE), page=3)


@pytest.fixture
def prepare(config):
    return lambda delivery: handlers.context_for_sending(delivery, token_key=config.token_encryption_key,
                                                         link_key=config.link_signing_key,
                                                         public_base_url=BASE)


def member(deliver, n: int, *, year=2006, email_consent=True, sms_consent=False, verified=True, language="bg",
           phone=None, city="Пловдив", mentoring=False) -> str:
    member_id = f"{n:032x}"
    deliver(MEMBERS.create(MEMBER_REGISTERED, member_id, {
        "member_id": member_id, "given_name": f"Име{n}", "family_name": "Петрова", "email": f"m{n}@example.bg",
        "phone": phone, "preferred_language": language, "graduation_year": year, "faculty": "medicine",
        "programme": None, "city": city, "open_to_mentoring": mentoring,
        "consent": {"email": email_consent, "sms": sms_consent}, "registered_at": T0.isoformat(),
        "status": "pending_verification"}, "c"))
    if verified:
        deliver(MEMBERS.create(MEMBER_VERIFIED, member_id, {
            "member_id": member_id, "method": "roster_email", "verified_at": (T0 + timedelta(minutes=1)).isoformat(),
            "graduation_year": year, "faculty": "medicine"}, "c"))
    return member_id


def without_account_mail(store) -> None:
    """Drop the welcome and 'verified' emails the sign-ups queued: not what these tests send."""
    store.db.deliveries.delete_many({"template": {"$in": ["welcome", "account_verified"]}})


def published(audience: dict, event_id: str = "9b2f4c1d0e8a4b7c9d6e5f4a3b2c1d0e"):
    return EVENTS.create(EVENT_PUBLISHED, event_id, {
        **SUMMARY_EXAMPLE, "event_id": event_id, "description": {"bg": "Двадесет години по-късно.",
                                                                 "en": "Twenty years on."},
        "audience": {"kind": "all", "year_from": None, "year_to": None, "faculty": None, "segment_id": None,
                     **audience},
        "capacity": 120, "registration_closes_at": "2026-12-10T22:00:00+00:00",
        "published_at": T0.isoformat()}, "corr-published")


def by_recipient(store, source: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for delivery in store.db.deliveries.find({"event_id": source}):
        found.setdefault(delivery["recipient"], []).append(delivery)
    return found


class Recorder:
    """A provider that keeps what it is given (the transports have their own tests)."""

    def __init__(self):
        self.sent = []

    def send(self, payload):
        self.sent.append(payload)
        return f"id-{len(self.sent)}"


def dispatch(store, prepare, clock=None) -> tuple[Recorder, Recorder]:
    """Send what is due by ``clock`` (the real time without one) to recorders."""
    email, sms = Recorder(), Recorder()
    DeliveryDispatcher(store, {"email": Channel([Provider("rec", email.send, RateLimiter(0))]),
                               "sms": Channel([Provider("rec-sms", sms.send, RateLimiter(0))], idempotent=True)},
                       mail_from="Alumni <alumni@mu-plovdiv.bg>", prepare=prepare,
                       **({"clock": clock} if clock else {})).dispatch_all()
    return email, sms


def test_an_event_is_announced_to_its_audience_with_consent_only(store, deliver, spreader):
    in_class = [member(deliver, n) for n in range(1, 8)]              # class of 2006, consented
    refused = member(deliver, 20, email_consent=False)                 # class of 2006, no consent
    pending = member(deliver, 21, verified=False)                      # not verified yet
    other_class = member(deliver, 22, year=2010)
    erased = member(deliver, 23)
    deliver(MEMBERS.create(MEMBER_ERASED, erased, {"member_id": erased, "erased_at": T0.isoformat()}, "c"))

    event = deliver(published({"kind": "graduation_years", "year_from": 2006, "year_to": 2006}))
    assert store.db.deliveries.count_documents({"event_id": event.id}) == 0  # the handler only stores a fan-out
    assert spreader.spread_all() == 1
    queued = by_recipient(store, event.id)
    assert set(queued) == {*in_class, refused}
    assert all(d[0]["status"] == QUEUED and d[0]["channel"] == "email" for m, d in queued.items() if m != refused)
    [skipped] = queued[refused]
    assert skipped["status"] == SKIPPED and skipped["reason"] == "no consent to events by email"
    assert pending not in queued and other_class not in queued and erased not in queued
    fanout = store.fanout(event.id)
    assert fanout["status"] == "spread" and fanout["audience_size"] == 8
    # The same event again (a redelivery) and another spread queue nobody twice.
    deliver(event)
    store.db.fanouts.update_one({"_id": event.id}, {"$set": {"status": "spreading"}})
    spreader.spread_all()
    assert store.db.deliveries.count_documents({"event_id": event.id}) == 8


def test_a_member_who_withdrew_consent_or_switched_events_off_is_skipped(store, deliver, spreader):
    withdrew, switched_off, keeps = (member(deliver, n) for n in (1, 2, 3))
    deliver(MEMBERS.create(CONSENT_CHANGED, withdrew, {
        "member_id": withdrew, "channel": "email", "category": "events", "granted": False,
        "source": "unsubscribe_link", "at": (T0 + timedelta(hours=1)).isoformat()}, "c"))
    store.save_preferences(switched_off, {"channels": {"events": "none"}})
    event = deliver(published({}))
    spreader.spread_all()
    queued = by_recipient(store, event.id)
    assert queued[withdrew][0]["reason"] == "no consent to events by email"
    assert queued[switched_off][0]["reason"] == "events switched off by the member"
    assert queued[keeps][0]["status"] == QUEUED


def test_an_announcement_to_a_segment_follows_the_segment(store, deliver, spreader):
    mentors = [member(deliver, n, year=2005, mentoring=True) for n in range(1, 5)]
    member(deliver, 10, year=2005, mentoring=False)
    member(deliver, 11, year=2005, mentoring=True, city="Варна")
    deliver(MEMBERS.create(SEGMENT_SAVED, "s" * 32, {
        "segment_id": "s" * 32, "name": "Plovdiv mentors", "version": 1, "saved_at": T0.isoformat(),
        "filter": {"city": "Пловдив", "graduation_year_from": 2000, "graduation_year_to": 2010,
                   "open_to_mentoring": True}}, "c"))
    store.create_fanout(None, announcement("a1", {"kind": "segment", "segment_id": "s" * 32}))
    spreader.spread_all()
    assert set(by_recipient(store, "a1")) == set(mentors)
    assert store.fanout_progress("a1")["queued"] == 4


def test_an_announcement_to_a_segment_of_an_interest_reaches_the_volunteers_who_said_it(store, deliver, spreader):
    said = [member(deliver, n) for n in range(1, 4)]
    for n, member_id in enumerate(said):
        deliver(MEMBERS.create(MEMBER_UPDATED, member_id, {
            "member_id": member_id, "changed": {"interests": ["Research" if n else " research  "],
                                                "open_to_volunteer": n < 2},
            "updated_at": (T0 + timedelta(minutes=2)).isoformat()}, "c"))
    member(deliver, 10)  # said nothing
    deliver(MEMBERS.create(SEGMENT_SAVED, "v" * 32, {
        "segment_id": "v" * 32, "name": "Research volunteers", "version": 1, "saved_at": T0.isoformat(),
        "filter": {"interest": "RESEARCH", "open_to_volunteer": True}}, "c"))
    store.create_fanout(None, announcement("a9", {"kind": "segment", "segment_id": "v" * 32}))
    spreader.spread_all()
    assert set(by_recipient(store, "a9")) == set(said[:2])


def announcement(fanout_id: str, audience: dict, channels=("email",)) -> dict:
    return {"_id": fanout_id, "kind": "announcement", "template": "announcement", "category": "news",
            "channels": list(channels), "audience": audience, "status": "spreading", "created_at": T0,
            "lease_until": None, "subject": {"bg": "Покана за дарения", "en": "Call for donations"},
            "body": {"bg": "Скъпи колеги,\n\nПомогнете на библиотеката.", "en": "Dear colleagues,\n\nHelp the library."}}


def test_cancelling_midway_stops_the_spread_and_skips_what_waits(store, deliver, prepare):
    members = [member(deliver, n) for n in range(1, 11)]
    without_account_mail(store)
    store.create_fanout(None, announcement("a2", {"kind": "all"}))
    pages = []

    def after_each_page():
        pages.append(1)
        if len(pages) == 2:
            store.cancel_fanout("a2", "admin")  # the office cancels while it spreads
    FanoutSpreader(store, fanout_context(BASE), wake_dispatcher=after_each_page, page=3).spread_all()
    assert len(pages) == 2  # no third page was queued
    progress = store.fanout_progress("a2")
    assert progress["skipped"] == 6 and progress["queued"] == 0 and sum(progress.values()) == 6
    assert store.fanout("a2")["status"] == "cancelled"
    email, _ = dispatch(store, prepare)
    assert email.sent == [] and len(members) == 10


SOFIA = ZoneInfo("Europe/Sofia")


@pytest.mark.parametrize("now, quiet, sms_due", [
    # an ordinary morning: quiet 09:00-12:00, the SMS goes at 12:00 (10:00Z)
    (datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc), ("09:00", "12:00"), datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)),
    # the spring-forward night: 03:30 never shows on Sofia's clocks; it goes when the gap ends (04:00 EEST)
    (datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc), ("00:30", "03:30"), datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc)),
    # the fall-back night, at 03:10 EEST (the first one): quiet until 05:00 EET, three hours on
    (datetime(2026, 10, 25, 0, 10, tzinfo=timezone.utc), ("02:00", "05:00"), datetime(2026, 10, 25, 3, 0, tzinfo=timezone.utc)),
    # New Year's Eve at 23:00: quiet until 01:00 of the new year
    (datetime(2026, 12, 31, 21, 0, tzinfo=timezone.utc), ("22:00", "01:00"), datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc)),
], ids=["ordinary", "spring-forward", "fall-back", "new-year"])
def test_sms_waits_for_the_end_of_quiet_hours_and_email_goes_at_once(store, deliver, prepare, now, quiet, sms_due):
    both = member(deliver, 1, phone="+359888123456", sms_consent=True)
    without_account_mail(store)
    store.save_preferences(both, {"channels": {"news": "email_and_sms"},
                                  "quiet_hours": {"start": quiet[0], "end": quiet[1]}, "timezone": "Europe/Sofia"})
    store.create_fanout(None, announcement("a3", {"kind": "all"}, channels=("email", "sms")))
    # The spreader's clock, not the real date: quiet hours are reckoned from it.
    FanoutSpreader(store, fanout_context(BASE), page=3, clock=FixedClock(now)).spread_all()
    [email_delivery, sms_delivery] = sorted(by_recipient(store, "a3")[both], key=lambda d: d["channel"])
    assert email_delivery["due_at"] == now
    assert sms_delivery["due_at"] == sms_due
    assert store.db.delivery_batches.find_one({"_id": sms_delivery["batch"]})["due_at"] == sms_due
    email, sms = dispatch(store, prepare, FixedClock(now))
    assert [m["To"] for m in email.sent] == ["m1@example.bg"] and sms.sent == []
    assert store.delivery(sms_delivery["_id"])["status"] == QUEUED
    assert dispatch(store, prepare, FixedClock(sms_due - timedelta(seconds=1)))[1].sent == []
    assert len(dispatch(store, prepare, FixedClock(sms_due))[1].sent) == 1


def test_every_marketing_email_carries_a_working_one_click_unsubscribe(store, deliver, spreader, prepare, config):
    maria = member(deliver, 1)
    without_account_mail(store)
    event = deliver(published({}))
    spreader.spread_all()
    email, _ = dispatch(store, prepare)
    [message] = email.sent
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = parsed["List-Unsubscribe"].strip("<>")
    assert url.startswith(f"{BASE}{unsubscribe.PATH}?token=")
    token = url.split("token=", 1)[1]
    request = unsubscribe.read_token(config.link_signing_key, token, datetime.now(timezone.utc))
    assert (request.member_id, request.channel, request.category) == (maria, "email", "events")
    assert url.replace("&", "&amp;") in parsed.get_body(("html",)).get_content()
    assert url in parsed.get_body(("plain",)).get_content()
    assert store.delivery(f"{event.id}:{maria}:email")["status"] == SENT
    assert "unsubscribe_url" not in store.delivery(f"{event.id}:{maria}:email")["context"]  # made at send time


def test_digest_members_get_one_email_a_day_with_everything_held(store, deliver, spreader, prepare):
    digest_member, instant = member(deliver, 1), member(deliver, 2)
    without_account_mail(store)
    store.save_preferences(digest_member, {"channels": {"events": "digest", "news": "digest"}, "digest_hour": 8,
                                           "timezone": "Europe/Sofia"})
    first = deliver(published({}, event_id="1" * 32))
    store.create_fanout(None, announcement("a4", {"kind": "all"}))
    spreader.spread_all()
    held = list(store.db.deliveries.find({"recipient": digest_member}))
    assert {d["status"] for d in held} == {HELD} and len(held) == 2
    builder = DigestBuilder(store, prepare)
    # Held until the member's next 08:00 (read from what was held, not from the real time of
    # day, which may be a moment before 08:00 when the test runs).
    assert builder.build_due(now=min(d["due_at"] for d in held) - timedelta(seconds=1)) == 0  # not 08:00 yet
    later = max(d["due_at"] for d in held) + timedelta(minutes=1)
    assert builder.build_due(now=later) == 1
    assert builder.build_due(now=later) == 0  # one a day
    [digest] = list(store.db.deliveries.find({"recipient": digest_member, "template": "digest"}))
    assert digest["status"] == QUEUED and [i["subject"] for i in digest["context"]["items"]] and \
        len(digest["context"]["items"]) == 2
    assert {d["status"] for d in store.db.deliveries.find({"_id": {"$in": [h["_id"] for h in held]}})} == {DIGESTED}
    email, _ = dispatch(store, prepare)
    recipients = sorted(m["To"] for m in email.sent)
    assert recipients == sorted(["m1@example.bg", "m2@example.bg", "m2@example.bg"])
    digest_mail = next(m for m in email.sent if m["To"] == "m1@example.bg")
    assert "Среща на випуск 2006" in digest_mail.get_body(("plain",)).get_content()
    assert "Покана за дарения" in digest_mail.get_body(("plain",)).get_content()
    assert digest_mail["List-Unsubscribe"]
    assert first.id and instant


@contextmanager
def the_store_refusing_batches(store):
    """The store refuses every new batch document (a validator none passes): a store error
    between a page's deliveries and their batches, as a kill there leaves it."""
    store.db.command({"collMod": "delivery_batches", "validator": {"status": "refused"}})
    try:
        yield
    finally:
        store.db.command({"collMod": "delivery_batches", "validator": {}})


def test_a_store_error_in_the_middle_of_a_page_strands_nothing(store, deliver, prepare):
    [member(deliver, n) for n in range(1, 6)]
    without_account_mail(store)
    store.create_fanout(None, announcement("a5", {"kind": "all"}))
    spreader = FanoutSpreader(store, fanout_context(BASE), page=3)
    with the_store_refusing_batches(store), pytest.raises(PyMongoError):
        spreader.spread_all()
    store.db.fanouts.update_one({"_id": "a5"}, {"$set": {"lease_until": None}})  # as when the lease ran out
    assert spreader.spread_all() == 1
    email, _ = dispatch(store, prepare)
    assert sorted(m["To"] for m in email.sent) == [f"m{n}@example.bg" for n in range(1, 6)]
    assert store.fanout_progress("a5")["sent"] == 5


def test_the_sweeper_gives_queued_deliveries_left_in_no_batch_their_batch_again(store, deliver, spreader, prepare):
    now = datetime.now(timezone.utc)
    local = now.astimezone(ZoneInfo("Europe/Sofia"))
    start, end = (local - timedelta(hours=1)).strftime("%H:%M"), (local + timedelta(hours=2)).strftime("%H:%M")
    texted = member(deliver, 1, phone="+359888123456", sms_consent=True)
    [member(deliver, n) for n in range(2, 8)]
    without_account_mail(store)
    store.save_preferences(texted, {"channels": {"news": "email_and_sms"}, "quiet_hours": {"start": start, "end": end},
                                    "timezone": "Europe/Sofia"})
    store.create_fanout(None, announcement("a6", {"kind": "all"}, channels=("email", "sms")))
    spreader.spread_all()
    # What a page killed between its two writes left (before a page was one transaction):
    # deliveries naming batches that were never stored.
    stranded = store.db.deliveries.distinct("batch", {"fanout_id": "a6"})
    store.db.delivery_batches.delete_many({"_id": {"$in": stranded}})
    email, _ = dispatch(store, prepare)
    assert email.sent == []  # no dispatcher takes them
    sweepers = [StrandedSweeper(store) for _ in range(2)]  # two worker copies at once
    reopened: list[int] = []
    threads = [threading.Thread(target=lambda s=s: reopened.append(s.sweep())) for s in sweepers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(reopened) == len(stranded)
    assert store.db.delivery_batches.count_documents({"_id": {"$in": stranded}}) == len(stranded)
    email, sms = dispatch(store, prepare)
    assert sorted(m["To"] for m in email.sent) == [f"m{n}@example.bg" for n in range(1, 8)]
    assert sms.sent == []  # still due at the end of the member's quiet hours
    [sms_delivery] = store.db.deliveries.find({"fanout_id": "a6", "channel": "sms"})
    assert sms_delivery["status"] == QUEUED
    assert store.db.delivery_batches.find_one({"_id": sms_delivery["batch"]})["due_at"] == sms_delivery["due_at"]
    assert [s.sweep() for s in sweepers] == [0, 0]  # a fan-out is checked once


def test_a_fanout_stored_by_another_process_wakes_the_spreader_within_a_poll(store):
    """Only a fan-out waiting for a spreader wakes it: not a cancelled one, nor one leased by a
    spreader already; one stored spreading by another process does, at the next poll."""
    woken = threading.Event()
    watcher = NewFanouts(store, woken.set, poll_s=0.01)
    store.db.fanouts.insert_many([{"_id": "cancelled", "status": "cancelled"},
                                  {"_id": "leased", "status": "spreading",
                                   "lease_until": datetime.now(timezone.utc) + timedelta(minutes=5)}])
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: watcher.polls >= 3, message="the watcher to look three times")
        assert not woken.is_set()
        store.create_fanout(None, {"_id": "ann-1", "kind": "announcement", "status": "spreading"})
        wait_until(woken.is_set, message="the spreader to be woken")
    finally:
        watcher.stop()
        thread.join(10)
    assert not thread.is_alive()


def erase(deliver, member_id: str) -> None:
    deliver(MEMBERS.create(MEMBER_ERASED, member_id, {"member_id": member_id, "erased_at": T0.isoformat()}, "c"))


def test_a_member_erased_after_the_page_read_their_contact_is_not_queued(store, deliver, spreader):
    """The contacts of a page are read before the page's transaction: an erasure handled in
    between must not leave a delivery holding the erased member's address and name."""
    members = [member(deliver, n) for n in range(1, 7)]
    without_account_mail(store)
    store.create_fanout(None, announcement("a-erased", {"kind": "all"}))
    read = spreader.audience

    def audience_erasing_the_first_once_read(fanout):
        for index, contact in enumerate(read(fanout)):
            if index == 2:  # the first page's first contact is read, its page not yet queued
                erase(deliver, members[0])
            yield contact
    spreader.audience = audience_erasing_the_first_once_read
    assert spreader.spread_all() == 1
    queued = by_recipient(store, "a-erased")
    assert set(queued) == set(members[1:])
    assert store.fanout("a-erased")["audience_size"] == 6  # counted as read; nothing stored for them


def test_an_erasure_committed_inside_a_pages_transaction_makes_the_page_retry(store, deliver, spreader):
    """The interleaving snapshot isolation alone would let through: the page's transaction has
    read the erased list (not erased yet), then the erasure commits, then the page writes. The
    erasure writes the spreading fan-out, so the page's write conflicts, it is retried, and the
    retry leaves the member out."""
    members = [member(deliver, n) for n in range(1, 4)]
    without_account_mail(store)
    store.create_fanout(None, announcement("a-race", {"kind": "all"}))
    extend, attempts = store.extend_fanout, []

    def extend_after_an_erasure_commits(fanout_id, worker_id, lease, session=None):
        attempts.append(fanout_id)
        if len(attempts) == 1:  # inside the page's first attempt, after its snapshot was taken
            erase(deliver, members[0])
        return extend(fanout_id, worker_id, lease, session)
    store.extend_fanout = extend_after_an_erasure_commits
    assert spreader.spread_all() == 1
    assert len(attempts) == 2  # the first attempt conflicted with the erasure and was retried
    assert set(by_recipient(store, "a-race")) == set(members[1:])
    assert store.db.erased_members.count_documents({"_id": members[0]}) == 1


def test_a_fanout_created_after_an_erasures_snapshot_never_keeps_the_erased_members_data(store, deliver, spreader):
    """The order a review found: the erasure's transaction has taken its snapshot; a fan-out is
    created and its page read and queued (the member's contact still there); then the erasure
    writes. It did not see the fan-out (not spreading in its snapshot) nor the page's new
    deliveries. Both write one fence document, so the erasure conflicts, is retried, and the
    retry skips and anonymises what the page queued for the member."""
    members = [member(deliver, n) for n in range(1, 4)]
    without_account_mail(store)
    attempts = []

    def erasure(session):
        attempts.append(1)
        store.db.erased_members.find_one({"_id": members[0]}, session=session)  # the snapshot starts here
        if len(attempts) == 1:
            store.transaction(lambda s: store.create_fanout(s, announcement("a-late", {"kind": "all"})))
            assert spreader.spread_all() == 1
        notification_store.forget_member(store.db, session, members[0], T0)
    store.transaction(erasure)
    assert len(attempts) == 2  # the first attempt conflicted on the fence
    queued = by_recipient(store, "a-late")
    assert set(queued) == set(members)  # the page was queued before the erasure committed
    [theirs] = queued[members[0]]
    assert theirs["status"] == SKIPPED and "address" not in theirs and "context" not in theirs
    assert all(d["status"] == QUEUED and d["address"] for m in members[1:] for d in queued[m])
