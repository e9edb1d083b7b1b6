"""The delivery dispatcher against a real SMTP server (aiosmtpd) and a real HTTP SMS provider
(``tests/sms_sink.py``), both told to fail in the ways providers fail, on the real local
store.

Checked: one send per delivery whatever happens (redelivery, two dispatchers at once, a
dead worker's claims, a lost answer); temporary failures retried with backoff (and the
provider's Retry-After), permanent ones recorded and not retried; the fallback provider
takes what the first one refused without taking it, and never what the first one may have
delivered; urgent deliveries before bulk ones; every outcome publishes its delivery event; a
slow but live dispatcher keeps its batch past the claim timeout (it renews the claim), and one
that lost it anyway records nothing and announces nothing of what it still had in hand.
"""
from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone

import pytest

from services.notifications import store as notification_store
from services.notifications.dispatcher import DeliveryDispatcher, backoff_s
from services.notifications.mailer import SmtpMailer
from services.notifications.sms_sender import HttpSmsSender
from services.notifications.store import (
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    UNKNOWN,
)
from services.notifications.transports import Channel, Provider, RateLimiter, _sms_send
from tests.sms_sink import SmsSink
from tests.smtp_sink import SmtpSink
from tests.support import outbox_events, refusing_port, wait_until

MAIL_FROM = "Alumni Club MU-Plovdiv <alumni@mu-plovdiv.bg>"


@pytest.fixture
def store(notifications_store):
    return notifications_store


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def smtp_fallback():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def sms():
    with SmsSink() as sink:
        yield sink


@pytest.fixture
def sms_fallback():
    with SmsSink() as sink:
        yield sink


def email_provider(port: int, name: str = "smtp") -> Provider:
    mailer = SmtpMailer(host="127.0.0.1", port=port, starttls=False, username="", password="", timeout=5)
    return Provider(name, mailer.send, RateLimiter(0), mailer.close, begins_late=True)


def sms_provider(sink: SmsSink, name: str = "sms", timeout_s: float = 5) -> Provider:
    return Provider(name, _sms_send(HttpSmsSender(sink.url, "AC1", "token", "Alumnet", timeout_s=timeout_s)),
                    RateLimiter(0))


def dispatcher(store, email: list[Provider], sms: list[Provider] | None = None, **options) -> DeliveryDispatcher:
    channels = {"email": Channel(email)} if email else {}
    if sms:
        channels["sms"] = Channel(sms, idempotent=True)
    return DeliveryDispatcher(store, channels, mail_from=MAIL_FROM, **{"retry_base_s": 30.0, **options})


def queue(store, n: int = 1, *, channel: str = "email", template: str = "account_verified", priority: int = 0,
          source: str = "evt-1", fanout_id: str | None = None) -> list[str]:
    now = datetime.now(timezone.utc)  # queued together: one batch (of at most 50)
    deliveries = [notification_store.new_delivery(
        source_id=source, recipient=f"member{i:04d}", channel=channel, template=template, language="bg", due_at=now,
        address=f"member{i:04d}@example.bg" if channel == "email" else f"+35988812{i:04d}",
        context={"given_name": "Мария", "family_name": "Иванова"}, correlation_id="c", category="account",
        marketing=False, priority=priority, fanout_id=fanout_id) for i in range(n)]
    notification_store.queue(store.db, None, deliveries)
    return [d["_id"] for d in deliveries]


def status(store, delivery_id: str) -> dict:
    return store.delivery(delivery_id)


def due_now(store, delivery_id: str) -> None:
    """Skip the wait before a retry: the delivery and its batch are due now."""
    batch = store.delivery(delivery_id)["batch"]
    for collection, key in ((store.db.deliveries, delivery_id), (store.db.delivery_batches, batch)):
        collection.update_one({"_id": key}, {"$set": {"due_at": datetime.now(timezone.utc)}})


def as_if_the_taker_died_long_ago(store, batch: str) -> None:
    """Backdate a taken batch (and what it was sending) beyond the claim timeout."""
    long_ago = datetime.now(timezone.utc) - timedelta(seconds=301)
    store.db.deliveries.update_many({"batch": batch, "status": SENDING}, {"$set": {"sending_at": long_ago}})
    store.db.delivery_batches.update_one({"_id": batch}, {"$set": {"taken_at": long_ago}})


# --------------------------------------------------------------------------- email

def test_a_queued_email_is_sent_once_recorded_and_announced(store, smtp):
    [delivery_id] = queue(store)
    assert dispatcher(store, [email_provider(smtp.port)]).dispatch_all() == 1
    assert smtp.deliveries() == [delivery_id]
    message = smtp.messages[0]
    assert message["To"] == "member0000@example.bg" and message["From"] == MAIL_FROM
    record = status(store, delivery_id)
    assert (record["status"], record["attempts"], record["provider"]) == (SENT, 1, "smtp")
    assert record["provider_message_id"] == message["Message-ID"].strip()
    [event] = outbox_events(store.db, "notifications.delivery.sent")
    assert event["data"]["delivery_id"] == delivery_id and event["data"]["member_id"] == "member0000"
    assert "address" not in str(event["data"]) and "example.bg" not in str(event["data"])
    # Queueing the same delivery again (a redelivered event) and dispatching sends nothing.
    queue(store)
    assert dispatcher(store, [email_provider(smtp.port)]).dispatch_all() == 0
    assert len(smtp.messages) == 1


def test_a_temporary_refusal_is_retried_with_backoff_then_sent(store, smtp):
    [delivery_id] = queue(store)
    smtp.fail_next(1, "451 4.3.0 Mailbox busy, try later")
    sender = dispatcher(store, [email_provider(smtp.port)], retry_base_s=60)
    before = datetime.now(timezone.utc)
    assert sender.dispatch_all() == 0
    record = status(store, delivery_id)
    assert record["status"] == QUEUED and "451" in record["last_error"]
    assert record["due_at"] >= before + timedelta(seconds=60 * 0.8)  # not before the backoff
    assert sender.dispatch_all() == 0 and smtp.messages == []      # not due yet
    fast = dispatcher(store, [email_provider(smtp.port)], retry_base_s=0.05)
    due_now(store, delivery_id)
    assert fast.dispatch_all() == 1
    assert smtp.deliveries() == [delivery_id] and status(store, delivery_id)["attempts"] == 2


def test_a_permanent_refusal_is_recorded_and_never_retried(store, smtp):
    [delivery_id] = queue(store)
    smtp.fail_next(1, "550 5.1.1 No such mailbox", at="RCPT")
    sender = dispatcher(store, [email_provider(smtp.port)], retry_base_s=0.05)
    assert sender.dispatch_all() == 0
    record = status(store, delivery_id)
    assert record["status"] == FAILED and "550" in record["reason"]
    assert sender.dispatch_all() == 0 and smtp.messages == []
    [event] = outbox_events(store.db, "notifications.delivery.failed")
    assert event["data"]["permanent"] is True and "550" in event["data"]["reason"]


def test_giving_up_after_the_last_attempt_is_a_failure_that_says_so(store, smtp):
    [delivery_id] = queue(store)
    store.db.deliveries.update_one({"_id": delivery_id}, {"$set": {"attempts": 5}})
    smtp.fail_next(1, "421 4.7.0 Too many connections")
    dispatcher(store, [email_provider(smtp.port)]).dispatch_all()
    record = status(store, delivery_id)
    assert record["status"] == FAILED and record["reason"].startswith("gave up after 6 attempts")
    assert outbox_events(store.db, "notifications.delivery.failed")[0]["data"]["permanent"] is False


def test_the_fallback_server_takes_what_the_first_could_not(store, smtp_fallback):
    ids = queue(store, 3)
    with refusing_port() as closed_port:  # the first server refuses every connection
        sender = dispatcher(store, [email_provider(closed_port), email_provider(smtp_fallback.port, "smtp-fallback")])
        assert sender.dispatch_all() == 3
    assert sorted(smtp_fallback.deliveries()) == sorted(ids)
    assert {status(store, i)["provider"] for i in ids} == {"smtp-fallback"}


def test_a_refusal_before_data_goes_to_the_fallback(store, smtp, smtp_fallback):
    [delivery_id] = queue(store)
    smtp.fail_next(1, "452 4.3.1 Insufficient system storage", at="RCPT")
    dispatcher(store, [email_provider(smtp.port), email_provider(smtp_fallback.port, "fb")]).dispatch_all()
    assert smtp.messages == [] and smtp_fallback.deliveries() == [delivery_id]


def test_a_connection_lost_after_the_message_went_is_never_sent_again(store, smtp, smtp_fallback):
    [delivery_id] = queue(store)
    smtp.fail_next(1, None, drop=True)  # the server has the message; the answer is lost
    sender = dispatcher(store, [email_provider(smtp.port), email_provider(smtp_fallback.port, "fb")],
                        retry_base_s=0.05)
    sender.dispatch_all()
    record = status(store, delivery_id)
    assert record["status"] == UNKNOWN and "at most once" in record["last_error"]
    sender.dispatch_all()
    assert smtp.deliveries() == [delivery_id] and smtp_fallback.messages == []


def test_one_connection_carries_many_messages_and_survives_the_server_closing_it(store, smtp):
    ids = queue(store, 20)
    mailer = SmtpMailer(host="127.0.0.1", port=smtp.port, starttls=False, username="", password="", timeout=5)
    connections = []
    original = mailer._connection

    def counting():
        known = mailer._smtp
        conn = original()
        if conn is not known:
            connections.append(conn)
        return conn
    mailer._connection = counting
    sender = DeliveryDispatcher(store, {"email": Channel([Provider("smtp", mailer.send, RateLimiter(0),
                                                                   begins_late=True)])},
                                mail_from=MAIL_FROM)
    assert sender.dispatch_all() == 20
    assert len(connections) == 1
    assert sorted(smtp.deliveries()) == sorted(ids)


# --------------------------------------------------------------------------- SMS

def test_an_sms_is_sent_with_its_delivery_id_as_the_idempotency_key(store, sms):
    [delivery_id] = queue(store, channel="sms", template="event_cancelled")
    store.db.deliveries.update_one({"_id": delivery_id}, {"$set": {"context.event_title": "Среща на випуск 2006",
                                                                   "context.event_when": "12 декември, 18:00 ч.",
                                                                   "context.event_where": "Аула", "context.reason": ""}})
    assert dispatcher(store, [], [sms_provider(sms)]).dispatch_all() == 1
    [message] = sms.messages
    assert message.to == "+359888120000" and message.idempotency_key == delivery_id
    assert "Среща на випуск 2006" in message.body


def _sms_queue(store, n=1):
    ids = queue(store, n, channel="sms", template="account_verified")
    return ids


def test_sms_429_waits_at_least_the_providers_retry_after(store, sms):
    [delivery_id] = _sms_queue(store)
    sms.fail_next(1, status=429, retry_after=120)
    before = datetime.now(timezone.utc)
    dispatcher(store, [], [sms_provider(sms)], retry_base_s=0.05).dispatch_all()
    record = status(store, delivery_id)
    assert record["status"] == QUEUED and record["due_at"] >= before + timedelta(seconds=119)
    assert sms.messages == []


def test_sms_server_errors_go_to_the_fallback_provider(store, sms, sms_fallback):
    ids = _sms_queue(store, 2)
    sms.fail_next(2, status=503)
    dispatcher(store, [], [sms_provider(sms), sms_provider(sms_fallback, "sms-fallback")]).dispatch_all()
    assert sms.messages == [] and sorted(m.idempotency_key for m in sms_fallback.messages) == sorted(ids)


def test_a_lost_sms_answer_is_retried_at_the_same_provider_and_sent_once(store, sms, sms_fallback):
    [delivery_id] = _sms_queue(store)
    # Accepted, but the answer is lost: the connection closes without one (what a timeout
    # amounts to, without a race between the client's timeout and the machine's load).
    sms.drop_next(1, accept=True)
    sender = dispatcher(store, [], [sms_provider(sms), sms_provider(sms_fallback, "fb")], retry_base_s=30)
    assert sender.dispatch_all() == 0
    record = status(store, delivery_id)
    assert record["status"] == QUEUED and record["attempts"] == 1  # retried later, not given to the fallback
    due_now(store, delivery_id)
    assert sender.dispatch_all() == 1
    assert [m.idempotency_key for m in sms.messages] == [delivery_id]  # the provider kept one
    assert sms_fallback.messages == [] and status(store, delivery_id)["attempts"] == 2
    assert status(store, delivery_id)["status"] == SENT


def test_an_invalid_number_is_a_permanent_failure(store, sms, sms_fallback):
    [delivery_id] = _sms_queue(store)
    sms.fail_next(1, status=400, body=b'{"code": 21211, "message": "Invalid To number"}')
    dispatcher(store, [], [sms_provider(sms), sms_provider(sms_fallback, "fb")]).dispatch_all()
    record = status(store, delivery_id)
    assert record["status"] == FAILED and "21211" in record["reason"] and sms_fallback.messages == []


# --------------------------------------------------------------------------- claims, order, crashes

def test_urgent_deliveries_go_before_a_bulk_announcement_queued_earlier(store, smtp):
    bulk = queue(store, 30, priority=notification_store.BULK, source="announcement")
    [urgent] = queue(store, 1, priority=notification_store.URGENT, source="reset")
    dispatcher(store, [email_provider(smtp.port)]).dispatch_all()
    order = smtp.deliveries()
    assert order[0] == urgent and sorted(order[1:]) == sorted(bulk)


def test_two_dispatchers_at_once_send_each_delivery_once(store, smtp):
    ids = queue(store, 150)
    senders = [dispatcher(store, [email_provider(smtp.port)]) for _ in range(2)]
    threads = [threading.Thread(target=s.dispatch_all) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(smtp.deliveries()) == sorted(ids)  # each exactly once
    assert all(s.sent > 0 for s in senders), [s.sent for s in senders]
    assert store.db.deliveries.count_documents({"status": SENT}) == 150
    assert len(outbox_events(store.db, "notifications.delivery.sent")) == 150


def test_several_senders_of_one_dispatcher_send_each_delivery_once_with_shared_marks(store, smtp):
    ids = queue(store, 120)  # three batches
    marks = []
    original = store.begin_sending_many
    store.begin_sending_many = lambda deliveries: marks.append(len(deliveries)) or original(deliveries)
    first, *more = [{"email": Channel([email_provider(smtp.port)])} for _ in range(4)]
    several = DeliveryDispatcher(store, first, more_senders=more, mail_from=MAIL_FROM)
    assert several.dispatch_all() == 120
    assert sorted(smtp.deliveries()) == sorted(ids)  # each exactly once
    assert sum(marks) == 120  # every delivery marked once before its final dot
    assert store.db.deliveries.count_documents({"status": SENT}) == 120
    assert sorted(e["data"]["delivery_id"] for e in outbox_events(store.db, "notifications.delivery.sent")) == sorted(ids)
    assert store.db.delivery_batches.count_documents({}) == 0  # each released by its last recording


def test_a_dead_workers_claims_are_sent_by_another_and_its_send_in_flight_is_never_repeated(store, smtp):
    ids = queue(store, 5)
    claimed = store.claim_batch("dead-worker")
    assert store.begin_sending(claimed[0])  # it died during this send
    live = dispatcher(store, [email_provider(smtp.port)], claim_timeout_s=300)
    assert live.dispatch_all() == 0  # the claims are not stale yet
    as_if_the_taker_died_long_ago(store, claimed[0]["batch"])
    assert live.dispatch_all() == 4
    assert sorted(smtp.deliveries()) == sorted(set(ids) - {claimed[0]["_id"]})
    assert status(store, claimed[0]["_id"])["status"] == UNKNOWN


def test_a_slow_live_dispatcher_keeps_its_batch_past_the_claim_timeout(store, smtp):
    ids = queue(store, 8)
    # Rate-limited to 2 a second: the batch takes about 3 s, twice the claim timeout.
    mailer = SmtpMailer(host="127.0.0.1", port=smtp.port, starttls=False, username="", password="", timeout=5)
    slow = dispatcher(store, [Provider("smtp", mailer.send, RateLimiter(2), mailer.close, begins_late=True)],
                      claim_timeout_s=1.5)
    other = dispatcher(store, [email_provider(smtp.port)], claim_timeout_s=1.5)  # another worker copy
    sent = []
    thread = threading.Thread(target=lambda: sent.append(slow.dispatch_all()))
    thread.start()
    wait_until(lambda: store.db.delivery_batches.find_one({"taken_by": slow.worker_id}),
               message="the slow dispatcher to take the batch")
    while thread.is_alive():  # the other copy runs its rounds (stale-claim recovery first) meanwhile
        other.dispatch_all()
        thread.join(0.1)
    assert sent == [8]
    assert other.sent == 0
    assert sorted(smtp.deliveries()) == sorted(ids)
    assert {status(store, i)["status"] for i in ids} == {SENT}
    assert sorted(e["data"]["delivery_id"] for e in outbox_events(store.db, "notifications.delivery.sent")) == sorted(ids)


class SlowToConfirm(SmtpSink):
    """An SMTP server that keeps the answer to the first message's final dot until released."""

    def __init__(self):
        super().__init__()
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
        if not self.holding.is_set():
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return await super().handle_DATA(server, session, envelope)


def test_a_dispatcher_that_lost_its_batch_records_and_announces_nothing_it_had_in_hand(store, smtp):
    ids = queue(store, 3)
    with SlowToConfirm() as slow_server:
        stuck = dispatcher(store, [email_provider(slow_server.port)], claim_timeout_s=1)
        thread = threading.Thread(target=stuck.dispatch_all)
        thread.start()
        try:
            wait_until(slow_server.holding.is_set, message="the first message to wait for its answer")
            [in_hand] = [i for i in ids if status(store, i)["status"] == SENDING]
            # The claim times out; another worker recovers the batch and sends the rest.
            other = dispatcher(store, [email_provider(smtp.port)], claim_timeout_s=1)
            wait_until(other.dispatch_all, message="the other worker to take the batch over")
            assert status(store, in_hand)["status"] == UNKNOWN
        finally:
            slow_server.release.set()
            thread.join(30)
    assert stuck.sent == 0
    assert status(store, in_hand)["status"] == UNKNOWN  # not overwritten by the late record
    announced = [e["data"]["delivery_id"] for e in outbox_events(store.db, "notifications.delivery.sent")]
    assert sorted(announced) == sorted(set(ids) - {in_hand})  # every event matches what is recorded
    assert {status(store, i)["status"] for i in announced} == {SENT}
    assert sorted(smtp.deliveries()) == sorted(set(ids) - {in_hand})


def test_a_cancelled_delivery_claimed_before_the_cancel_is_not_sent(store, smtp):
    ids = queue(store, 3, fanout_id="ann-1", source="ann-1")
    [first, *_] = store.claim_batch("w")
    store.cancel_fanout("ann-1", "admin")
    assert not store.begin_sending(first)
    assert dispatcher(store, [email_provider(smtp.port)]).dispatch_all() == 0
    assert smtp.messages == []
    assert {status(store, i)["status"] for i in ids} == {SKIPPED}


def test_a_stopping_dispatcher_gives_back_what_it_did_not_attempt(store, smtp):
    ids = queue(store, 10)
    sender = dispatcher(store, [email_provider(smtp.port)])
    original = sender.channels["email"].send
    calls = []

    def send_then_stop(payload, begin):
        calls.append(1)
        result = original(payload, begin)
        sender.stop()  # SIGTERM arrives during the first send
        return result
    sender.channels["email"].send = send_then_stop
    assert sender.dispatch_all() == 1
    states = [status(store, i)["status"] for i in ids]
    assert states.count(SENT) == 1 and states.count(QUEUED) == 9
    assert SENDING not in states
    assert store.db.delivery_batches.find_one()["status"] == "ready"  # another worker takes the rest


# --------------------------------------------------------------------------- pure parts

def test_backoff_doubles_is_capped_spread_and_respects_retry_after():
    assert backoff_s(1, 30, jitter=lambda: 0.5) == 30
    assert backoff_s(3, 30, jitter=lambda: 0.5) == 120
    assert backoff_s(20, 30, jitter=lambda: 0.5) == 3600
    assert backoff_s(1, 30, jitter=lambda: 0.0) == pytest.approx(24)
    assert backoff_s(1, 30, jitter=lambda: 1.0) == pytest.approx(36)
    assert backoff_s(1, 30, retry_after=600, jitter=lambda: 0.5) == 600


def test_the_rate_limiter_spaces_sends_to_its_rate():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds
    limiter = RateLimiter(5, clock=lambda: now[0], sleep=sleep)
    for _ in range(25):
        limiter.acquire()
    # A burst of one second's worth, then one every 0.2 s: 25 sends take 4 s.
    assert now[0] == pytest.approx(4.0)
    assert all(s == pytest.approx(0.2) for s in slept)
    unlimited = RateLimiter(0, clock=lambda: 0.0, sleep=lambda s: pytest.fail("an unlimited limiter slept"))
    for _ in range(100):
        unlimited.acquire()


def test_a_dead_workers_sms_in_flight_is_sent_again_under_the_same_key_and_arrives_once(store, sms):
    [delivery_id] = _sms_queue(store)
    [claimed] = store.claim_batch("dead-worker")
    assert store.begin_sending(claimed)
    # The provider took it; the worker died before recording.
    HttpSmsSender(sms.url, "AC1", "token", "Alumnet").send("+359888120000", "Вече изпратено", delivery_id)
    as_if_the_taker_died_long_ago(store, claimed["batch"])
    assert dispatcher(store, [], [sms_provider(sms)], claim_timeout_s=300).dispatch_all() == 1
    assert status(store, delivery_id)["status"] == SENT and status(store, delivery_id)["attempts"] == 2
    assert [m.idempotency_key for m in sms.messages] == [delivery_id]  # the provider kept one
