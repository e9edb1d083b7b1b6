"""An event bound to two services' inboxes reaches both, once each, when the broker restarts
while events flow (on a private RabbitMQ node: the shared one is never restarted)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from alumnet.localstore import die_with_parent, free_port
from tests.conftest import IN_CI
from tests.integration.conftest import BusHarness
from tests.support import wait_until

pytestmark = pytest.mark.rabbitmq
TOTAL = 600


class PrivateBroker:
    """A RabbitMQ node of this test's own, on free ports, with its data in a temporary folder."""

    def __init__(self, base: Path):
        # rabbitmq-server drops root to the rabbitmq user, who must own the node's folders.
        for folder in (base / "mnesia", base / "log"):
            folder.mkdir()
        self.port, self.dist_port = free_port(), free_port()
        self.node = f"t{self.port}@localhost"
        config = base / "rabbitmq.conf"
        config.write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n")
        plugins = base / "enabled_plugins"
        plugins.write_text("[].\n")
        (base / "env.conf").write_text("")
        if os.geteuid() == 0:
            for path in (base, *base.iterdir()):
                shutil.chown(path, "rabbitmq", "rabbitmq")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_CONFIG_FILE": str(config),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(plugins), "RABBITMQ_CONF_ENV_FILE": str(base / "env.conf"),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_PID_FILE": str(base / "node.pid"), "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def ctl(self, *args: str) -> None:
        subprocess.run(["rabbitmqctl", "-n", self.node, *args], env=self.env, check=True,
                       capture_output=True, timeout=120)

    def start(self) -> "PrivateBroker":
        self.process = subprocess.Popen(["rabbitmq-server"], env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True,
                                        preexec_fn=die_with_parent)
        # await_startup needs a node that answers: wait for the Erlang node first.
        wait_until(self._answers, timeout_s=120, interval_s=1, message=f"RabbitMQ node {self.node}")
        self.ctl("await_startup", "--timeout", "120")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"rabbitmq-server exited with {self.process.returncode}")
        return subprocess.run(["rabbitmq-diagnostics", "-n", self.node, "-q", "ping"], env=self.env,
                              capture_output=True, timeout=60).returncode == 0

    def restart_app(self) -> None:
        self.ctl("stop_app")
        self.ctl("start_app")

    def stop(self) -> None:
        if self.process is None:
            return
        subprocess.run(["rabbitmqctl", "-n", self.node, "stop"], env=self.env, capture_output=True, timeout=120)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()


@pytest.fixture
def private_broker():
    if shutil.which("rabbitmq-server") is None or shutil.which("rabbitmqctl") is None:
        if IN_CI:
            pytest.fail("rabbitmq-server is needed for a private broker node")
        pytest.skip("rabbitmq-server not available")
    base = Path(tempfile.mkdtemp(prefix="private-rabbit-"))  # not under pytest's root-only folder
    broker = PrivateBroker(base)
    try:
        yield broker.start()
    finally:
        broker.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_an_event_bound_to_two_inboxes_reaches_both_through_a_broker_restart(private_broker, local_store):
    producer = BusHarness(private_broker.url, local_store.url)
    # Two consuming services, each with its own inbox and database, bound to one event type.
    sides = [BusHarness(private_broker.url, local_store.url) for _ in range(2)]
    harnesses = [producer, *sides]
    try:
        for side in sides:
            side.event_type = producer.event_type
            side.catalog = producer.catalog
            consumer = side.start(side.consumer())
            wait_until(consumer.ready.is_set, timeout_s=30, message="consumer ready")
        relay = producer.start(producer.relay(window=50))
        committed: list[str] = []
        done = threading.Event()

        def produce():
            for start in range(0, TOTAL, 10):
                events = [producer.event(n) for n in range(start, start + 10)]
                producer.commit_events(events)
                committed.extend(e.id for e in events)
            done.set()

        threading.Thread(target=produce, daemon=True).start()
        wait_until(lambda: all(side.effects() >= 100 for side in sides), timeout_s=60, message="a first part handled")
        private_broker.restart_app()  # while the producer keeps committing
        wait_until(done.is_set, timeout_s=120, message="all committed")
        for side in sides:
            wait_until(lambda: side.effects() >= TOTAL, timeout_s=180, interval_s=0.2,
                       message="every event handled on both sides after the restart")
        for side in sides:
            handled = [d["event_id"] for d in side.db.effects.find()]
            assert len(handled) == TOTAL and set(handled) == set(committed)
        assert producer.db.outbox.count_documents({"status": "sent"}) == TOTAL
        assert relay.published >= TOTAL
    finally:
        for harness in harnesses:
            harness.close()
