"""The ambassador programme end to end on the real RabbitMQ (the apis under gunicorn behind
the real nginx gateway for the public finder, the workers, the SMTP sink; sign-ups go to the
members api directly, since the gateway allows three per address): an English-programme
international student applies and is appointed ambassador for India in English; a prospective
student finds her through the public finder (no login), asks a question and confirms the
address from the email; the ambassador is told, misses the reply target (the e2e platform's
6 s for 48 h), is nudged once, then the office is told; she replies (the asker gets the reply
by email, without her address) and logs a school talk; every ``members.ambassador.*`` event on
the bus is what the members catalogue (the awards service's reading) promises, and the
awards ledger credits the activity.
"""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import requests

from services.members.messages import CATALOG as MEMBERS
from tests.e2e.accounts import join
from tests.e2e.bus_probe import BusProbe, assert_valid
from tests.support import bearer, wait_until

PASSWORD = "correct horse battery staple"
CONFIRM = re.compile(r"/ambassadors/questions/([0-9a-f]+)/confirm\?t=([A-Za-z0-9_\-.%]+)")
OFFICE = "office@alumni.e2e.example"  # tests/e2e/conftest.py OFFICE_EMAIL


def _mail(sink, address: str, part: str) -> list:
    return [m for m in sink.to(address) if part in m["Subject"] or part in m.get_body(("plain",)).get_content()]


def test_an_international_student_ambassador_answers_a_prospective_student_from_india(
        platform, gateway, smtp_sink, amqp_url, issue_token):
    sink, _ = smtp_sink
    members_api, run = platform.urls["members"], uuid.uuid4().hex[:8]
    admin = bearer(issue_token("a" * 32, "admin"))
    members = f"{members_api}/api/v1/members"
    email = f"priya.{run}@example.in"
    ambassador, auth = join(members_api, sink, {
        "given_name": "Priya", "family_name": "Sharma", "email": email, "preferred_language": "en",
        "is_student": True, "faculty": "medicine", "password": PASSWORD, "consent": {"email": True, "sms": False}})
    approved = requests.post(f"{members}/{ambassador}/approve", json={}, headers=admin, timeout=10)
    assert approved.status_code == 200, approved.text

    with BusProbe(amqp_url, "members.ambassador.#") as probe:
        applied = requests.post(f"{members}/ambassadors/applications", headers=auth, timeout=10, json={
            "motivation": "I want to help students from India find their way to Plovdiv.",
            "countries": ["IN"], "cities": ["Mumbai"], "languages": ["en", "hi"], "faculty": "medicine"})
        assert applied.status_code == 201, applied.text
        appointed = requests.post(f"{members}/ambassadors/applications/{applied.json()['id']}/appoint",
                                  headers=admin, timeout=10, json={
                                      "regions": [{"country": "IN", "cities": ["Mumbai"]}], "languages": ["en", "hi"],
                                      "term_starts": date.today().isoformat(),
                                      "term_ends": (date.today() + timedelta(days=365)).isoformat()})
        assert appointed.status_code == 200, appointed.text
        listed = requests.patch(f"{members}/me/ambassador", headers=auth, timeout=10, json={
            "listed": True, "public_fields": ["given_name", "country", "languages", "bio"],
            "bio": {"bg": "Студентка от Мумбай.", "en": "A fourth-year student from Mumbai."}})
        assert listed.status_code == 200, listed.text

        # A prospective student, no account, through the gateway.
        found = requests.get(f"{gateway.url}/api/v1/members/ambassadors/finder", timeout=10,
                             params={"country": "IN", "language": "en"})
        assert found.status_code == 200, found.text
        card = next(item for item in found.json()["items"] if item.get("given_name") == "Priya")
        assert "family_name" not in card and "member_id" not in card and email not in found.text
        asker = f"arjun.{run}@example.in"
        asked = requests.post(f"{gateway.url}/api/v1/members/ambassadors/finder/{card['public_id']}/questions",
                              timeout=10, json={"name": "Arjun", "email": asker, "language": "en", "country": "IN",
                                                "message": "How hard is the entrance exam in biology?",
                                                "privacy_accepted": True})
        assert asked.status_code == 202, asked.text
        mail = wait_until(lambda: _mail(sink, asker, "/ambassadors/questions/"), timeout_s=30,
                          message="the asker's confirmation email")[0]
        link = CONFIRM.search(mail.get_body(("plain",)).get_content())
        question_id, token = link.group(1), requests.utils.unquote(link.group(2))
        confirmed = requests.post(f"{gateway.url}/api/v1/members/ambassadors/questions/{question_id}/confirm",
                                  headers={"X-Question-Token": token}, json={}, timeout=10)
        assert confirmed.status_code == 200, confirmed.text

        # The ambassador is told; she lets the target pass: nudged once, then the office.
        wait_until(lambda: _mail(sink, email, "Arjun"), timeout_s=30, message="the ambassador's new contact email")
        contacts = requests.get(f"{members}/ambassadors/{ambassador}/contacts", headers=auth, timeout=10,
                                params={"state": "open"})
        assert contacts.status_code == 200, contacts.text
        [contact] = [c for c in contacts.json()["items"] if "entrance exam" in c["message"]]
        assert asker not in contacts.text
        overdue = probe.collect(lambda e: e["data"].get("contact_id") == contact["id"],
                                want={"members.ambassador.reply_overdue": 2}, timeout_s=40)
        stages = [e["data"]["stage"] for e in overdue if e["type"] == "members.ambassador.reply_overdue"]
        assert stages == ["ambassador", "office"]
        wait_until(lambda: _mail(sink, OFFICE, "Посланик не е отговорил"), timeout_s=30, message="the office's overdue alert")

        replied = requests.post(f"{members}/ambassadors/{ambassador}/contacts/{contact['id']}/reply",
                                headers=auth, timeout=10,
                                json={"message": "Biology is the harder half; start with the past papers."})
        assert replied.status_code == 200, replied.text
        answer = wait_until(lambda: _mail(sink, asker, "past papers"), timeout_s=30, message="the reply to the asker")[0]
        assert email not in answer.as_string()
        activity = requests.post(f"{members}/ambassadors/{ambassador}/activities", headers=auth, timeout=10, json={
            "kind": "school_talk", "on": date.today().isoformat(),
            "place": {"name": "St. Xavier's High School", "city": "Mumbai", "country": "IN"},
            "people_reached": 80, "note": "Two classes of the final year."})
        assert activity.status_code == 201, activity.text

        events = probe.collect(lambda e: e["data"].get("member_id") == ambassador
                               or e["data"].get("question_id") == question_id, want={
            "members.ambassador.applied": 1, "members.ambassador.appointed": 1,
            "members.ambassador.question_asked": 1, "members.ambassador.contact_assigned": 1,
            "members.ambassador.reply_overdue": 2, "members.ambassador.contact_replied": 1,
            "members.ambassador.activity_logged": 1})
    assert_valid(events, MEMBERS)
    [reply] = [e["data"] for e in events if e["type"] == "members.ambassador.contact_replied"]
    assert (reply["first"], reply["within_target"]) == (True, False)

    # The awards ledger credits the school talk (ambassador work), not the late reply.
    def credited():
        mine = requests.get(f"{gateway.url}/api/v1/awards/me/engagement", headers=auth, timeout=10)
        assert mine.status_code == 200, mine.text
        return {t["category"]: t["points"] for t in mine.json()["totals"]}.get("ambassador", 0) > 0 and mine.json()
    engagement = wait_until(credited, timeout_s=30, message="the activity credited in the awards ledger")
    kinds = {row["event_type"] for row in engagement["breakdown"]}
    assert "members.ambassador.activity_logged" in kinds and "members.ambassador.contact_replied" not in kinds
