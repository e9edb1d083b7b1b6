"""Notifications end to end, over HTTP against gunicorn apis and real workers, with the real
SMTP sink and the HTTP SMS sink: the office announces to a segment and publishes an event;
members hear in their language on the channels they chose, only with consent; one
unsubscribes with the one-click link in the email and is skipped from then on; the delivery
log shows each member their own deliveries and the office all of them.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from urllib.parse import urlsplit

import pika
import requests
from pymongo import MongoClient

from tests.e2e.accounts import join
from tests.support import wait_until

PASSWORD = "correct horse battery staple"


def _member(api: str, sink, admin: dict, given: str, family: str, run: str, **fields) -> tuple[str, dict, str]:
    email = f"{given.lower()}.{run}@example.bg"
    member_id, headers = join(api.removesuffix("/api/v1/members"), sink, {
        "given_name": given, "family_name": family, "email": email, "graduation_year": 2008, "faculty": "medicine",
        "password": PASSWORD, **fields})
    assert requests.post(f"{api}/{member_id}/approve", json={}, headers=admin, timeout=10).status_code == 200
    return member_id, headers, email


def _progress(api: str, admin: dict, announcement_id: str) -> dict:
    answer = requests.get(f"{api}/announcements/{announcement_id}", headers=admin, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _mail(sink, address: str, subject_start: str) -> list[EmailMessage]:
    return [m for m in sink.to(address) if m["Subject"].startswith(subject_start)]


def _delivery_events(amqp_url: str, since: datetime, member_id: str) -> list[dict]:
    """The delivery events about a member in the ``notifications.events`` stream since ``since``."""
    found = []
    url = urlsplit(amqp_url)  # kombu's "//" vhost spelling is not pika's
    parameters = pika.ConnectionParameters(url.hostname, url.port or 5672, url.path[1:] or "/",
                                           pika.PlainCredentials(url.username, url.password))
    with pika.BlockingConnection(parameters) as connection:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=500)  # a stream consumer needs a prefetch limit
        for method, _, body in channel.consume("notifications.events", inactivity_timeout=1,
                                               arguments={"x-stream-offset": since}):
            if method is None:
                break
            event = json.loads(body)
            if event["data"]["member_id"] == member_id:
                found.append(event)
            channel.basic_ack(method.delivery_tag)
    return found


def test_announcements_and_event_news_reach_members_by_choice_and_consent(platform, smtp_sink, sms_sink,
                                                                          issue_token, amqp_url):
    sink, _ = smtp_sink
    started = datetime.now(timezone.utc) - timedelta(seconds=2)
    members_api = f"{platform.urls['members']}/api/v1/members"
    notifications_api = f"{platform.urls['notifications']}/api/v1/notifications"
    events_api = f"{platform.urls['events']}/api/v1/events"
    admin = {"Authorization": f"Bearer {issue_token('office-7', 'admin')}"}
    run = uuid.uuid4().hex[:8]
    family = "Kolev" + "".join(chr(ord("a") + int(c, 16)) for c in run)  # finds this run's members only
    ana_id, ana, ana_email = _member(members_api, sink, admin, "Ana", family, run, phone="+359888" + str(
        int(run[:6], 16) % 1_000_000).zfill(6), preferred_language="bg", consent={"email": True, "sms": True})
    ben_id, ben, ben_email = _member(members_api, sink, admin, "Ben", family, run, preferred_language="en",
                                     consent={"email": True, "sms": False})
    _, _, cvet_email = _member(members_api, sink, admin, "Cvet", family, run, preferred_language="bg",
                               consent={"email": False, "sms": False})

    # Ana wants news by email and SMS at any hour; Ben wants no event news.
    chosen = requests.put(f"{notifications_api}/preferences/me", headers=ana, timeout=10, json={
        "channels": {"news": "email_and_sms"}, "quiet_hours": None})
    assert chosen.status_code == 200 and chosen.json()["channels"] == {"news": "email_and_sms"}, chosen.text
    assert requests.put(f"{notifications_api}/preferences/me", headers=ben, timeout=10, json={
        "channels": {"events": "none"}}).status_code == 200
    invalid = requests.put(f"{notifications_api}/preferences/me", headers=ben, timeout=10, json={
        "channels": {"events": "pigeon"}})
    assert invalid.status_code == 422 and "channels" in invalid.json()["errors"], invalid.text
    assert requests.get(f"{notifications_api}/preferences/me", headers=ben, timeout=10).json()["channels"] == {
        "events": "none"}  # the refused change stored nothing

    segment = requests.post(f"{members_api}/segments", headers=admin, timeout=10, json={
        "name": f"Class of 2008 {run}", "filter": {"q": family}})
    assert segment.status_code == 201, segment.text
    body = {"subject": {"bg": f"Благотворителен бал {run}", "en": f"Charity ball {run}"},
            "body": {"bg": "Скъпи колеги,\n\nКаним Ви на бал.", "en": "Dear colleagues,\n\nJoin us at the ball."},
            "audience": {"kind": "segment", "segment_id": segment.json()["id"]}, "channels": ["email", "sms"]}

    def announce():  # 422 until notifications has learnt the segment from the members events
        answer = requests.post(f"{notifications_api}/announcements", headers=admin, json=body, timeout=10)
        return answer.json() if answer.status_code == 202 else None
    first = wait_until(announce, timeout_s=30, message="the segment known to notifications")
    progress = wait_until(lambda: (p := _progress(notifications_api, admin, first["id"]))["status"] == "spread"
                          and p["progress"]["sent"] == 3 and p, timeout_s=30, message="the announcement sent")
    assert progress["audience_size"] == 3 and progress["progress"]["skipped"] == 1  # Cvet: no consent
    [to_ana] = _mail(sink, ana_email, f"Благотворителен бал {run}")
    [to_ben] = _mail(sink, ben_email, f"Charity ball {run}")
    assert _mail(sink, cvet_email, "Благотворителен") == []
    assert "Каним Ви на бал." in to_ana.get_body(("plain",)).get_content()
    assert to_ana["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [sms] = [m for m in sms_sink.messages if f"Благотворителен бал {run}" in m.body]
    assert sms.to.startswith("+359888") and sms.auth == ("AC-e2e", "e2e-token")

    # Ana follows the one-click link (the gateway's URL; here straight to the members api).
    link = to_ana["List-Unsubscribe"].strip("<>")
    path = link[link.index("/api/v1/members/unsubscribe"):]
    gone = requests.post(platform.urls["members"] + path, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert gone.status_code == 200, gone.text

    # The consent change travels members -> bus -> notifications: once notifications holds it
    # (read in its store, without sending anything), one second announcement.
    contacts = MongoClient(platform.env["MONGO_URL"])[platform.env["MONGO_DB_PREFIX"] + "notifications"].contacts
    wait_until(lambda: contacts.find_one({"_id": ana_id, "consents.email.news.granted": False}), timeout_s=30,
               message="Ana's unsubscribe known to notifications")
    again = requests.post(f"{notifications_api}/announcements", headers=admin, timeout=10, json={
        **body, "subject": {"bg": f"Второ писмо {run}", "en": f"Second letter {run}"}})
    assert again.status_code == 202, again.text
    second = wait_until(lambda: (p := _progress(notifications_api, admin, again.json()["id"]))["status"] == "spread"
                        and p["progress"]["queued"] == p["progress"]["sending"] == 0 and p, timeout_s=30,
                        message="the second announcement")
    assert second["progress"]["sent"] == 2  # Ana's SMS (still consented) and Ben's email
    ours = [a for a in requests.get(f"{notifications_api}/announcements", headers=admin, timeout=10, params={
        "per_page": 50}).json()["items"] if run in a["subject"]["en"]]  # newest first: this run's among them
    assert len(ours) == 2, "one announcement each time, never one more per poll"
    ana_log = requests.get(f"{notifications_api}/deliveries", headers=ana, timeout=10,
                           params={"announcement_id": second["id"]}).json()
    reasons = {d["channel"]: (d["status"], d.get("reason")) for d in ana_log["items"]}
    assert reasons == {"email": ("skipped", "no consent to news by email"), "sms": ("sent", None)}
    assert requests.get(f"{notifications_api}/deliveries", headers=ana, timeout=10,
                        params={"recipient": ben_id}).status_code == 403

    # An event for the class of 2008: Ana hears of it, Ben chose no event news.
    created = requests.post(events_api, headers=admin, timeout=10, json={
        "title": {"bg": f"Среща 2008 {run}", "en": f"Reunion 2008 {run}"}, "kind": "reunion",
        "starts_at": "2031-06-06T18:00", "ends_at": "2031-06-06T23:00", "place": {"name": "Аула"},
        "audience": {"kind": "graduation_years", "year_from": 2008, "year_to": 2008}})
    assert created.status_code == 201, created.text
    assert requests.post(f"{events_api}/{created.json()['id']}/publish", headers=admin, timeout=10).status_code == 200
    [news] = wait_until(lambda: _mail(sink, ana_email, f"Ново събитие: Среща 2008 {run}"), timeout_s=30,
                        message="the event announcement")
    assert f"/events/{created.json()['id']}" in news.get_body(("plain",)).get_content()
    ben_news = wait_until(lambda: [d for d in requests.get(
        f"{notifications_api}/deliveries", headers=ben, timeout=10, params={"template": "event_published"}).json()[
        "items"] if d["event_id"] != first["id"]], timeout_s=30, message="Ben's event delivery")
    assert ben_news[0]["status"] == "skipped" and ben_news[0]["reason"] == "events switched off by the member"
    assert _mail(sink, ben_email, "New event") == []

    # Every delivery published its event; no service consumes them yet, so they are kept in
    # the notifications.events stream, where a future consumer (or an operator) reads them.
    published = wait_until(lambda: [e for e in _delivery_events(amqp_url, started, ana_id)
                                    if e["type"] == "notifications.delivery.sent"
                                    and e["data"]["source_event_id"] == first["id"]], timeout_s=30,
                           message="Ana's delivery events in the stream")
    assert sorted(e["data"]["channel"] for e in published) == ["email", "sms"]
    assert ana_email not in json.dumps(published)  # ids only, never the address
