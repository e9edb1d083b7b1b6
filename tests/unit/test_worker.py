"""The worker process around its loops: one deadline for stopping them all, and a /readyz
that includes each loop's own readiness."""
from __future__ import annotations

import threading

import requests

from shared.worker import Worker, serve_health


class StuckLoop:
    """A loop that does not finish when told to stop (a handler stuck on a dead store)."""

    def __init__(self):
        self.released = threading.Event()
        self.stop_called = False

    def run(self):
        self.released.wait(30)

    def stop(self):
        self.stop_called = True


class ReadyLoop(StuckLoop):
    def __init__(self):
        super().__init__()
        self.ready = threading.Event()


class StuckThread:
    """A loop's thread that never ends: each join waits out its whole timeout, on the
    worker's clock (moved here instead of slept through)."""

    def __init__(self, clock: list[float]):
        self.clock, self.joins = clock, []

    def join(self, timeout: float | None = None) -> None:
        self.joins.append(timeout)
        self.clock[0] += timeout

    def is_alive(self) -> bool:
        return True


def test_stop_waits_for_all_loops_under_one_deadline():
    clock = [100.0]
    loops = {f"loop{i}": StuckLoop() for i in range(3)}
    worker = Worker("svc", loops, monotonic=lambda: clock[0])
    worker.threads = {name: StuckThread(clock) for name in loops}
    worker.stop(timeout_s=1.0)
    # one deadline for all three, not one per loop (which took 3 s)
    assert [t.joins for t in worker.threads.values()] == [[1.0], [0.0], [0.0]]
    assert clock[0] == 101.0
    assert all(loop.stop_called for loop in loops.values())


class ObedientLoop(StuckLoop):
    """A loop that ends when told to stop."""

    def stop(self):
        super().stop()
        self.released.set()


def test_stop_tells_every_loop_and_waits_for_the_real_threads():
    loops = {f"loop{i}": ObedientLoop() for i in range(3)}
    worker = Worker("svc", loops)
    worker.start()
    worker.stop(timeout_s=30)
    assert all(loop.stop_called for loop in loops.values())
    assert not any(thread.is_alive() for thread in worker.threads.values())


def test_readyz_includes_each_loops_readiness_and_is_503_until_the_consumer_is_attached():
    consumer, relay = ReadyLoop(), StuckLoop()
    worker = Worker("svc", {"consumer": consumer, "outbox-relay": relay}, ready_checks={"store": lambda: True})
    worker.start()
    server = serve_health(worker, 0)  # port 0: the OS picks one while binding; read back below
    url = f"http://127.0.0.1:{server.server_address[1]}/readyz"
    try:
        response = requests.get(url, timeout=5)
        assert response.status_code == 503
        assert response.json()["checks"] == {"store": True, "consumer": False}
        consumer.ready.set()
        response = requests.get(url, timeout=5)
        assert response.status_code == 200
        assert response.json()["checks"] == {"store": True, "consumer": True}
    finally:
        server.shutdown()
        consumer.released.set()
        relay.released.set()


def test_a_loop_may_declare_readiness_as_a_property():
    class Relay(StuckLoop):
        @property
        def ready(self) -> bool:
            return False

    assert Worker("svc", {"outbox-relay": Relay()}).readiness() == {"outbox-relay": False}
