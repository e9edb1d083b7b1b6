"""Real Alumnet processes for the end-to-end and browser suites: the apis under gunicorn
(``alumnet api``), the workers (``alumnet worker``) and the portal (``alumnet portal``),
each in its own process group, logging to a file, stopped with SIGTERM at the end."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import requests
from cryptography.fernet import Fernet
from kombu import Connection

from alumnet.localstore import die_with_parent, free_port
from tests.support import wait_until

ALUMNET = str(Path(sys.executable).parent / "alumnet")
# The queues the platform's workers consume; fixed names, so a previous run may have left messages.
INBOXES = ("notifications.inbox", "events.inbox", "awards.inbox")


def platform_env(amqp_url: str, store_url: str, jwt_keys, **overrides: str) -> dict[str, str]:
    """The environment of every platform process: a fresh database prefix and fresh keys."""
    return {
        **os.environ,
        "MONGO_URL": store_url,
        "MONGO_DB_PREFIX": f"e2e{uuid.uuid4().hex[:8]}_",
        "AMQP_URL": amqp_url,
        "JWT_PUBLIC_KEY_FILE": str(jwt_keys[1]),
        "JWT_PRIVATE_KEY_FILE": str(jwt_keys[0]),
        "MAIL_FROM": "Alumni Club MU-Plovdiv <alumni@mu-plovdiv.bg>",
        "LOG_LEVEL": "INFO",
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LINK_SIGNING_KEY": uuid.uuid4().hex * 2,
        # The shared test broker's guest user and the password-less store are this repository's
        # example credentials, which only dev mode accepts (shared/secretcheck.py).
        "DEV_MODE": "true",
        **overrides,
    }


def purge_inboxes(amqp_url: str) -> None:
    """A previous run's leftovers must not arrive in this one."""
    for queue in INBOXES:
        with Connection(amqp_url) as conn:  # one connection each: a missing queue closes the channel
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:
                pass


class Platform:
    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.urls: dict[str, str] = {}
        self.worker_urls: dict[str, str] = {}

    def start_api(self, service: str) -> str:
        port = free_port()
        self._spawn(f"{service}-api", ["api", service], PORT=str(port), WEB_CONCURRENCY="2")
        url = f"http://127.0.0.1:{port}"
        self.urls[service] = url
        return url

    def start_worker(self, service: str, name: str | None = None, **env: str) -> str:
        port = free_port()
        self._spawn(name or f"{service}-worker", ["worker", service], WORKER_HTTP_PORT=str(port), **env)
        url = f"http://127.0.0.1:{port}"
        self.worker_urls.setdefault(service, url)
        return url

    def _spawn(self, name: str, args: list[str], **env: str) -> None:
        assert name not in self.processes, f"{name} is already running"
        log = open(self.log_dir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen([ALUMNET, *args], env={**self.env, **env},
                                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                                preexec_fn=die_with_parent)

    def start_portal(self, api_url: str, port: int | None = None, **env: str) -> str:
        """The portal under gunicorn, calling the gateway at ``api_url``; its URL once ready."""
        port = port or free_port()
        self._spawn("portal", ["portal"], PORT=str(port), WEB_CONCURRENCY="2", PORTAL_API_URL=api_url, **env)
        url = f"http://127.0.0.1:{port}"
        self.urls["portal"] = url
        self.wait_ready(url, "portal", "/healthz")
        return url

    def start_services(self, services: tuple[str, ...]) -> None:
        """Each service's api and worker, ready."""
        for service in services:
            api = self.start_api(service)
            worker = self.start_worker(service)
            self.wait_ready(api, f"{service}-api")
            self.wait_ready(worker, f"{service}-worker")

    def wait_ready(self, url: str, name: str, path: str = "/readyz") -> None:
        def ready():
            process = self.processes[name]
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}: "
                                     + (self.log_dir / f"{name}.log").read_text()[-3000:])
            try:
                return requests.get(f"{url}{path}", timeout=5).status_code == 200
            except requests.RequestException:
                return False
        wait_until(ready, timeout_s=60, interval_s=0.1, message=f"{name} ready")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
