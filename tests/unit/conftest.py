"""The members app under Flask's test client, shared by the members API tests: the real app
on the session's local store (a database per test) with the in-process broker."""
from __future__ import annotations

import pytest

from services.members.app import create_app


@pytest.fixture
def app(make_config):
    return create_app(make_config(AMQP_URL="memory://"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["alumnet"].store.db
