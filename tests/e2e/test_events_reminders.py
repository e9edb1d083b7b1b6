"""Reminders with two events workers running: each reminder is published exactly once.

Two extra ``alumnet worker events`` processes (besides the session's one, which keeps the real
time and the default 5 s) run the reminder job every 0.2 s on a clock 90 minutes ahead
(``CLOCK_OFFSET_S``). 30 events starting in two hours are published through the events api
with a 60-minute reminder: due in an hour by the real clock (never during the test for the
session's worker), already due by the racing workers' clock the moment it is armed, so both
race for every one however long the arming takes. A probe queue bound to
``events.reminder.due`` on the real RabbitMQ receives what the outbox relay publishes.
"""
from __future__ import annotations

import json
import queue
import re
import socket
import uuid
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import requests
from kombu import Connection, Queue
from pymongo import MongoClient

from shared.bus.topology import exchange
from tests.support import bearer, wait_until

EVENTS = 30
DUE = "events.reminder.due"
STARTS_IN = timedelta(hours=2)  # the events' start; their 60-minute reminders are due an hour from now
AHEAD = timedelta(minutes=90)   # the racing workers' clock: past the reminders, before the events


def test_two_events_workers_publish_each_reminder_exactly_once(platform, amqp_url, local_store, issue_token):
    api = platform.urls["events"]
    admin = bearer(issue_token("a" * 32, "admin"))
    db = MongoClient(local_store.url, tz_aware=True)[platform.env["MONGO_DB_PREFIX"] + "events"]
    probe = Queue(f"e2e.reminders.{uuid.uuid4().hex[:8]}", exchange(), routing_key=DUE, durable=False,
                  auto_delete=False)
    suffix = uuid.uuid4().hex[:6]
    names = [f"events-worker-r{k}-{suffix}" for k in (1, 2)]
    with Connection(amqp_url) as conn:
        probe(conn.default_channel).declare()
        racing = ExitStack()
        try:
            urls = [racing.enter_context(platform.worker_ahead("events", name, AHEAD,
                                                               EVENTS_REMINDER_INTERVAL_S="0.2")) for name in names]
            racers = {f"{socket.gethostname()}:{platform.processes[name].pid}" for name in names}

            # Each reminder is due for both racing workers as soon as it is armed.
            starts = datetime.now(timezone.utc) + STARTS_IN
            ids = {publish(api, admin, starts) for _ in range(EVENTS)}
            assert len(ids) == EVENTS

            received: list[dict] = []
            with conn.SimpleQueue(probe) as inbox:
                def mine() -> list[dict]:
                    return [m for m in received if m["subject"] in ids]

                def take(timeout_s: float) -> bool:
                    try:
                        message = inbox.get(timeout=timeout_s)
                    except queue.Empty:
                        return False
                    received.append(json.loads(message.body))
                    message.ack()
                    return True

                wait_until(lambda: take(0.5) and len({m["subject"] for m in mine()}) == EVENTS, timeout_s=90,
                           interval_s=0, message=f"{EVENTS} distinct reminders")
                # Bounded extra time for a duplicate to show up: every reminder is claimed,
                # both racing workers have run their job twice more since, and the outbox
                # relay has had the time to publish whatever those runs committed.
                wait_until(lambda: db.reminders.count_documents({"event_id": {"$in": list(ids)},
                                                                 "status": "sent"}) == EVENTS,
                           timeout_s=30, message="every reminder marked sent")
                runs = [job_runs(url) for url in urls]
                wait_until(lambda: all(job_runs(url) >= before + 2 for url, before in zip(urls, runs)),
                           timeout_s=30, message="both workers ran the reminder job twice more")
                assert db.outbox.count_documents({"type": DUE, "subject": {"$in": list(ids)}}) == EVENTS
                while take(1.0):
                    pass
        finally:
            racing.close()  # both racing workers stop cleanly
            conn.default_channel.queue_delete(probe.name)

    mine_received = [m for m in received if m["subject"] in ids]
    assert len(mine_received) == EVENTS, "each reminder is published exactly once"
    assert {m["subject"] for m in mine_received} == ids
    # The racing workers' clock is 90 minutes ahead: their 60-minute reminders go 30 minutes
    # late (by that clock) and say the time left, not the offset.
    assert all(25 <= m["data"]["minutes_before"] <= 30 for m in mine_received)
    assert {d["minutes"] for d in db.reminders.find({"event_id": {"$in": list(ids)}, "status": "sent"})} == {60}
    assert all(m["data"]["member_ids"] == [] for m in mine_received)
    assert db.reminders.count_documents({"event_id": {"$in": list(ids)}, "status": "pending"}) == 0
    claims = [d["claimed_by"] for d in db.reminders.find({"event_id": {"$in": list(ids)}})]
    # Only the racing workers' clock made them due: the session's worker, on the real time, took none.
    assert set(claims) <= racers, "a reminder was claimed before it was due"
    print(f"reminders claimed per racing worker: {sorted(claims.count(r) for r in racers)}")


def publish(api: str, admin: dict, starts: datetime) -> str:
    body = {"title": {"bg": "Лекция по кардиология", "en": "Cardiology lecture"}, "kind": "lecture",
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "place": {"name": "Аула на МУ-Пловдив", "address": None, "city": "Пловдив"}, "reminders": [60]}
    created = requests.post(f"{api}/api/v1/events", json=body, headers=admin, timeout=10)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    published = requests.post(f"{api}/api/v1/events/{event_id}/publish", headers=admin, timeout=10)
    assert published.status_code == 200, published.text
    return event_id


def job_runs(url: str) -> float:
    text = requests.get(f"{url}/metrics", timeout=5).text
    match = re.search(r"^events_reminder_runs_total ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0
