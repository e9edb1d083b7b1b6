"""Mentoring end to end on the real RabbitMQ (the members api under gunicorn, its worker, the
notifications worker, the SMTP sink; three sign-ups and logins from one address would meet the
gateway's rate limit, so the api is called directly): a recent graduate gets
recommendations and asks two mentors in order; the first lets the ask expire; the second is
asked by email and accepts with the one-click link, not logged in; a meeting is logged; every
``members.mentorship.*`` event on the bus has the data its catalogue schema (what the awards
service will read) promises.

Time is driven, not waited for: the platform's mentors have ``MENTORING_DEADLINE_S`` (ten
minutes, tests/e2e/conftest.py), which no ask reaches during the run on the real clock. The
expiry comes from a further members worker started with its clock past the first deadline
(``CLOCK_OFFSET_S``): it expires the first ask and asks the second mentor, whose deadline is
then reckoned from that later clock, so the accept can never come too late however slow the
email is.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import requests

from services.members.messages import CATALOG as MEMBERS
from tests.e2e.bus_probe import BusProbe, assert_valid
from tests.e2e.office import club_today, member, mentoring_accept_link, offer_mentoring
from tests.support import bearer, wait_until


def _member(members_api: str, sink, admin: dict, given: str, latin: str, run: str, year: int) -> tuple[str, dict, str]:
    person = member(members_api, sink, admin, given, latin, run, family="Димитрова", year=year)
    return person["id"], person["auth"], person["email"]


def _mail(sink, address: str, subject_part: str) -> list:
    return [m for m in sink.to(address) if subject_part in m["Subject"]]


def _ask(members: str, mentee_auth: dict, request_id: str) -> dict:
    state = requests.get(f"{members}/me/mentoring/requests", headers=mentee_auth, timeout=10)
    assert state.status_code == 200, state.text
    return next(r for r in state.json()["items"] if r["id"] == request_id)



def test_a_graduate_finds_a_mentor_through_an_expired_ask_and_a_one_click_accept(
        platform, smtp_sink, amqp_url, issue_token):
    sink, _ = smtp_sink
    url, run = platform.urls["members"], uuid.uuid4().hex[:8]
    admin = bearer(issue_token("a" * 32, "admin"))
    members = f"{url}/api/v1/members"
    specialty = f"Кардиология {run}"
    first, first_auth, first_email = _member(url, sink, admin, "Елена", "elena", run, 2006)
    second, second_auth, second_email = _member(url, sink, admin, "Петя", "petya", run, 2009)
    mentee, mentee_auth, _ = _member(url, sink, admin, "Ива", "iva", run, club_today().year - 1)
    for auth in (first_auth, second_auth):
        offer_mentoring(members, auth, specialty)

    with BusProbe(amqp_url, "members.mentorship.#") as probe:
        recommended = requests.get(f"{members}/me/mentoring/recommendations", headers=mentee_auth, timeout=10,
                                   params={"specialties": specialty})
        assert recommended.status_code == 200, recommended.text
        ranked = [item["mentor_id"] for item in recommended.json()["items"]]
        assert {first, second} <= set(ranked)
        assert all(item["factors"] for item in recommended.json()["items"])

        asked = requests.post(f"{members}/me/mentoring/requests", timeout=10,
                              headers={**mentee_auth, "Idempotency-Key": uuid.uuid4().hex},
                              json={"mentors": [first, second], "message": "Бих искала съвет за специализация."})
        assert asked.status_code == 201, asked.text
        request_id = asked.json()["id"]
        assert asked.json()["asked_mentor"] == first

        # The first mentor is asked and does not answer: on the real clock the ask waits ...
        wait_until(lambda: _mail(sink, first_email, "Ви моли да станете ментор"), timeout_s=30,
                   message="the first mentor's request email")
        first_deadline = datetime.fromisoformat(_ask(members, mentee_auth, request_id)["deadline"])
        assert [c["outcome"] for c in _ask(members, mentee_auth, request_id)["choices"]] == ["pending", None]
        # ... until a worker whose clock is past its deadline moves it on to the second mentor.
        ahead = timedelta(seconds=int(platform.env["MENTORING_DEADLINE_S"]) + 60)
        with platform.worker_ahead("members", f"members-worker-later-{run}", ahead):
            mail = wait_until(lambda: _mail(sink, second_email, "Ви моли да станете ментор"), timeout_s=60,
                              message="the ask expired and the second mentor's request email")[0]
        mine = _ask(members, mentee_auth, request_id)
        assert [c["outcome"] for c in mine["choices"]] == ["expired", "pending"]
        # The second deadline is reckoned from the later worker's clock, a full period after the first.
        assert datetime.fromisoformat(mine["deadline"]) >= first_deadline + ahead

        # The second mentor accepts from the email, not logged in; a second click says so.
        token = mentoring_accept_link(mail, request_id)
        accepted = requests.post(f"{members}/mentoring/requests/{request_id}/accept", json={}, headers=token,
                                 timeout=10)
        assert accepted.status_code == 200, accepted.text
        assert (accepted.json()["decided"], accepted.json()["already"]) == ("accepted", False)
        again = requests.post(f"{members}/mentoring/requests/{request_id}/accept", json={}, headers=token,
                              timeout=10)
        assert again.status_code == 200 and again.json()["already"] is True
        assert [c["outcome"] for c in _ask(members, mentee_auth, request_id)["choices"]] == ["expired", "accepted"]
        mentorship_id = accepted.json()["ask"]["mentorship_id"]

        logged = requests.post(f"{members}/mentoring/mentorships/{mentorship_id}/meetings", headers=mentee_auth,
                               timeout=10, json={"on": club_today().isoformat(), "minutes": 45,
                                                 "topic": "Избор на специалност", "notes": "Само за нас двамата."})
        assert logged.status_code in (200, 201), logged.text

        events = probe.collect(lambda e: request_id in (e["data"].get("request_id"), e["subject"])
                               or mentorship_id in (e["data"].get("mentorship_id"), e["subject"]), want={
            "members.mentorship.requested": 2, "members.mentorship.expired": 1,
            "members.mentorship.accepted": 1, "members.mentorship.meeting_logged": 1})

    assert_valid(events, MEMBERS)  # every event as its catalogue schema (the awards service's reading) has it
    credited = [e["data"] for e in events if e["type"] in ("members.mentorship.accepted",
                                                           "members.mentorship.meeting_logged")]
    assert all((d["mentor_id"], d["mentee_id"]) == (second, mentee) for d in credited)
    assert all("Само за нас" not in json.dumps(e["data"], ensure_ascii=False) for e in events)

