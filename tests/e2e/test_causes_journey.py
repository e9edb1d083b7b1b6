"""Causes end to end on the real RabbitMQ (events, members, notifications and awards under
gunicorn, their workers, the SMTP sink): the office posts an open-day volunteering call with a
role of 2 slots for everyone; three verified members answer (2 in, 1 waiting), one leaves, the
third is promoted, the owner confirms hours; each volunteer hears what the role needs, the
waiting one her place and then her promotion; every ``events.cause.*`` and
``events.volunteer.*`` event is what the events catalogue (the awards service's reading)
promises, and the awards ledger credits the confirmed hours.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import requests

from services.events.messages import CATALOG as EVENTS
from tests.e2e.accounts import join
from tests.e2e.bus_probe import BusProbe, assert_valid
from tests.support import bearer, wait_until

PASSWORD = "correct horse battery staple"


def _volunteer(members_api: str, sink, admin: dict, given: str, latin: str, run: str) -> tuple[str, dict, str]:
    email = f"{latin}.{run}@example.bg"
    member_id, auth = join(members_api, sink, {
        "given_name": given, "family_name": "Колева", "email": email, "graduation_year": 2012,
        "faculty": "medicine", "password": PASSWORD, "preferred_language": "bg",
        "consent": {"email": True, "sms": False}})
    approved = requests.post(f"{members_api}/api/v1/members/{member_id}/approve", json={}, headers=admin, timeout=10)
    assert approved.status_code == 200, approved.text
    return member_id, auth, email


def _mail(sink, address: str, part: str) -> list:
    return [m for m in sink.to(address) if part in m["Subject"] or part in m.get_body(("plain",)).get_content()]


def test_a_cause_with_two_slots_takes_two_waitlists_the_third_and_promotes_her(platform, smtp_sink, amqp_url,
                                                                                issue_token):
    sink, _ = smtp_sink
    run = uuid.uuid4().hex[:8]
    admin = bearer(issue_token("a" * 32, "admin"))
    causes = f"{platform.urls['events']}/api/v1/events/causes"
    people = [_volunteer(platform.urls["members"], sink, admin, given, latin, run)
              for given, latin in (("Мила", "mila"), ("Рая", "raya"), ("Зора", "zora"))]
    # The events read model learns of each verification through the bus.
    title = {"bg": f"Ден на отворените врати {run}", "en": f"Open day {run}"}
    with BusProbe(amqp_url, "events.cause.#", "events.volunteer.#") as probe:
        created = requests.post(causes, headers=admin, timeout=10, json={
            "kind": "volunteering", "title": title,
            "description": {"bg": "Покажете университета на кандидатите.", "en": "Show applicants the university."},
            "audience": {"kind": "all"}, "owner_id": "a" * 32,
            "deadline": (datetime.now(timezone.utc) + timedelta(days=10)).isoformat(),
            "roles": [{"title": {"bg": "Екскурзовод", "en": "Open day guide"}, "slots": 2,
                       "what_to_bring": {"bg": "Бяла престилка и усмивка.", "en": "A white coat and a smile."}}]})
        assert created.status_code == 201, created.text
        cause_id, role_id = created.json()["id"], created.json()["roles"][0]["role_id"]
        published = requests.post(f"{causes}/{cause_id}/publish", headers=admin, json={}, timeout=10)
        assert published.status_code == 200, published.text
        for _, _, email in people:  # the announcement reaches the audience (consent to "causes" at sign-up)
            wait_until(lambda: _mail(sink, email, title["bg"]), timeout_s=30, message=f"the announcement to {email}")

        def join_role(auth: dict) -> dict:
            def joined():
                answer = requests.post(f"{causes}/{cause_id}/roles/{role_id}/volunteers", headers=auth, json={},
                                       timeout=10)
                return answer.status_code == 201 and answer.json()
            return wait_until(joined, timeout_s=20, message="joining (the member's verification reaches events)")

        statuses = [join_role(auth)["status"] for _, auth, _ in people]
        assert statuses == ["joined", "joined", "waitlisted"]
        left = requests.delete(f"{causes}/{cause_id}/roles/{role_id}/volunteers/me", headers=people[0][1], timeout=10)
        assert left.status_code in (200, 204), left.text
        mine = requests.get(f"{causes}/{cause_id}", headers=people[2][1], timeout=10)
        assert mine.status_code == 200, mine.text
        assert mine.json()["roles"][0]["filled"] == 2

        volunteers = requests.get(f"{causes}/{cause_id}/volunteers", headers=admin, timeout=10)
        assert volunteers.status_code == 200, volunteers.text
        zora = next(v for v in volunteers.json()["items"] if v["member_id"] == people[2][0])
        assert zora["status"] == "joined"
        hours = requests.post(f"{causes}/{cause_id}/volunteers/{zora['volunteer_id']}/hours", headers=admin,
                              timeout=10, json={"hours": 4, "on": date.today().isoformat(), "note": "Два курса."})
        assert hours.status_code in (200, 201), hours.text

        events = probe.collect(lambda e: e["data"].get("cause_id") == cause_id, want={
            "events.cause.published": 1, "events.volunteer.joined": 4, "events.volunteer.left": 1,
            "events.volunteer.hours_confirmed": 1})
    assert_valid(events, EVENTS)
    joined = [(e["data"]["member_id"], e["data"]["status"], e["data"]["promoted"]) for e in events
              if e["type"] == "events.volunteer.joined"]
    assert sorted(joined) == sorted([(people[0][0], "joined", False), (people[1][0], "joined", False),
                                     (people[2][0], "waitlisted", False), (people[2][0], "joined", True)])
    zora_email = people[2][2]
    wait_until(lambda: _mail(sink, zora_email, "Бяла престилка"), timeout_s=30,
               message="the promoted volunteer told what the role needs")

    # The awards ledger credits the confirmed hours (volunteering).
    def credited():
        mine = requests.get(f"{platform.urls['awards']}/api/v1/awards/me/engagement", headers=people[2][1],
                            timeout=10)
        assert mine.status_code == 200, mine.text
        return {t["category"]: t["points"] for t in mine.json()["totals"]}.get("volunteering", 0) > 0
    wait_until(credited, timeout_s=30, message="the hours credited in the awards ledger")
