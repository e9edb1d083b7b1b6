"""The last seats of an event under real concurrency: 200 members register at once for 50
seats through the events HTTP API under gunicorn (several processes and threads, each
registration a store transaction whose write conflicts are retried).

Exactly 50 are confirmed and 150 waitlisted in one FIFO order, nobody twice, the event's
counters agree; cancellations then promote the first waitlisted in that order.

The 200 members are made known to the events read model by writing it directly (with the
read model's own ``merge_member``) rather than through 200 sign-ups in the members service:
the test is about registrations, and the read model's feeding by members events is covered
by the handlers' own tests. Everything else goes through HTTP; the outbox is read from the
events store to see the messages in commit order.
"""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import requests
from pymongo import MongoClient

from services.events import readmodel_store

MEMBERS, SEATS, THREADS = 200, 50, 32


def test_two_hundred_members_for_fifty_seats(platform, issue_token):
    api = f"{platform.urls['events']}/api/v1/events"
    admin = {"Authorization": f"Bearer {issue_token('office-1', 'admin')}"}
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
    response = requests.post(api, headers=admin, timeout=30, json={
        "title": {"bg": "Среща на випуск 2010", "en": "Class of 2010 reunion"}, "kind": "reunion",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=4)).isoformat(),
        "place": {"name": "Аула на МУ-Пловдив"}, "capacity": SEATS})
    assert response.status_code == 201, response.text
    event_id = response.json()["id"]
    assert requests.post(f"{api}/{event_id}/publish", headers=admin, timeout=30).status_code == 200

    db = MongoClient(platform.env["MONGO_URL"], tz_aware=True)[platform.env["MONGO_DB_PREFIX"] + "events"]
    members = [uuid.uuid4().hex for _ in range(MEMBERS)]
    for member_id in members:
        readmodel_store.merge_member(db, None, member_id, {"status": "verified", "graduation_year": 2010})
    headers = {m: {"Authorization": f"Bearer {issue_token(m, 'alumnus')}"} for m in members}

    def register(member_id: str) -> tuple[int, dict]:
        answer = requests.post(f"{api}/{event_id}/registrations", json={}, headers=headers[member_id], timeout=60)
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(THREADS) as pool:
        answers = dict(zip(members, pool.map(register, members)))

    assert {status for status, _ in answers.values()} == {201}, [b for s, b in answers.values() if s != 201][:3]
    confirmed = [m for m, (_, body) in answers.items() if body["status"] == "confirmed"]
    waitlisted = {m: body["position"] for m, (_, body) in answers.items() if body["status"] == "waitlisted"}
    assert len(confirmed) == SEATS and sum(answers[m][1]["party"] for m in confirmed) == SEATS
    assert len(waitlisted) == MEMBERS - SEATS
    assert sorted(waitlisted.values()) == list(range(1, MEMBERS - SEATS + 1))
    assert all(answers[m][1]["ticket_code"] for m in confirmed)

    # The admins' list agrees: every member once, confirmed first, then the queue in order.
    listed = []
    for page in (1, 2):
        body = requests.get(f"{api}/{event_id}/registrations", params={"page": page, "per_page": 100},
                            headers=admin, timeout=30).json()
        assert body["total"] == MEMBERS
        listed += body["items"]
    assert len({r["member_id"] for r in listed}) == MEMBERS
    assert [r["status"] for r in listed] == ["confirmed"] * SEATS + ["waitlisted"] * (MEMBERS - SEATS)
    assert [r["member_id"] for r in listed[SEATS:]] == sorted(waitlisted, key=waitlisted.get)
    event = requests.get(f"{api}/{event_id}", headers=admin, timeout=30).json()
    assert (event["seats_left"], event["waitlist_length"]) == (0, MEMBERS - SEATS)
    stored = db.events.find_one({"_id": event_id})
    assert (stored["seats_taken"], stored["waitlist_length"], stored["waitlist_seq"]) == (SEATS, 150, 150)
    assert db.registrations.count_documents({"event_id": event_id}) == MEMBERS

    # Five confirmed members cancel: the first five of the queue are promoted, in order.
    for member_id in confirmed[:5]:
        answer = requests.delete(f"{api}/{event_id}/registrations/mine", headers=headers[member_id], timeout=30)
        assert answer.status_code == 200 and answer.json()["status"] == "cancelled", answer.text
    queue = sorted(waitlisted, key=waitlisted.get)
    for member_id in queue[:5]:
        mine = requests.get(f"{api}/{event_id}/registrations/mine", headers=headers[member_id], timeout=30).json()
        assert mine["status"] == "confirmed" and mine["promoted_at"] and mine["ticket_code"]
    still = requests.get(f"{api}/{event_id}/registrations/mine", headers=headers[queue[5]], timeout=30).json()
    assert (still["status"], still["position"]) == ("waitlisted", 1)
    promoted = [json.loads(doc["body"])["data"]["member_id"] for doc in db.outbox.find(
        {"type": "events.registration.promoted", "subject": {"$regex": f"^{event_id}:"}}).sort("order", 1)]
    assert promoted == queue[:5]
    stored = db.events.find_one({"_id": event_id})
    assert (stored["seats_taken"], stored["waitlist_length"]) == (SEATS, MEMBERS - SEATS - 5)
