"""Fixtures shared by every test layer: the local store server, RabbitMQ, configuration.

RabbitMQ is the real one at ``AMQP_URL``. When it is unreachable, tests that need it skip on
a developer's machine and fail under ``CI=true``, so CI can never go green without them.

Under ``CI=true`` (``IN_CI``, the one place CI is detected) any skipped test fails the run
unless ``SKIPS_ALLOWED`` names it with its reason: a green CI means every test ran.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cryptography.fernet import Fernet
from kombu import Connection

from alumnet.localstore import LocalStore
from shared.auth import TokenIssuer, generate_keypair
from shared.config import load
from tests.processes import RunVhost, VhostUnavailable

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672//")
IN_CI = os.environ.get("CI", "").lower() == "true"
# Tests that may skip under CI (node id prefix -> why). Empty: under CI every test runs.
SKIPS_ALLOWED: dict[str, str] = {}
TOKEN_KEY = Fernet.generate_key().decode()
LINK_KEY = uuid.uuid4().hex + uuid.uuid4().hex  # a separate key: it signs, the Fernet key encrypts


def broker_reachable(url: str = AMQP_URL) -> str | None:
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def amqp_url() -> str:
    problem = broker_reachable()
    if problem:
        message = f"RabbitMQ at {AMQP_URL} is unreachable ({problem})"
        if IN_CI:
            pytest.fail(message + "; under CI=true this is a failure", pytrace=False)
        pytest.skip(message)
    return AMQP_URL


@contextmanager
def own_vhost(amqp_url: str, label: str, timeout_s: float = 60.0) -> Iterator[RunVhost]:
    """A ``RunVhost`` on the broker of ``amqp_url``, deleted afterwards. Without a working
    rabbitmqctl the test is skipped (on a developer's machine) or fails (under CI), as when the
    broker is unreachable."""
    vhost = RunVhost(amqp_url, label, timeout_s)
    try:
        vhost.__enter__()
    except VhostUnavailable as problem:
        if IN_CI:
            pytest.fail(f"{problem}; under CI=true this is a failure", pytrace=False)
        pytest.skip(str(problem))
    try:
        yield vhost
    finally:
        vhost.__exit__()


@pytest.fixture(scope="session")
def local_store(tmp_path_factory):
    """One SecantusDB server for the session; tests isolate themselves by database name."""
    store = LocalStore(":memory:", log_path=str(tmp_path_factory.mktemp("store") / "secantus.log"))
    store.start()
    yield store
    store.stop()


@pytest.fixture(scope="session")
def jwt_keys(tmp_path_factory):
    private, public = generate_keypair(tmp_path_factory.mktemp("keys"))
    return private, public


@pytest.fixture
def db_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}_"


@pytest.fixture
def make_config(local_store, jwt_keys, db_prefix, tmp_path):
    """A validated Config pointing at the test store, with overrides as env-style names."""
    def make(**overrides: str):
        env = {
            "MONGO_URL": local_store.url,
            "MONGO_DB_PREFIX": db_prefix,
            "AMQP_URL": AMQP_URL,
            "JWT_PUBLIC_KEY_FILE": str(jwt_keys[1]),
            "JWT_PRIVATE_KEY_FILE": str(jwt_keys[0]),
            "EMAIL_BACKEND": "file",
            "SMS_BACKEND": "file",
            "DEV_OUTBOX_DIR": str(tmp_path / "outbox"),
            "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
            "LINK_SIGNING_KEY": LINK_KEY,
            **overrides,
        }
        return load(env)
    return make


@pytest.fixture
def issue_token(jwt_keys):
    issuer = TokenIssuer.from_file(str(jwt_keys[0]), "alumnet", "alumnet", 900)

    def issue(subject: str = "someone", *roles: str) -> str:
        return issuer.issue(subject, roles or ("alumnus",))
    return issue


_skipped_in_ci: list[str] = []


def pytest_runtest_logreport(report) -> None:
    if IN_CI and report.skipped and not any(report.nodeid.startswith(p) for p in SKIPS_ALLOWED):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped_in_ci.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus) -> None:
    if _skipped_in_ci and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if _skipped_in_ci:
        terminalreporter.section("skipped under CI (not in tests/conftest.py SKIPS_ALLOWED): the run fails")
        for line in _skipped_in_ci:
            terminalreporter.write_line(line)
