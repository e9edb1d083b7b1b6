"""A bus harness over the real RabbitMQ and the local store: one throwaway service (its own
queues, event type and database) per test, with its outbox relay and consumer in threads; and
a store of a test's own whose abandoned transactions the store aborts after a few seconds
(instead of a minute), for tests that kill a worker inside a transaction several times."""
from __future__ import annotations

import random
import string
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from amqp.exceptions import ChannelError
from kombu import Connection
from marshmallow import Schema, fields

from shared.bus import outbox
from shared.bus.consumer import Consumer, HandlerContext, Subscription
from shared.bus.envelope import Envelope, EventCatalog
from shared.bus.outbox import OutboxRelay
from shared.bus.publisher import AmqpPublisher
from shared.bus.topology import ServiceQueues
from shared.store import ServiceStore
from tests.processes import start_store_aborting_after
from tests.support import wait_until


class ThingHappened(Schema):
    n = fields.Integer(required=True)


def _letters(k: int = 8) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=k))


class BusHarness:
    def __init__(self, amqp_url: str, mongo_url: str, retry_delays=(0.3, 0.6, 1.2), service: str | None = None):
        self.amqp_url = amqp_url
        self.service = service or f"test{_letters()}"
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

    def send(self, events: list[Envelope]) -> None:
        """Commit ``events`` and relay them once."""
        self.commit_events(events)
        relay = self.relay()
        try:
            assert relay.relay_once() >= len(events), "the relay published fewer events than were sent"
        finally:
            relay.publisher.close()
            relay.lease.release()  # the next send's relay is another holder

    def start_consumer(self, **options) -> Consumer:
        consumer = self.start(self.consumer(**options))
        wait_until(consumer.ready.is_set, message="consumer ready")
        return consumer

    def start(self, loop):
        thread = threading.Thread(target=loop.run, daemon=True)
        thread.start()
        self.loops.append(loop)
        self.threads.append(thread)
        return loop

    def queue_depth(self, name: str) -> int:
        with Connection(self.amqp_url) as conn:
            return conn.default_channel.queue_declare(name, passive=True).message_count

    def retry_queue(self, delay: float) -> str:
        return f"{self.service}.retry.{delay:g}s"

    def retry_queue_holds_for(self, name: str, ttl_ms: int) -> bool:
        """Whether the broker has the retry queue ``name`` with a message TTL of ``ttl_ms``:
        declaring a queue again with other arguments than it has is refused (406)."""
        [delay] = [d for d in self.retry_delays if self.retry_queue(d) == name]
        queue = ServiceQueues(self.service, (self.event_type,), self.retry_delays).retry(delay)
        queue.queue_arguments = {**queue.queue_arguments, "x-message-ttl": ttl_ms}
        with Connection(self.amqp_url) as conn:
            try:
                queue(conn.channel()).queue_declare()
            except ChannelError:
                return False
        return True

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
            channel.exchange_delete(f"{self.service}.requeue")
        self.store.client.drop_database(self.db.name)


@pytest.fixture
def bus(amqp_url, local_store):
    harness = BusHarness(amqp_url, local_store.url)
    yield harness
    harness.close()


@pytest.fixture
def store_aborting_after(tmp_path):
    """``start(seconds)`` -> the URL of a store that aborts a transaction left open (by a
    killed worker) after ``seconds``; stopped after the test."""
    processes = []

    def start(seconds: float) -> str:
        process, url = start_store_aborting_after(seconds, tmp_path / f"store{len(processes)}")
        processes.append(process)
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(30)


def start_consumer_process(amqp_url: str, mongo_url: str, service: str, kill_on: int) -> subprocess.Popen:
    """tests/integration/consumer_process.py in a process of its own."""
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen([sys.executable, "-m", "tests.integration.consumer_process",
                             amqp_url, mongo_url, service, str(kill_on)], cwd=root)
