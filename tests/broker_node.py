"""A private RabbitMQ node for tests that stop or restart the broker.

It has its own node name, ports, data and logs in a temporary folder, so restarting it
disturbs neither the shared broker at ``AMQP_URL`` nor another test run on the machine. The
node runs in the foreground as a child that dies with the test process. Debian's
``rabbitmq-server`` drops root to the ``rabbitmq`` user, who must own the node's folders.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from alumnet.localstore import die_with_parent, free_port
from tests.conftest import IN_CI
from tests.support import wait_until


class PrivateBroker:
    """A RabbitMQ node of a test's own, on free ports, with its data in a temporary folder."""

    def __init__(self, base: Path):
        for folder in (base / "mnesia", base / "log"):
            folder.mkdir()
        self.base = base
        # RabbitMQ is told its ports in advance (config and environment) and names its node after
        # one: probed free ones, not port 0.
        self.port, self.dist_port = free_port(), free_port()
        self.node = f"t{self.port}@localhost"
        config = base / "rabbitmq.conf"
        config.write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n")
        plugins = base / "enabled_plugins"
        plugins.write_text("[].\n")  # no management listener to clash with the shared node's
        (base / "env.conf").write_text("")  # not the machine's NODENAME
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
        self._await_startup()
        return self

    def _await_startup(self) -> None:
        # await_startup needs a node that answers: wait for the Erlang node first.
        wait_until(self._answers, timeout_s=120, interval_s=1, message=f"RabbitMQ node {self.node}")
        self.ctl("await_startup", "--timeout", "120")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"rabbitmq-server exited with {self.process.returncode}")
        return subprocess.run(["rabbitmq-diagnostics", "-n", self.node, "-q", "ping"], env=self.env,
                              capture_output=True, timeout=60).returncode == 0

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.ctl("await_startup", "--timeout", "120")

    def restart_app(self) -> None:
        self.stop_app()
        self.start_app()

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
    """A private node for the test, stopped and removed afterwards; it needs rabbitmq-server
    (and root, as in CI): skipped without them, failed under ``CI=true``."""
    problem = None
    if shutil.which("rabbitmq-server") is None or shutil.which("rabbitmqctl") is None:
        problem = "rabbitmq-server is needed for a private broker node"
    elif os.geteuid() != 0:
        problem = "a private RabbitMQ node needs root (rabbitmq-server switches to its own user)"
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)
    base = Path(tempfile.mkdtemp(prefix="private-rabbit-"))  # not under pytest's root-only folder
    broker = PrivateBroker(base)
    try:
        yield broker.start()
    finally:
        broker.stop()
        shutil.rmtree(base, ignore_errors=True)
