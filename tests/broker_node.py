"""A private RabbitMQ node for tests that stop or restart the broker.

It has its own node name, ports, data and logs in a temporary directory, so restarting it
disturbs neither the shared broker at ``AMQP_URL`` nor another test run on the same machine.
Debian's ``rabbitmq-server`` runs the node as the ``rabbitmq`` user, so it needs root (as in
CI); elsewhere the tests that need it skip, and fail under ``CI=true``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from alumnet.localstore import free_port


def can_run_private_node() -> str | None:
    """Why a private node cannot be started here, or None when it can."""
    if shutil.which("rabbitmq-server") is None or shutil.which("rabbitmqctl") is None:
        return "rabbitmq-server is not installed"
    if os.geteuid() != 0:
        return "a private RabbitMQ node needs root (Debian's rabbitmq-server switches to its user)"
    return None


class PrivateBroker:
    def __init__(self) -> None:
        self.name = f"alumnet-test-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="alumnet-broker-"))
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def _env(self) -> dict[str, str]:
        (self.base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.base / "enabled_plugins").write_text("[].\n")  # no management listener to clash
        (self.base / "rabbitmq-env.conf").write_text("")     # not the machine's NODENAME
        return {**os.environ,
                "RABBITMQ_NODENAME": self.name,
                "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(free_port()),
                "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
                "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
                "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
                "RABBITMQ_LOG_BASE": str(self.base / "log")}

    def ctl(self, *args: str, timeout_s: float = 120) -> str:
        done = subprocess.run(["rabbitmqctl", "-n", self.name, *args], capture_output=True, text=True,
                              timeout=timeout_s)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> "PrivateBroker":
        env = self._env()
        shutil.chown(self.base, "rabbitmq", "rabbitmq")
        for path in self.base.iterdir():
            shutil.chown(path, "rabbitmq", "rabbitmq")
        subprocess.run(["rabbitmq-server", "-detached"], env=env, check=True, capture_output=True, timeout=60)
        self._await_startup()
        return self

    def _await_startup(self) -> None:
        # await_startup fails at once until the node has registered with epmd.
        deadline = time.monotonic() + 120
        while True:
            try:
                self.ctl("await_startup", "--timeout", "120", timeout_s=150)
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self._await_startup()

    def close(self) -> None:
        try:
            self.ctl("stop", timeout_s=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "PrivateBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
