"""The members journey end to end, over HTTP against gunicorn apis and real workers: the
alumni office imports its roster; a graduate whose email is on the roster signs up and is
verified when she follows her welcome email's link; one who is not waits until an admin
approves them, and one whose student number and family name match a roster entry waits too,
the entry shown to the office beside him; both log in with their passwords and find each
other in the directory showing only what each chose to show; one erases their account,
vanishes from the directory, and the notifications read model forgets them.
"""
from __future__ import annotations

import uuid

import requests
from pymongo import MongoClient

from tests.e2e.accounts import confirm, log_in
from tests.support import wait_until

PASSWORD = "correct horse battery staple"


def _login(members: str, email: str) -> dict:
    return {"Authorization": f"Bearer {log_in(members, email, PASSWORD)['access_token']}"}


def test_roster_verified_sign_up_approval_directory_and_erasure(platform, smtp_sink, issue_token):
    sink, _ = smtp_sink
    members = platform.urls["members"]
    api = f"{members}/api/v1/members"
    admin = {"Authorization": f"Bearer {issue_token('office-1', 'admin')}"}
    run = uuid.uuid4().hex[:8]
    on_roster = f"yordanka.{run}@example.bg"
    number = f"MU{run[:6].upper()}"
    no_email_number = f"MV{run[:6].upper()}"
    roster = ("Факултетен номер;Име;Презиме;Фамилия;Имейл;Година на дипломиране;Факултет;Специалност\n"
              f"{number};Йорданка;Петрова;Стефанова;{on_roster};2011;Медицински факултет;Медицина\n"
              f"{no_email_number};Борис;Иванов;Антонов;;2009;Медицински факултет;Медицина\n")

    imported = requests.post(f"{api}/roster/imports", data=roster.encode(), timeout=30,
                             headers={**admin, "Content-Type": "text/csv"}, params={"filename": "roster.csv"})
    assert imported.status_code == 201, imported.text
    assert imported.json()["counts"]["created"] == 2
    again = requests.post(f"{api}/roster/imports", data=roster.encode(), timeout=30,
                          headers={**admin, "Content-Type": "text/csv"})
    assert again.json()["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "rejected": 0}

    # On the roster: takes the roster's graduation year and faculty, and is verified as soon
    # as she follows the confirmation link in her welcome email (proving the address is hers).
    first = requests.post(api, timeout=10, json={
        "given_name": "Йорданка", "family_name": "Стефанова", "email": on_roster, "preferred_language": "bg",
        "consent": {"email": True, "sms": False}, "password": PASSWORD})
    assert first.status_code == 202, first.text
    assert not {"graduation_year", "faculty", "verification"} & set(first.json())  # nothing from the roster
    confirmed = confirm(members, sink, on_roster, PASSWORD)
    assert confirmed.status_code == 200, confirmed.text
    first_id = log_in(members, on_roster, PASSWORD)["member_id"]
    verified = requests.get(f"{api}/{first_id}", headers=admin, timeout=10).json()
    assert verified["status"] == "verified" and (verified["graduation_year"], verified["faculty"]) == (2011, "medicine")

    # Not on the roster: pending until the office approves.
    off_roster = f"john.smith.{run}@example.com"
    second = requests.post(api, timeout=10, json={
        "given_name": "John", "family_name": "Smith", "email": off_roster, "preferred_language": "en",
        "graduation_year": 2015, "faculty": "medicine", "consent": {"email": True, "sms": False},
        "password": PASSWORD})
    assert second.status_code == 202 and second.content == first.content
    assert confirm(members, sink, off_roster, PASSWORD).status_code == 200
    second_id = log_in(members, off_roster, PASSWORD)["member_id"]
    second_headers = _login(members, off_roster)
    assert requests.get(f"{api}/directory", headers=second_headers, timeout=10).status_code == 403
    # Student number and family name match an entry: he waits too, the entry beside him.
    by_number = f"boris.{run}@example.com"
    third = requests.post(api, timeout=10, json={
        "given_name": "Boris", "family_name": "Antonov", "email": by_number, "preferred_language": "en",
        "student_number": no_email_number.lower(), "consent": {"email": True, "sms": False}})
    assert third.status_code == 202 and third.content == first.content
    assert confirm(members, sink, by_number).status_code == 200
    queue = requests.get(api, params={"status": "pending_verification", "per_page": 100}, headers=admin, timeout=10)
    matches = {m["email"]: (m["id"], m["roster_match"]) for m in queue.json()["items"]}
    assert matches[off_roster] == (second_id, None)
    assert matches[by_number][1]["student_number"] == no_email_number
    assert matches[by_number][1]["graduation_year"] == 2009
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
