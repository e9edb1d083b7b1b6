"""Sign-up through HTTP reaches the member as one welcome email in their language; a sign-up
with a registered address answers the same and reaches its owner as "you already have an
account"."""
from __future__ import annotations

import re
import uuid

import requests
from pymongo import MongoClient

from tests.e2e.accounts import confirm, log_in
from tests.support import wait_until

PASSWORD = "correct horse battery staple"


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
    bg_email, en_email = f"maria.{uuid.uuid4().hex[:8]}@example.bg", f"george.{uuid.uuid4().hex[:8]}@example.com"
    bg = signup(members, email=bg_email, password=PASSWORD)
    en = signup(members, given_name="George", family_name="Smith", preferred_language="en", email=en_email)
    assert bg.status_code == 202, bg.text
    assert en.status_code == 202, en.text

    bg_mail = wait_until(lambda: sink.to(bg_email), timeout_s=30, message="Bulgarian welcome")
    en_mail = wait_until(lambda: sink.to(en_email), timeout_s=30, message="English welcome")
    assert bg_mail[0]["Subject"] == "Добре дошли в Алумни клуба, Мария!"
    assert bg_mail[0]["Content-Language"] == "bg"
    assert "Медицинския университет" in bg_mail[0].get_body(("plain",)).get_content()
    assert en_mail[0]["Subject"] == "Welcome to the Alumni Club, George!"
    assert en_mail[0]["Content-Language"] == "en"
    assert en_mail[0]["From"] == "Alumni Club MU-Plovdiv <alumni@mu-plovdiv.bg>"
    assert en_mail[0]["Message-ID"] and en_mail[0]["Date"]

    # The password chosen at sign-up opens nothing until the welcome email's link is followed.
    login = f"{members}/api/v1/members/auth/login"
    assert requests.post(login, json={"email": bg_email, "password": PASSWORD}, timeout=10).status_code == 401
    assert confirm(members, sink, bg_email, PASSWORD).status_code == 200
    member_id = log_in(members, bg_email, PASSWORD)["member_id"]

    # The member sees their own record with their token; the delivery log shows one email.
    token = issue_token(member_id, "alumnus")
    own = requests.get(f"{members}/api/v1/members/{member_id}",
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert own.status_code == 200 and own.json()["email"] == bg_email
    assert own.json()["phone"] == "+359888123456"
    log = wait_until(lambda: (lambda r: r if r.json()["items"] and r.json()["items"][0]["status"] == "sent" else None)(
        requests.get(f"{platform.urls['notifications']}/api/v1/notifications/deliveries",
                     headers={"Authorization": f"Bearer {token}"}, timeout=10)), message="delivery logged")
    assert [(d["template"], d["channel"], d["status"]) for d in log.json()["items"]] == [("welcome", "email", "sent")]
    assert len(sink.to(bg_email)) == 1


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

    email = f"maria.{uuid.uuid4().hex[:8]}@example.bg"
    first = signup(members, email=email)
    assert first.status_code == 202, first.text
    # The valid sign-up after the bad one gets its email; the bad one never does.
    wait_until(lambda: sink.to(email), timeout_s=30, message="marker email")
    env = platform.env
    database = MongoClient(env["MONGO_URL"])[env["MONGO_DB_PREFIX"] + "members"]
    assert database.members.count_documents({"email": bad_email}) == 0
    assert database.members.count_documents({"email": email}) == 1
    assert len(sink.to(email)) == 1
    assert not any(bad_email in (m["To"] or "") for m in sink.messages)


def test_a_taken_address_answers_the_same_and_its_owner_is_told(platform, smtp_sink):
    """Regression: signing up with a registered address answered 409, telling anyone who is a
    member; now the answer is the same 202 and the owner gets "you already have an account"."""
    sink, _ = smtp_sink
    members = platform.urls["members"]
    taken = f"maria.{uuid.uuid4().hex[:8]}@example.bg"
    first = signup(members, email=taken)
    wait_until(lambda: sink.to(taken), timeout_s=30, message="welcome email")
    again = signup(members, email=taken, given_name="Друга", preferred_language="en")
    new = signup(members, email=f"maria.{uuid.uuid4().hex[:8]}@example.bg")
    assert first.status_code == again.status_code == new.status_code == 202
    assert first.content == again.content == new.content
    mails = wait_until(lambda: (lambda m: m if len(m) == 2 else None)(sink.to(taken)), timeout_s=30,
                       message="the owner's second email")
    told = next(m for m in mails if not m["Subject"].startswith("Добре дошли"))
    assert told["Subject"] == "Вече имате профил в Алумни клуба"  # the owner's language, not the stranger's
    text = told.get_body(("plain",)).get_content()
    assert "/login" in text and "/reset-password" in text and "Мария" in text


def _counter(worker_url: str, name: str, service: str) -> float:
    """A counter of a worker's /metrics; 0 while it is absent (a labelled counter appears at
    its first increment), so a renamed metric never moves and fails the wait below."""
    text = requests.get(f"{worker_url}/metrics", timeout=10).text
    match = re.search(rf'^{name}\{{service="{service}"\}} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def test_worker_metrics_count_what_the_bus_did(platform):
    def handled() -> float:
        return _counter(platform.worker_urls["notifications"], "alumnet_events_handled_total", "notifications")

    def published() -> float:
        return _counter(platform.worker_urls["members"], "alumnet_outbox_published_total", "members")

    handled_before, published_before = handled(), published()
    assert signup(platform.urls["members"]).status_code == 202
    # The sign-up's event: published by members' relay, handled by notifications' consumer.
    wait_until(lambda: published() >= published_before + 1, timeout_s=30, message="published counter moved")
    wait_until(lambda: handled() >= handled_before + 1, timeout_s=30, message="handled counter moved")
