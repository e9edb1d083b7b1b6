"""The consumer against the real broker: exactly-once effects, retries, parking, replay."""
from __future__ import annotations

import json

from kombu import Connection, Producer
from marshmallow import fields
from prometheus_client import REGISTRY

from shared.bus.consumer import Consumer, Subscription
from shared.bus.deadletters import DeadLetters
from shared.memberview import Expectation
from tests.support import DEFAULT_EXCHANGE, wait_until


class Expecting(Expectation):
    n = fields.Integer(required=True)


def _publish_raw(amqp_url: str, queue: str, body: bytes, message_id: str = "raw-1") -> None:
    with Connection(amqp_url, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.default_channel, exchange=DEFAULT_EXCHANGE).publish(
            body, routing_key=queue, content_type="application/cloudevents+json",
            content_encoding="binary", message_id=message_id, delivery_mode=2)


def test_a_redelivered_event_has_no_second_effect(bus):
    consumer = bus.start(bus.consumer())
    wait_until(consumer.ready.is_set, message="consumer ready")
    event = bus.event(7)
    relay = bus.relay()
    bus.commit_events([event])
    relay.relay_once()
    wait_until(lambda: bus.effects() == 1, message="first effect")
    # The broker delivers the same event again (as after a lost ack): same id, same body.
    _publish_raw(bus.amqp_url, consumer.queues.inbox_name, event.to_json(), event.id)
    bus.commit_events([bus.event(8)])  # a marker that is handled after the duplicate
    relay.relay_once()
    wait_until(lambda: bus.db.effects.count_documents({"n": 8}) == 1, message="marker effect")
    assert bus.db.effects.count_documents({"event_id": event.id}) == 1
    assert bus.effects() == 2
    relay.publisher.close()


def test_a_crash_after_commit_before_ack_is_redelivered_without_second_effect(bus):
    """The first consumer stores the effect and dies before acking; the broker redelivers
    to the second, which finds the event in its inbox and only acks."""
    class CrashBeforeAck(type(bus.consumer())):
        taken_alone = False

        def _handle_with_heartbeats(self, conn, batch):
            if not self.taken_alone:  # the first message, taken alone at start, is acked
                self.taken_alone = True
                return super()._handle_with_heartbeats(conn, batch)
            self._handle_batch(batch)  # effects stored, no ack
            if bus.effects() < 20:
                return  # the rest may come in more batches (the relay's pace): all held unacked
            self.stop()  # and no second life
            raise ConnectionError("simulated crash before ack")

    crashing = CrashBeforeAck(bus.service, bus.amqp_url, bus.db, bus.store.transaction,
                              bus.consumer().subscriptions.values(), retry_delays=bus.retry_delays)
    bus.start(crashing)
    wait_until(crashing.ready.is_set, message="crashing consumer ready")
    relay = bus.relay()
    events = [bus.event(n) for n in range(20)]
    bus.commit_events(events)
    relay.relay_once()
    wait_until(lambda: bus.effects() == 20, timeout_s=30, message="effects stored by the crashing consumer")
    crashing.stop()
    healthy = bus.start(bus.consumer())
    # The crashing consumer acked the first (taken alone at start); the other 19 come back.
    wait_until(lambda: bus.queue_depth(f"{bus.service}.inbox") == 0 and healthy.handled >= 19,
               timeout_s=30, message="redelivered messages acked by the healthy consumer")
    assert bus.effects() == 20
    assert {d["event_id"] for d in bus.db.effects.find()} == {e.id for e in events}
    relay.publisher.close()


def test_a_handler_failing_twice_is_retried_with_growing_delays_then_succeeds(bus):
    """Each retry waits in the delay queue of its attempt until the broker expires it back to
    the inbox: read from the message itself (``x-death``: which queue, why, how often), not
    from measured gaps, which a loaded machine stretches and a fast one cannot shorten."""
    failures = []

    def flaky(event, ctx):
        if len(failures) < 2:
            failures.append(event.id)
            raise RuntimeError(f"temporary failure #{len(failures)}")
        bus.store_effect(event, ctx)

    bus.handler = flaky
    seen: list[dict] = []  # the headers of every delivery handled alone, in order

    class Recording(type(bus.consumer())):
        def _handle_alone(self, delivery):
            seen.append(dict(delivery.message.headers or {}))
            return super()._handle_alone(delivery)

    consumer = bus.start(Recording(bus.service, bus.amqp_url, bus.db, bus.store.transaction,
                                   bus.consumer().subscriptions.values(), retry_delays=bus.retry_delays))
    wait_until(consumer.ready.is_set)
    bus.commit_events([bus.event(1)])
    bus.relay().relay_once()
    wait_until(lambda: bus.effects() == 1, timeout_s=20, message="effect after retries")
    assert len(seen) == 3
    assert [h.get("x-attempts", 0) for h in seen] == [0, 1, 2]
    deaths = [h.get("x-death") for h in seen]
    assert deaths[0] is None  # straight from the relay
    # Each copy carries only the death that brought it back (a republished copy drops the
    # broker's headers): it expired in the delay queue of its attempt, once.
    queues = [bus.retry_queue(delay) for delay in bus.retry_delays[:2]]
    for death, queue in zip(deaths[1:], queues):
        assert [(d["queue"], d["reason"], d["count"]) for d in death] == [(queue, "expired", 1)]
    # ... and the broker holds messages in those queues for growing times (their TTLs).
    first, second = (int(delay * 1000) for delay in bus.retry_delays[:2])
    assert first < second
    assert bus.retry_queue_holds_for(queues[0], first) and bus.retry_queue_holds_for(queues[1], second)
    assert not bus.retry_queue_holds_for(queues[0], second), "the TTL check must be able to fail"
    assert "temporary failure #2" in seen[2]["x-last-error"]
    assert consumer.retried == 2
    assert bus.queue_depth(f"{bus.service}.dead") == 0


def test_a_handler_that_always_fails_is_parked_with_its_error_then_replayed(bus):
    broken = {"on": True}

    def sometimes_broken(event, ctx):
        if broken["on"]:
            raise ValueError("member record is inconsistent")
        bus.store_effect(event, ctx)

    bus.handler = sometimes_broken
    consumer = bus.start(bus.consumer())
    wait_until(consumer.ready.is_set)
    event = bus.event(3)
    bus.commit_events([event])
    bus.relay().relay_once()
    dead = DeadLetters(bus.amqp_url, bus.service)
    parked = wait_until(lambda: dead.list(), timeout_s=20, message="message parked")
    assert len(parked) == 1
    assert parked[0].message_id == event.id
    assert parked[0].event_type == bus.event_type
    assert parked[0].attempts == len(bus.retry_delays)
    assert "ValueError: member record is inconsistent" in parked[0].error
    assert bus.effects() == 0
    assert len(dead.list()) == 1, "listing must not consume parked messages"

    broken["on"] = False  # the operator fixed the cause
    assert dead.replay(event.id) == 1
    wait_until(lambda: bus.effects() == 1, message="effect after replay")
    assert dead.list() == []


def test_undecodable_and_invalid_messages_are_parked_at_once(bus):
    attempts = []
    bus.handler = lambda e, c: attempts.append(e)
    consumer = bus.start(bus.consumer())
    wait_until(consumer.ready.is_set)
    inbox = consumer.queues.inbox_name
    _publish_raw(bus.amqp_url, inbox, b"\xff not json", "garbage")
    bad_data = json.loads(bus.event(1).to_json())
    bad_data["data"] = {"n": "not a number"}
    _publish_raw(bus.amqp_url, inbox, json.dumps(bad_data).encode(), "bad-data")
    dead = DeadLetters(bus.amqp_url, bus.service)
    parked = wait_until(lambda: (lambda p: p if len(p) == 2 else None)(dead.list()), message="both parked")
    by_id = {p.message_id: p for p in parked}
    assert "not JSON" in by_id["garbage"].error
    assert by_id["garbage"].attempts == 0
    assert "'n'" in by_id["bad-data"].error
    assert attempts == []
    assert dead.purge() == 2
    assert dead.list() == []


def test_the_consumer_reports_its_inbox_and_dead_letter_depths(bus):
    def depth(queue: str):
        return REGISTRY.get_sample_value("alumnet_queue_messages", {"service": bus.service, "queue": queue})

    consumer = bus.start_consumer(measure_every_s=0.1)
    wait_until(lambda: depth("dead") == 0 and depth("inbox") == 0, message="the first measurement")
    _publish_raw(bus.amqp_url, consumer.queues.inbox_name, b"\xff not json", "garbage")
    # Parked at once; the gauge follows the broker's count, not a counter of ours.
    wait_until(lambda: depth("dead") == 1, message="the parked message counted")
    assert DeadLetters(bus.amqp_url, bus.service).purge() == 1
    wait_until(lambda: depth("dead") == 0, message="the purge seen")


def test_handlers_get_the_validated_payload_never_the_raw_message(bus):
    """An extra field is dropped and a value converted by the expectation before the handler
    runs; a value of the wrong shape is parked with its reason, never handled."""
    seen = []
    consumer = bus.start(Consumer(bus.service, bus.amqp_url, bus.db, bus.store.transaction,
                                  [Subscription(bus.event_type, Expecting(), lambda e, c: seen.append(e.data))],
                                  retry_delays=bus.retry_delays))
    wait_until(consumer.ready.is_set)
    extra = json.loads(bus.event(1).to_json())
    extra["data"] = {"n": "7", "injected": {"role": "admin"}}
    _publish_raw(bus.amqp_url, consumer.queues.inbox_name, json.dumps(extra).encode(), "extra")
    wrong = json.loads(bus.event(2).to_json())
    wrong["data"] = {"n": {"$gt": 0}}
    _publish_raw(bus.amqp_url, consumer.queues.inbox_name, json.dumps(wrong).encode(), "wrong")
    [parked] = wait_until(lambda: DeadLetters(bus.amqp_url, bus.service).list(), message="the wrong one parked")
    wait_until(lambda: seen, message="the extra one handled")
    assert seen == [{"n": 7}]
    assert parked.message_id == "wrong" and parked.attempts == 0
    assert "invalid data" in parked.error and "'n'" in parked.error


def test_stop_finishes_and_acks_the_batch_in_hand(bus):
    """Graceful shutdown: a stop requested while handlers run lets the batch commit and ack;
    nothing is left unacked or handled twice when a new consumer starts."""
    import threading

    entered, release = threading.Event(), threading.Event()

    def slow(event, ctx):
        entered.set()
        release.wait(10)
        bus.store_effect(event, ctx)

    bus.handler = slow
    consumer = bus.start(bus.consumer())
    wait_until(consumer.ready.is_set)
    bus.commit_events([bus.event(n) for n in range(5)])
    bus.relay().relay_once()
    wait_until(entered.is_set, message="handler running")
    consumer.stop()
    release.set()
    bus.threads[-1].join(30)
    assert not bus.threads[-1].is_alive()
    handled_before_stop = bus.effects()
    assert handled_before_stop >= 1
    bus.handler = bus.store_effect
    bus.start(bus.consumer())
    wait_until(lambda: bus.effects() == 5, message="the rest handled by the next consumer")
    assert bus.queue_depth(f"{bus.service}.inbox") == 0
    assert len({d["event_id"] for d in bus.db.effects.find()}) == 5


def test_a_store_outage_pauses_consumption_without_burning_retries(amqp_url, tmp_path):
    """With its database down the consumer must not retry or park messages (they are fine):
    it returns them to the queue, waits for the store, and then handles each exactly once."""
    from alumnet.localstore import LocalStore
    from tests.integration.conftest import BusHarness

    store = LocalStore(str(tmp_path / "store"), log_path=str(tmp_path / "store.log")).start()
    restarted = LocalStore(str(tmp_path / "store"), port=store.port, log_path=str(tmp_path / "store.log"))
    bus = BusHarness(amqp_url, store.url)
    try:
        consumer = bus.start(bus.consumer())
        wait_until(consumer.ready.is_set)
        events = [bus.event(n) for n in range(10)]
        store.stop()
        for event in events:  # published straight to the inbox: the outbox is down with the store
            _publish_raw(amqp_url, consumer.queues.inbox_name, event.to_json(), event.id)
        wait_until(lambda: not consumer.ready.is_set(), timeout_s=60, message="consumer paused")
        wait_until(lambda: bus.queue_depth(consumer.queues.inbox_name) == 10, timeout_s=30,
                   message="messages back in the queue")
        assert consumer.retried == 0 and consumer.parked == 0
        restarted.start()
        wait_until(lambda: bus.effects() == 10, timeout_s=60, message="handled after the store is back")
        assert bus.queue_depth(f"{bus.service}.dead") == 0
        assert {d["event_id"] for d in bus.db.effects.find()} == {e.id for e in events}
    finally:
        bus.close()
        restarted.stop()
        store.stop()
