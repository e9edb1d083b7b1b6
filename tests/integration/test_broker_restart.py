"""A broker restart in the middle of a stream of 1,000 events loses none and doubles none."""
from __future__ import annotations

import shutil
import subprocess
import threading

import pytest

from tests.conftest import IN_CI
from tests.support import wait_until

TOTAL = 1000


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
def broker_control():
    if shutil.which("rabbitmqctl") is None:
        if IN_CI:
            pytest.fail("rabbitmqctl is needed to restart the broker")
        pytest.skip("rabbitmqctl not available")
    yield rabbitmqctl
    # Whatever happened, leave the broker running for the next test.
    subprocess.run(["rabbitmqctl", "start_app"], capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "await_startup"], capture_output=True, timeout=120)


def test_broker_restart_during_a_stream_of_1000_events_loses_and_doubles_nothing(bus, broker_control):
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
    broker_control("stop_app")
    outage_started.set()
    # The services keep committing while the broker is away: the outbox holds the events.
    wait_until(producer_done.is_set, timeout_s=60, message="commits during the outage")
    handled_during_outage = bus.effects()
    assert relay.published < TOTAL, "events committed during the outage wait in the outbox"
    broker_control("start_app")
    broker_control("await_startup")
    wait_until(lambda: bus.effects() >= TOTAL, timeout_s=120, interval_s=0.2,
               message="every event handled after the restart")
    assert handled_during_outage < TOTAL
    assert bus.effects() == TOTAL
    assert len({d["event_id"] for d in bus.db.effects.find()}) == TOTAL
    assert set(committed) == {d["event_id"] for d in bus.db.effects.find()}
    assert relay.published >= TOTAL
