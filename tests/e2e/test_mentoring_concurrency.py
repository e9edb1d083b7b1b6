"""A mentor's last places under real concurrency: mentees ask at the same instant through the
members HTTP API under gunicorn (two processes of four threads each, on the local store), and
a mentor never gets more asks than places.

- Five rounds: a mentor with one place and 20 mentees asking only them, released together.
  Exactly one request is stored (201, asking that mentor); the other 19 answer 409 and store
  nothing.
- Three mentors with 1, 2 and 3 places, and 20 mentees each asking all three in that order,
  released together: the first mentor gets one ask, the second two, the third three (a
  request that found a choice full skipped it and moved to the next), the other 14 get 409.
- After each round the mentor's own list of asks (``GET .../me/mentoring/asks``) and the
  offers as stored agree: ``free`` is never negative and equals capacity - active - pending.
- The race happened: every request of a round was complete on the wire before the first
  answer came back (a round that did not race, which a loaded machine can cause, is checked
  and played again with new people, up to three times) (the requests are written but for their last byte, then the last bytes
  go out in one loop; send and answer times on one monotonic clock), so the place was taken
  while all of them were being handled, not one after another.

The members are written straight into the members database (verified alumni as mentors,
verified students as mentees; a token each): the test is about taking places, and becoming
verified is covered by the sign-up tests. The offers, the requests and every read go through
HTTP. No broker is needed: the api only writes its outbox (``AMQP_URL=memory://``).
"""
from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
from pymongo import MongoClient

from tests.processes import Platform, platform_env

M = "/api/v1/members"
MENTEES, ROUNDS = 20, 5
ATTEMPTS = 3  # rounds played at most for one that races (see ``until_they_race``)
OFFER = {"topics": ["specialty_choice", "residency_and_exams"], "specialties": ["Кардиология"],
         "languages": ["bg", "en"], "formats": ["online"]}


@pytest.fixture(scope="module")
def members_api(local_store, jwt_keys, tmp_path_factory):
    """The members api under gunicorn (``alumnet api members``: WEB_CONCURRENCY=2, 4 threads)."""
    env = platform_env("memory://", local_store.url, jwt_keys)
    running = Platform(env, tmp_path_factory.mktemp("logs"))
    try:
        url = running.start_api("members")
        running.wait_ready(url, "members-api")
        db = MongoClient(env["MONGO_URL"], tz_aware=True)[env["MONGO_DB_PREFIX"] + "members"]
        yield url, db
    finally:
        running.stop()


@pytest.fixture
def people(members_api, issue_token):
    """``people.mentor(capacity)`` (a verified alumnus with an offer made over HTTP) and
    ``people.mentees(n)`` (verified students), each ``(member id, bearer header)``."""
    url, db = members_api

    def member(roles: list[str], **fields) -> tuple[str, dict]:
        member_id = uuid.uuid4().hex
        db.members.insert_one({"_id": member_id, "status": "verified", "roles": roles, "given_name": "Мария",
                               "family_name": "Петрова", "preferred_language": "bg", "languages": ["bg"],
                               "email": f"{member_id}@example.bg", **fields})
        return member_id, {"Authorization": f"Bearer {issue_token(member_id, *roles)}"}

    class People:
        def mentor(self, capacity: int) -> tuple[str, dict]:
            mentor = member(["alumnus"], graduation_year=2012)
            response = requests.put(f"{url}{M}/me/mentoring/offer", json={**OFFER, "capacity": capacity},
                                    headers=mentor[1], timeout=30)
            assert response.status_code == 200 and response.json()["free_places"] == capacity, response.text
            return mentor

        def mentees(self, n: int) -> list[tuple[str, dict]]:
            return [member(["student"], graduation_year=None) for _ in range(n)]

    return People()


@dataclass
class Answer:
    status: int
    body: dict
    sent: float       # when the request's last byte was written to the socket
    answered: float   # when its answer came back


def ask_all_at_once(url: str, asks: list[tuple[dict, list[str]]]) -> list[Answer]:
    """Each ``(bearer header, mentor ids)`` asks on its own connection: every request is
    written but for its last byte, then one loop sends the last bytes one after another (the
    api cannot start on a request before its body is complete), and a thread per connection
    reads its answer."""
    host, port = url.removeprefix("http://").split(":")
    answers: list[Answer | BaseException | None] = [None] * len(asks)
    sent: list[float] = [0.0] * len(asks)
    conns = []
    for headers, mentors in asks:
        body = json.dumps({"mentors": mentors, "message": "Здравейте! Бих искала съвет за специалност."}).encode()
        fields = {**headers, "Host": f"{host}:{port}", "Content-Type": "application/json",
                  "Content-Length": len(body), "Connection": "close"}
        head = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        raw = f"POST {M}/me/mentoring/requests HTTP/1.1\r\n{head}\r\n".encode() + body
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.connect()
        conn.sock.sendall(raw[:-1])
        conns.append((conn, raw[-1:]))

    def answer(k: int, conn: http.client.HTTPConnection) -> None:
        try:
            response = http.client.HTTPResponse(conn.sock, method="POST")
            response.begin()
            payload = response.read()
            answers[k] = Answer(response.status, json.loads(payload), sent[k], time.monotonic())
        except BaseException as exc:  # reported by the main thread
            answers[k] = exc
        finally:
            conn.close()

    readers = [threading.Thread(target=answer, args=(k, conn)) for k, (conn, _) in enumerate(conns)]
    for reader in readers:
        reader.start()
    for k, (conn, last) in enumerate(conns):
        sent[k] = time.monotonic()
        conn.sock.sendall(last)
    for reader in readers:
        reader.join(120)
    failures = [a for a in answers if not isinstance(a, Answer)]
    assert not failures, failures[:3]
    return answers


def overlap_ms(answers: list[Answer]) -> float:
    """How long every request of a round was complete on the wire before the first answer
    came back (negative: the first answer came before the last request was sent)."""
    return (min(a.answered for a in answers) - max(a.sent for a in answers)) * 1000


def until_they_race(play: Callable[[], list[Answer]], attempts: int = ATTEMPTS) -> None:
    """Play a round (which checks its own outcome) until its requests overlapped. On a loaded
    machine the api can answer the first request before this process has sent the last byte of
    the twentieth: such a round proved nothing about the race (it is still checked), and is
    played again with new people."""
    missed = []
    for _ in range(attempts):
        overlap = overlap_ms(play())
        if overlap > 0:
            return
        missed.append(f"{-overlap:.1f}")
    pytest.fail(f"in {attempts} rounds the requests never overlapped: the last was sent {', '.join(missed)} ms "
                "after the first answer")


def assert_places_kept(url: str, db, mentor: tuple[str, dict], capacity: int, asked_by: set[str]) -> None:
    """The mentor's asks (over HTTP) are exactly ``asked_by``, all pending, and the stored offer
    adds up: never more than ``capacity`` taken, ``free`` never negative."""
    asks = requests.get(f"{url}{M}/me/mentoring/asks", params={"per_page": 100}, headers=mentor[1], timeout=30)
    assert asks.status_code == 200, asks.text
    pending = [a["mentee_id"] for a in asks.json()["items"] if a["outcome"] == "pending"]
    assert len(pending) == len(set(pending)) == len(asked_by) <= capacity
    assert set(pending) == asked_by
    offer = db.mentor_offers.find_one({"_id": mentor[0]})
    assert (offer["capacity"], offer["active"], offer["pending"], offer["free"]) == (
        capacity, 0, len(asked_by), capacity - len(asked_by))
    assert offer["free"] >= 0
    assert db.mentoring_requests.count_documents({"asked_mentor": mentor[0], "state": "pending"}) == len(asked_by)


def test_twenty_mentees_for_one_last_place_five_times(members_api, people):
    url, db = members_api

    def play() -> list[Answer]:
        mentor = people.mentor(capacity=1)
        mentees = people.mentees(MENTEES)
        answers = ask_all_at_once(url, [(headers, [mentor[0]]) for _, headers in mentees])

        statuses = sorted(a.status for a in answers)
        assert statuses == [201] + [409] * (MENTEES - 1), [a.body for a in answers if a.status not in (201, 409)][:3]
        (winner,) = [(mentee_id, a.body) for (mentee_id, _), a in zip(mentees, answers) if a.status == 201]
        assert winner[1]["state"] == "pending" and winner[1]["asked_mentor"] == mentor[0]
        assert {a.body["type"].rsplit("/", 1)[-1] for a in answers if a.status == 409} == {"mentoring-none-available"}
        assert_places_kept(url, db, mentor, 1, {winner[0]})
        # The 19 refused stored nothing: one request of this mentor's, no others of theirs.
        losers = [mentee_id for (mentee_id, _), a in zip(mentees, answers) if a.status == 409]
        assert db.mentoring_requests.count_documents({"mentee_id": {"$in": losers}}) == 0
        return answers

    for _ in range(ROUNDS):
        until_they_race(play)


def test_three_mentors_with_six_places_and_twenty_mentees_asking_them_in_order(members_api, people):
    url, db = members_api

    def play() -> list[Answer]:
        capacities = (1, 2, 3)
        mentors = [people.mentor(capacity=c) for c in capacities]
        mentees = people.mentees(MENTEES)
        choices = [m[0] for m in mentors]
        answers = ask_all_at_once(url, [(headers, choices) for _, headers in mentees])

        assert sorted(a.status for a in answers) == [201] * sum(capacities) + [409] * (MENTEES - sum(capacities)), \
            [a.body for a in answers if a.status not in (201, 409)][:3]
        created = {mentee_id: a.body for (mentee_id, _), a in zip(mentees, answers) if a.status == 201}
        for position, (mentor, capacity) in enumerate(zip(mentors, capacities)):
            asking = {mentee_id for mentee_id, body in created.items() if body["asked_mentor"] == mentor[0]}
            assert len(asking) == capacity
            for mentee_id in asking:
                # Moved on past each full choice before it: skipped there, pending here, the rest untouched.
                outcomes = [c["outcome"] for c in created[mentee_id]["choices"]]
                assert outcomes == ["skipped"] * position + ["pending"] + [None] * (len(mentors) - position - 1)
            assert_places_kept(url, db, mentor, capacity, asking)
        refused = [mentee_id for mentee_id, _ in mentees if mentee_id not in created]
        assert db.mentoring_requests.count_documents({"mentee_id": {"$in": refused}}) == 0
        assert db.mentor_offers.count_documents({"_id": {"$in": choices}, "free": {"$lt": 0}}) == 0
        return answers

    until_they_race(play)
