"""Fixtures shared by every test layer: the local store server, RabbitMQ, configuration.

RabbitMQ is the real one at ``AMQP_URL``. When it is unreachable, tests that need it skip on
a developer's machine and fail under ``CI=true``, so CI can never go green without them.
"""
from __future__ import annotations

import os
import uuid

import pytest
from cryptography.fernet import Fernet
from kombu import Connection

from alumnet.localstore import LocalStore
from shared.auth import TokenIssuer, generate_keypair
from shared.config import load

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672//")
IN_CI = os.environ.get("CI", "").lower() == "true"
TOKEN_KEY = Fernet.generate_key().decode()


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
