"""Erasure leaves nothing: a member who used every feature is erased by the office, and then no
collection of any service's database and no parked message holds their email, phone or names.

The member signs up (phone, Cyrillic and Latin names, an ``Idempotency-Key``), confirms the
address, logs in, changes the address and undoes it (both addresses searched for), fails a
login, resets the password, changes a consent (idempotent POST),
edits the profile, chooses channels, is in a segment that gets an announcement by email and SMS,
registers for an event with a guest, gets a ticket and is checked in, becomes an ambassador
(application, listing with a bio, a contact answered, an activity, a finder question to them),
owns a cause, volunteers for it with a note naming them and has hours confirmed with another
(issue 15); one message about them is
parked in the dead-letter queues (published invalid on purpose). After the erasure has been
handled everywhere, every string in every document of every database of the platform (bytes
too: outbox bodies, stored replies) and every parked message is searched for the member's
values, case-insensitively, in every spelling a store may keep (lower-case, transliterated,
folded search tokens, the E.164 phone and its digits), and the fields of ``ID_FREE`` must not
hold even their member id. The stores are read directly: the point is what they hold, which
no API shows.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import requests
from kombu import Connection, Exchange, Producer
from pymongo import MongoClient

from shared import translit
from shared.bus.deadletters import DeadLetters
from tests.e2e.accounts import confirm, link_token, log_in
from tests.support import wait_until

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a second password, chosen after a reset"
CYRILLIC = "абвгдежзиклмнопр"  # one letter per hex digit: names unique to this run
SERVICES = ("members", "events", "notifications", "awards")
# Fields that must not keep an erased member's id at all, by service and collection (what
# stays of their activity stays anonymous): a cause's volunteers, their hours, its owner.
ID_FREE = {"events": {"cause_volunteers": ("member_id",), "cause_hours": ("member_id",), "causes": ("owner_id",)}}


def _cyrillic(run: str) -> str:
    return "".join(CYRILLIC[int(c, 16)] for c in run)


def needles(person: dict) -> set[str]:
    """Every spelling of the member's email, phone and names a store might keep, lower-case."""
    values = {person["email"], person["phone"], person["phone"].lstrip("+")}
    for field in ("given_name", "family_name", "given_name_latin", "family_name_latin"):
        values |= {person[field], translit.fold(person[field]), *translit.words(person[field])}
    return {v.lower() for v in values if len(v) >= 4}


def strings(value, path: str = ""):
    """Every string inside a stored value (keys included), with where it is; bytes decoded."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", str(key)
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")
    elif isinstance(value, bytes):
        yield path, value.decode("utf-8", "replace")
    elif isinstance(value, str):
        yield path, value


def _found(text: str, wanted: set[str]) -> list[str]:
    # JSON bodies escape non-ASCII (\u0442...) in some writers: read them both ways.
    lowered = text.lower()
    unescaped = lowered.encode("utf-8", "replace").decode("unicode_escape", "replace") if "\\u" in lowered else ""
    return [w for w in wanted if w in lowered or w in unescaped]


def leaks_in_stores(client: MongoClient, prefix: str, wanted: set[str]) -> list[str]:
    leaks = []
    for name in client.list_database_names():
        if not name.startswith(prefix):
            continue
        db = client[name]
        for collection in db.list_collection_names():
            for doc in db[collection].find():
                for path, text in strings(doc):
                    kind = f" ({doc['type']} {doc.get('status')})" if isinstance(doc.get("type"), str) else ""
                    leaks += [f"{name}.{collection} {doc.get('_id')!r}{kind} {path}: {w!r}" for w in _found(text, wanted)]
    return leaks


def ids_left(client: MongoClient, prefix: str, member_id: str) -> list[str]:
    return [f"{prefix}{service}.{collection}.{field}" for service, collections in ID_FREE.items()
            for collection, names in collections.items() for field in names
            if client[prefix + service][collection].find_one({field: member_id})]


def parked(amqp_url: str) -> dict[str, list]:
    """The parked messages of every service that has a dead-letter queue."""
    found = {}
    for service in SERVICES:
        try:
            found[service] = DeadLetters(amqp_url, service).list()
        except Exception:  # noqa: BLE001 - a service with no consumer has no dead queue
            continue
    return found


def leaks_in_parked(amqp_url: str, wanted: set[str]) -> list[str]:
    return [f"{service}.dead {m.message_id}: {w!r}" for service, messages in parked(amqp_url).items()
            for m in messages for w in _found(m.body.decode("utf-8", "replace") + m.error, wanted)]


def _publish_invalid_update(amqp_url: str, member_id: str, person: dict) -> str:
    """A ``members.member.updated`` about the member that no consumer can accept (its time is
    not a time): each consumer parks it in its dead-letter queue with the member's data in it."""
    event_id = str(uuid.uuid4())
    body = json.dumps({
        "specversion": "1.0", "id": event_id, "source": "members", "type": "members.member.updated",
        "time": datetime.now(timezone.utc).isoformat(), "subject": member_id, "datacontenttype": "application/json",
        "correlationid": event_id, "data": {"member_id": member_id, "updated_at": "not a time", "changed": {
            "email": person["email"], "phone": person["phone"], "given_name": person["given_name"],
            "family_name_latin": person["family_name_latin"]}}}, ensure_ascii=False)
    with Connection(amqp_url, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.default_channel).publish(
            body.encode(), exchange=Exchange("alumnet.events", type="topic", passive=True),
            routing_key="members.member.updated", content_type="application/cloudevents+json",
            message_id=event_id, delivery_mode=2)
    return event_id


def test_an_erased_member_who_used_every_feature_leaves_nothing_in_any_store_or_parked_message(
        platform, smtp_sink, sms_sink, issue_token, amqp_url):
    sink, _ = smtp_sink
    members, events, notifications = (platform.urls[s] for s in ("members", "events", "notifications"))
    members_api, events_api = f"{members}/api/v1/members", f"{events}/api/v1/events"
    notifications_api = f"{notifications}/api/v1/notifications"
    admin = {"Authorization": f"Bearer {issue_token('office-9', 'admin')}"}
    run = uuid.uuid4().hex[:8]
    person = {
        "given_name": f"Теодора{_cyrillic(run[:4])}", "family_name": f"Здравкова{_cyrillic(run[4:])}",
        "given_name_latin": f"Teodorax{run[:4]}", "family_name_latin": f"Zdravkovax{run[4:]}",
        "email": f"Teodora.Zdravkova.{run}@Example.bg", "phone": "+359887" + str(int(run[:6], 16) % 10 ** 6).zfill(6),
    }
    person["email"] = person["email"].lower()
    other_email = f"teodora.elsewhere.{run}@example.com"
    wanted = needles(person) | {other_email}
    city = f"Мездра {run}"

    # Sign-up (an idempotent POST, answered again from its stored reply), confirmation, login.
    signup = {**person, "preferred_language": "bg", "graduation_year": 2010, "faculty": "medicine",
              "consent": {"email": True, "sms": True}, "password": PASSWORD}
    key = {"Idempotency-Key": f"signup-{run}"}
    for _ in range(2):
        answer = requests.post(members_api, json=signup, headers=key, timeout=10)
        assert answer.status_code == 202, answer.text
    assert answer.headers.get("Idempotent-Replayed") == "true"
    assert confirm(members, sink, person["email"], PASSWORD).status_code == 200
    member_id = log_in(members, person["email"], PASSWORD)["member_id"]
    assert requests.post(f"{members_api}/{member_id}/approve", json={}, headers=admin, timeout=10).status_code == 200

    # An email change to another address, confirmed from it and undone from the first one
    # (both addresses are then in the change's records; the undo takes the password away).
    fresh = {"Authorization": f"Bearer {log_in(members, person['email'], PASSWORD)['access_token']}"}
    asked = requests.post(f"{members_api}/{member_id}/email-change", json={"new_email": other_email},
                          headers=fresh, timeout=10)
    assert asked.status_code == 202, asked.text
    assert requests.post(f"{members_api}/auth/confirm-email-change", timeout=10, json={
        "token": link_token(sink, other_email, "/confirm-email-change")}).status_code == 200
    assert requests.post(f"{members_api}/auth/undo-email-change", timeout=10, json={
        "token": link_token(sink, person["email"], "/undo-email-change")}).status_code == 200

    # Failed logins, then a password reset through the emailed link.
    for _ in range(2):
        assert requests.post(f"{members_api}/auth/login", json={"email": person["email"], "password": "wrong one"},
                             timeout=10).status_code == 401
    assert requests.post(f"{members_api}/auth/password-reset", json={"email": person["email"]},
                         timeout=10).status_code == 202

    token = link_token(sink, person["email"], "reset-password")
    assert requests.post(f"{members_api}/auth/password-reset/confirm", timeout=10,
                         json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    pair = log_in(members, person["email"], NEW_PASSWORD)
    me = {"Authorization": f"Bearer {pair['access_token']}"}

    # A consent change (idempotent), a profile edit, channel choices.
    consent = requests.post(f"{members_api}/{member_id}/consents", headers={**me, "Idempotency-Key": f"c-{run}"},
                            timeout=10, json={"channel": "email", "category": "surveys", "granted": False,
                                              "source": "profile_page"})
    assert consent.status_code == 201, consent.text
    edited = requests.patch(f"{members_api}/{member_id}", headers=me, timeout=10, json={
        "city": city, "employer": "УМБАЛ Св. Георги", "family_name_latin": person["family_name_latin"]})
    assert edited.status_code == 200, edited.text
    chosen = requests.put(f"{notifications_api}/preferences/me", headers=me, timeout=10, json={
        "channels": {"news": "email_and_sms"}, "quiet_hours": None})
    assert chosen.status_code == 200, chosen.text

    # A segment they are in (by city), and an announcement to it by email and SMS.
    segment = requests.post(f"{members_api}/segments", headers={**admin, "Idempotency-Key": f"s-{run}"}, timeout=10,
                            json={"name": f"Mezdra {run}", "filter": {"city": city}})
    assert segment.status_code == 201, segment.text
    announcement = {"subject": {"bg": f"Среща {run}", "en": f"Meeting {run}"},
                    "body": {"bg": "Здравейте!", "en": "Hello!"}, "channels": ["email", "sms"],
                    "audience": {"kind": "segment", "segment_id": segment.json()["id"]}}

    def announce():  # 422 until notifications has learnt the segment
        answer = requests.post(f"{notifications_api}/announcements", headers=admin, json=announcement, timeout=10)
        return answer.json() if answer.status_code == 202 else None
    wait_until(announce, timeout_s=30, message="the segment known to notifications")
    wait_until(lambda: [m for m in sink.to(person["email"]) if m["Subject"].startswith(f"Среща {run}")]
               and [m for m in sms_sink.messages if m.to == person["phone"] and f"Среща {run}" in m.body],
               timeout_s=60, message="the announcement by email and SMS")

    # An event: registered with a guest, a ticket, checked in at the door.
    starts = datetime.now(ZoneInfo("Europe/Sofia")) + timedelta(hours=1)  # the door opens 6 h before
    local = "%Y-%m-%dT%H:%M"
    created = requests.post(events_api, headers={**admin, "Idempotency-Key": f"e-{run}"}, timeout=10, json={
        "title": {"bg": f"Бал {run}", "en": f"Ball {run}"}, "kind": "reunion", "guests_allowed": 2,
        "starts_at": starts.strftime(local), "ends_at": (starts + timedelta(hours=3)).strftime(local),
        "place": {"name": "Аула"}, "capacity": 10, "audience": {"kind": "all"}})
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert requests.post(f"{events_api}/{event_id}/publish", headers=admin, timeout=10).status_code == 200

    def register():
        answer = requests.post(f"{events_api}/{event_id}/registrations", json={"guests": 1}, headers=me, timeout=10)
        return answer if answer.status_code == 201 else None
    wait_until(register, timeout_s=30, message="the member known to the events service")
    ticket = requests.get(f"{events_api}/{event_id}/registrations/mine/ticket", headers=me, timeout=10)
    assert ticket.status_code == 200, ticket.text
    checked = requests.post(f"{events_api}/{event_id}/check-ins", headers=admin, timeout=10,
                            json={"code": ticket.json()["code"]})
    assert checked.status_code == 200 and checked.json()["given_name"] == person["given_name"], checked.text

    # The ambassador programme (issue 15): they apply, the office appoints them, they list
    # themselves with a bio naming them, answer a contact the office assigned and log an
    # activity; a finder question is asked of them.
    applied = requests.post(f"{members_api}/ambassadors/applications", headers=me, timeout=10, json={
        "motivation": f"{person['given_name']} {person['family_name']}: I live in Pune again.",
        "countries": ["IN"], "cities": ["Pune"], "languages": ["en"], "faculty": "medicine"})
    assert applied.status_code == 201, applied.text
    appointed = requests.post(f"{members_api}/ambassadors/applications/{applied.json()['id']}/appoint",
                              headers=admin, json={}, timeout=10)
    assert appointed.status_code == 200, appointed.text
    listed = requests.patch(f"{members_api}/me/ambassador", headers=me, timeout=10, json={
        "listed": True, "public_fields": ["given_name", "family_name", "city", "bio"],
        "bio": {"bg": f"Аз съм {person['given_name']}.", "en": f"I am {person['given_name_latin']}."}})
    assert listed.status_code == 200, listed.text
    contact = requests.post(f"{members_api}/ambassadors/{member_id}/contacts", headers=admin, timeout=10, json={
        "name": "Ravi Kumar", "email": f"ravi.{run}@example.in", "kind": "new_international_student",
        "country": "IN", "language": "en", "note": f"Call {person['given_name_latin']} about Plovdiv."})
    assert contact.status_code == 201, contact.text
    assert requests.post(f"{members_api}/ambassadors/{member_id}/contacts/{contact.json()['id']}/reply",
                         headers=me, timeout=10, json={"message": "Hi Ravi, welcome to Plovdiv!"}
                         ).status_code == 200
    activity = requests.post(f"{members_api}/ambassadors/{member_id}/activities", headers=me, timeout=10, json={
        "kind": "school_talk", "on": datetime.now(ZoneInfo("Europe/Sofia")).date().isoformat(),
        "place": {"name": "Delhi Public School", "city": "Pune", "country": "IN"}, "people_reached": 40,
        "note": f"{person['family_name']} spoke to two classes."})
    assert activity.status_code == 201, activity.text
    asked = requests.post(f"{members_api}/ambassadors/finder/{appointed.json()['public_id']}/questions", timeout=10,
                          json={"name": "Arjun Mehta", "email": f"arjun.{run}@example.in", "language": "en",
                                "country": "IN", "message": f"Dear {person['given_name_latin']}, how is it?",
                                "privacy_accepted": True})
    assert asked.status_code == 202, asked.text

    # A cause they own and volunteer for, with notes naming them; their hours confirmed.
    cause = requests.post(f"{events_api}/causes", headers={**admin, "Idempotency-Key": f"cause-{run}"}, timeout=10,
                          json={"kind": "volunteering", "title": {"bg": f"Кауза {run}", "en": f"Cause {run}"},
                                "deadline": (starts + timedelta(days=7)).strftime(local), "owner_id": member_id,
                                "roles": [{"role_id": "guide", "title": {"bg": "Водач", "en": "Guide"}, "slots": 2}]})
    assert cause.status_code == 201, cause.text
    cause_id = cause.json()["id"]
    assert requests.post(f"{events_api}/causes/{cause_id}/publish", headers=admin, timeout=10).status_code == 200
    joined = requests.post(f"{events_api}/causes/{cause_id}/roles/guide/volunteers", headers=me, timeout=10,
                           json={"note": f"{person['given_name']} {person['family_name']}, {person['phone']}"})
    assert joined.status_code == 201 and joined.json()["status"] == "joined", joined.text
    today = datetime.now(ZoneInfo("Europe/Sofia")).date().isoformat()
    hours = requests.post(f"{events_api}/causes/{cause_id}/volunteers/{joined.json()['volunteer_id']}/hours",
                          headers=admin, timeout=10,
                          json={"hours": 2, "on": today, "note": f"Благодарим на {person['given_name_latin']}."})
    assert hours.status_code == 201, hours.text

    # A message about them that no consumer accepts: parked by events and notifications.
    bad = _publish_invalid_update(amqp_url, member_id, person)
    wait_until(lambda: all(any(m.message_id == bad for m in parked(amqp_url).get(s, ())) for s in
                           ("events", "notifications")), timeout_s=60, interval_s=0.2,
               message="the invalid message parked")
    assert leaks_in_parked(amqp_url, wanted), "the scan must see the parked message's data"

    # The office erases them.
    erased = requests.delete(f"{members_api}/{member_id}", params={"reason": "asked by letter"}, headers=admin,
                             timeout=10)
    assert erased.status_code == 202, erased.text

    env = platform.env
    client = MongoClient(env["MONGO_URL"])
    prefix = env["MONGO_DB_PREFIX"]
    def not_yet_erased() -> list[str]:
        return [service for service in ("events", "notifications", "awards")
                if not client[prefix + service].erased_members.find_one({"_id": member_id})]
    try:
        wait_until(lambda: not not_yet_erased(), timeout_s=60,
                   message="events, notifications and awards handled the erasure")
    except AssertionError as timeout:
        raise AssertionError(f"{timeout}; not handled by: {not_yet_erased()}; workers' logs: "
                             f"{platform.log_dir if hasattr(platform, 'log_dir') else '?'}") from None
    # The members relay publishes in commit order: once the erasure is marked sent, so is every
    # earlier event of the member (the other services' events name members by id only).
    wait_until(lambda: client[prefix + "members"].outbox.find_one(
        {"type": "members.member.erased", "subject": member_id, "status": "sent"}), timeout_s=60,
        message="the erasure's event published")

    leaks = leaks_in_stores(client, prefix, wanted) + leaks_in_parked(amqp_url, wanted) + \
        ids_left(client, prefix, member_id)
    assert leaks == [], "\n".join(sorted(leaks))
