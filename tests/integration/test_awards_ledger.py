"""The engagement ledger on the real broker and the local store: the awards consumer with
its real subscriptions (``services.awards.handlers``) takes activity events from its own
inbox queue.

- The same events delivered twice and out of order give the same ledger and standings as
  once in order.
- A replay (the recorded events published again) changes nothing in a store that handled
  them, even after its inbox forgot them, and rebuilds identical standings in a fresh one.
- ``rebuild`` equals the incremental result.
"""
from __future__ import annotations

import random
import string
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection, Producer

from services.awards import handlers
from services.awards.ledger import rules
from services.awards.ledger import store as ledger_store
from services.awards.store import AwardsStore
from shared.bus.consumer import Consumer
from shared.bus.envelope import CONTENT_TYPE, Envelope, producer_of, utc_now_rfc3339
from shared.bus.inbox import COLLECTION as INBOX
from tests.support import DEFAULT_EXCHANGE, wait_until

pytestmark = pytest.mark.rabbitmq

YEAR = rules.year_period(datetime(2026, 6, 1, tzinfo=timezone.utc))
MEMBERS = [uuid.uuid4().hex for _ in range(6)]


def season(seed: int = 2026) -> list[Envelope]:
    """Three hundred activity events of six members across the year, of every source, some
    of which the rules do not credit (a waitlisted volunteer, a late reply, a short mentorship)."""
    rng = random.Random(seed)
    events = []
    for i in range(300):
        member = rng.choice(MEMBERS)
        at = YEAR[0] + timedelta(minutes=rng.randrange(365 * 24 * 60))
        kind = rng.choice(rules.event_types())
        data = {
            rules.CHECKED_IN: {"event_id": "e", "registration_id": f"r{i}", "member_id": member, "guests": 0,
                               "kind": "reunion", "checked_in_at": at.isoformat()},
            rules.SURVEY_COMPLETED: {"survey_id": "s", "member_id": member, "anonymous": False,
                                     "completed_at": at.isoformat()},
            rules.VOLUNTEER_JOINED: {"cause_id": "c", "volunteer_id": f"v{i}", "member_id": member,
                                     "status": rng.choice(["joined", "joined", "waitlisted"]), "at": at.isoformat()},
            rules.HOURS_CONFIRMED: {"cause_id": "c", "volunteer_id": f"v{i}", "member_id": member,
                                    "hours": rng.choice([0.5, 1.5, 4, 8]), "on": at.date().isoformat()},
            rules.MENTORSHIP_ACCEPTED: {"mentor_id": member, "mentee_id": "x", "mentorship_id": f"p{i}",
                                        "accepted_at": at.isoformat()},
            rules.MEETING_LOGGED: {"mentor_id": member, "mentee_id": "x", "mentorship_id": "p", "meeting_id": f"m{i}",
                                   "logged_at": at.isoformat()},
            rules.MENTORSHIP_ENDED: {"mentor_id": member, "mentee_id": "x", "mentorship_id": f"p{i}",
                                     "reason": "ended", "meetings": rng.randrange(6), "ended_at": at.isoformat()},
            rules.ACTIVITY_LOGGED: {"activity_id": f"a{i}", "member_id": member, "logged_at": at.isoformat()},
            rules.CONTACT_REPLIED: {"contact_id": f"k{i}", "member_id": member, "first": rng.random() < 0.8,
                                    "within_target": rng.random() < 0.8, "replied_at": at.isoformat()},
        }[kind]
        events.append(Envelope(id=str(uuid.uuid4()), source=producer_of(kind), type=kind, time=utc_now_rfc3339(),
                               subject=member, data=data, correlationid=str(uuid.uuid4())))
    return events


class Awards:
    """One awards consumer (its own queues and database) on the real broker."""

    def __init__(self, amqp_url: str, mongo_url: str):
        self.service = "awards" + "".join(random.choices(string.ascii_lowercase, k=8))
        self.amqp_url = amqp_url
        self.store = AwardsStore(mongo_url, f"it_{self.service}")
        self.store.create_indexes()
        self.db = self.store.db
        self.consumer = Consumer(self.service, amqp_url, self.db, self.store.transaction, handlers.subscriptions(),
                                 retry_delays=(0.3, 0.6))
        self.thread = threading.Thread(target=self.consumer.run, daemon=True)
        self.thread.start()
        wait_until(self.consumer.ready.is_set, timeout_s=30, message="awards consumer ready")

    def deliver(self, events: list[Envelope]) -> None:
        """Straight into the inbox queue, in the order given (a redelivery is the same body)."""
        with Connection(self.amqp_url, transport_options={"confirm_publish": True}) as conn:
            producer = Producer(conn.default_channel, exchange=DEFAULT_EXCHANGE)
            for event in events:
                producer.publish(event.to_json(), routing_key=self.consumer.queues.inbox_name,
                                 content_type=CONTENT_TYPE, content_encoding="binary", message_id=event.id,
                                 delivery_mode=2)

    def handled(self, events: list[Envelope]) -> None:
        ids = list({e.id for e in events})
        wait_until(lambda: self.db[INBOX].count_documents({"_id": {"$in": ids}}) == len(ids), timeout_s=120,
                   message=f"{len(ids)} events handled")
        assert self.consumer.parked == 0

    def open_cycle(self) -> None:
        ledger_store.open_cycle(self.db, None, "2026", rules.CURRENT, *YEAR)

    def snapshot(self) -> tuple:
        rows = sorted((r["_id"], r["member_id"], r["occurred_at"], r["units"], str(r["source"]))
                      for r in self.db[ledger_store.LEDGER].find())
        buckets = sorted((b["_id"], b["raw"], b["count"]) for b in self.db[ledger_store.BUCKETS].find())
        standings = sorted((s["_id"], s["points"]) for s in self.db[ledger_store.STANDINGS].find())
        return rows, buckets, standings

    def close(self) -> None:
        self.consumer.stop()
        self.thread.join(30)
        with Connection(self.amqp_url) as conn:
            channel = conn.default_channel
            for queue in self.consumer.queues.all_queues():
                try:
                    channel.queue_delete(queue.name)
                except Exception:
                    channel = conn.channel()
        self.store.client.drop_database(self.db.name)


@pytest.fixture
def awards(amqp_url, local_store):
    made: list[Awards] = []

    def make() -> Awards:
        made.append(Awards(amqp_url, local_store.url))
        return made[-1]
    yield make
    for one in made:
        one.close()


def test_the_same_events_twice_and_out_of_order_give_the_same_ledger_and_standings(awards):
    events = season()
    in_order, shuffled = awards(), awards()
    in_order.open_cycle(), shuffled.open_cycle()
    in_order.deliver(events)
    twice = events + events
    random.Random(7).shuffle(twice)
    shuffled.deliver(twice)
    in_order.handled(events)
    shuffled.handled(events)
    shuffled.deliver(events[:50])  # and again, after they were handled
    marker = season(seed=1)[:1]
    shuffled.deliver(marker), in_order.deliver(marker)
    shuffled.handled(marker), in_order.handled(marker)
    assert in_order.snapshot() == shuffled.snapshot()
    rows, _, standings = in_order.snapshot()
    assert 0 < len(rows) < len(events) + 1  # the rules credit most, not all
    assert standings


def test_a_replay_changes_nothing_and_rebuilds_identical_standings_elsewhere(awards):
    events = season()
    first = awards()
    first.open_cycle()
    first.deliver(events)
    first.handled(events)
    recorded = first.snapshot()
    # The store's inbox forgot them (its records expire): the ledger's own keys hold.
    first.db[INBOX].delete_many({})
    first.deliver(events)
    first.handled(events)
    assert first.snapshot() == recorded
    # A fresh store: the cycle opened first, then the recorded events replayed.
    fresh = awards()
    fresh.open_cycle()
    fresh.deliver(events)
    fresh.handled(events)
    assert fresh.snapshot() == recorded


def test_rebuild_equals_the_incremental_result_and_a_late_cycle_counts_the_past(awards):
    events = season()
    incremental, late = awards(), awards()
    incremental.open_cycle()
    incremental.deliver(events)
    late.deliver(events)  # no cycle yet: rows only
    incremental.handled(events), late.handled(events)
    result = incremental.snapshot()
    ledger_store.rebuild(incremental.db, "2026")
    assert incremental.snapshot() == result
    late.open_cycle()
    assert late.snapshot()[1:] == result[1:]
    best = ledger_store.top(incremental.db, "2026", rules.OVERALL, 3)
    assert [b["rank"] for b in best][0] == 1 and best == ledger_store.top(late.db, "2026", rules.OVERALL, 3)
