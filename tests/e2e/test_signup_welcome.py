"""Sign-up through HTTP reaches the member as one welcome email in their language."""
from __future__ import annotations

import uuid

import requests
from pymongo import MongoClient

from tests.support import wait_until


def signup(api: str, **overrides) -> requests.Response:
    body = {
        "given_name": "Мария", "family_name": "Иванова",
        "email": f"maria.{uuid.uuid4().hex[:8]}@example.bg", "phone": "+359 888 123 456",
        "preferred_language": "bg", "graduation_year": 2012, "faculty": "medicine",
        "programme": "Медицина", "consent": {"email": True, "sms": False},
    }
    body.update(overrides)
    return requests.post(f"{api}/api/v1/members", json=body, timeout=10)


def test_signup_sends_one_welcome_email_in_the_members_language(platform, smtp_sink, issue_token):
    sink, _ = smtp_sink
    members = platform.urls["members"]
    bg = signup(members)
    en = signup(members, given_name="George", family_name="Smith", preferred_language="en",
                email=f"george.{uuid.uuid4().hex[:8]}@example.com")
    assert bg.status_code == 201, bg.text
    assert en.status_code == 201, en.text
    bg_member, en_member = bg.json(), en.json()
    assert bg_member["phone"] == "+359888123456"
    assert bg.headers["Location"].endswith(f"/api/v1/members/{bg_member['id']}")

    bg_mail = wait_until(lambda: sink.to(bg_member["email"]), timeout_s=30, message="Bulgarian welcome")
    en_mail = wait_until(lambda: sink.to(en_member["email"]), timeout_s=30, message="English welcome")
    assert bg_mail[0]["Subject"] == "Добре дошли в Алумни клуба, Мария!"
    assert bg_mail[0]["Content-Language"] == "bg"
    assert "Медицинския университет" in bg_mail[0].get_body(("plain",)).get_content()
    assert en_mail[0]["Subject"] == "Welcome to the Alumni Club, George!"
    assert en_mail[0]["Content-Language"] == "en"
    assert en_mail[0]["From"] == "Alumni Club MU-Plovdiv <alumni@mu-plovdiv.bg>"
    assert en_mail[0]["Message-ID"] and en_mail[0]["Date"]

    # The member sees their own record with their token; the delivery log shows one email.
    token = issue_token(bg_member["id"], "alumnus")
    own = requests.get(f"{members}/api/v1/members/{bg_member['id']}",
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert own.status_code == 200 and own.json()["email"] == bg_member["email"]
    log = wait_until(lambda: (lambda r: r if r.json()["items"] and r.json()["items"][0]["status"] == "sent" else None)(
        requests.get(f"{platform.urls['notifications']}/api/v1/notifications/deliveries",
                     headers={"Authorization": f"Bearer {token}"}, timeout=10)), message="delivery logged")
    assert [(d["template"], d["channel"], d["status"]) for d in log.json()["items"]] == [("welcome", "email", "sent")]
    assert len(sink.to(bg_member["email"])) == 1


def test_bad_signup_is_a_problem_naming_the_fields_and_stores_nothing(platform, smtp_sink):
    sink, _ = smtp_sink
    members = platform.urls["members"]
    bad_email = f"not-an-email-{uuid.uuid4().hex[:6]}"
    response = signup(members, email=bad_email, phone="12", preferred_language="de",
                      graduation_year=1800, consent=None)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert set(problem["errors"]) == {"email", "phone", "preferred_language", "graduation_year", "consent"}
    assert problem["request_id"] == response.headers["X-Request-ID"]

    duplicate = signup(members)
    assert signup(members, email=duplicate.json()["email"]).status_code == 409
    # The valid sign-up after the bad one gets its email; the bad one never does.
    wait_until(lambda: sink.to(duplicate.json()["email"]), timeout_s=30, message="marker email")
    env = platform.env
    database = MongoClient(env["MONGO_URL"])[env["MONGO_DB_PREFIX"] + "members"]
    assert database.members.count_documents({"email": bad_email}) == 0
    assert database.members.count_documents({"email": duplicate.json()["email"]}) == 1
    assert len(sink.to(duplicate.json()["email"])) == 1
    assert not any(bad_email in (m["To"] or "") for m in sink.messages)


def test_worker_metrics_count_what_the_bus_did(platform):
    import re

    def handled() -> float:
        text = requests.get(f"{platform.worker_urls['notifications']}/metrics", timeout=10).text
        match = re.search(r'^alumnet_events_handled_total\{service="notifications"\} (\S+)$', text, re.M)
        return float(match.group(1)) if match else 0.0

    before = handled()
    assert signup(platform.urls["members"]).status_code == 201
    wait_until(lambda: handled() >= before + 1, timeout_s=30, message="handled counter moved")
    published = requests.get(f"{platform.worker_urls['members']}/metrics", timeout=10).text
    assert re.search(r'^alumnet_outbox_published_total\{service="members"\} [1-9]', published, re.M)
