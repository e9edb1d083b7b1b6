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
import requests

from services.events.messages import CATALOG as EVENTS
from tests.e2e.bus_probe import BusProbe, assert_valid
from tests.e2e.office import club_today, join_role, mail, member, publish_cause
from tests.support import bearer, wait_until


def test_a_cause_with_two_slots_takes_two_waitlists_the_third_and_promotes_her(platform, smtp_sink, amqp_url,
                                                                                issue_token):
    sink, _ = smtp_sink
    run = uuid.uuid4().hex[:8]
    admin = bearer(issue_token("a" * 32, "admin"))
    causes = f"{platform.urls['events']}/api/v1/events/causes"
    people = [member(platform.urls["members"], sink, admin, given, latin, run, family="Колева", year=2012)
              for given, latin in (("Мила", "mila"), ("Рая", "raya"), ("Зора", "zora"))]
    # The events read model learns of each verification through the bus.
    title = {"bg": f"Ден на отворените врати {run}", "en": f"Open day {run}"}
    with BusProbe(amqp_url, "events.cause.#", "events.volunteer.#") as probe:
        cause_id, role_id = publish_cause(causes, admin, title, slots=2)
        for person in people:  # the announcement reaches the audience (consent to "causes" at sign-up)
            wait_until(lambda: mail(sink, person["email"], title["bg"]), timeout_s=30,
                       message=f"the announcement to {person['email']}")

        statuses = [join_role(causes, cause_id, role_id, person["auth"])["status"] for person in people]
        assert statuses == ["joined", "joined", "waitlisted"]
        left = requests.delete(f"{causes}/{cause_id}/roles/{role_id}/volunteers/me", headers=people[0]["auth"],
                               timeout=10)
        assert left.status_code in (200, 204), left.text
        mine = requests.get(f"{causes}/{cause_id}", headers=people[2]["auth"], timeout=10)
        assert mine.status_code == 200, mine.text
        assert mine.json()["roles"][0]["filled"] == 2

        volunteers = requests.get(f"{causes}/{cause_id}/volunteers", headers=admin, timeout=10)
        assert volunteers.status_code == 200, volunteers.text
        zora = next(v for v in volunteers.json()["items"] if v["member_id"] == people[2]["id"])
        assert zora["status"] == "joined"
        hours = requests.post(f"{causes}/{cause_id}/volunteers/{zora['volunteer_id']}/hours", headers=admin,
                              timeout=10, json={"hours": 4, "on": club_today().isoformat(), "note": "Два курса."})
        assert hours.status_code in (200, 201), hours.text

        events = probe.collect(lambda e: e["data"].get("cause_id") == cause_id, want={
            "events.cause.published": 1, "events.volunteer.joined": 4, "events.volunteer.left": 1,
            "events.volunteer.hours_confirmed": 1})
    assert_valid(events, EVENTS)
    joined = [(e["data"]["member_id"], e["data"]["status"], e["data"]["promoted"]) for e in events
              if e["type"] == "events.volunteer.joined"]
    mila, raya, zora = (person["id"] for person in people)
    assert sorted(joined) == sorted([(mila, "joined", False), (raya, "joined", False),
                                     (zora, "waitlisted", False), (zora, "joined", True)])
    wait_until(lambda: mail(sink, people[2]["email"], "Бяла престилка"), timeout_s=30,
               message="the promoted volunteer told what the role needs")

    # The awards ledger credits the confirmed hours (volunteering).
    def credited():
        mine = requests.get(f"{platform.urls['awards']}/api/v1/awards/me/engagement", headers=people[2]["auth"],
                            timeout=10)
        assert mine.status_code == 200, mine.text
        return {t["category"]: t["points"] for t in mine.json()["totals"]}.get("volunteering", 0) > 0
    wait_until(credited, timeout_s=30, message="the hours credited in the awards ledger")
