"""Reminders: armed on publish (defaults 24 h and 1 h, or the event's own offsets), re-armed
when the start moves, voided on cancel, and claimed atomically by the worker so that each is
published once, in one transaction with its claim. Events are made through the events API
as an admin; the clock is fixed and moved by the tests."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from services.events import reminders, reminders_store
from shared.config import ConfigError
from tests.support import outbox_events

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
DUE = "events.reminder.due"


@pytest.fixture
def events(client, admin):
    """``events.published(starts_in=timedelta, **fields)`` -> the event as the API returns it."""
    class Events:
        def draft(self, starts_in: timedelta, **fields) -> dict:
            starts = NOW + starts_in
            body = {"title": {"bg": "Среща на випуск 2006", "en": "Class of 2006 reunion"}, "kind": "reunion",
                    "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=4)).isoformat(),
                    "place": {"name": "Аула на МУ-Пловдив", "address": None, "city": "Пловдив"}, **fields}
            response = client.post("/api/v1/events", json=body, headers=admin)
            assert response.status_code == 201, response.get_json()
            return response.get_json()

        def published(self, starts_in: timedelta, **fields) -> dict:
            event = self.draft(starts_in, **fields)
            response = client.post(f"/api/v1/events/{event['id']}/publish", headers=admin)
            assert response.status_code == 200, response.get_json()
            return response.get_json()

    return Events()


def armed(db, event_id: str) -> dict[int, tuple[str, datetime]]:
    """minutes -> (status, due_at) of the event's reminders."""
    return {d["minutes"]: (d["status"], d["due_at"]) for d in db.reminders.find({"event_id": event_id})}


def run(store, clock, worker: str = "w1") -> int:
    return reminders.run_once(store, clock, worker)[1]


def test_publishing_arms_the_default_24h_and_1h_reminders(events, db):
    event = events.published(timedelta(days=3))
    starts = NOW + timedelta(days=3)
    assert event["reminders"] == [1440, 60]
    assert armed(db, event["id"]) == {1440: ("pending", starts - timedelta(hours=24)),
                                      60: ("pending", starts - timedelta(hours=1))}
    assert db.reminders.find_one({"_id": f"{event['id']}:60"})["event_id"] == event["id"]


def test_a_draft_has_no_reminders(events, db):
    event = events.draft(timedelta(days=3))
    assert armed(db, event["id"]) == {}


def test_an_events_own_offsets_are_used(events, db):
    event = events.published(timedelta(days=3), reminders=[30, 2880])
    assert {m: s for m, (s, _) in armed(db, event["id"]).items()} == {2880: "pending", 30: "pending"}


def test_published_when_offsets_have_passed_only_the_latest_due_is_sent_at_once(events, db, store, clock):
    # 30 minutes before the start: "24 h before" and "1 h before" are both past; only the
    # 1 h one is sent (now, saying 30 minutes), the 24 h one is never armed; the 15 min one
    # waits for its time.
    event = events.published(timedelta(minutes=30), reminders=[1440, 60, 15])
    starts = NOW + timedelta(minutes=30)
    assert armed(db, event["id"]) == {60: ("pending", starts - timedelta(hours=1)),
                                      15: ("pending", starts - timedelta(minutes=15))}
    assert run(store, clock) == 1
    [due] = outbox_events(db, DUE)
    assert due["data"]["minutes_before"] == 30
    assert run(store, clock) == 0
    clock.advance(minutes=15)
    assert run(store, clock) == 1
    assert [e["data"]["minutes_before"] for e in outbox_events(db, DUE)] == [30, 15]


def test_a_due_reminder_is_published_once_with_what_notifications_needs(events, db, store, clock):
    event = events.published(timedelta(days=2), place={"name": "Зала 1", "address": "бул. Васил Априлов 15А",
                                                       "city": "Пловдив"})
    db.registrations.insert_many([
        {"_id": f"{event['id']}:m1", "event_id": event["id"], "member_id": "m1", "status": "confirmed"},
        {"_id": f"{event['id']}:m2", "event_id": event["id"], "member_id": "m2", "status": "waitlisted"},
        {"_id": f"{event['id']}:m3", "event_id": event["id"], "member_id": "m3", "status": "cancelled"},
        {"_id": f"{event['id']}:xx", "event_id": event["id"], "member_id": None, "status": "confirmed"},
    ])
    assert run(store, clock) == 0, "nothing is due yet"
    clock.advance(hours=24)
    assert run(store, clock, "w1") == 1
    assert run(store, clock, "w2") == 0, "a second run, or a second worker, finds it sent"
    [due] = outbox_events(db, DUE)
    assert due["subject"] == event["id"]
    data = due["data"]
    assert data["minutes_before"] == 1440
    assert data["member_ids"] == ["m1"], "confirmed members only, never an erased one"
    assert data["event_id"] == event["id"]
    assert data["title"] == {"bg": "Среща на випуск 2006", "en": "Class of 2006 reunion"}
    assert data["kind"] == "reunion" and data["timezone"] == "Europe/Sofia"
    assert data["starts_at"] == (NOW + timedelta(days=2)).isoformat()
    assert data["place"] == {"name": "Зала 1", "address": "бул. Васил Априлов 15А", "city": "Пловдив"}
    sent = db.reminders.find_one({"_id": f"{event['id']}:1440"})
    assert (sent["status"], sent["claimed_by"], sent["sent_at"]) == ("sent", "w1", clock())
    assert armed(db, event["id"])[60][0] == "pending"
    clock.advance(hours=23)
    assert run(store, clock, "w2") == 1
    assert [e["data"]["minutes_before"] for e in outbox_events(db, DUE)] == [1440, 60]
    clock.advance(hours=2)
    assert run(store, clock) == 0
    assert len(outbox_events(db, DUE)) == 2


def test_claim_due_is_the_contract_the_worker_calls(events, db, store, clock):
    for _ in range(3):
        events.published(timedelta(minutes=30), reminders=[60])
    assert reminders_store.claim_due(store, clock(), "w1", limit=2) == 2
    assert reminders_store.claim_due(store, clock(), "w2", limit=10) == 1
    assert reminders_store.claim_due(store, clock(), "w3", limit=10) == 0
    assert len(outbox_events(db, DUE)) == 3
    assert sorted(d["claimed_by"] for d in db.reminders.find()) == ["w1", "w1", "w2"]


def test_the_loop_claims_with_its_worker_id_and_goes_on_when_a_batch_was_full(events, db, store, clock):
    for _ in range(3):
        events.published(timedelta(minutes=30), reminders=[60])
    task = reminders.loop(store, clock=clock, worker_id="host:1", interval_s=60, limit=2)
    assert task.interval_s == 60
    assert task.tick() == 2
    assert task.wakeup.is_set(), "a full batch: the next run starts at once"
    task.wakeup.clear()
    assert task.tick() == 1
    assert not task.wakeup.is_set()
    assert {d["claimed_by"] for d in db.reminders.find()} == {"host:1"}


def test_the_interval_is_a_setting(make_config):
    from services.events.worker import create_worker
    assert make_config().events_reminder_interval_s == reminders.DEFAULT_INTERVAL_S == 5.0
    worker = create_worker(make_config(AMQP_URL="memory://", EVENTS_REMINDER_INTERVAL_S="0.25"))
    assert worker.loops["reminders"].interval_s == 0.25
    with pytest.raises(ConfigError, match="EVENTS_REMINDER_INTERVAL_S"):
        make_config(EVENTS_REMINDER_INTERVAL_S="soon")


def test_moving_the_start_rearms_the_reminders(events, client, admin, db, store, clock):
    event = events.published(timedelta(days=2))
    clock.advance(hours=24, minutes=1)
    assert run(store, clock) == 1  # the 24 h one
    later = NOW + timedelta(days=5)
    response = client.patch(f"/api/v1/events/{event['id']}", headers=admin, json={
        "starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=4)).isoformat()})
    assert response.status_code == 200, response.get_json()
    assert armed(db, event["id"]) == {1440: ("pending", later - timedelta(hours=24)),
                                      60: ("pending", later - timedelta(hours=1))}
    assert db.reminders.find_one({"_id": f"{event['id']}:1440"})["claimed_by"] is None
    clock.at = later - timedelta(hours=24)
    assert run(store, clock) == 1, "the 24 h reminder goes again, before the new start"
    assert [e["data"]["starts_at"] for e in outbox_events(db, DUE)] == [
        (NOW + timedelta(days=2)).isoformat(), later.isoformat()]


def test_moving_the_start_a_little_earlier_does_not_send_a_reminder_again(events, client, admin, db, store,
                                                                          clock):
    event = events.published(timedelta(hours=2), reminders=[60])
    clock.advance(hours=1)
    assert run(store, clock) == 1  # "1 h before"
    # 10 minutes later the start moves 15 minutes earlier: the new "1 h before" time has
    # passed, but the member was reminded after it; nothing more is sent.
    clock.advance(minutes=10)
    earlier = NOW + timedelta(hours=1, minutes=45)
    response = client.patch(f"/api/v1/events/{event['id']}", headers=admin, json={"starts_at": earlier.isoformat()})
    assert response.status_code == 200, response.get_json()
    assert armed(db, event["id"])[60][0] == "sent"
    assert run(store, clock) == 0
    assert len(outbox_events(db, DUE)) == 1


def test_changing_the_offsets_voids_the_dropped_ones_and_arms_the_new(events, client, admin, db):
    event = events.published(timedelta(days=3))
    response = client.patch(f"/api/v1/events/{event['id']}", headers=admin, json={"reminders": [120]})
    assert response.status_code == 200, response.get_json()
    starts = NOW + timedelta(days=3)
    assert armed(db, event["id"]) == {1440: ("void", starts - timedelta(hours=24)),
                                      60: ("void", starts - timedelta(hours=1)),
                                      120: ("pending", starts - timedelta(hours=2))}


def test_cancelling_voids_every_pending_reminder(events, client, admin, db, store, clock):
    event = events.published(timedelta(days=2))
    clock.advance(hours=24)
    assert run(store, clock) == 1
    response = client.post(f"/api/v1/events/{event['id']}/cancel", headers=admin, json={"reason": "Наводнение."})
    assert response.status_code == 200, response.get_json()
    assert {m: s for m, (s, _) in armed(db, event["id"]).items()} == {1440: "sent", 60: "void"}
    clock.advance(hours=24)
    assert run(store, clock) == 0
    assert len(outbox_events(db, DUE)) == 1


def test_a_reminder_of_an_event_that_has_started_or_is_gone_is_voided_not_sent(events, db, store, clock):
    started = events.published(timedelta(hours=2))
    gone = events.published(timedelta(hours=2))
    # The worker was down: by the time it runs, the event has started.
    clock.advance(hours=2, minutes=5)
    db.events.update_one({"_id": gone["id"]}, {"$set": {"status": "cancelled"}})  # not through cancel()
    assert run(store, clock) == 0
    assert {m: s for m, (s, _) in armed(db, started["id"]).items()} == {1440: "void", 60: "void"}
    assert {m: s for m, (s, _) in armed(db, gone["id"]).items()} == {1440: "void", 60: "void"}
    assert outbox_events(db, DUE) == []


def test_a_failed_transaction_leaves_the_reminder_pending(events, db, store, clock, monkeypatch):
    event = events.published(timedelta(minutes=30), reminders=[60])

    def broken(*_args, **_kwargs):
        raise RuntimeError("crash before commit")
    monkeypatch.setattr(reminders_store.outbox, "add", broken)
    with pytest.raises(RuntimeError):
        reminders_store.claim_one(store, clock(), "w1")
    assert armed(db, event["id"])[60][0] == "pending"
    monkeypatch.undo()
    assert run(store, clock) == 1
    assert len(outbox_events(db, DUE)) == 1


def test_the_claim_query_has_its_index(store, db):
    store.create_indexes()
    keys = [list(ix["key"].items()) for ix in db.reminders.list_indexes()]
    assert [("status", 1), ("due_at", 1)] in keys


def test_published_two_hours_before_the_24h_reminder_goes_at_once_and_the_1h_one_later(events, db, store,
                                                                                        clock):
    event = events.published(timedelta(hours=2))
    assert {m: s for m, (s, _) in armed(db, event["id"]).items()} == {1440: "pending", 60: "pending"}
    assert run(store, clock) == 1
    clock.advance(hours=1, minutes=4)  # a worker claims four minutes after the due time
    assert run(store, clock) == 1
    # The "24 h" one says how long is really left (2 hours); the 1 h one, a little late, 1 hour.
    assert [e["data"]["minutes_before"] for e in outbox_events(db, DUE)] == [120, 60]


def test_a_reminder_claimed_well_after_its_due_time_says_the_time_left(events, db, store, clock):
    events.published(timedelta(hours=3), reminders=[60])
    clock.advance(hours=2, minutes=20)  # the workers were down: 40 minutes left
    assert run(store, clock) == 1
    assert [e["data"]["minutes_before"] for e in outbox_events(db, DUE)] == [40]


def test_dropping_the_offset_that_was_sent_does_not_bring_back_an_earlier_one(events, client, admin, db, store,
                                                                             clock):
    event = events.published(timedelta(minutes=30))  # 1 h one sent at once, 24 h one never
    assert run(store, clock) == 1
    response = client.patch(f"/api/v1/events/{event['id']}", headers=admin, json={"reminders": [1440]})
    assert response.status_code == 200, response.get_json()
    assert run(store, clock) == 0
    assert len(outbox_events(db, DUE)) == 1


def test_two_workers_claiming_at_once_publish_each_reminder_once(events, db, store, clock):
    """Driven in lockstep, so the race happens every round rather than when the scheduler
    allows: the three workers start a claim together, each round, until none is due. All
    three go for the same earliest reminder; one gets it, the others must get others."""
    ids = [events.published(timedelta(minutes=30), reminders=[60])["id"] for _ in range(20)]
    names = [f"w{k}" for k in range(3)]
    go, done = threading.Barrier(len(names)), threading.Barrier(len(names))
    rounds: dict[str, list[int]] = {name: [] for name in names}

    def worker(name: str) -> None:
        while True:
            go.wait(30)
            rounds[name].append(reminders.run_once(store, clock, name, limit=1)[0])
            done.wait(30)  # nobody claims while the others look whether any is left
            if not db.reminders.count_documents({"status": "pending"}):
                return

    threads = [threading.Thread(target=worker, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    published = outbox_events(db, DUE)
    assert sorted(e["subject"] for e in published) == sorted(ids)
    assert db.reminders.count_documents({"status": "sent"}) == 20
    # The race happened: in every full round each of the three claimed one.
    assert [rounds[name][:6] for name in names] == [[1] * 6] * 3
    assert sum(sum(r) for r in rounds.values()) == 20
    assert {d["claimed_by"] for d in db.reminders.find()} == set(names)


