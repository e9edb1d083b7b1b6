"""An event bound to two services' inboxes reaches both, once each, when the broker restarts
while events flow (on a private RabbitMQ node: the shared one is never restarted)."""
from __future__ import annotations

import threading

import pytest

from tests.broker_node import private_broker  # noqa: F401 (a fixture)
from tests.integration.conftest import BusHarness
from tests.support import wait_until

pytestmark = pytest.mark.rabbitmq
TOTAL = 600


def test_an_event_bound_to_two_inboxes_reaches_both_through_a_broker_restart(private_broker, local_store):
    producer = BusHarness(private_broker.url, local_store.url)
    # Two consuming services, each with its own inbox and database, bound to one event type.
    sides = [BusHarness(private_broker.url, local_store.url) for _ in range(2)]
    harnesses = [producer, *sides]
    try:
        for side in sides:
            side.event_type = producer.event_type
            side.catalog = producer.catalog
            consumer = side.start(side.consumer())
            wait_until(consumer.ready.is_set, timeout_s=30, message="consumer ready")
        relay = producer.start(producer.relay(window=50))
        committed: list[str] = []
        done = threading.Event()

        def produce():
            for start in range(0, TOTAL, 10):
                events = [producer.event(n) for n in range(start, start + 10)]
                producer.commit_events(events)
                committed.extend(e.id for e in events)
            done.set()

        threading.Thread(target=produce, daemon=True).start()
        wait_until(lambda: all(side.effects() >= 100 for side in sides), timeout_s=60, message="a first part handled")
        private_broker.restart_app()  # while the producer keeps committing
        wait_until(done.is_set, timeout_s=120, message="all committed")
        for side in sides:
            wait_until(lambda: side.effects() >= TOTAL, timeout_s=180, interval_s=0.2,
                       message="every event handled on both sides after the restart")
        for side in sides:
            handled = [d["event_id"] for d in side.db.effects.find()]
            assert len(handled) == TOTAL and set(handled) == set(committed)
        assert producer.db.outbox.count_documents({"status": "sent"}) == TOTAL
        assert relay.published >= TOTAL
    finally:
        for harness in harnesses:
            harness.close()
