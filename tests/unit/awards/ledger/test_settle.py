"""Intake reads the registered cycles and the tombstones from the process's view
(``ledger.store.VIEWS``), read again every few seconds, not per batch. A worker whose view
is older than another process's registration or erasure (or whose transaction began before
it committed) handles events as if it had not happened; ``settle`` (the worker's timer)
makes the result exact once no such view or transaction can be left. Here a second client
plays the worker process; its view's clock is stopped, so it is stale until moved."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.awards import handlers
from services.awards.ledger import rules
from services.awards.ledger import store as ledger_store
from services.awards.store import AwardsStore
from tests.support import consumer_like
from tests.unit.awards.ledger.conftest import NOW, YEAR_2026, checked_in, envelope
from tests.unit.awards.ledger.test_store import MENTOR, OTHER, T, snapshot


class Monotonic:
    def __init__(self):
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def worker(db, local_store, monkeypatch):
    """``(worker_db, handle, monotonic)``: the worker process's own client on the same
    database, handling events as its consumer does, its view's clock stopped."""
    monotonic = Monotonic()
    monkeypatch.setattr(ledger_store.VIEWS, "monotonic", monotonic)
    monkeypatch.setattr("shared.store._clients", {})  # a client of its own, as another process has
    store = AwardsStore(local_store.url, db.name)
    assert store.client is not db.client
    yield store.db, consumer_like(store, handlers.subscriptions()), monotonic
    store.client.close()


def settled_at(db, cycle_id: str):
    return db[ledger_store.CYCLES].find_one({"_id": cycle_id})["settle_at"]


def test_an_event_handled_while_a_cycle_is_registered_elsewhere_counts_once_it_is_settled(db, worker):
    worker_db, handle, monotonic = worker
    handle(envelope(*checked_in(MENTOR, T)))  # the worker reads its view: no cycle
    ledger_store.open_cycle(db, None, "2026", rules.CURRENT, *YEAR_2026)  # the api process registers
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 5.0  # the rows so far
    handle(envelope(*checked_in(MENTOR, T + timedelta(days=1))))  # the worker's view does not know it yet
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 5.0  # the window the author noted
    due = settled_at(db, "2026")
    assert ledger_store.settle(db, due - timedelta(seconds=1)) == 0  # a transaction may still be in flight
    assert ledger_store.settle(db, due) == 1
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 10.0
    assert "settle_at" not in db[ledger_store.CYCLES].find_one({"_id": "2026"})
    assert ledger_store.settle(db, due + timedelta(days=1)) == 0  # once
    monotonic.at += ledger_store.CACHE_TTL_S  # the worker's view is read again
    handle(envelope(*checked_in(MENTOR, T + timedelta(days=2))))
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 15.0
    incremental = snapshot(db)
    ledger_store.rebuild(db, "2026")
    assert snapshot(db) == incremental


def test_the_settle_window_outlasts_every_view_and_transaction():
    assert ledger_store.SETTLE_AFTER_S >= ledger_store.CACHE_TTL_S + 2 * ledger_store.TRANSACTION_BOUND_S
    assert ledger_store.SETTLE_INTERVAL_S < ledger_store.SETTLE_AFTER_S


def test_a_member_erased_elsewhere_is_forgotten_again_when_settled(db, worker):
    worker_db, handle, monotonic = worker
    ledger_store.open_cycle(db, None, "2026", rules.CURRENT, *YEAR_2026)
    handle(envelope(*checked_in(MENTOR, T)))  # the worker's view: the cycle, no tombstone
    handle(envelope(*checked_in(OTHER, T)))
    ledger_store.forget_member(db, None, MENTOR)  # another worker handled the erasure
    handle(envelope(*checked_in(MENTOR, T + timedelta(days=1))))  # a late event, before the view knows
    assert db[ledger_store.LEDGER].count_documents({"member_id": MENTOR}) == 1  # the window
    tombstone = db[ledger_store.FORGOTTEN].find_one()
    assert tombstone["member_id"] == MENTOR  # kept until settled, to forget them again
    assert ledger_store.settle(db, tombstone["settle_at"]) == 2  # the erasure, and the cycle opened before it
    assert MENTOR not in str(list(db[ledger_store.LEDGER].find())) + str(snapshot(db))
    assert set(db[ledger_store.FORGOTTEN].find_one()) == {"_id", "forgotten_at"}  # the digest stays
    assert [s["member_id"] for s in ledger_store.top(db, "2026", rules.OVERALL, 5)] == [OTHER]
    monotonic.at += ledger_store.CACHE_TTL_S  # the worker's view reads the tombstone
    handle(envelope(*checked_in(MENTOR, T + timedelta(days=2))))
    assert db[ledger_store.LEDGER].count_documents({"member_id": MENTOR}) == 0
    assert ledger_store.points_of(db, "2026", MENTOR)[rules.OVERALL] == 0.0


def test_a_replay_in_the_window_is_anonymised_once(db, worker):
    worker_db, handle, monotonic = worker
    ledger_store.open_cycle(db, None, "2026", rules.CURRENT, *YEAR_2026)
    event = envelope(*checked_in(MENTOR, T))
    handle(event)
    ledger_store.forget_member(db, None, MENTOR)
    handle(event)  # replayed before the worker's view knows of the erasure: recorded again
    ledger_store.settle(db, db[ledger_store.FORGOTTEN].find_one()["settle_at"])
    [row] = db[ledger_store.LEDGER].find()
    assert row["erased"] and MENTOR not in str(row)


def test_an_erasure_in_the_middle_of_a_batch_keeps_the_members_events_out(db, deliver, open_cycle):
    open_cycle()
    erased = envelope("members.member.erased", {"member_id": MENTOR, "erased_at": NOW.isoformat()})
    before, after = envelope(*checked_in(MENTOR, T)), envelope(*checked_in(MENTOR, T + timedelta(days=1)))
    other = envelope(*checked_in(OTHER, T))
    deliver.batch(before, other, erased, after)
    rows = list(db[ledger_store.LEDGER].find())
    assert MENTOR not in str(rows) + str(snapshot(db))
    assert sorted(r["member_id"] == OTHER for r in rows) == [False, True]  # the one before, anonymised
    assert ledger_store.points_of(db, "2026", OTHER)[rules.OVERALL] == 5.0


def test_the_worker_settles_on_a_timer(make_config):
    from services.awards.worker import create_worker
    worker = create_worker(make_config(AMQP_URL="memory://"))
    assert worker.loops["ledger-settle"].interval_s == ledger_store.SETTLE_INTERVAL_S
