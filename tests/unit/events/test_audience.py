"""Audiences asked the other way round: which events fit a member, as one store query.

Checked: ``audience.fitting`` keeps exactly the events ``audience.fits`` accepts, for every
kind of audience and member (on the session's local store, so the store's own query
semantics, nulls and missing fields included, are what is checked); and a list of events
costs the same store commands for 5 events as for 50, for every kind of caller (a pymongo
command listener, shared.commandcount, counts them).
"""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient

from services.events import audience, readmodel_store
from shared.commandcount import Seen, StoreCommands
from tests.support import bearer

EVENTS = "/api/v1/events"
NOW = datetime(2030, 3, 1, 10, 0, tzinfo=timezone.utc)
PLOVDIV, SOFIA = "1" * 32, "2" * 32  # segments


AUDIENCES = [
    {"kind": "all"},
    {"kind": "graduation_years", "year_from": 2005, "year_to": 2010},
    {"kind": "graduation_years", "year_from": 2010, "year_to": None},
    {"kind": "graduation_years", "year_from": None, "year_to": 2004},
    {"kind": "graduation_years", "year_to": 2005},  # a bound missing, not null
    {"kind": "faculty", "faculty": "medicine"},
    {"kind": "faculty", "faculty": "pharmacy"},
    {"kind": "segment", "segment_id": PLOVDIV},
    {"kind": "segment", "segment_id": SOFIA},
    {"kind": "segment", "segment_id": "9" * 32},  # a segment the view never heard of
]
MEMBERS = [
    None,
    {"status": "pending_verification", "graduation_year": 2008, "faculty": "medicine"},
    {"status": "verified", "graduation_year": 2008, "faculty": "medicine", "city": "Plovdiv"},
    {"status": "verified", "graduation_year": 2010, "faculty": "pharmacy", "city": "Sofia"},
    {"status": "verified", "graduation_year": 2004},
    {"status": "verified", "faculty": "medicine", "city": "Sofia"},
    {"status": "verified"},
]


def test_the_fitting_query_keeps_exactly_the_events_that_fit(db):
    readmodel_store.save_segment(db, None, PLOVDIV, {"city": "Plovdiv"}, 1)
    readmodel_store.save_segment(db, None, SOFIA, {"city": "Sofia"}, 1)
    events = db.test_events
    events.insert_many([{"_id": str(i), "audience": a} for i, a in enumerate(AUDIENCES)])
    segments = readmodel_store.segments(db, [PLOVDIV, SOFIA, "9" * 32])
    for i, fields in enumerate(MEMBERS):
        member = None
        if fields is not None:
            readmodel_store.merge_member(db, None, f"m{i}", fields)
            member = readmodel_store.member(db, f"m{i}")
        expected = {str(n) for n, a in enumerate(AUDIENCES)
                    if audience.fits(a, member, segments.get(a.get("segment_id")))}
        assert {e["_id"] for e in events.find(audience.fitting(member, segments))} == expected, fields
    assert {e["_id"] for e in events.find(audience.fitting(readmodel_store.member(db, "m2"), {}))} == {"0", "1", "5"}


@pytest.fixture
def counted(store, local_store):
    """The app's store on a client of its own, made after the store-command counter is
    installed, so that the counter sees what it sends."""
    counter = StoreCommands.install()
    client = MongoClient(local_store.url, tz_aware=True)
    store.client, store.db = client, client[store.db.name]
    yield counter
    client.close()


def seed(db, count: int) -> None:
    """``count`` published events, upcoming, for every kind of audience in turn (each segment
    event its own segment, half of them around the caller's city)."""
    segment_ids = []
    for i in range(count):
        segment_id = uuid.uuid4().hex
        segment_ids.append(segment_id)
        readmodel_store.save_segment(db, None, segment_id, {"city": "Plovdiv" if i % 2 else "Sofia"}, 1)
    audiences = itertools.cycle([
        lambda i: {"kind": "all"},
        lambda i: {"kind": "graduation_years", "year_from": 2000 + i % 20, "year_to": None},
        lambda i: {"kind": "faculty", "faculty": "medicine" if i % 2 else "pharmacy"},
        lambda i: {"kind": "segment", "segment_id": segment_ids[i]}])
    starts = NOW + timedelta(days=10)
    db.events.insert_many([{
        "_id": uuid.uuid4().hex, "status": "published", "title": {"bg": f"Събитие {i}", "en": f"Event {i}"},
        "kind": "lecture", "description": None, "starts_at": starts + timedelta(hours=i),
        "ends_at": starts + timedelta(hours=i + 1), "timezone": "Europe/Sofia", "audience": make(i),
        "place": {"name": "Аула", "city": "Пловдив"}, "online_url": None, "capacity": None, "guests_allowed": 0,
        "registration_opens_at": None, "registration_closes_at": None, "reminders": [], "cover_image_url": None,
        "seats_taken": 0, "waitlist_length": 0, "waitlist_seq": 0, "created_by": "a" * 32, "created_at": NOW,
        "updated_at": NOW, "published_at": NOW, "cancelled_at": None, "cancel_reason": None}
        for i, make in zip(range(count), audiences)])


CALLERS = {"anonymous": None, "member": "alumnus", "staff": "staff", "admin": "admin"}


def cost(client, counted, headers: dict, **query) -> tuple[Seen, int]:
    """(store commands, events listed) of one list request."""
    with counted.counting(client.application.extensions["alumnet"].store.db.name) as seen:
        response = client.get(EVENTS, query_string={"per_page": 100, **query}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return seen, response.get_json()["total"]


@pytest.mark.parametrize("caller,query", [(c, q) for c in CALLERS for q in ({}, {"fits_me": "true"})
                                          if not (c == "anonymous" and q)])
def test_a_list_costs_the_same_store_commands_for_5_events_as_for_50(client, db, counted, issue_token, caller,
                                                                     query):
    member_id = "m" * 32
    readmodel_store.merge_member(db, None, member_id, {"status": "verified", "graduation_year": 2008,
                                                       "faculty": "medicine", "city": "Plovdiv"})
    headers = {} if CALLERS[caller] is None else bearer(issue_token(member_id, CALLERS[caller]))
    seed(db, 5)
    # The token check's revocations are read once a second per process, whatever the requests:
    # read them now, and not again, so neither counted request carries that read.
    client.get(EVENTS, headers=headers)
    verifier = client.application.extensions["alumnet"].verifier
    if verifier is not None and verifier.revocations is not None:
        verifier.revocations.refresh_s = 24 * 3600.0
    few, listed_few = cost(client, counted, headers, **query)
    seed(db, 45)
    many, listed_many = cost(client, counted, headers, **query)
    assert listed_many > listed_few  # the 45 more events changed what is listed, not what it costs
    assert few.by_kind == many.by_kind and many.total <= 5, (few, many)
