"""What the ledger costs in store commands (``shared.commandcount``), held to budgets: a
count, not a time, so it cannot flake. The counter sees only clients made after it is
installed, so each test makes its own app (and store client) after installing it; the
intake view is warm, as in a worker (it is read every few seconds, not per event).

- One activity event handled alone, as the consumer does, in an open cycle: 6 commands
  (inbox read and record, the ledger row, the bucket read and written in one, the
  standings, the commit; it was 8); 5 when the caps leave nothing to add, 4 outside every
  cycle.
- A batch of 100 in one transaction, as the consumer takes them: 8 commands in all (it was
  about 400).
- ``GET /cycles/<id>/standings`` (top 20 with names): at most 2.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.awards import handlers
from services.awards.app import create_app
from services.awards.ledger import rules
from services.awards.ledger import store as ledger_store
from shared.commandcount import StoreCommands
from tests.support import bearer, consumer_like
from tests.unit.awards.ledger.conftest import YEAR_2026, checked_in, envelope
from tests.unit.awards.ledger.test_store import T

MEMBER = "m" * 32


@pytest.fixture
def counted(make_config, monkeypatch, request):
    counter = StoreCommands.install()  # before the app's client, which then reports to it
    monkeypatch.setattr("shared.store._clients", {})  # so the app makes its client now
    app = create_app(make_config(AMQP_URL="memory://"))
    store = app.extensions["alumnet"].store
    request.addfinalizer(store.client.close)
    monkeypatch.setattr(ledger_store.VIEWS, "monotonic", lambda: 0.0)  # a view read stays fresh
    handle = consumer_like(store, handlers.subscriptions(), inbox=True)  # as Consumer._store_effects
    return counter, app, store.db, handle


def one(member_id: str, days: int = 0):
    return envelope(*checked_in(member_id, T + timedelta(days=days)))


def test_one_activity_event_costs_six_commands_and_less_when_capped_or_outside_a_cycle(counted):
    counter, _, db, handle = counted
    ledger_store.open_cycle(db, None, "2026", rules.CURRENT, *YEAR_2026)
    handle(one(MEMBER, 1))  # the view is read: a worker reads it every few seconds, not per event
    with counter.counting(db.name) as seen:
        handle(one(MEMBER, 2))
    assert seen.by_kind == {"find": 1, "insert": 1, "update": 2, "findAndModify": 1, "commitTransaction": 1}, seen
    for day in range(3, 6):  # 20 points a month: the fourth check-in fills the cap
        handle(one(MEMBER, day))
    with counter.counting(db.name) as capped:
        handle(one(MEMBER, 6))
    assert capped.by_kind == {"find": 1, "insert": 1, "update": 1, "findAndModify": 1, "commitTransaction": 1}, capped
    with counter.counting(db.name) as outside:
        handle(envelope(*checked_in(MEMBER, YEAR_2026[1] + timedelta(days=3))))
    assert outside.by_kind == {"find": 1, "insert": 1, "update": 1, "commitTransaction": 1}, outside
    assert ledger_store.points_of(db, "2026", MEMBER)[rules.OVERALL] == 20.0


def test_a_consumer_batch_of_a_hundred_costs_eight_commands(counted):
    counter, _, db, handle = counted
    ledger_store.open_cycle(db, None, "2026", rules.CURRENT, *YEAR_2026)
    handle(one(MEMBER))
    events = [one(uuid.uuid4().hex, i % 28) for i in range(100)]
    with counter.counting(db.name) as seen:
        handle(*events)
    # inbox read and record; the recorded rows read, the new ones inserted; the buckets read
    # and written; the standings written; the commit.
    assert seen.by_kind == {"find": 3, "insert": 2, "update": 2, "commitTransaction": 1}, seen
    assert db[ledger_store.LEDGER].count_documents({}) == 101
    assert len(ledger_store.top(db, "2026", rules.OVERALL, 200)) == 101


def test_the_standings_route_reads_at_most_two_commands(counted, issue_token):
    counter, app, db, handle = counted
    ledger_store.open_cycle(db, None, "2026", rules.CURRENT, *YEAR_2026)
    for i in range(30):
        handle(one(uuid.uuid4().hex, i % 28))
    client, headers = app.test_client(), bearer(issue_token("a" * 32, "admin"))
    assert client.get("/api/v1/awards/cycles/2026/standings", headers=headers).status_code == 200  # warm
    with counter.counting(db.name) as seen:
        response = client.get("/api/v1/awards/cycles/2026/standings?category=overall&limit=20", headers=headers)
    assert response.status_code == 200 and len(response.get_json()["items"]) == 20
    assert seen.total <= 2, seen
