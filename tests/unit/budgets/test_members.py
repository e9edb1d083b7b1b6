"""What the members api's hot paths cost in store commands, against bench/budgets.toml: a
sign-up, a login, GET member as a verified member and the office's live segment count. Each
runs once uncounted (a warm store, the caller's verification cached) and once counted."""
from __future__ import annotations

import pytest

from services.members.app import create_app
from tests.support import bearer, confirm_address, signed_up_id

ADMIN = "a" * 32
PASSWORD = "a long enough passphrase"


def person(i: int, **fields) -> dict:
    return {"given_name": "Мария", "family_name": "Иванова", "email": f"m{i}@example.bg",
            "preferred_language": "bg", "consent": {"email": True, "sms": False}, **fields}


@pytest.fixture
def members(counter, make_config):
    """The members app (made after the counter is installed), its test client and database."""
    app = create_app(make_config(AMQP_URL="memory://"))
    # The process re-reads its revocations once a second, not per request: on a slow machine
    # that read must not land in a counted request (the warm-up does the first one).
    app.extensions["alumnet"].verifier.revocations.refresh_s = 3600.0
    return app, app.test_client(), app.extensions["alumnet"].store.db


def test_sign_up(counter, budget, members):
    _app, client, db = members
    signed_up_id(client, person(0, password=PASSWORD))  # warm
    with counter.counting(db.name) as seen:
        response = client.post("/api/v1/members", json=person(1, password=PASSWORD, student_number="12345"))
    assert response.status_code == 202
    assert db.members.count_documents({"email": "m1@example.bg"}) == 1
    assert db.credentials.count_documents({}) == 2
    budget.check("members.signup", seen)


def test_login(counter, budget, members):
    _app, client, db = members
    for i in range(2):
        member_id = signed_up_id(client, person(i, password=PASSWORD))
        assert confirm_address(client, member_id, password=PASSWORD).status_code == 200
    login = {"email": "m0@example.bg", "password": PASSWORD}
    assert client.post("/api/v1/members/auth/login", json=login).status_code == 200  # warm
    with counter.counting(db.name) as seen:
        response = client.post("/api/v1/members/auth/login", json={**login, "email": "m1@example.bg"})
    assert response.status_code == 200 and response.get_json()["access_token"]
    budget.check("members.login", seen)


def test_get_member_as_a_verified_member(counter, budget, members, issue_token):
    _app, client, db = members
    admin = bearer(issue_token(ADMIN, "admin"))
    ids = [signed_up_id(client, person(i)) for i in range(2)]
    for member_id in ids:
        assert client.post(f"/api/v1/members/{member_id}/approve", json={}, headers=admin).status_code == 200
    caller = bearer(issue_token(ids[0], "alumnus"))
    assert client.get(f"/api/v1/members/{ids[1]}", headers=caller).status_code == 200  # warm
    with counter.counting(db.name) as seen:
        response = client.get(f"/api/v1/members/{ids[1]}", headers=caller)
    assert response.status_code == 200 and response.get_json()["id"] == ids[1]
    budget.check("members.get_member", seen)


def test_segment_count_as_the_office_types_a_filter(counter, budget, members, issue_token):
    _app, client, db = members
    admin = bearer(issue_token(ADMIN, "admin"))
    for i in range(7):  # more than the preview's sample: the count is not the sample's length
        member_id = signed_up_id(client, person(i, graduation_year=2010, faculty="medicine"))
        assert client.post(f"/api/v1/members/{member_id}/approve", json={}, headers=admin).status_code == 200
    preview = "/api/v1/members/segments/preview"
    assert client.post(preview, json={"filter": {"q": "Иван"}}, headers=admin).status_code == 200  # warm
    with counter.counting(db.name) as seen:
        response = client.post(preview, json={"filter": {"q": "Иванова", "faculty": ["medicine"]}}, headers=admin)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["count"] == 7 and len(body["sample"]) == 5
    budget.check("members.segment_count", seen)
