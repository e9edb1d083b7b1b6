"""Real Alumnet processes for the end-to-end and browser suites: the apis under gunicorn
(``alumnet api``), the workers (``alumnet worker``) and the portal (``alumnet portal``),
each in its own process group, logging to a file, stopped with SIGTERM at the end.

A service may run several api copies (``start_services(..., apis=2)``), and any process can be
replaced as a rolling update does it (``restart``): SIGTERM, its graceful exit, a new copy on
the same address (the gateway's upstreams name it), ready.

A RabbitMQ virtual host of a run's own (``RunVhost``; ``private_vhost`` as a context manager of
its URL) keeps a platform's workers from competing with another's for the fixed inbox names,
and a store server that aborts abandoned transactions early (``start_store_aborting_after``)
serves tests that kill workers."""
from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import requests
from cryptography.fernet import Fernet
from kombu import Connection

from alumnet.localstore import die_with_parent, free_port
from tests.support import wait_until

ALUMNET = str(Path(sys.executable).parent / "alumnet")


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


class VhostUnavailable(RuntimeError):
    """rabbitmqctl is missing, refused, or reached another node than the broker's."""


class RunVhost:
    """A RabbitMQ virtual host of one run, made with ``rabbitmqctl`` (no management plugin
    needed) and deleted with everything in it at the end: its own exchange, queues and streams,
    so no message a previous run left, and no worker of another run or another test layer,
    meets this run's. ``url`` is the broker's URL with this vhost.

    ``rabbitmqctl`` must reach the node behind ``amqp_url``: the default node, or the one that
    ``RABBITMQ_NODENAME`` and ``RABBITMQ_CONF_ENV_FILE`` name (``make test`` exports them for
    the node it starts, tests/session_broker.py)."""

    def __init__(self, amqp_url: str, label: str, timeout_s: float = 60.0):
        parts = urlsplit(amqp_url)
        self.name = f"alumnet-{label}-{uuid.uuid4().hex[:8]}"
        self.user = unquote(parts.username or "guest")
        self.url = urlunsplit(parts._replace(path="/" + quote(self.name, safe="")))
        self.timeout_s = timeout_s

    def _ctl(self, *args: str) -> None:
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=self.timeout_s)

    def __enter__(self) -> "RunVhost":
        node = os.environ.get("RABBITMQ_NODENAME", "the default node")
        if shutil.which("rabbitmqctl") is None:
            raise VhostUnavailable("rabbitmqctl is needed for a vhost of the run's own (it comes with RabbitMQ)")
        try:
            self._ctl("add_vhost", self.name)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            detail = " ".join((getattr(exc, "stderr", None) or b"").decode(errors="replace").splitlines()[:2])
            raise VhostUnavailable(f"rabbitmqctl could not add a vhost on {node} (as root, beside the broker "
                                   f"at AMQP_URL?): {detail or exc}") from exc
        try:
            self._ctl("set_permissions", "-p", self.name, self.user, ".*", ".*", ".*")
            with Connection(self.url, connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=1)
        except Exception as exc:
            self.__exit__()
            raise VhostUnavailable(f"vhost {self.name} made with rabbitmqctl on {node} is not reachable at "
                                   f"{self.url}: does RABBITMQ_NODENAME name the node behind AMQP_URL? "
                                   f"({type(exc).__name__}: {exc})") from exc
        return self

    def __exit__(self, *exc) -> None:
        self._ctl("delete_vhost", self.name)


def start_store_aborting_after(seconds: float, folder: Path, timeout_s: float = 30.0) -> tuple[subprocess.Popen, str]:
    """A store server of a test's own that aborts a transaction left open (by a killed worker)
    after ``seconds`` instead of a minute; returns the process and its URL. It binds port 0 and
    prints the port it got, so no other process can take the port first."""
    folder.mkdir(parents=True, exist_ok=True)
    # After the port, its output goes to the log too (fd 2): a full pipe nobody reads would stall it.
    code = ("import os; from secantus.server import SecantusDBServer as S; "
            f"s = S(port=0, storage_path={str(folder / 'data')!r}, transaction_lifetime_seconds={seconds}); "
            "s.start(); print(s.port, flush=True); os.dup2(2, 1); s.wait()")
    log = open(folder / "store.log", "ab")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=log,
                               start_new_session=True, preexec_fn=die_with_parent)
    log.close()  # the child has its own copy
    ready, _, _ = select.select([process.stdout], [], [], timeout_s)
    line = process.stdout.readline() if ready else b""
    if not line.strip().isdigit():
        process.kill()
        process.wait()
        raise RuntimeError(f"the store did not start (see {folder / 'store.log'})")
    return process, f"mongodb://127.0.0.1:{int(line)}"


@contextmanager
def private_vhost(amqp_url: str, label: str) -> Iterator[str]:
    """A ``RunVhost`` on the broker of ``amqp_url`` for as long as the block runs: its URL."""
    with RunVhost(amqp_url, label) as vhost:
        yield vhost.url


@dataclass(frozen=True)
class _Spec:
    """How a process was started, to start its replacement the same way."""
    args: tuple[str, ...]
    env: dict[str, str]
    url: str | None        # where it answers its readiness probe
    ready_path: str


class Platform:
    def __init__(self, env: dict[str, str], log_dir: Path, web_concurrency: int = 2):
        self.env = env
        self.log_dir = log_dir
        self.web_concurrency = web_concurrency  # gunicorn worker processes per api
        self.processes: dict[str, subprocess.Popen] = {}
        self.specs: dict[str, _Spec] = {}
        self.urls: dict[str, str] = {}
        self.api_urls: dict[str, list[str]] = {}
        self.worker_urls: dict[str, str] = {}

    # gunicorn and the workers' health servers are told their port when they start and do not
    # tell which one they got (a port 0 bind would be unknown to the tests): a free port it is.
    def start_api(self, service: str, name: str | None = None) -> str:
        """One api copy of ``service`` (the first is ``<service>-api``); its URL. ``urls`` keeps
        the first copy's, ``api_urls`` every copy's."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self._spawn(name or f"{service}-api", ["api", service], url=url, PORT=str(port),
                    WEB_CONCURRENCY=str(self.web_concurrency))
        self.urls.setdefault(service, url)
        self.api_urls.setdefault(service, []).append(url)
        return url

    def start_worker(self, service: str, name: str | None = None, **env: str) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self._spawn(name or f"{service}-worker", ["worker", service], url=url, WORKER_HTTP_PORT=str(port), **env)
        self.worker_urls.setdefault(service, url)
        return url

    @contextmanager
    def worker_ahead(self, service: str, name: str, ahead: timedelta, **env: str) -> Iterator[str]:
        """A further worker of ``service`` whose clock runs ``ahead`` of the real time
        (``CLOCK_OFFSET_S``), ready, for as long as the block runs (its URL): a test makes a
        reminder or a deadline due for it instead of waiting for it. Stopped at the end, so it
        makes nothing of later tests due early."""
        url = self.start_worker(service, name, CLOCK_OFFSET_S=str(ahead.total_seconds()), **env)
        try:
            self.wait_ready(url, name)
            yield url
        finally:
            assert self.terminate(name) == 0, f"{name} did not exit cleanly"

    def _spawn(self, name: str, args: list[str], url: str | None = None, ready_path: str = "/readyz",
               **env: str) -> None:
        assert name not in self.processes, f"{name} is already running"
        self.specs[name] = _Spec(tuple(args), env, url, ready_path)
        self._launch(name)

    def _launch(self, name: str) -> None:
        spec = self.specs[name]
        with open(self.log_dir / f"{name}.log", "ab") as log:  # the child keeps its own copy
            self.processes[name] = subprocess.Popen(
                [ALUMNET, *spec.args], env={**self.env, **spec.env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=die_with_parent)

    def terminate(self, name: str, timeout_s: float = 30) -> int:
        """SIGTERM to ``name``'s process group, as a container manager stops it; its exit code
        once it has exited (a graceful stop finishes what it holds first)."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        return process.wait(timeout_s)

    def restart(self, name: str, while_down: Callable[[], object] | None = None) -> int:
        """Replace ``name`` as a rolling update does: SIGTERM, wait for its exit, run
        ``while_down`` (the platform works on without it), start a new copy on the same
        address and wait until it is ready. Returns the old copy's exit code."""
        code = self.terminate(name)
        if while_down is not None:
            while_down()
        self._launch(name)
        spec = self.specs[name]
        if spec.url is not None:
            self.wait_ready(spec.url, name, spec.ready_path)
        return code

    def start_portal(self, api_url: str, port: int | None = None, **env: str) -> str:
        """The portal under gunicorn, calling the gateway at ``api_url``; its URL once ready."""
        port = port or free_port()
        url = f"http://127.0.0.1:{port}"
        self._spawn("portal", ["portal"], url=url, ready_path="/healthz", PORT=str(port),
                    WEB_CONCURRENCY=str(self.web_concurrency), PORTAL_API_URL=api_url, **env)
        self.urls["portal"] = url
        self.wait_ready(url, "portal", "/healthz")
        return url

    def start_services(self, services: tuple[str, ...], apis: int = 1) -> None:
        """Each service's ``apis`` api copies (``<service>-api``, ``<service>-api-2``, ...) and
        its worker, all started before any is waited for, ready."""
        for service in services:
            for copy in range(1, apis + 1):
                self.start_api(service, f"{service}-api" if copy == 1 else f"{service}-api-{copy}")
            self.start_worker(service)
        for name, spec in list(self.specs.items()):
            if spec.url is not None:
                self.wait_ready(spec.url, name, spec.ready_path)

    def wait_ready(self, url: str, name: str, path: str = "/readyz", timeout_s: float = 60) -> None:
        def ready():
            process = self.processes[name]
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}: "
                                     + (self.log_dir / f"{name}.log").read_text()[-3000:])
            try:
                return requests.get(f"{url}{path}", timeout=5).status_code == 200
            except requests.RequestException:
                return False
        wait_until(ready, timeout_s=timeout_s, interval_s=0.1, message=f"{name} ready")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
