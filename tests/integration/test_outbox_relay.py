"""The outbox relay against the real broker: confirms, mandatory, order."""
from __future__ import annotations

import json

from kombu import Connection, Queue

from shared.bus.topology import exchange
from tests.integration.conftest import ThingHappened
from tests.support import wait_until


def test_routable_events_are_marked_sent_after_confirm_and_unroutable_stay_pending(bus):
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
    docs = {d["event_id"]: d for d in bus.db.outbox.find()}
    assert all(docs[e.id]["status"] == "sent" for e in routable)
    lonely = docs[unroutable.id]
    assert lonely["status"] == "pending"
    assert "unroutable" in lonely["last_error"]
    assert lonely["attempts"] == 1
    assert bus.queue_depth(f"{bus.service}.inbox") == 5
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
            wait_until(lambda: relay.relay_once() == 0 and bus.pending() == 0, message="outbox drained")
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
