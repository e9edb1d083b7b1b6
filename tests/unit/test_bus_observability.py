"""What a worker tells its operators: the outbox backlog's size and age, the depth of its inbox
and dead-letter queue, whether its relay still follows its outbox, and its readiness checks as
gauges; each read back from the Prometheus registry the worker's ``/metrics`` serves."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from kombu import Connection
from prometheus_client import REGISTRY
from pymongo import MongoClient

from shared.bus import outbox
from shared.bus.consumer import Consumer
from shared.bus.envelope import Envelope
from shared.bus.publisher import PublishResult
from shared.worker import Worker, serve_health
from tests.support import wait_until

T0 = datetime(2031, 3, 1, 9, 0, tzinfo=timezone.utc)


def sample(name: str, **labels) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


@pytest.fixture
def db(local_store):
    client = MongoClient(local_store.url, tz_aware=True)
    database = client[f"observe_{uuid.uuid4().hex[:12]}"]
    yield database
    client.drop_database(database.name)
    client.close()


def envelope(n: int) -> Envelope:
    return Envelope(str(uuid.uuid4()), "probe", "probe.thing.happened", T0.isoformat(), f"thing-{n}", {"n": n}, "c")


def service_name() -> str:
    return f"probe{uuid.uuid4().hex[:8]}"


def test_backlog_counts_unsent_events_and_ages_the_oldest_by_status(db):
    service = service_name()
    assert outbox.measure_backlog(db, service, now=lambda: T0) == {"new": (0, 0.0), "deferred": (0, 0.0)}
    assert sample("alumnet_outbox_oldest_unsent_age_seconds", service=service, status="new") == 0

    outbox.add(db, None, envelope(1), envelope(2), envelope(3))
    first, second, third = db.outbox.find().sort("order", 1)
    # created_at is the commit's time: put the events at known times instead of waiting.
    db.outbox.update_one({"_id": first["_id"]}, {"$set": {"created_at": T0 - timedelta(minutes=10),
                                                           "status": outbox.DEFERRED}})
    db.outbox.update_one({"_id": second["_id"]}, {"$set": {"created_at": T0 - timedelta(seconds=90)}})
    db.outbox.update_one({"_id": third["_id"]}, {"$set": {"created_at": T0 - timedelta(seconds=5)}})

    assert outbox.measure_backlog(db, service, now=lambda: T0) == {"new": (2, 90.0), "deferred": (1, 600.0)}
    assert sample("alumnet_outbox_unsent", service=service, status="new") == 2
    assert sample("alumnet_outbox_oldest_unsent_age_seconds", service=service, status="deferred") == 600

    # Sent events are no backlog, however old.
    db.outbox.update_many({}, {"$set": {"status": outbox.SENT}})
    assert outbox.measure_backlog(db, service, now=lambda: T0) == {"new": (0, 0.0), "deferred": (0, 0.0)}
    assert sample("alumnet_outbox_unsent", service=service, status="deferred") == 0


class HangingPublisher:
    """Confirms everything, except that it can be made to hang inside a publish (a broker or
    network that neither answers nor fails)."""

    confirm_timeout_s = 1.0

    def __init__(self):
        self.hang = threading.Event()
        self.hanging = threading.Event()
        self.release = threading.Event()

    def publish_batch(self, batch):
        if self.hang.is_set():
            self.hanging.set()
            self.release.wait(30)
        return PublishResult(confirmed={item.key for item in batch})

    def reset(self):
        pass

    def close(self):
        self.release.set()


class ManualClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_relay_is_not_ready_while_its_loop_is_stuck(db):
    clock, publisher = ManualClock(), HangingPublisher()
    relay = outbox.OutboxRelay(db, publisher, service=service_name(), monotonic=clock)
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        outbox.add(db, None, envelope(1))
        wait_until(lambda: relay.ready and db.outbox.find_one({"status": outbox.SENT}), message="relay following")

        publisher.hang.set()
        outbox.add(db, None, envelope(2))
        wait_until(publisher.hanging.is_set, message="the relay inside a publish")
        assert relay.ready, "reported as it last was: nothing has failed"
        clock.now += relay.stalled_after_s + 1
        assert relay.stalled and not relay.ready
        assert Worker("svc", {"outbox-relay": relay}).readiness() == {"outbox-relay": False}

        publisher.hang.clear()
        publisher.release.set()
        wait_until(lambda: relay.ready, message="the relay following again")
        assert db.outbox.count_documents({"status": outbox.SENT}) == 2
    finally:
        relay.stop()
        publisher.release.set()
        thread.join(10)
    assert not thread.is_alive()


def test_a_relay_outlasts_its_slowest_step_before_it_counts_as_stuck(db):
    publisher = HangingPublisher()
    publisher.confirm_timeout_s = 40.0
    relay = outbox.OutboxRelay(db, publisher, lease_ttl_s=100.0)
    assert relay.stalled_after_s >= 2 * relay.step_s > 80


def test_the_consumer_measures_its_inbox_and_dead_letter_queue():
    service = service_name()
    consumer = Consumer(service, "memory://", db=None, transaction=None, subscriptions=[])
    with Connection("memory://") as conn:
        consumer.queues.declare(conn)
        with conn.Producer() as producer:
            for n in range(3):
                producer.publish(b"{}", routing_key=consumer.queues.dead_name, exchange="")
            producer.publish(b"{}", routing_key=consumer.queues.inbox_name, exchange="")
        assert consumer.measure_queues(conn) == {"inbox": 1, "dead": 3}
    assert sample("alumnet_queue_messages", service=service, queue="dead") == 3
    assert sample("alumnet_queue_messages", service=service, queue="inbox") == 1


def test_a_queue_the_consumer_cannot_measure_leaves_consuming_alone():
    consumer = Consumer(service_name(), "memory://", db=None, transaction=None, subscriptions=[])
    with Connection("memory://") as conn:  # its queues were never declared
        assert consumer.measure_queues(conn) == {}


class Flag:
    def __init__(self, ready: bool):
        self.ready = ready

    def run(self):
        pass

    def stop(self):
        pass


def test_every_readiness_check_is_a_gauge_on_the_workers_metrics():
    service = service_name()
    consumer = Flag(False)
    worker = Worker(service, {"consumer": consumer, "outbox-relay": Flag(True)}, ready_checks={"store": lambda: True})
    server = serve_health(worker, 0)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        text = requests.get(url, timeout=5).text
        assert f'alumnet_worker_ready{{check="consumer",service="{service}"}} 0.0' in text
        assert sample("alumnet_worker_ready", service=service, check="outbox-relay") == 1
        assert sample("alumnet_worker_ready", service=service, check="store") == 1
        consumer.ready = True  # attached: the next scrape says so, no probe needed in between
        requests.get(url, timeout=5)
        assert sample("alumnet_worker_ready", service=service, check="consumer") == 1
    finally:
        server.shutdown()
