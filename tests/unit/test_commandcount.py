"""The store-command counter (shared.commandcount) over the real local store: it counts what
an operation sends, by kind, only for the databases named and only inside its window, with a
transaction's commit as one more round trip and the driver's housekeeping left out."""
import uuid

import pytest
from pymongo import MongoClient

from shared.commandcount import StoreCommands


@pytest.fixture
def counted(local_store):
    counter = StoreCommands.install()  # before the client, which then reports to it
    client = MongoClient(local_store.url, tz_aware=True)
    name = f"count_{uuid.uuid4().hex[:8]}"
    yield counter, client[name], client[f"{name}_other"]
    client.drop_database(name)
    client.drop_database(f"{name}_other")
    client.close()


def test_a_window_counts_each_command_of_its_database_by_kind(counted):
    counter, db, other = counted
    db.people.insert_one({"_id": 1})
    with counter.counting(db.name) as seen:
        db.people.find_one({"_id": 1})
        db.people.update_one({"_id": 1}, {"$set": {"x": 1}})
        list(db.people.aggregate([{"$match": {}}]))
        other.people.insert_one({"_id": 2})  # another database: not this operation's
    assert seen.by_kind == {"find": 1, "update": 1, "aggregate": 1}
    assert seen.by_collection[("update", "people")] == 1 and seen.total == 3


def test_a_transaction_costs_its_writes_and_its_commit(counted):
    counter, db, _ = counted
    db.create_collection("orders")
    with counter.counting(db.name) as seen:
        with db.client.start_session() as session:
            session.with_transaction(lambda s: (db.orders.insert_one({"n": 1}, session=s),
                                                db.orders.insert_one({"n": 2}, session=s)))
    assert seen.by_kind == {"insert": 2, "commitTransaction": 1}


def test_nothing_counts_outside_a_window_and_windows_do_not_nest(counted):
    counter, db, _ = counted
    with counter.counting(db.name) as first:
        pass
    db.people.find_one({})
    assert first.total == 0
    with counter.counting(db.name):
        with pytest.raises(RuntimeError):
            with counter.counting(db.name):
                pass


def test_a_window_counts_the_documents_its_reads_brought_back(counted):
    counter, db, other = counted
    db.people.insert_many([{"_id": i} for i in range(7)])
    other.people.insert_many([{"_id": i} for i in range(3)])
    with counter.counting(db.name) as seen:
        assert len(list(db.people.find({"_id": {"$lt": 5}}).batch_size(2))) == 5  # a find and two getMores
        db.people.find_one({"_id": 6})
        list(other.people.find())  # another database: not counted
    assert seen.by_kind == {"find": 2, "getMore": 2} and seen.documents == 6
