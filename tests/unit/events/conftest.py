"""The events app under Flask's test client, shared by the events API tests: the real app on
the session's local store (a database per test) with the in-process broker, and its clock
stopped at the test module's ``NOW`` (move it with ``clock.advance(...)``)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.events.app import create_app
from shared.clock import FixedClock

DEFAULT_NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock(request) -> FixedClock:
    return FixedClock(getattr(request.module, "NOW", DEFAULT_NOW))


@pytest.fixture
def app(make_config, clock):
    app = create_app(make_config(AMQP_URL="memory://"))
    app.extensions["alumnet"].clock = clock
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app):
    return app.extensions["alumnet"].store


@pytest.fixture
def db(store):
    return store.db


@pytest.fixture
def admin(admin_headers) -> dict:
    """An admin's bearer header (the alumni office)."""
    return admin_headers
