"""A bus harness over the real RabbitMQ and the local store: one throwaway service (its own
queues, event type and database) per test, with its outbox relay and consumer in threads."""
from __future__ import annotations

import random
import string
import threading
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection
from marshmallow import Schema, fields

from shared.bus import outbox
from shared.bus.consumer import Consumer, HandlerContext, Subscription
from shared.bus.envelope import Envelope, EventCatalog
from shared.bus.outbox import OutboxRelay
from shared.bus.publisher import AmqpPublisher
from shared.store import ServiceStore


class ThingHappened(Schema):
    n = fields.Integer(required=True)


def _letters(k: int = 8) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=k))


class BusHarness:
    def __init__(self, amqp_url: str, mongo_url: str, retry_delays=(0.3, 0.6, 1.2)):
        self.amqp_url = amqp_url
        self.service = f"test{_letters()}"
        self.store = ServiceStore(mongo_url, f"bus_{self.service}")
        self.store.create_indexes()
        self.db = self.store.db
        self.catalog = EventCatalog(self.service)
        self.event_type = self.catalog.register(f"{self.service}.thing.happened", ThingHappened(), {"n": 1})
        self.retry_delays = retry_delays
        self.handler = self.store_effect
        self.threads: list[threading.Thread] = []
        self.loops = []

    # -- the handler under test: one effect document per event
    def store_effect(self, event: Envelope, ctx: HandlerContext) -> None:
        ctx.db.effects.insert_one({"event_id": event.id, "n": event.data["n"]}, session=ctx.session)

    def effects(self) -> int:
        return self.db.effects.count_documents({})

    def event(self, n: int, subject: str = "thing-1") -> Envelope:
        return self.catalog.create(self.event_type, subject, {"n": n}, str(uuid.uuid4()))

    def commit_events(self, events: list[Envelope]) -> None:
        self.store.transaction(lambda session: outbox.add(self.db, session, *events))

    def consumer(self, **options) -> Consumer:
        return Consumer(self.service, self.amqp_url, self.db, self.store.transaction,
                        [Subscription(self.event_type, ThingHappened(), lambda e, c: self.handler(e, c))],
                        retry_delays=self.retry_delays, **options)

    def relay(self, **options) -> OutboxRelay:
        return OutboxRelay(self.db, AmqpPublisher(self.amqp_url), **options)

    def expire_relay_lease(self) -> None:
        """Time passes for the relay lease (by the store's clock): as after its holder died."""
        self.db.leases.update_one({"_id": "outbox-relay"}, {"$set": {"expires_at": datetime(2000, 1, 1, tzinfo=timezone.utc)}})

    def start(self, loop):
        thread = threading.Thread(target=loop.run, daemon=True)
        thread.start()
        self.loops.append(loop)
        self.threads.append(thread)
        return loop

    def queue_depth(self, name: str) -> int:
        with Connection(self.amqp_url) as conn:
            return conn.default_channel.queue_declare(name, passive=True).message_count

    def close(self) -> None:
        for loop in self.loops:
            loop.stop()
        for thread in self.threads:
            thread.join(30)
        with Connection(self.amqp_url) as conn:
            channel = conn.default_channel
            for name in ["inbox", "dead", *(f"retry.{d:g}s" for d in self.retry_delays)]:
                try:
                    channel.queue_delete(f"{self.service}.{name}")
                except Exception:
                    channel = conn.channel()
        self.store.client.drop_database(self.db.name)


@pytest.fixture
def bus(amqp_url, local_store):
    harness = BusHarness(amqp_url, local_store.url)
    yield harness
    harness.close()
