"""The outbox relay against the real broker: confirms, mandatory, order, what may expire,
and the lease that keeps one relay at a time."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import marshmallow as ma
import pytest
from kombu import Connection, Queue

from shared.bus import outbox
from shared.bus.outbox import LeaseLost
from shared.bus.topology import exchange
from tests.integration.conftest import ThingHappened
from tests.support import wait_until


def test_only_confirmed_events_count_as_sent_and_unroutable_ones_are_deferred(bus):
    # The consumer's inbox binds the type, so routable events have somewhere to go.
    with Connection(bus.amqp_url) as conn:
        bus.consumer().queues.declare(conn)
    routable = [bus.event(n) for n in range(5)]
    bus.commit_events(routable)
    other = bus.catalog.register(f"{bus.service}.nobody.listens", ThingHappened(), {"n": 1})
    unroutable = bus.catalog.create(other, "lonely", {"n": 99}, "c-1")
    bus.commit_events([unroutable])

    relay = bus.relay()
    assert relay.relay_once() == 5
    docs = {d["_id"]: d for d in bus.db.outbox.find()}
    assert all(docs[e.id]["status"] == "sent" for e in routable)
    lonely = docs[unroutable.id]
    assert lonely["status"] == "deferred"
    assert "unroutable" in lonely["last_error"]
    assert lonely["attempts"] == 1
    assert bus.queue_depth(f"{bus.service}.inbox") == 5
    # Later commits are found through the saved position, without a second sweep.
    bus.commit_events([bus.event(n) for n in range(5, 8)])
    assert relay.relay_once() == 3
    assert relay.relay_once() == 0, "nothing is published twice"
    assert bus.queue_depth(f"{bus.service}.inbox") == 8
    relay.publisher.close()


def test_relay_publishes_in_commit_order(bus, amqp_url):
    events = [bus.event(n, subject="same-entity") for n in range(300)]
    for chunk in range(0, 300, 50):
        bus.commit_events(events[chunk:chunk + 50])
    probe = Queue(f"{bus.service}.probe", exchange(), routing_key=bus.event_type, durable=False, auto_delete=False)
    with Connection(amqp_url) as conn:
        probe(conn.default_channel).declare()
        try:
            relay = bus.relay()
            assert relay.relay_once() == 300
            received, labels = [], set()
            with conn.SimpleQueue(probe) as queue:
                while len(received) < 300:
                    message = queue.get(timeout=5)
                    received.append(json.loads(message.body)["data"]["n"])
                    labels.add(message.content_type)
                    message.ack()
            assert received == list(range(300))
            assert labels == {"application/cloudevents+json"}  # structured-mode CloudEvents on the wire
            relay.publisher.close()
        finally:
            conn.default_channel.queue_delete(probe.name)


def test_a_deferred_event_is_published_once_it_becomes_routable(bus, amqp_url):
    late = bus.catalog.register(f"{bus.service}.late.bound", ThingHappened(), {"n": 1})
    event = bus.catalog.create(late, "entity-9", {"n": 9}, "c-9")
    bus.commit_events([event])
    relay = bus.relay()
    relay.retry_backoff_s = 0.1
    assert relay.relay_once() == 0
    assert bus.db.outbox.find_one({"_id": event.id})["status"] == "deferred"
    probe = Queue(f"{bus.service}.late", exchange(), routing_key=late, durable=False)
    with Connection(amqp_url) as conn:
        probe(conn.default_channel).declare()
        try:
            # Due again after the backoff: the sweep publishes it and it counts as sent.
            wait_until(lambda: relay.relay_once() == 1, timeout_s=10, message="deferred event republished")
            assert bus.db.outbox.find_one({"_id": event.id})["status"] == "sent"
            assert bus.queue_depth(probe.name) == 1
            assert relay.relay_once() == 0
        finally:
            conn.default_channel.queue_delete(probe.name)
            relay.publisher.close()


def test_only_sent_events_can_expire(bus):
    with Connection(bus.amqp_url) as conn:
        bus.consumer().queues.declare(conn)
    sent = bus.event(1)
    bus.commit_events([sent])
    other = bus.catalog.register(f"{bus.service}.nobody.listens", ThingHappened(), {"n": 1})
    deferred = bus.catalog.create(other, "lonely", {"n": 2}, "c-2")
    bus.commit_events([deferred])
    relay = bus.relay()
    assert relay.relay_once() == 1
    unsent = bus.event(3)
    bus.commit_events([unsent])  # committed, not yet published
    [ttl] = [index for index in outbox.OUTBOX_INDEXES if "expireAfterSeconds" in index.options]
    declared = bus.db.outbox.index_information()[ttl.name]
    expiring = {d["_id"] for d in bus.db.outbox.find(declared["partialFilterExpression"])}
    assert expiring == {sent.id}
    assert bus.db.outbox.find_one({"_id": sent.id})["sent_at"] is not None
    relay.publisher.close()


def test_the_legacy_index_that_expired_unsent_events_is_dropped(bus):
    bus.db.outbox.create_index("created_at", name="published_ttl", expireAfterSeconds=60,
                               partialFilterExpression={"status": "new"})
    bus.start(bus.relay())
    wait_until(lambda: "published_ttl" not in bus.db.outbox.index_information(), timeout_s=10,
               message="the legacy TTL index dropped")


def test_a_relay_lease_outlives_the_slowest_step(bus):
    relay = bus.relay()
    # Renewed at two thirds left, the lease still covers a whole confirm wait and the writes after.
    assert relay.lease.ttl_s * 2 / 3 > relay.publisher.confirm_timeout_s + outbox.STORE_STEP_S
    with pytest.raises(ValueError):
        bus.relay(lease_ttl_s=relay.publisher.confirm_timeout_s)


def test_a_relay_that_lost_its_lease_publishes_nothing_and_cannot_move_the_position(bus):
    with Connection(bus.amqp_url) as conn:
        bus.consumer().queues.declare(conn)
    first = bus.relay()
    assert first.relay_once() == 0  # holds the lease and a position
    stale_token = bus.db.outbox_relay.find_one({"_id": "position"})["token"]
    # The first relay stalls past its lease (by the store's clock) and a second takes over.
    bus.expire_relay_lease()
    second = bus.relay()
    bus.commit_events([bus.event(n) for n in range(3)])
    assert second.relay_once() == 3
    saved = bus.db.outbox_relay.find_one({"_id": "position"})
    bus.commit_events([bus.event(n) for n in range(3, 5)])
    # The first wakes up: it may not publish, and its late save may not move the position back.
    with pytest.raises(LeaseLost):
        first.relay_once()
    with pytest.raises(LeaseLost):
        first._save(stale_token)
    assert bus.db.outbox_relay.find_one({"_id": "position"})["token"] == saved["token"]
    assert bus.queue_depth(f"{bus.service}.inbox") == 3
    assert second.relay_once() == 2
    for relay in (first, second):
        relay.publisher.close()


def test_events_published_before_marks_existed_are_marked_sent_once(bus):
    with Connection(bus.amqp_url) as conn:
        bus.consumer().queues.declare(conn)
    published_long_ago, recent = bus.event(1), bus.event(2)
    bus.commit_events([published_long_ago])
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    bus.db.outbox.update_one({"_id": published_long_ago.id}, {"$set": {"created_at": an_hour_ago}})
    # The position as the relay before marks saved it: a token and a time, no epoch.
    with bus.db.outbox.watch() as stream:
        bus.db.outbox_relay.insert_one({"_id": "position", "token": stream.resume_token,
                                        "saved_at": datetime.now(timezone.utc)})
    bus.commit_events([recent])
    relay = bus.relay()
    assert relay.relay_once() == 1
    marked = bus.db.outbox.find_one({"_id": published_long_ago.id})
    assert marked["status"] == "sent" and marked["sent_at"] == marked["created_at"]
    assert bus.db.outbox.find_one({"_id": recent.id})["status"] == "sent"
    assert bus.queue_depth(f"{bus.service}.inbox") == 1
    relay.publisher.close()


class MemberTouched(ma.Schema):
    member_id = ma.fields.String(required=True)
    given_name = ma.fields.String()
    phone = ma.fields.String()
    guests = ma.fields.Integer()
    touched_at = ma.fields.String()
    encrypted_token = ma.fields.String()
    changed = ma.fields.Dict()
    member_ids = ma.fields.List(ma.fields.String())


def test_a_sent_event_keeps_its_envelope_and_ids_but_no_text_and_the_broker_gets_it_whole(bus, amqp_url):
    """Erasure cannot reach the text of events already sent: the relay drops it when it marks
    them sent. What is not yet sent (new, deferred) keeps its body to publish."""
    touched = bus.catalog.register(f"{bus.service}.member.touched", MemberTouched(), {"member_id": "m"})
    data = {"member_id": "m-1", "given_name": "Теодора", "phone": "+359887000111", "guests": 1,
            "touched_at": "2026-12-04T10:00:00+00:00", "encrypted_token": "gAAAA-token",
            "changed": {"email": "teodora@example.bg", "city_id": "c-9", "open_to_mentoring": True},
            "member_ids": ["m-1", "m-2"]}
    event = bus.catalog.create(touched, "m-1", data, "c-1")
    lonely = bus.catalog.create(bus.catalog.register(f"{bus.service}.nobody.touched", MemberTouched(),
                                                     {"member_id": "m"}), "m-1", data, "c-2")
    bus.commit_events([event, lonely])
    probe = Queue(f"{bus.service}.probe", exchange(), routing_key=touched, durable=False, auto_delete=False)
    with Connection(amqp_url) as conn:
        probe(conn.default_channel).declare()
        try:
            relay = bus.relay()
            assert relay.relay_once() == 1
            with conn.SimpleQueue(probe) as queue:
                message = queue.get(timeout=5)
                assert json.loads(message.body)["data"] == data
                message.ack()
        finally:
            probe(conn.default_channel).delete()
            relay.publisher.close()
    sent = bus.db.outbox.find_one({"_id": event.id})
    assert sent["status"] == "sent"
    kept = json.loads(sent["body"])
    assert {k: kept[k] for k in ("id", "type", "subject", "correlationid")} == {
        "id": event.id, "type": touched, "subject": "m-1", "correlationid": "c-1"}
    assert kept["data"] == {"member_id": "m-1", "given_name": None, "phone": None, "guests": 1,
                            "touched_at": "2026-12-04T10:00:00+00:00", "encrypted_token": "gAAAA-token",
                            "changed": {"email": None, "city_id": "c-9", "open_to_mentoring": True},
                            "member_ids": ["m-1", "m-2"]}
    deferred = bus.db.outbox.find_one({"_id": lonely.id})
    assert deferred["status"] == "deferred" and json.loads(deferred["body"])["data"] == data


def test_a_body_that_is_no_envelope_is_not_kept_once_sent():
    assert outbox.redacted(b"x" * 900) == b"" and outbox.redacted(b"[1, 2]") == b""
