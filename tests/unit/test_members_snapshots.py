"""``alumnet members republish``: a snapshot of every member who is not erased, through the
members outbox in batches, and what the views make of them; then ``alumnet outbox status``
over the same local store.

Checked: one ``members.member.snapshot`` per pending, verified or rejected member, none for an
erased one, a transaction per batch; a snapshot carries the shared profile fields, status,
roles, the latest consent decision per channel and category, and ``as_of`` = the member's last
change; ``--member`` narrows it; the events view dropped and rebuilt from the snapshots equals
the one the sign-up events built; the commands over the local store.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pymongo import MongoClient

from alumnet.cli import main
from services.events import handlers as events_handlers
from services.events import readmodel_store
from services.events.store import EventsStore
from services.members.consent import store as consent_store
from services.members.messages import CATALOG, MEMBER_SNAPSHOT
from services.members.snapshots import store as snapshots
from services.members.store import MembersStore
from shared.bus.envelope import decode
from shared.commandcount import StoreCommands
from tests.support import consumer_like, outbox_events

SNAPSHOT = "members.member.snapshot"


@pytest.fixture
def store(app):
    return app.extensions["alumnet"].store


@pytest.fixture
def office(client, people, admin_headers):
    """Two verified members, one pending, one rejected and one erased; their ids by kind."""
    verified = [people.verified()["id"] for _ in range(2)]
    pending = people.sign_up()["id"]
    rejected = people.sign_up()["id"]
    assert client.post(f"/api/v1/members/{rejected}/reject", json={"reason": "Not a graduate."},
                       headers=admin_headers).status_code == 200
    erased = people.verified()["id"]
    assert client.delete(f"/api/v1/members/{erased}?reason=asked", headers=admin_headers).status_code == 202
    return {"verified": verified, "pending": [pending], "rejected": [rejected], "erased": [erased]}


def test_every_member_but_the_erased_is_republished_once_a_transaction_per_batch(store, db, office):
    batches = []
    done = snapshots.republish(store, correlation_id="cli-republish-t", batch_size=2, progress=batches.append)
    live = office["verified"] + office["pending"] + office["rejected"]
    assert (done.members, done.batches) == (4, 2)
    events = outbox_events(db, SNAPSHOT)
    assert sorted(e["subject"] for e in events) == sorted(live)
    assert {e["data"]["member_id"]: e["data"]["status"] for e in events} == {
        **dict.fromkeys(office["verified"], "verified"), office["pending"][0]: "pending_verification",
        office["rejected"][0]: "rejected"}
    assert {e["correlationid"] for e in events} == {"cli-republish-t"}
    # A batch is one transaction and one outbox write: its events share its time.
    assert len({doc["created_at"] for doc in db.outbox.find({"type": SNAPSHOT})}) == 2


def test_a_snapshot_is_the_member_as_of_their_last_change_with_their_latest_consents(store, db, people):
    member = people.verified(city="Пловдив", graduation_year=2006)
    consent_store.record(store, member["id"], {"channel": "email", "category": "events", "granted": False,
                                               "source": "profile_page"}, recorded_by=member["id"], reason=None)
    snapshots.republish(store, correlation_id="c")
    [event] = outbox_events(db, SNAPSHOT)
    data, stored = event["data"], db.members.find_one({"_id": member["id"]})
    assert (data["city"], data["graduation_year"], data["status"], data["roles"]) == (
        "Пловдив", 2006, "verified", ["alumnus"])
    assert data["as_of"] == stored["updated_at"].isoformat()  # the approval, not the moment of the read
    assert data["consent"] == {"email": True, "sms": False}
    decisions = {(d["channel"], d["category"]): d for d in data["consents"]}
    assert len(decisions) == 12  # every channel and category: the sign-up flags count as the first
    assert (decisions["email", "events"]["granted"], decisions["email", "events"]["source"]) == (False, "profile_page")
    assert (decisions["email", "news"]["granted"], decisions["sms", "news"]["granted"]) == (True, False)
    assert "password_hash" not in data and "tokens" not in data and "visibility" not in data
    CATALOG.schemas[MEMBER_SNAPSHOT].load(data)  # what the producer promises


def test_only_the_named_members_are_republished(store, db, office):
    wanted = [office["pending"][0], office["erased"][0], "no-such-member"]
    done = snapshots.republish(store, correlation_id="c", member_ids=wanted)
    assert done.members == 1 and [e["subject"] for e in outbox_events(db, SNAPSHOT)] == office["pending"]


def test_a_batch_costs_a_few_store_commands_whatever_its_size(store, office, local_store):
    counter = StoreCommands.install()  # before the client, which then reports to it
    client = MongoClient(local_store.url, tz_aware=True)
    counted = MembersStore.__new__(MembersStore)  # the app's store, on a client the counter hears
    counted.client, counted.db = client, client[store.db.name]
    try:
        with counter.counting(store.db.name) as seen:
            snapshots.republish(counted, correlation_id="c", batch_size=10)
    finally:
        client.close()
    # The members, their ledgers (one query for the batch) and one insert of the events.
    assert seen.by_collection[("find", "members")] == 1 and seen.by_collection[("find", "consents")] == 1
    assert seen.by_collection[("insert", "outbox")] == 1


def test_a_dropped_view_is_rebuilt_from_the_snapshots_as_the_sign_ups_built_it(store, db, office, make_config):
    config = make_config(AMQP_URL="memory://")
    events_store = EventsStore(config.mongo_url, config.database_name("events"))
    handle = consumer_like(events_store, events_handlers.subscriptions())
    for envelope in db.outbox.find({"type": {"$regex": r"^members\.member\."}}).sort("order", 1):
        handle(decode(envelope["body"]))  # the events view as the members events built it
    by_events = {m["_id"]: {k: v for k, v in m.items() if k != "field_times"}
                 for m in events_store.db[readmodel_store.MEMBERS].find()}
    events_store.db[readmodel_store.MEMBERS].drop()  # lost: a restore from an old backup, say

    snapshots.republish(store, correlation_id="c")
    for event in outbox_events(db, SNAPSHOT):
        handle(decode(json.dumps(event).encode()))
    rebuilt = {m["_id"]: {k: v for k, v in m.items() if k != "field_times"}
               for m in events_store.db[readmodel_store.MEMBERS].find()}
    assert rebuilt == by_events and len(rebuilt) == 4
    assert readmodel_store.is_erased(events_store.db, None, office["erased"][0])


def test_erasures_since_a_backup_are_published_again_and_a_restored_view_forgets_them(store, db, office, people,
                                                                                      admin_headers, client,
                                                                                      make_config):
    config = make_config(AMQP_URL="memory://")
    events_store = EventsStore(config.mongo_url, config.database_name("events"))
    handle = consumer_like(events_store, events_handlers.subscriptions())
    later = people.verified()["id"]
    for envelope in outbox_events(db, "members.member.registered"):
        handle(decode(json.dumps(envelope).encode()))  # the view as a backup made before the erasures holds it
    backup_made = db.erasures.find_one({"_id": office["erased"][0]})["erased_at"]
    assert client.delete(f"/api/v1/members/{later}?reason=asked", headers=admin_headers).status_code == 202
    assert readmodel_store.member(events_store.db, later) is not None

    done = snapshots.republish_erasures(store, since=backup_made, correlation_id="c", batch_size=1)
    assert (done.members, done.batches) == (2, 2)
    again = [e for e in outbox_events(db, "members.member.erased") if e["correlationid"] == "c"]
    assert sorted(e["data"]["member_id"] for e in again) == sorted([office["erased"][0], later])
    for event in again:
        handle(decode(json.dumps(event).encode()))
    assert readmodel_store.member(events_store.db, later) is None
    assert readmodel_store.is_erased(events_store.db, None, later)


# --------------------------------------------------------------------------- the commands

@pytest.fixture
def cli_env(app, monkeypatch):
    config = app.extensions["alumnet"].config
    monkeypatch.setenv("MONGO_URL", config.mongo_url)
    monkeypatch.setenv("MONGO_DB_PREFIX", config.mongo_db_prefix)


def test_the_commands_republish_and_show_the_backlog_they_made(db, office, cli_env):
    result = CliRunner().invoke(main, ["members", "republish", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert "republished 4 member(s) in 2 batch(es)" in result.stdout
    assert len(outbox_events(db, SNAPSHOT)) == 4

    status = CliRunner().invoke(main, ["outbox", "status", "members", "events", "--json"])
    assert status.exit_code == 0, status.output
    members, events = [json.loads(line) for line in status.stdout.splitlines()]
    # No relay runs here: every event the members service stored is still new.
    assert (members["service"], members["new"], members["deferred"]) == ("members", db.outbox.count_documents({}), 0)
    assert members["oldest_age_s"] >= 0 and members["last_sent_at"] is None
    assert (events["new"], events["oldest_at"]) == (0, None)

    table = CliRunner().invoke(main, ["outbox", "status"])
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["service", "new", "deferred"]
    assert [line.split()[0] for line in lines[1:]] == ["members", "events", "awards", "notifications"]


def test_republish_with_erasures_since_publishes_them_again(db, office, cli_env):
    erased_at = db.erasures.find_one({"_id": office["erased"][0]})["erased_at"]
    result = CliRunner().invoke(main, ["members", "republish", "--erasures-since",
                                       erased_at.replace(tzinfo=None).isoformat()])  # no offset: UTC
    assert result.exit_code == 0, result.output
    assert "republished the erasure of 1 member(s)" in result.stdout
    assert len(outbox_events(db, "members.member.erased")) == 2  # the erasure's own, and again


def test_republish_refuses_a_batch_size_out_of_range_or_a_time_it_cannot_read(cli_env):
    result = CliRunner().invoke(main, ["members", "republish", "--batch-size", "0"])
    assert result.exit_code == 2 and "batch-size" in result.output
    result = CliRunner().invoke(main, ["members", "republish", "--erasures-since", "yesterday"])
    assert result.exit_code == 2 and "ISO 8601" in result.output
