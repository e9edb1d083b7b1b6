"""Real processes for end-to-end tests: the apis under gunicorn (``alumnet api``), the
workers (``alumnet worker``), the real RabbitMQ, the local store server and an aiosmtpd
SMTP sink. Tests drive them only through HTTP and read what the sink received."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from kombu import Connection

from alumnet.localstore import die_with_parent, free_port
from tests.sms_sink import SmsSink
from tests.smtp_sink import SmtpSink
from tests.support import wait_until

ALUMNET = str(Path(sys.executable).parent / "alumnet")


@pytest.fixture(scope="session")
def smtp_sink():
    with SmtpSink() as sink:
        yield sink, sink.port


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

    def wait_ready(self, url: str, name: str) -> None:
        def ready():
            process = self.processes[name]
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}: "
                                     + (self.log_dir / f"{name}.log").read_text()[-3000:])
            try:
                return requests.get(f"{url}/readyz", timeout=5).status_code == 200
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


@pytest.fixture(scope="session")
def sms_sink():
    with SmsSink(account_sid="AC-e2e", auth_token="e2e-token") as sink:
        yield sink


@pytest.fixture(scope="session")
def platform(amqp_url, local_store, smtp_sink, sms_sink, jwt_keys, tmp_path_factory):
    for queue in ("notifications.inbox", "events.inbox"):  # a previous run's leftovers must not arrive
        with Connection(amqp_url) as conn:  # one connection each: a missing queue closes the channel
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:
                pass
    log_dir = tmp_path_factory.mktemp("logs")
    env = {
        **os.environ,
        "MONGO_URL": local_store.url,
        "MONGO_DB_PREFIX": f"e2e{uuid.uuid4().hex[:8]}_",
        "AMQP_URL": amqp_url,
        "JWT_PUBLIC_KEY_FILE": str(jwt_keys[1]),
        "JWT_PRIVATE_KEY_FILE": str(jwt_keys[0]),
        "EMAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_sink[1]),
        "MAIL_FROM": "Alumni Club MU-Plovdiv <alumni@mu-plovdiv.bg>",
        "SMS_BACKEND": "http",
        "SMS_API_URL": sms_sink.url,
        "SMS_ACCOUNT_SID": "AC-e2e",
        "SMS_AUTH_TOKEN": "e2e-token",
        "LOG_LEVEL": "INFO",
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LINK_SIGNING_KEY": uuid.uuid4().hex * 2,
        # The shared test broker's guest user and the password-less store are this repository's
        # example credentials, which only dev mode accepts (shared/secretcheck.py).
        "DEV_MODE": "true",
    }
    running = Platform(env, log_dir)
    try:
        for service in ("members", "events", "notifications"):
            api = running.start_api(service)
            worker = running.start_worker(service)
            running.wait_ready(api, f"{service}-api")
            running.wait_ready(worker, f"{service}-worker")
        yield running
    finally:
        running.stop()
