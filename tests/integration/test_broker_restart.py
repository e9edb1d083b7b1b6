"""A broker restart in the middle of a stream of 1,000 events loses none and doubles none."""
from __future__ import annotations

import threading

import pytest

from tests.broker_node import private_broker  # noqa: F401 (a fixture)
from tests.integration.conftest import BusHarness
from tests.support import wait_until

TOTAL = 1000


@pytest.fixture
def bus(private_broker, local_store):
    """The bus harness on a private node, which this test restarts (the shared one never)."""
    harness = BusHarness(private_broker.url, local_store.url)
    yield harness
    harness.close()


def test_broker_restart_during_a_stream_of_1000_events_loses_and_doubles_nothing(bus, private_broker):
    consumer = bus.start(bus.consumer())
    relay = bus.start(bus.relay())
    wait_until(consumer.ready.is_set, message="consumer ready")
    committed = []
    outage_started = threading.Event()
    producer_done = threading.Event()

    def produce():
        for start in range(0, TOTAL, 10):
            if start == 400:
                outage_started.wait(60)  # the rest is committed while the broker is down
            events = [bus.event(n) for n in range(start, start + 10)]
            bus.commit_events(events)
            committed.extend(e.id for e in events)
        producer_done.set()

    threading.Thread(target=produce, daemon=True).start()
    wait_until(lambda: bus.effects() >= 200, timeout_s=60, message="a first part handled")
    private_broker.stop_app()
    outage_started.set()
    # The services keep committing while the broker is away: the outbox holds the events.
    wait_until(producer_done.is_set, timeout_s=60, message="commits during the outage")
    handled_during_outage = bus.effects()
    assert relay.published < TOTAL, "events committed during the outage wait in the outbox"
    private_broker.start_app()
    wait_until(lambda: bus.effects() >= TOTAL, timeout_s=120, interval_s=0.2,
               message="every event handled after the restart")
    assert handled_during_outage < TOTAL
    assert bus.effects() == TOTAL
    assert len({d["event_id"] for d in bus.db.effects.find()}) == TOTAL
    assert set(committed) == {d["event_id"] for d in bus.db.effects.find()}
    assert relay.published >= TOTAL
