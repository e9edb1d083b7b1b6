"""Marking deliveries ``sending`` while a transaction writes the same deliveries (an erasure,
a handler) on the real embedded store: both finish, and no delivery the transaction took is
marked. ``begin_sending_many`` once sent one ``update_many``; outside a transaction the
embedded store runs that holding its collection lock while it retries the write conflict, so
the transaction could never take its next statement and the store stalled (seen in the
erasure journey)."""
from __future__ import annotations

import threading

from services.notifications.store import DELIVERIES, QUEUED, SENDING

DEADLINE_S = 30.0


def test_marking_while_a_transaction_writes_the_same_deliveries_finishes_and_skips_what_it_took(
        notifications_store):
    store = notifications_store
    deliveries = [{"_id": f"d{i}", "batch": "b1", "status": QUEUED, "attempts": 0} for i in range(4)]
    store.db[DELIVERIES].insert_many(deliveries)
    marked: list[set[str]] = []
    committed = threading.Event()

    with store.client.start_session() as session:
        session.start_transaction()
        # The transaction takes the first delivery, as an erasure cancels a queued one ...
        store.db[DELIVERIES].update_one({"_id": "d0"}, {"$set": {"status": "cancelled"}}, session=session)
        marking = threading.Thread(target=lambda: marked.append(store.begin_sending_many(deliveries)), daemon=True)
        marking.start()
        # ... and, while the marking waits on it, writes to the collection again, then commits.
        finisher = threading.Thread(target=lambda: (
            store.db[DELIVERIES].update_one({"_id": "d3"}, {"$set": {"status": "cancelled"}}, session=session),
            session.commit_transaction(), committed.set()), daemon=True)
        finisher.start()
        finisher.join(DEADLINE_S)
        assert committed.is_set(), "the transaction could not finish while deliveries were being marked"
    marking.join(DEADLINE_S)
    assert not marking.is_alive() and marked, "the marking did not finish"

    statuses = {d["_id"]: d["status"] for d in store.db[DELIVERIES].find()}
    assert statuses["d0"] == "cancelled"
    assert marked[0] == {i for i, s in statuses.items() if s == SENDING}
    assert {"d1", "d2"} <= marked[0] and "d0" not in marked[0]
