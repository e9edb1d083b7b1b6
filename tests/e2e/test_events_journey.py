"""Events end to end across services, over HTTP against gunicorn apis and real workers: the
events service learns about members only from the members events on the bus. A graduate of
2006 signs up and is approved; the office publishes a reunion for the class of 2006 with one
seat; the graduate sees it fits them and takes the seat, a second graduate joins the waitlist;
the first erases their account and the events service anonymises their registration, which
promotes the second. Notifications emails each step in the member's language (verified,
confirmed, waitlisted, promoted) through the real SMTP sink.
"""
from __future__ import annotations

import uuid

import requests

from tests.e2e.accounts import join
from tests.support import wait_until

PASSWORD = "correct horse battery staple"


def _subjects(sink, email: str) -> list[str]:
    return [m["Subject"] for m in sink.to(email)]


def _member(api: str, sink, admin: dict, name: str, run: str) -> tuple[str, dict]:
    email = f"{name}.{run}@example.bg"
    member_id, headers = join(api.removesuffix("/api/v1/members"), sink, {
        "given_name": name.capitalize(), "family_name": "Петрова", "email": email, "preferred_language": "bg",
        "graduation_year": 2006, "faculty": "medicine", "consent": {"email": True, "sms": False},
        "password": PASSWORD})
    approved = requests.post(f"{api}/{member_id}/approve", json={}, headers=admin, timeout=10)
    assert approved.status_code == 200, approved.text
    return member_id, headers


def test_audience_registration_waitlist_and_erasure_across_services(platform, smtp_sink, issue_token):
    sink, _ = smtp_sink
    members_api = f"{platform.urls['members']}/api/v1/members"
    events_api = f"{platform.urls['events']}/api/v1/events"
    admin = {"Authorization": f"Bearer {issue_token('office-1', 'admin')}"}
    run = uuid.uuid4().hex[:8]
    first_id, first = _member(members_api, sink, admin, "ana", run)
    second_id, second = _member(members_api, sink, admin, "vera", run)

    created = requests.post(events_api, headers=admin, timeout=10, json={
        "title": {"bg": f"Випуск 2006 ({run})", "en": f"Class of 2006 ({run})"}, "kind": "reunion",
        "starts_at": "2030-06-06T18:00", "ends_at": "2030-06-06T23:00", "place": {"name": "Аула"},
        "capacity": 1, "audience": {"kind": "graduation_years", "year_from": 2006, "year_to": 2006}})
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert requests.post(f"{events_api}/{event_id}/publish", headers=admin, timeout=10).status_code == 200

    # The events worker builds its read model from the members events: the event fits them
    # (until then it is 404 to them: an event for an audience shows only to its members).
    wait_until(lambda: all(requests.get(f"{events_api}/{event_id}", headers=h, timeout=10).json().get("fits_me")
                           for h in (first, second)), timeout_s=30, message="members known to the events service")
    taken = requests.post(f"{events_api}/{event_id}/registrations", json={}, headers=first, timeout=10)
    assert taken.status_code == 201 and taken.json()["status"] == "confirmed", taken.text
    waiting = requests.post(f"{events_api}/{event_id}/registrations", json={}, headers=second, timeout=10)
    assert waiting.status_code == 201 and waiting.json()["status"] == "waitlisted", waiting.text
    event = requests.get(f"{events_api}/{event_id}", headers=admin, timeout=10).json()
    assert (event["seats_left"], event["waitlist_length"]) == (0, 1)

    # Notifications tells each of them, in Bulgarian, from the events on the bus.
    title = f"Випуск 2006 ({run})"
    wait_until(lambda: "Членството Ви в Алумни клуба е потвърдено" in _subjects(sink, f"ana.{run}@example.bg")
               and f"Мястото Ви е потвърдено: {title}" in _subjects(sink, f"ana.{run}@example.bg")
               and f"В списъка с чакащи сте: {title}" in _subjects(sink, f"vera.{run}@example.bg"),
               timeout_s=30, message="verified, confirmed and waitlisted emails")
    [confirmation] = [m for m in sink.to(f"ana.{run}@example.bg") if m["Subject"].startswith("Мястото Ви")]
    [ics] = [part for part in confirmation.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert f"UID:{event_id}@alumnet" in ics.get_content() and "TZID=Europe/Sofia" in ics.get_content()

    assert requests.delete(f"{members_api}/{first_id}", headers=first, timeout=10).status_code == 202

    def promoted():
        mine = requests.get(f"{events_api}/registrations/mine", headers=second, timeout=10).json()["items"]
        return [r for r in mine if r["event_id"] == event_id and r["status"] == "confirmed"]
    wait_until(promoted, timeout_s=30, message="the waitlisted member promoted after the erasure")
    wait_until(lambda: f"Освободи се място за Вас: {title}" in _subjects(sink, f"vera.{run}@example.bg"),
               timeout_s=30, message="the promotion email")
    listed = requests.get(f"{events_api}/{event_id}/registrations", headers=admin, timeout=10).json()["items"]
    assert first_id not in {r.get("member_id") for r in listed}
    assert second_id in {r.get("member_id") for r in listed}
