"""The outbox relay through faults, on the real broker and a store of its own where the fault
lives in the store: a position that fell out of the change history, a store without change
streams, a broker that is down, deferred events under steady traffic."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection, Queue

from alumnet.localstore import LocalStore
from shared.bus.outbox import DEFERRED, SENT, OutboxRelay
from shared.bus.publisher import AmqpPublisher
from shared.bus.topology import exchange
from tests.integration.conftest import BusHarness, ThingHappened
from tests.support import refusing_port, wait_until

OPLOG_ENTRIES = 50  # SecantusDB trims its change history every 1,000 writes down to this


@pytest.fixture
def store_with(tmp_path):
    """A store server of the test's own, started with extra flags."""
    stores = []

    def start(*options: str) -> LocalStore:
        store = LocalStore(":memory:", log_path=str(tmp_path / f"store{len(stores)}.log"), options=options)
        stores.append(store.start())
        return store
    yield start
    for store in stores:
        store.stop()


@pytest.fixture
def harness_on(amqp_url):
    harnesses = []

    def make(mongo_url: str) -> BusHarness:
        harnesses.append(BusHarness(amqp_url, mongo_url))
        return harnesses[-1]
    yield make
    for harness in harnesses:
        harness.close()


def declare_inbox(bus: BusHarness) -> None:
    with Connection(bus.amqp_url) as conn:
        bus.consumer().queues.declare(conn)


def test_a_relay_whose_position_fell_out_of_the_history_publishes_every_event_not_yet_sent(store_with, harness_on):
    bus = harness_on(store_with("--oplog-max-entries", str(OPLOG_ENTRIES)).url)
    declare_inbox(bus)
    draining = bus.relay(window=10)
    assert draining.relay_once() == 0  # the relay has a position
    backlog = [bus.event(n) for n in range(30)]
    bus.commit_events(backlog)
    # The backlog was committed while the relay was down, an hour before it came back.
    bus.db.outbox.update_many({}, {"$set": {"created_at": datetime.now(timezone.utc) - timedelta(hours=1)}})
    assert draining.relay_once() == 10
    draining.publisher.close()
    # The relay crashes; while it is down the store's change history moves past its position.
    bus.expire_relay_lease()
    bus.db.churn.insert_many([{"n": n} for n in range(1200)])
    restarted = bus.relay(window=10)
    assert restarted.relay_once() == 20
    restarted.publisher.close()
    assert bus.queue_depth(f"{bus.service}.inbox") == 30
    assert bus.db.outbox.count_documents({"status": SENT}) == 30


def test_a_relay_on_a_store_without_change_streams_is_not_ready(store_with, harness_on):
    bus = harness_on(store_with("--standalone").url)  # not a replica set: no change stream
    relay = bus.start(bus.relay())
    wait_until(lambda: relay.failures >= 2, timeout_s=15, message="failed attempts")
    assert not relay.ready


def test_a_working_relay_becomes_ready(bus):
    relay = bus.start(bus.relay())
    wait_until(lambda: relay.ready, timeout_s=10, message="relay ready")


def test_failures_keep_counting_through_a_broker_outage(bus):
    bus.commit_events([bus.event(1)])
    with refusing_port() as closed:  # no broker listens there
        relay = bus.start(OutboxRelay(bus.db, AmqpPublisher(f"amqp://guest:guest@127.0.0.1:{closed}//")))
        # The stream opens fine each time; only publishing fails. Backoff 0.4, 0.8, 1.6 s ...
        wait_until(lambda: relay.failures >= 4, timeout_s=20, message="consecutive failures")
        assert not relay.ready
        assert bus.db.outbox.count_documents({"status": SENT}) == 0
        relay.stop()  # before the port is let go


def test_deferred_events_are_retried_while_events_keep_flowing(bus, amqp_url):
    declare_inbox(bus)
    late = bus.catalog.register(f"{bus.service}.late.bound", ThingHappened(), {"n": 1})
    event = bus.catalog.create(late, "entity-9", {"n": 9}, "c-9")
    bus.commit_events([event])
    relay = bus.relay(window=20, retry_backoff_s=0.1, deferred_sweep_s=0.1)
    assert relay.relay_once() == 0
    assert bus.db.outbox.find_one({"_id": event.id})["status"] == DEFERRED
    probe = Queue(f"{bus.service}.late", exchange(), routing_key=late, durable=False)
    with Connection(amqp_url) as conn:
        probe(conn.default_channel).declare()
        try:
            steady = 3000
            for start in range(0, steady, 500):
                bus.commit_events([bus.event(n) for n in range(start, start + 500)])
            bus.start(relay)
            wait_until(lambda: bus.db.outbox.find_one({"_id": event.id})["status"] == SENT, timeout_s=60,
                       message="the deferred event sent")
            assert relay.published < steady, "sent while the steady events were still flowing"
            assert bus.queue_depth(probe.name) == 1
        finally:
            conn.default_channel.queue_delete(probe.name)
