"""What the notifications worker's hot paths cost in store commands, against bench/budgets.toml:
a members event in its read model (as the consumer handles it, inbox included), a fan-out page
of 500, and sending emails and SMS (amortised over a batch, with the worker's senders)."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

from services.members.messages import CATALOG as MEMBERS
from services.members.messages import MEMBER_REGISTERED
from services.notifications import handlers
from services.notifications import store as notification_store
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.fanout import FanoutSpreader
from services.notifications.store import BATCH_SIZE, SENT, NotificationsStore
from services.notifications.transports import Channel, Provider, RateLimiter
from services.notifications.worker import SENDERS, fanout_context
from tests.support import consumer_like

BASE = "https://alumni.mu-plovdiv.bg"
PAGE = 500
BATCH = BATCH_SIZE // SENDERS * SENDERS  # one batch, the same number of emails for each sender


def _store(make_config) -> NotificationsStore:
    config = make_config(AMQP_URL="memory://")
    store = NotificationsStore(config.mongo_url, config.database_name("notifications"))
    store.create_indexes()
    return store


def registered(member_id: str):
    return MEMBERS.create(MEMBER_REGISTERED, member_id, {
        "member_id": member_id, "given_name": "Мария", "family_name": "Иванова", "email": f"{member_id}@example.bg",
        "phone": "+359888123456", "preferred_language": "bg", "graduation_year": 2015, "faculty": "medicine",
        "programme": "Медицина", "consent": {"email": True, "sms": False},
        "registered_at": datetime.now(timezone.utc).isoformat()}, "corr-1")


def test_a_members_event_in_the_read_model(counter, budget, make_config):
    store = _store(make_config)
    handle = consumer_like(store, handlers.subscriptions(lambda: None, BASE), inbox=True)
    handle(registered("a" * 32))  # warm
    with counter.counting(store.db.name) as seen:
        handle(registered("b" * 32))
    assert store.contact("b" * 32)["consents"]["email"]["news"]["granted"] is True
    assert store.db.deliveries.count_documents({"recipient": "b" * 32, "template": "welcome"}) == 1
    budget.check("notifications.members_event", seen)


def _announcement(store: NotificationsStore) -> str:
    fanout_id = uuid.uuid4().hex
    store.create_fanout(None, {
        "_id": fanout_id, "kind": "announcement", "template": "announcement", "category": "news",
        "subject": {"bg": "Среща", "en": "Reunion"}, "body": {"bg": "Здравейте.", "en": "Hello."},
        "audience": {"kind": "all"}, "channels": ["email"], "status": "spreading",
        "created_at": datetime.now(timezone.utc), "correlation_id": "c", "lease_until": None})
    return fanout_id


def test_a_fanout_page_of_500(counter, budget, make_config):
    store = _store(make_config)
    at = datetime.now(timezone.utc)
    store.db.contacts.insert_many([{
        "_id": f"{i:032x}", "given_name": "Мария", "family_name": "Иванова", "email": f"m{i}@example.bg",
        "language": "bg", "status": "verified", "graduation_year": 2000 + i % 20, "faculty": "medicine",
        "consents": {"email": {"news": {"granted": True, "source": "signup", "at": at, "expires_at": None}}},
    } for i in range(PAGE)])
    spreader = FanoutSpreader(store, fanout_context(BASE), page=PAGE, first_page=PAGE)
    _announcement(store)
    spreader.spread_all()  # warm
    fanout_id = _announcement(store)
    with counter.counting(store.db.name) as seen:
        spreader.spread_all()
    assert store.db.deliveries.count_documents({"fanout_id": fanout_id}) == PAGE
    budget.check("notifications.fanout_page", seen)


class GatheredSenders:
    """A provider for every sender of a dispatcher that lets each of them ask for its mark only
    once all of them have a message in hand (as SMTP senders do when the store, not the
    server, is what they wait for): the marks are written together however the threads run."""

    def __init__(self, senders: int):
        self.barrier = threading.Barrier(senders)
        self.sent: list[str] = []

    def acquire(self) -> None:  # the rate limiter's place: SMS are marked right after it
        self.barrier.wait(timeout=30)

    def send_email(self, message, begin) -> str:  # SMTP: marked before the final dot
        self.barrier.wait(timeout=30)
        if not begin():
            return None
        self.sent.append(message["To"])
        return message["Message-ID"]

    def send_sms(self, sms) -> str:
        self.sent.append(sms.to)
        return f"sms-{sms.delivery_id}"


def _sending(counter, make_config, channel: str):
    """A batch of ``BATCH`` deliveries on ``channel`` sent by a warm dispatcher with the
    worker's senders: the commands it took."""
    store = _store(make_config)
    gate = GatheredSenders(SENDERS)

    def senders():
        return [{"email": Channel([Provider("smtp", gate.send_email, RateLimiter(0), begins_late=True)]),
                 "sms": Channel([Provider("sms", gate.send_sms, gate)], idempotent=True)} for _ in range(SENDERS)]

    def queue(source: str, n: int) -> None:
        now = datetime.now(timezone.utc)
        notification_store.queue(store.db, None, [notification_store.new_delivery(
            source_id=source, recipient=f"{i:032x}", channel=channel, template="account_verified", language="bg",
            address=f"m{i}@example.bg" if channel == "email" else f"+35988812{i:04d}",
            context={"given_name": "Мария", "family_name": "Иванова"}, correlation_id="c", category="account",
            marketing=False, due_at=now) for i in range(n)])

    first, *more = senders()
    dispatcher = DeliveryDispatcher(store, first, more_senders=more, mail_from="Alumni <alumni@mu-plovdiv.bg>",
                                    gather_s=30.0)
    queue("warm", SENDERS)
    assert dispatcher.dispatch_all() == SENDERS  # warm
    queue("counted", BATCH)
    with counter.counting(store.db.name) as seen:
        assert dispatcher.dispatch_all() == BATCH
    assert store.db.deliveries.count_documents({"event_id": "counted", "status": SENT}) == BATCH
    assert len(gate.sent) == SENDERS + BATCH
    return seen


def test_sending_one_email(counter, budget, make_config):
    budget.check("notifications.send_email", _sending(counter, make_config, "email"), amortised_over=BATCH)


def test_sending_one_sms(counter, budget, make_config):
    budget.check("notifications.send_sms", _sending(counter, make_config, "sms"), amortised_over=BATCH)
