"""The consumer when things go wrong around a message, against the real broker and store: a
message that kills its worker, a killed worker's transaction still holding its messages, a
handler's own duplicate key, a retry whose inbox is away, and queues of older arguments."""
from __future__ import annotations

import signal
import subprocess
from collections import Counter

from kombu import Connection, Queue
from pymongo.errors import DuplicateKeyError

from shared.bus.consumer import POISON_ATTEMPTS
from shared.bus.deadletters import DeadLetters
from shared.bus.topology import DELIVERY_LIMIT
from tests.integration.conftest import BusHarness, start_consumer_process
from tests.support import wait_until


def _declare_and_publish(bus: BusHarness, events) -> None:
    with Connection(bus.amqp_url) as conn:
        bus.consumer().queues.declare(conn)
    bus.send(events)


def _effects_by_event(bus: BusHarness) -> Counter:
    return Counter(doc["event_id"] for doc in bus.db.effects.find())


def test_a_message_that_kills_its_worker_every_time_is_parked_with_the_reason(amqp_url, store_aborting_after):
    store_url = store_aborting_after(2)
    bus = BusHarness(amqp_url, store_url)
    process = None
    try:
        events = [bus.event(n) for n in range(30)]
        poison = events[7]
        _declare_and_publish(bus, events)
        dead = DeadLetters(amqp_url, bus.service)
        deaths = 0
        while True:
            process = start_consumer_process(amqp_url, store_url, bus.service, kill_on=7)
            wait_until(lambda: process.poll() is not None or dead.list(), timeout_s=60,
                       message="the worker killed, or the message parked")
            if process.poll() is None:
                break
            assert process.returncode == -signal.SIGKILL
            deaths += 1
            assert deaths <= POISON_ATTEMPTS + 1, "the message that kills its worker was never parked"
        wait_until(lambda: bus.effects() == 29, timeout_s=30, message="every other message handled")
        assert deaths == POISON_ATTEMPTS + 1  # its first death in a batch, then each counted one
        [parked] = dead.list()
        assert parked.message_id == poison.id
        assert f"its worker died {POISON_ATTEMPTS} times while handling it" in parked.error
        effects = _effects_by_event(bus)
        assert set(effects) == {e.id for e in events} - {poison.id}
        assert set(effects.values()) == {1}
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(30)
        bus.close()


def test_a_killed_workers_held_messages_wait_while_the_rest_flows(amqp_url, store_aborting_after):
    """A worker killed inside its transaction leaves its batch's documents locked until the
    store aborts that transaction. The next consumer must not stall on them: the other
    messages are all handled while the held ones still wait, then the held ones once each."""
    store_url = store_aborting_after(15)
    bus = BusHarness(amqp_url, store_url)
    try:
        held = [bus.event(n) for n in range(30)]
        _declare_and_publish(bus, held)
        killed = start_consumer_process(amqp_url, store_url, bus.service, kill_on=5)
        assert killed.wait(60) == -signal.SIGKILL
        others = [bus.event(n) for n in range(100, 130)]
        _declare_and_publish(bus, others)
        consumer = bus.start(bus.consumer())

        wait_until(lambda: {e.id for e in others} <= set(_effects_by_event(bus)), timeout_s=60,
                   message="the other messages handled")
        still_held = {e.id for e in held} - set(_effects_by_event(bus))
        assert held[5].id in still_held, "the killed batch (with the message it died on) is still locked"

        wait_until(lambda: bus.effects() == 60, timeout_s=60, message="held messages handled after the abort")
        effects = _effects_by_event(bus)
        assert set(effects) == {e.id for e in held + others} and set(effects.values()) == {1}
        assert consumer.retried == 0 and consumer.parked == 0  # waiting used up no retry
        assert bus.queue_depth(f"{bus.service}.dead") == 0
    finally:
        bus.close()


def test_a_handlers_own_duplicate_key_is_a_failure_not_already_handled(bus):
    """Only the inbox's duplicate event id means "already handled"; a duplicate key raised
    by the handler's own writes is retried, and the event is not acked as done."""
    calls = []

    def duplicate_once(event, ctx):
        calls.append(event.id)
        if len(calls) == 1:
            raise DuplicateKeyError("E11000 duplicate key error collection: members index: email_1")
        bus.store_effect(event, ctx)

    bus.handler = duplicate_once
    consumer = bus.start_consumer()
    bus.send([bus.event(1)])
    wait_until(lambda: bus.effects() == 1, timeout_s=20, message="effect after the retry")
    assert len(calls) == 2 and consumer.retried == 1


def _queue_messages(name: str) -> int:
    """Every message a queue holds, including those waiting to be dead-lettered (which a
    passive declare does not count)."""
    out = subprocess.run(["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", "messages"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    counts = dict(line.split("\t") for line in out.splitlines() if "\t" in line)
    return int(counts.get(name, 0))


def test_a_retry_is_kept_while_its_inbox_is_away(bus):
    """A retry queue dead-letters into the inbox at least once: if the inbox is gone when the
    delay ends (deleted to be recreated, or unavailable), the retry waits in its queue."""
    queues = bus.consumer().queues
    with Connection(bus.amqp_url, transport_options={"confirm_publish": True}) as conn:
        queues.declare(conn)
        conn.default_channel.queue_delete(queues.inbox_name)
        retry_queue = queues.retry_name(bus.retry_delays[0])
        with conn.Producer() as producer:
            producer.publish(bus.event(1).to_json(), routing_key=retry_queue, delivery_mode=2)
    wait_until(lambda: bus.queue_depth(retry_queue) == 0, message="the retry's delay over")
    wait_until(lambda: _queue_messages(retry_queue) == 1, timeout_s=15, interval_s=0.5,
               message="the retry kept by its queue, not dropped")


def test_queues_of_every_inbox_carry_the_delivery_limit_and_dead_letter_target(bus):
    inbox, *_ = bus.consumer().queues.all_queues()
    arguments = inbox.queue_arguments
    assert arguments["x-delivery-limit"] == DELIVERY_LIMIT
    assert arguments["x-dead-letter-routing-key"] == f"{bus.service}.dead"
    assert arguments["x-dead-letter-strategy"] == "at-least-once"


def test_an_inbox_declared_with_older_arguments_is_still_consumed(bus):
    """A live deployment's inbox predates the delivery limit; redeclaring it with the new
    arguments is refused, so the consumer binds and consumes it as it is."""
    with Connection(bus.amqp_url) as conn:
        Queue(f"{bus.service}.inbox", durable=True, queue_arguments={"x-queue-type": "quorum"})(conn.default_channel).declare()
    bus.start_consumer()
    bus.send([bus.event(1)])
    wait_until(lambda: bus.effects() == 1, message="handled from the older inbox")


def test_past_the_delivery_limit_the_broker_parks_a_message_and_says_so(bus):
    """The broker's backstop: a message returned more often than the inbox's delivery limit
    (by consumers that never get to park it) lands in <service>.dead, described as such."""
    queues = bus.consumer().queues
    event = bus.event(1)
    with Connection(bus.amqp_url, transport_options={"confirm_publish": True}) as conn:
        queues.declare(conn)
        with conn.Producer() as producer:
            producer.publish(event.to_json(), routing_key=queues.inbox_name, message_id=event.id, delivery_mode=2)
        channel = conn.channel()
        for _ in range(DELIVERY_LIMIT * 2):
            raw = wait_until(lambda: channel.basic_get(queues.inbox_name, no_ack=False)
                             or bus.queue_depth(queues.dead_name) and "parked", message="a delivery")
            if raw == "parked":
                break
            channel.basic_reject(raw.delivery_tag, requeue=True)
    [parked] = wait_until(lambda: DeadLetters(bus.amqp_url, bus.service).list(), message="parked by the broker")
    assert parked.message_id == event.id
    assert parked.error == f"dead-lettered by the broker from {queues.inbox_name} (delivery_limit)"
