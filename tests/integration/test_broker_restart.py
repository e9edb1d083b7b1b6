"""A broker restart in the middle of a stream of 1,000 events loses none and doubles none.

The outage is driven to happen where it matters, and checked to have happened, not assumed:
the broker stops while the consumer holds a batch whose effects it is storing (the handler of
one event waits for the stop), so that batch is stored but never acked and the broker delivers
it again after the restart; the consumer detaches; the events committed meanwhile wait in the
outbox, none marked sent without the broker's confirm. Nothing is counted until everything is
quiet (every event marked sent, the inbox empty, the consumer and relay stopped), so no late
duplicate can arrive after the count."""
from __future__ import annotations

import threading
from collections import Counter

import pytest

from shared.bus.outbox import SENT
from tests.broker_node import private_broker  # noqa: F401 (a fixture)
from tests.integration.conftest import BusHarness
from tests.support import wait_until

TOTAL = 1000
HELD = 200  # the event whose handler is running when the broker stops
OUTAGE_AT = 400  # events committed before the broker stops; the rest are committed during the outage


@pytest.fixture
def bus(private_broker, local_store):
    """The bus harness on a private node, which this test restarts (the shared one never)."""
    harness = BusHarness(private_broker.url, local_store.url)
    yield harness
    harness.close()


def test_broker_restart_during_a_stream_of_1000_events_loses_and_doubles_nothing(bus, private_broker):
    in_hand, broker_down = threading.Event(), threading.Event()

    def handle_holding_one(event, ctx):
        bus.store_effect(event, ctx)
        if event.data["n"] == HELD and not broker_down.is_set():
            in_hand.set()
            broker_down.wait(60)  # its batch is stored after the broker went away: never acked

    bus.handler = handle_holding_one
    consumer = bus.start(bus.consumer())
    relay = bus.start(bus.relay())
    wait_until(consumer.ready.is_set, message="consumer ready")
    before_outage: list[str] = []
    during_outage: list[str] = []
    outage_started = threading.Event()
    producer_done = threading.Event()

    def produce():
        committed = before_outage
        for start in range(0, TOTAL, 10):
            if start == OUTAGE_AT:
                outage_started.wait(60)  # the rest is committed while the broker is down
                committed = during_outage
            events = [bus.event(n) for n in range(start, start + 10)]
            bus.commit_events(events)
            committed.extend(e.id for e in events)
        producer_done.set()

    threading.Thread(target=produce, daemon=True).start()
    wait_until(in_hand.is_set, timeout_s=60, message=f"event {HELD} being handled")
    private_broker.stop_app()
    broker_down.set()
    outage_started.set()
    # The services keep committing while the broker is away: the outbox holds the events.
    wait_until(producer_done.is_set, timeout_s=60, message="commits during the outage")
    wait_until(lambda: not consumer.ready.is_set(), timeout_s=30, message="the consumer detached by the outage")
    assert len(during_outage) == TOTAL - OUTAGE_AT
    assert bus.db.outbox.count_documents({"_id": {"$in": during_outage}, "status": SENT}) == 0, \
        "marked sent while the broker was down"
    private_broker.start_app()

    wait_until(lambda: bus.effects() >= TOTAL, timeout_s=120, interval_s=0.2,
               message="every event handled after the restart")
    wait_until(lambda: bus.db.outbox.count_documents({"status": {"$ne": SENT}}) == 0, timeout_s=60,
               message="every event confirmed and marked sent")
    wait_until(lambda: bus.queue_depth(f"{bus.service}.inbox") == 0, timeout_s=60, message="the inbox drained")
    for loop in (consumer, relay):
        loop.stop()
    for thread in bus.threads:
        thread.join(30)
    # The batch stored but not acked came again: the case "doubles nothing" is about.
    assert consumer.handled > TOTAL, "the broker delivered nothing twice: the outage missed the batch in hand"
    effects = Counter(d["event_id"] for d in bus.db.effects.find())
    assert set(effects) == set(before_outage) | set(during_outage), "lost events"
    assert [event for event, count in effects.items() if count > 1] == [], "doubled events"
