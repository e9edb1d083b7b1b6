"""The members app under Flask's test client, shared by the members API tests: the real app
on the session's local store (a database per test) with the in-process broker."""
from __future__ import annotations

import pytest

from services.members.app import create_app
from tests.support import signed_up_id


@pytest.fixture
def app(make_config):
    return create_app(make_config(AMQP_URL="memory://"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["alumnet"].store.db


ADMIN_ID = "a" * 32


@pytest.fixture
def admin_headers(issue_token):
    """An admin of the alumni office (a token only: admins need no member record to act)."""
    return {"Authorization": f"Bearer {issue_token(ADMIN_ID, 'admin')}"}


@pytest.fixture
def people(client, issue_token, admin_headers):
    """Members made through the API: ``people.sign_up(**fields)`` (pending; awaiting the email
    confirmation if the roster lists the email), ``people.verified(**fields)`` (approved by an
    admin); both return the member record as the office sees it, with a ``headers`` entry
    holding the member's bearer header (a token: no login, so no confirmation needed)."""
    class People:
        count = 0

        def sign_up(self, roles=("alumnus",), **fields):
            People.count += 1
            body = {"given_name": "Мария", "family_name": "Иванова", "email": f"person{People.count}@example.bg",
                    "preferred_language": "bg", "consent": {"email": True, "sms": False}, **fields}
            member_id = signed_up_id(client, body)
            member = client.get(f"/api/v1/members/{member_id}", headers=admin_headers).get_json()
            member["headers"] = {"Authorization": f"Bearer {issue_token(member['id'], *roles)}"}
            return member

        def verified(self, **fields):
            member = self.sign_up(**fields)
            if member["status"] != "verified":
                response = client.post(f"/api/v1/members/{member['id']}/approve", json={}, headers=admin_headers)
                assert response.status_code == 200, response.get_json()
                member["status"] = "verified"
            return member

    return People()


@pytest.fixture
def notifications_store(make_config):
    """The notifications store on the session's local store (a database per test), with its
    indexes: what the notifications handler, catalogue, fan-out and dispatcher tests share."""
    from services.notifications.store import NotificationsStore
    config = make_config(AMQP_URL="memory://")
    store = NotificationsStore(config.mongo_url, config.database_name("notifications"))
    store.create_indexes()
    return store
