"""The outbox relay against the real broker: confirms, mandatory, order."""
from __future__ import annotations

import json

from kombu import Connection, Queue

from shared.bus.topology import exchange
from tests.integration.conftest import ThingHappened
from tests.support import wait_until


def test_only_confirmed_events_count_as_sent_and_unroutable_ones_are_deferred(bus):
    # The consumer's inbox binds the type, so routable events have somewhere to go.
    with Connection(bus.amqp_url) as conn:
        bus.consumer().queues.declare(conn)
    routable = [bus.event(n) for n in range(5)]
    bus.commit_events(routable)
    other = bus.catalog.register(f"{bus.service}.nobody.listens", ThingHappened(), {"n": 1})
    unroutable = bus.catalog.create(other, "lonely", {"n": 99}, "c-1")
    bus.commit_events([unroutable])

    relay = bus.relay()
    assert relay.relay_once() == 5
    docs = {d["_id"]: d for d in bus.db.outbox.find()}
    assert all(docs[e.id]["status"] == "new" for e in routable)
    lonely = docs[unroutable.id]
    assert lonely["status"] == "deferred"
    assert "unroutable" in lonely["last_error"]
    assert lonely["attempts"] == 1
    assert bus.queue_depth(f"{bus.service}.inbox") == 5
    # Later commits are found through the saved position, without a second sweep.
    bus.commit_events([bus.event(n) for n in range(5, 8)])
    assert relay.relay_once() == 3
    assert relay.relay_once() == 0, "nothing is published twice"
    assert bus.queue_depth(f"{bus.service}.inbox") == 8
    relay.publisher.close()


def test_relay_publishes_in_commit_order(bus, amqp_url):
    events = [bus.event(n, subject="same-entity") for n in range(300)]
    for chunk in range(0, 300, 50):
        bus.commit_events(events[chunk:chunk + 50])
    probe = Queue(f"{bus.service}.probe", exchange(), routing_key=bus.event_type, durable=False, auto_delete=False)
    with Connection(amqp_url) as conn:
        probe(conn.default_channel).declare()
        try:
            relay = bus.relay()
            assert relay.relay_once() == 300
            received = []
            with conn.SimpleQueue(probe) as queue:
                while len(received) < 300:
                    message = queue.get(timeout=5)
                    received.append(json.loads(message.body)["data"]["n"])
                    message.ack()
            assert received == list(range(300))
            relay.publisher.close()
        finally:
            conn.default_channel.queue_delete(probe.name)


def test_a_deferred_event_is_published_once_it_becomes_routable(bus, amqp_url):
    late = bus.catalog.register(f"{bus.service}.late.bound", ThingHappened(), {"n": 1})
    event = bus.catalog.create(late, "entity-9", {"n": 9}, "c-9")
    bus.commit_events([event])
    relay = bus.relay()
    relay.retry_backoff_s = 0.1
    assert relay.relay_once() == 0
    assert bus.db.outbox.find_one({"_id": event.id})["status"] == "deferred"
    probe = Queue(f"{bus.service}.late", exchange(), routing_key=late, durable=False)
    with Connection(amqp_url) as conn:
        probe(conn.default_channel).declare()
        try:
            # Due again after the backoff: the sweep publishes it and it counts as sent.
            wait_until(lambda: relay.relay_once() == 1, timeout_s=10, message="deferred event republished")
            assert bus.db.outbox.find_one({"_id": event.id})["status"] == "new"
            assert bus.queue_depth(probe.name) == 1
            assert relay.relay_once() == 0
        finally:
            conn.default_channel.queue_delete(probe.name)
            relay.publisher.close()
