"""What the awards service's hot paths cost in store commands, against bench/budgets.toml: an
activity event handled alone and a consumer batch of 100 (the engagement ledger), the
standings read, a nomination over HTTP, and a members event kept in awards' view of members.
The ledger's rows are the ones tests/unit/awards/ledger/test_budget.py holds exactly."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.awards import handlers
from services.awards.app import create_app
from services.awards.ledger import rules
from services.awards.ledger import store as ledger_store
from services.members import messages as members
from tests.support import bearer, consumer_like
from tests.unit.budgets.apps import counted_app
from tests.unit.awards.conftest import A, NOW, STATEMENT, cycle_body, people  # noqa: F401 (people: a fixture)
from tests.unit.awards.ledger.conftest import YEAR_2026, checked_in, envelope
from tests.unit.awards.ledger.test_store import T


@pytest.fixture
def app(counter, make_config):  # after the counter: the app's store client reports to it
    return counted_app(create_app, make_config, NOW)


@pytest.fixture
def store(app):
    return app.extensions["alumnet"].store


@pytest.fixture
def handle(store, monkeypatch):
    """Events handled as the consumer does (inbox included), the intake's view warm (a worker
    reads it every few seconds, not per event)."""
    monkeypatch.setattr(ledger_store.VIEWS, "monotonic", lambda: 0.0)
    return consumer_like(store, handlers.subscriptions(), inbox=True)


@pytest.fixture
def deliver(handle):
    """``deliver(event_type, subject, data)``: a members event (tests/unit/awards' ``people``)."""
    return lambda event_type, subject, data: handle(members.CATALOG.create(event_type, subject, data, "test"))


def one(member_id: str, days: int = 0):
    return envelope(*checked_in(member_id, T + timedelta(days=days)))


@pytest.fixture
def cycle(db):
    ledger_store.open_cycle(db, None, "2026", rules.CURRENT, *YEAR_2026)
    return "2026"


def test_an_activity_event_handled_alone(counter, budget, db, handle, cycle):
    member = uuid.uuid4().hex
    handle(one(member, 1))  # warm
    with counter.counting(db.name) as seen:
        handle(one(member, 2))
    assert ledger_store.points_of(db, cycle, member)[rules.OVERALL] > 0
    budget.check("awards.activity_event", seen)


def test_a_consumer_batch_of_a_hundred_activity_events(counter, budget, db, handle, cycle):
    handle(one(uuid.uuid4().hex))  # warm
    events = [one(uuid.uuid4().hex, i % 28) for i in range(100)]
    with counter.counting(db.name) as seen:
        handle(*events)
    assert db[ledger_store.LEDGER].count_documents({}) == 101
    budget.check("awards.activity_batch", seen, amortised_over=100)


def test_the_standings_read(counter, budget, client, db, handle, cycle, issue_token):
    for i in range(30):
        handle(one(uuid.uuid4().hex, i % 28))
    headers = bearer(issue_token("a" * 32, "admin"))
    path = f"{A}/cycles/{cycle}/standings?category=overall&limit=20"
    assert client.get(path, headers=headers).status_code == 200  # warm
    with counter.counting(db.name) as seen:
        response = client.get(path, headers=headers)
    assert response.status_code == 200 and len(response.get_json()["items"]) == 20
    budget.check("awards.standings", seen)


def test_a_nomination(counter, budget, client, db, people, admin_headers):  # noqa: F811
    made = client.post(f"{A}/cycles", json=cycle_body(), headers=admin_headers).get_json()
    assert client.post(f"{A}/cycles/{made['id']}/open", headers=admin_headers).status_code == 200
    path = f"{A}/cycles/{made['id']}/categories/mentor-of-the-year/nominations"
    nominator, warm, nominee = people.member(), people.member(), people.member()
    body = {"nominee_id": warm["id"], "statement": STATEMENT}
    assert client.post(path, json=body, headers=nominator["headers"]).status_code == 201  # warm
    with counter.counting(db.name) as seen:
        response = client.post(path, json={**body, "nominee_id": nominee["id"]}, headers=nominator["headers"])
    assert response.status_code == 201, response.get_json()
    budget.check("awards.nomination", seen)


def test_a_members_event_in_the_view_of_members(counter, budget, db, people, handle):  # noqa: F811
    member = people.member(verified=False)
    data = {"member_id": member["id"], "method": "admin", "verified_at": (NOW - timedelta(days=1)).isoformat()}
    event = members.CATALOG.create("members.member.verified", member["id"], data, "test")
    with counter.counting(db.name) as seen:
        handle(event)
    assert db.members.find_one({"_id": member["id"]})["status"] == "verified"
    budget.check("awards.members_event", seen)
