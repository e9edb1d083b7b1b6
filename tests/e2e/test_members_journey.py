"""The members journey end to end, over HTTP against gunicorn apis and real workers: the
alumni office imports its roster; a graduate on the roster signs up and is verified at once;
one who is not waits until an admin approves them; both log in with their passwords and find
each other in the directory showing only what each chose to show; one erases their account,
vanishes from the directory, and the notifications read model forgets them.
"""
from __future__ import annotations

import re
import uuid

import requests
from pymongo import MongoClient

from tests.support import wait_until

PASSWORD = "correct horse battery staple"


def _login(members: str, email: str) -> dict:
    response = requests.post(f"{members}/api/v1/members/auth/login", json={"email": email, "password": PASSWORD},
                             timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_roster_verified_sign_up_approval_directory_and_erasure(platform, smtp_sink, issue_token):
    sink, _ = smtp_sink
    members = platform.urls["members"]
    api = f"{members}/api/v1/members"
    admin = {"Authorization": f"Bearer {issue_token('office-1', 'admin')}"}
    run = uuid.uuid4().hex[:8]
    on_roster = f"yordanka.{run}@example.bg"
    number = f"MU{run[:6].upper()}"
    roster = ("Факултетен номер;Име;Презиме;Фамилия;Имейл;Година на дипломиране;Факултет;Специалност\n"
              f"{number};Йорданка;Петрова;Стефанова;{on_roster};2011;Медицински факултет;Медицина\n")

    imported = requests.post(f"{api}/roster/imports", data=roster.encode(), timeout=30,
                             headers={**admin, "Content-Type": "text/csv"}, params={"filename": "roster.csv"})
    assert imported.status_code == 201, imported.text
    assert imported.json()["counts"]["created"] == 1
    again = requests.post(f"{api}/roster/imports", data=roster.encode(), timeout=30,
                          headers={**admin, "Content-Type": "text/csv"})
    assert again.json()["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "rejected": 0}

    # On the roster: takes the roster's graduation year and faculty, and is verified as soon
    # as she follows the confirmation link in her welcome email (proving the address is hers).
    first = requests.post(api, timeout=10, json={
        "given_name": "Йорданка", "family_name": "Стефанова", "email": on_roster, "preferred_language": "bg",
        "consent": {"email": True, "sms": False}, "password": PASSWORD})
    assert first.status_code == 201, first.text
    assert first.json()["verification"]["status"] == "awaiting_email"
    assert (first.json()["graduation_year"], first.json()["faculty"]) == (2011, "medicine")
    first_id = first.json()["id"]
    [welcome] = wait_until(lambda: sink.to(on_roster), timeout_s=30, message="welcome email with the link")
    token = re.search(r"confirm-email\?token=([A-Za-z0-9_\-]+)", welcome.get_body(("plain",)).get_content()).group(1)
    confirmed = requests.post(f"{api}/auth/confirm-email", json={"token": token}, timeout=10)
    assert confirmed.status_code == 200, confirmed.text
    assert requests.get(f"{api}/{first_id}", headers=admin, timeout=10).json()["status"] == "verified"

    # Not on the roster: pending until the office approves.
    off_roster = f"john.smith.{run}@example.com"
    second = requests.post(api, timeout=10, json={
        "given_name": "John", "family_name": "Smith", "email": off_roster, "preferred_language": "en",
        "graduation_year": 2015, "faculty": "medicine", "consent": {"email": True, "sms": False},
        "password": PASSWORD})
    assert second.status_code == 201 and second.json()["status"] == "pending_verification"
    second_id = second.json()["id"]
    second_headers = _login(members, off_roster)
    assert requests.get(f"{api}/directory", headers=second_headers, timeout=10).status_code == 403
    queue = requests.get(api, params={"status": "pending_verification", "per_page": 100}, headers=admin, timeout=10)
    assert second_id in [m["id"] for m in queue.json()["items"]]
    approved = requests.post(f"{api}/{second_id}/approve", json={"reason": "diploma checked"}, headers=admin,
                             timeout=10)
    assert approved.status_code == 200 and approved.json()["status"] == "verified"

    # Each shows different things: she shows her employer to members, her phone to nobody.
    first_headers = _login(members, on_roster)
    profile = requests.patch(f"{api}/{first_id}", headers=first_headers, timeout=10, json={
        "given_name_latin": "Yordanka", "family_name_latin": "Stefanova", "employer": "УМБАЛ Свети Георги",
        "phone": "+359888765432", "city": "Пловдив",
        "visibility": {"employer": "members", "phone": "private", "city": "public"}})
    assert profile.status_code == 200, profile.text
    requests.patch(f"{api}/{second_id}", headers=second_headers, timeout=10, json={
        "employer": "NHS", "visibility": {"employer": "private"}}).raise_for_status()

    found = requests.get(f"{api}/directory", params={"q": "Стефанова"}, headers=second_headers, timeout=10).json()
    assert [m["id"] for m in found["items"]] == [first_id]
    assert found["items"][0]["employer"] == "УМБАЛ Свети Георги" and "phone" not in found["items"][0]
    latin = requests.get(f"{api}/directory", params={"q": "yordanka stef"}, headers=second_headers, timeout=10).json()
    assert [m["id"] for m in latin["items"]] == [first_id]
    found = requests.get(f"{api}/directory", params={"q": "smith"}, headers=first_headers, timeout=10).json()
    assert [m["id"] for m in found["items"]] == [second_id] and "employer" not in found["items"][0]
    assert requests.get(f"{api}/directory", params={"q": "NHS"}, headers=first_headers,
                        timeout=10).json()["items"] == []
    anonymous = requests.get(f"{api}/{first_id}", timeout=10).json()
    assert anonymous == {"id": first_id, "city": "Пловдив"}

    # Both got their welcome email; then the second erases their account.
    wait_until(lambda: sink.to(on_roster) and sink.to(off_roster), timeout_s=30, message="welcome emails")
    read_model = MongoClient(platform.env["MONGO_URL"])[platform.env["MONGO_DB_PREFIX"] + "notifications"]
    wait_until(lambda: read_model.contacts.find_one({"_id": second_id}), timeout_s=30, message="contact")
    erased = requests.delete(f"{api}/{second_id}", headers=second_headers, timeout=10)
    assert erased.status_code == 202, erased.text
    assert requests.get(f"{api}/directory", params={"q": "smith"}, headers=first_headers,
                        timeout=10).json()["items"] == []
    assert requests.get(f"{api}/{second_id}", headers=first_headers, timeout=10).status_code == 404
    wait_until(lambda: read_model.contacts.find_one({"_id": second_id}) is None
               and read_model.erased_members.find_one({"_id": second_id}), timeout_s=30,
               message="notifications forgets the erased member")
    assert read_model.contacts.count_documents({"email": off_roster}) == 0
    assert read_model.contacts.find_one({"_id": first_id}) is not None
