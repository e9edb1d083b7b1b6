"""``shared.bus.outbox.backlog`` over the local store: what ``alumnet outbox status`` reports
of events ``new``, ``deferred`` and ``sent``."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient

from services.members.messages import CATALOG, SEGMENT_DELETED
from shared.bus import outbox

T0 = datetime(2027, 3, 14, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(local_store):
    client = MongoClient(local_store.url, tz_aware=True)
    name = f"backlog_{uuid.uuid4().hex[:8]}"
    yield client[name]
    client.drop_database(name)
    client.close()


def add(db, created_at: datetime, status: str, **fields) -> str:
    event = CATALOG.create(SEGMENT_DELETED, "s", CATALOG.examples[SEGMENT_DELETED], "c")
    outbox.add(db, None, event)
    db[outbox.COLLECTION].update_one({"_id": event.id}, {"$set": {"created_at": created_at, "status": status,
                                                                 **fields}})
    return event.id


def test_an_empty_outbox_has_no_backlog(db):
    backlog = outbox.backlog(db)
    assert (backlog.new, backlog.deferred, backlog.oldest_at, backlog.last_sent_at) == (0, 0, None, None)
    assert backlog.oldest_age_s(T0) is None


def test_the_backlog_counts_new_and_deferred_and_dates_the_oldest_and_the_last_sent(db):
    add(db, T0 - timedelta(hours=2), outbox.SENT, sent_at=T0 - timedelta(hours=2))
    add(db, T0 - timedelta(hours=1), outbox.SENT, sent_at=T0 - timedelta(minutes=50))
    add(db, T0 - timedelta(minutes=30), outbox.DEFERRED, last_error="NO_ROUTE")
    add(db, T0 - timedelta(minutes=5), outbox.NEW)
    add(db, T0 - timedelta(minutes=1), outbox.NEW)
    backlog = outbox.backlog(db)
    assert (backlog.new, backlog.deferred) == (2, 1)
    assert backlog.oldest_at == T0 - timedelta(minutes=30)  # the deferred one waits longest
    assert backlog.oldest_age_s(T0) == 1800.0
    assert backlog.last_sent_at == T0 - timedelta(minutes=50)
