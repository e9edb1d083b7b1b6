"""The notifications HTTP API through Flask's test client: the real app on the session's local
store (a database per test) with the in-process broker. Contacts, segments and erasures come
through the real event handlers (``members.*`` events made with the members catalogue);
deliveries are seeded with the store's own helpers.

Checked: the delivery log (members see only their own, admins filter by every field,
validation and paging); preferences (defaults, valid and invalid changes naming the field, a
refused change stores nothing, erased members); announcements (admins only, validation,
segments from the read model, SMS length, listing, cancelling skips what waits and keeps
what was sent, progress, Idempotency-Key); and a schemathesis run over every route: no 5xx.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.members.messages import (
    CATALOG,
    MEMBER_ERASED,
    MEMBER_REGISTERED,
    SEGMENT_DELETED,
    SEGMENT_SAVED,
)
from services.notifications import handlers
from services.notifications import store as notification_store
from services.notifications.app import create_app
from services.notifications.store import (
    HELD,
    QUEUED,
    SENT,
    SKIPPED,
    new_delivery,
    queue,
)
from tests.support import assert_problem, bearer, consumer_like, fuzz_every_route

BASE = "/api/v1/notifications"
DELIVERIES = f"{BASE}/deliveries"
PREFERENCES = f"{BASE}/preferences/me"
ANNOUNCEMENTS = f"{BASE}/announcements"
MARIA = "6f1c2b9e4d8a4e5f9a0b1c2d"
IVAN = "7a2d3c0f5e9b4f6a8b1c2d3e"
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SEGMENT = "3d6f0a8e2b7c4d19a5e1f0b2c3d4e5f6"
DEFAULT_PREFERENCES = {"channels": {}, "quiet_hours": {"start": "22:00", "end": "08:00"},
                       "timezone": "Europe/Sofia", "digest_hour": 8}
ZERO_PROGRESS = {"queued": 0, "sending": 0, "sent": 0, "failed": 0, "skipped": 0, "held": 0, "digested": 0,
                 "unknown": 0}


@pytest.fixture
def app(make_config):
    return create_app(make_config(AMQP_URL="memory://"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app) -> notification_store.NotificationsStore:
    return app.extensions["alumnet"].store


@pytest.fixture
def deliver(store):
    """Handle a members event as the notifications consumer does."""
    return consumer_like(store, handlers.subscriptions())


@pytest.fixture
def maria(issue_token) -> dict:
    return bearer(issue_token(MARIA, "alumnus"))


@pytest.fixture
def ivan(issue_token) -> dict:
    return bearer(issue_token(IVAN, "alumnus"))


def registered(member_id: str, email: str, phone: str | None = "+359888123456"):
    return CATALOG.create(MEMBER_REGISTERED, member_id, {
        "member_id": member_id, "given_name": "Мария", "family_name": "Иванова", "email": email, "phone": phone,
        "preferred_language": "bg", "graduation_year": 2015, "faculty": "medicine", "programme": "Медицина",
        "consent": {"email": True, "sms": False}, "registered_at": T0.isoformat()}, "corr-1")


def erased(member_id: str):
    return CATALOG.create(MEMBER_ERASED, member_id, {"member_id": member_id,
                                                    "erased_at": datetime.now(UTC).isoformat()}, "corr-3")


def segment_saved(segment_id: str = SEGMENT, version: int = 1):
    return CATALOG.create(SEGMENT_SAVED, segment_id, {
        "segment_id": segment_id, "name": "Plovdiv mentors, classes of 2000-2010",
        "filter": {"city": "Пловдив", "graduation_year_from": 2000, "graduation_year_to": 2010,
                   "open_to_mentoring": True},
        "version": version, "saved_at": T0.isoformat()}, "corr-5")


def delivery(source: str, recipient: str, *, channel="email", template="event_published", status=QUEUED,
             queued_at: datetime | None = None, fanout_id: str | None = None, reason: str | None = None) -> dict:
    document = new_delivery(
        source_id=source, recipient=recipient, channel=channel, template=template, language="bg",
        address="maria.ivanova@example.bg" if channel == "email" else "+359888123456",
        context={"given_name": "Мария"}, correlation_id="corr-9", category="events", marketing=True,
        status=status, reason=reason, fanout_id=fanout_id)
    if queued_at is not None:
        document["queued_at"] = document["due_at"] = queued_at
    return document


def seed(store, *deliveries: dict) -> None:
    assert queue(store.db, None, deliveries) == len(deliveries)


def announcement(**overrides) -> dict:
    return {"subject": {"bg": "Коледен концерт на випускниците", "en": "Alumni Christmas concert"},
            "body": {"bg": "Каним ви на 18 декември в Аулата.\n\nВход свободен.",
                     "en": "Join us on 18 December in the Aula.\n\nFree entry."}, **overrides}


def announce(client, headers, **overrides) -> dict:
    response = client.post(ANNOUNCEMENTS, json=announcement(**overrides), headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


# --------------------------------------------------------------------------- the delivery log

def test_the_delivery_log_needs_a_token(client):
    problem = assert_problem(client.get(DELIVERIES), 401)
    assert problem["type"].endswith("/unauthenticated")
    assert_problem(client.get(DELIVERIES, headers={"Authorization": "Bearer not-a-token"}), 401)


def test_a_member_sees_only_their_own_deliveries(client, store, deliver, maria, ivan):
    deliver(registered(MARIA, "maria.ivanova@example.bg"))  # queues her welcome email
    deliver(registered(IVAN, "ivan.petrov@example.bg"))
    seed(store, delivery("evt-1", MARIA, channel="sms"), delivery("evt-1", IVAN))

    page = client.get(DELIVERIES, headers=maria).get_json()
    assert page["total"] == 2 and {d["recipient"] for d in page["items"]} == {MARIA}
    assert {(d["template"], d["channel"]) for d in page["items"]} == {("welcome", "email"), ("event_published", "sms")}
    assert client.get(f"{DELIVERIES}?recipient={MARIA}", headers=maria).get_json()["total"] == 2
    problem = assert_problem(client.get(f"{DELIVERIES}?recipient={IVAN}", headers=maria), 403)
    assert problem["type"].endswith("/forbidden")
    assert client.get(DELIVERIES, headers=ivan).get_json()["total"] == 2


def test_a_delivery_in_the_log_has_its_status_reason_and_source(client, store, admin_headers):
    seed(store, delivery("evt-7", MARIA, status=SKIPPED, reason="no consent to events by email", fanout_id="f" * 32))
    [item] = client.get(DELIVERIES, headers=admin_headers).get_json()["items"]
    assert item["id"] == f"evt-7:{MARIA}:email"
    assert (item["event_id"], item["announcement_id"], item["recipient"], item["status"], item["reason"]) == (
        "evt-7", "f" * 32, MARIA, "skipped", "no consent to events by email")
    assert (item["channel"], item["template"], item["category"], item["language"], item["attempts"]) == (
        "email", "event_published", "events", "bg", 0)
    assert "address" not in item and "context" not in item  # the log does not repeat addresses


def test_admins_filter_the_log_by_every_field(client, store, admin_headers):
    announcement_id = "b" * 32
    seed(store,
         delivery("evt-1", MARIA, queued_at=T0 - timedelta(days=2)),
         delivery("evt-1", MARIA, channel="sms", status=HELD, queued_at=T0 - timedelta(days=2)),
         delivery("evt-2", IVAN, template="event_cancelled", status=SENT, queued_at=T0 - timedelta(days=1)),
         delivery(announcement_id, MARIA, template="announcement", fanout_id=announcement_id, queued_at=T0),
         delivery(announcement_id, IVAN, template="announcement", fanout_id=announcement_id, status=SKIPPED,
                  reason="news switched off by the member", queued_at=T0 + timedelta(hours=1)))

    def ids(query: str = "") -> list[str]:
        response = client.get(f"{DELIVERIES}{query}", headers=admin_headers)
        assert response.status_code == 200, response.get_json()
        return [d["id"] for d in response.get_json()["items"]]

    assert len(ids()) == 5
    assert ids()[0] == f"{announcement_id}:{IVAN}:email"  # newest first
    assert set(ids(f"?recipient={IVAN}")) == {f"evt-2:{IVAN}:email", f"{announcement_id}:{IVAN}:email"}
    assert ids("?status=held") == [f"evt-1:{MARIA}:sms"]
    assert ids("?channel=sms") == [f"evt-1:{MARIA}:sms"]
    assert ids("?template=event_cancelled") == [f"evt-2:{IVAN}:email"]
    assert set(ids("?event_id=evt-1")) == {f"evt-1:{MARIA}:email", f"evt-1:{MARIA}:sms"}
    assert set(ids(f"?announcement_id={announcement_id}")) == {f"{announcement_id}:{MARIA}:email",
                                                               f"{announcement_id}:{IVAN}:email"}
    assert ids(f"?announcement_id={announcement_id}&status=skipped&recipient={IVAN}") == [
        f"{announcement_id}:{IVAN}:email"]
    since, until = (T0 - timedelta(days=1)).isoformat(), T0.isoformat()
    assert ids(f"?since={since.replace('+', '%2B')}") == [
        f"{announcement_id}:{IVAN}:email", f"{announcement_id}:{MARIA}:email", f"evt-2:{IVAN}:email"]
    before = ids(f"?until={until.replace('+', '%2B')}")  # queued before T0; evt-1's two share a time
    assert before[0] == f"evt-2:{IVAN}:email"
    assert set(before[1:]) == {f"evt-1:{MARIA}:email", f"evt-1:{MARIA}:sms"}
    assert ids(f"?since={since.replace('+', '%2B')}&until={until.replace('+', '%2B')}") == [f"evt-2:{IVAN}:email"]
    assert ids("?recipient=nobody") == []


@pytest.mark.parametrize(("query", "field"), [
    ("status=lost", "status"),
    ("channel=pigeon", "channel"),
    ("since=yesterday", "since"),
    ("until=2026-11-28T10:00:00", "until"),  # no offset: ambiguous
    ("per_page=0", "per_page"),
    ("per_page=101", "per_page"),
    ("page=0", "page"),
])
def test_bad_log_queries_are_problems_naming_the_field(client, admin_headers, query, field):
    problem = assert_problem(client.get(f"{DELIVERIES}?{query}", headers=admin_headers), 422)
    assert field in problem["errors"]


def test_pages_of_deliveries_queued_at_the_same_instant_neither_repeat_nor_skip(client, store, admin_headers):
    # A fan-out page queues hundreds of deliveries within the same millisecond.
    seed(store, *(delivery("ann-7", f"{n:032x}", queued_at=T0) for n in range(37)))
    seen = []
    for page in range(1, 6):
        seen += [d["id"] for d in client.get(f"{DELIVERIES}?per_page=10&page={page}&event_id=ann-7",
                                             headers=admin_headers).get_json()["items"]]
    assert len(seen) == len(set(seen)) == 37
    # Ties are broken by id, newest-first like the rest, so every store pages them the same way.
    assert seen == sorted(seen, reverse=True)


def test_the_log_is_paged(client, store, admin_headers):
    seed(store, *(delivery(f"evt-{n}", MARIA, queued_at=T0 + timedelta(minutes=n)) for n in range(5)))
    first = client.get(f"{DELIVERIES}?per_page=2", headers=admin_headers).get_json()
    assert set(first) == {"items", "page", "per_page", "total"}
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 5)
    assert [d["event_id"] for d in first["items"]] == ["evt-4", "evt-3"]
    last = client.get(f"{DELIVERIES}?per_page=2&page=3", headers=admin_headers).get_json()
    assert (last["page"], last["per_page"], last["total"], [d["event_id"] for d in last["items"]]) == (
        3, 2, 5, ["evt-0"])
    beyond = client.get(f"{DELIVERIES}?per_page=2&page=9", headers=admin_headers).get_json()
    assert (beyond["items"], beyond["total"]) == ([], 5)
    assert client.get(DELIVERIES, headers=admin_headers).get_json()["per_page"] == 50


# --------------------------------------------------------------------------- preferences

def test_preferences_need_a_token(client):
    assert_problem(client.get(PREFERENCES), 401)
    assert_problem(client.put(PREFERENCES, json={}), 401)


def test_preferences_start_as_the_defaults(client, maria):
    response = client.get(PREFERENCES, headers=maria)
    assert response.status_code == 200
    assert response.get_json() == DEFAULT_PREFERENCES


def test_a_member_chooses_channels_quiet_hours_time_zone_and_digest_hour(client, store, maria, ivan):
    chosen = {"channels": {"account": "email_and_sms", "news": "digest", "events": "sms", "surveys": "none",
                           "mentoring": "email", "awards": "email_and_sms"},
              "quiet_hours": {"start": "23:30", "end": "07:15"}, "timezone": "Europe/London", "digest_hour": 19}
    response = client.put(PREFERENCES, json=chosen, headers=maria)
    assert response.status_code == 200, response.get_json()
    saved = response.get_json()
    assert {k: v for k, v in saved.items() if k != "updated_at"} == chosen
    assert datetime.fromisoformat(saved["updated_at"]).tzinfo is not None
    assert client.get(PREFERENCES, headers=maria).get_json()["channels"] == chosen["channels"]
    assert store.preferences(MARIA)["digest_hour"] == 19
    assert client.get(PREFERENCES, headers=ivan).get_json() == DEFAULT_PREFERENCES  # others are untouched


def test_a_put_replaces_the_preferences_and_null_quiet_hours_mean_none(client, maria):
    client.put(PREFERENCES, json={"channels": {"news": "sms"}, "digest_hour": 6}, headers=maria)
    response = client.put(PREFERENCES, json={"quiet_hours": None}, headers=maria)
    assert response.status_code == 200, response.get_json()
    got = client.get(PREFERENCES, headers=maria).get_json()
    assert {k: v for k, v in got.items() if k != "updated_at"} == {**DEFAULT_PREFERENCES, "quiet_hours": None}


@pytest.mark.parametrize(("body", "field"), [
    ({"channels": {"newsletter": "email"}}, "channels"),            # unknown category
    ({"channels": {"news": "pigeon"}}, "channels"),                 # unknown choice
    ({"channels": {"account": "none"}}, "channels"),                # account messages cannot be off
    ({"channels": {"account": "digest"}}, "channels"),
    ({"quiet_hours": {"start": "24:00", "end": "08:00"}}, "quiet_hours"),
    ({"quiet_hours": {"start": "22:00", "end": "8:00"}}, "quiet_hours"),
    ({"quiet_hours": {"start": "22:00", "end": "08:60"}}, "quiet_hours"),
    ({"quiet_hours": {"start": "22:00"}}, "quiet_hours"),
    ({"timezone": "Europe/Plovdiv"}, "timezone"),
    ({"timezone": "europe/sofia"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"digest_hour": 24}, "digest_hour"),
    ({"digest_hour": -1}, "digest_hour"),
    ({"digest_hour": None}, "digest_hour"),
    ({"updated_at": "2026-11-28T10:00:00+00:00"}, "updated_at"),   # read-only
])
def test_invalid_preferences_are_problems_naming_the_field_and_change_nothing(client, store, maria, body, field):
    kept = {"channels": {"news": "digest"}, "quiet_hours": {"start": "21:00", "end": "09:00"},
            "timezone": "Europe/Sofia", "digest_hour": 7}
    assert client.put(PREFERENCES, json=kept, headers=maria).status_code == 200
    before = store.preferences(MARIA)
    problem = assert_problem(client.put(PREFERENCES, json={**kept, **body}, headers=maria), 422)
    assert field in problem["errors"], problem
    assert store.preferences(MARIA) == before
    got = client.get(PREFERENCES, headers=maria).get_json()
    assert {k: v for k, v in got.items() if k != "updated_at"} == kept


@pytest.mark.parametrize("zone", ["Europe", "America", "a" * 300])
def test_a_time_zone_that_is_a_directory_or_too_long_is_a_problem_not_a_crash(client, maria, zone):
    problem = assert_problem(client.put(PREFERENCES, json={"timezone": zone}, headers=maria), 422)
    assert "timezone" in problem["errors"]


def test_an_erased_member_cannot_store_preferences(client, store, deliver, maria):
    deliver(registered(MARIA, "maria.ivanova@example.bg"))
    assert client.put(PREFERENCES, json={"channels": {"news": "sms"}}, headers=maria).status_code == 200
    deliver(erased(MARIA))
    assert store.preferences(MARIA) is None  # forgotten with the contact
    problem = assert_problem(client.put(PREFERENCES, json={"channels": {"news": "sms"}}, headers=maria), 404)
    assert problem["type"].endswith("/not_found")
    assert store.preferences(MARIA) is None  # nothing stored again


def test_an_erased_member_has_no_preferences_to_read(client, deliver, maria):
    deliver(registered(MARIA, "maria.ivanova@example.bg"))
    deliver(erased(MARIA))
    assert_problem(client.get(PREFERENCES, headers=maria), 404)


# --------------------------------------------------------------------------- announcements

@pytest.mark.parametrize(("method", "path"), [
    ("post", ANNOUNCEMENTS), ("get", ANNOUNCEMENTS), ("get", f"{ANNOUNCEMENTS}/{'c' * 32}"),
    ("post", f"{ANNOUNCEMENTS}/{'c' * 32}/cancel"),
])
def test_announcements_are_for_admins_only(client, store, maria, method, path):
    assert_problem(getattr(client, method)(path, json=announcement()), 401)
    problem = assert_problem(getattr(client, method)(path, json=announcement(), headers=maria), 403)
    assert problem["type"].endswith("/forbidden")
    assert store.db[notification_store.FANOUTS].count_documents({}) == 0


def test_an_announcement_is_accepted_and_starts_spreading(client, store, admin_headers):
    response = client.post(ANNOUNCEMENTS, json=announcement(category="events", channels=["email", "sms"]),
                           headers=admin_headers)
    assert response.status_code == 202, response.get_json()
    created = response.get_json()
    assert response.headers["Location"].endswith(f"{ANNOUNCEMENTS}/{created['id']}")
    assert len(created["id"]) == 32
    assert (created["status"], created["category"], created["channels"], created["created_by"]) == (
        "spreading", "events", ["email", "sms"], "a" * 32)
    assert created["audience"]["kind"] == "all"
    assert created["subject"] == announcement()["subject"] and created["body"] == announcement()["body"]
    assert created["progress"] == ZERO_PROGRESS
    stored = store.fanout(created["id"])
    assert (stored["kind"], stored["template"], stored["status"], stored["lease_until"]) == (
        "announcement", "announcement", "spreading", None)
    # The defaults: news, by email, to everyone.
    plain = announce(client, admin_headers)
    assert (plain["category"], plain["channels"], plain["audience"]["kind"]) == ("news", ["email"], "all")


@pytest.mark.parametrize(("body", "path"), [
    (announcement(subject={"bg": "Концерт"}), ("subject", "en")),
    (announcement(subject={"bg": "", "en": "Concert"}), ("subject", "bg")),
    (announcement(subject={"bg": "Концерт", "en": "x" * 201}), ("subject", "en")),
    (announcement(body={"bg": "Текст", "en": "x" * 20001}), ("body", "en")),
    ({"subject": announcement()["subject"]}, ("body",)),
    (announcement(category="account"), ("category",)),   # transactional: not for announcements
    (announcement(channels=[]), ("channels",)),
    (announcement(channels=["fax"]), ("channels",)),
    (announcement(audience={"kind": "segment"}), ("audience", "segment_id")),
    (announcement(audience={"kind": "segment", "segment_id": "not-hex"}), ("audience", "segment_id")),
    (announcement(audience={"kind": "faculty", "faculty": "astrology"}), ("audience", "faculty")),
])
def test_bad_announcements_are_problems_naming_the_field(client, store, admin_headers, body, path):
    problem = assert_problem(client.post(ANNOUNCEMENTS, json=body, headers=admin_headers), 422)
    errors = problem["errors"]
    for key in path:
        assert key in errors, problem
        errors = errors[key]
    assert store.db[notification_store.FANOUTS].count_documents({}) == 0


def test_a_segment_audience_must_be_a_segment_the_read_model_knows(client, store, deliver, admin_headers):
    body = announcement(audience={"kind": "segment", "segment_id": SEGMENT})
    problem = assert_problem(client.post(ANNOUNCEMENTS, json=body, headers=admin_headers), 422)
    assert "segment_id" in problem["errors"]["audience"]
    deliver(segment_saved())
    created = announce(client, admin_headers, audience=body["audience"])
    assert created["audience"]["segment_id"] == SEGMENT
    deliver(CATALOG.create(SEGMENT_DELETED, SEGMENT, {"segment_id": SEGMENT, "deleted_at": T0.isoformat()},
                           "corr-6"))
    assert_problem(client.post(ANNOUNCEMENTS, json=body, headers=admin_headers), 422)
    assert store.db[notification_store.FANOUTS].count_documents({}) == 1


def test_an_sms_announcement_takes_any_subject_the_sms_template_cuts_to_fit(client, admin_headers):
    long = {"bg": "Коледен концерт на випускниците от всички факултети в Аулата на МУ-Пловдив, 18 декември",
            "en": "Christmas concert of the graduates of every faculty in the Main Hall of MU-Plovdiv, 18 December"}
    created = announce(client, admin_headers, channels=["email", "sms"], subject=long)
    assert created["channels"] == ["email", "sms"]  # the SMS template tests keep its body within the limit


def test_announcements_are_listed_newest_first_and_read_one_by_one(client, admin_headers):
    first = announce(client, admin_headers)
    second = announce(client, admin_headers, category="awards")
    page = client.get(ANNOUNCEMENTS, headers=admin_headers).get_json()
    assert (page["page"], page["per_page"], page["total"]) == (1, 20, 2)
    assert [a["id"] for a in page["items"]] == [second["id"], first["id"]]
    assert all(a["progress"] == ZERO_PROGRESS for a in page["items"])
    paged = client.get(f"{ANNOUNCEMENTS}?per_page=1&page=2", headers=admin_headers).get_json()
    assert [a["id"] for a in paged["items"]] == [first["id"]] and paged["total"] == 2
    one = client.get(f"{ANNOUNCEMENTS}/{second['id']}", headers=admin_headers)
    assert one.status_code == 200
    assert {k: v for k, v in one.get_json().items() if k != "created_at"} == {
        k: v for k, v in second.items() if k != "created_at"}
    assert_problem(client.get(f"{ANNOUNCEMENTS}?per_page=0", headers=admin_headers), 422)


def test_an_announcement_reads_back_as_it_was_answered(client, admin_headers):
    created = announce(client, admin_headers)
    assert client.get(f"{ANNOUNCEMENTS}/{created['id']}", headers=admin_headers).get_json() == created


def test_an_unknown_announcement_is_not_found(client, store, admin_headers):
    for unknown in ("c" * 32, "no-such-thing"):
        assert_problem(client.get(f"{ANNOUNCEMENTS}/{unknown}", headers=admin_headers), 404)
        assert_problem(client.post(f"{ANNOUNCEMENTS}/{unknown}/cancel", headers=admin_headers), 404)
    # An event fan-out is not an announcement.
    store.create_fanout(None, {"_id": "evt-42", "kind": "event", "status": "spreading", "created_at": T0})
    assert_problem(client.get(f"{ANNOUNCEMENTS}/evt-42", headers=admin_headers), 404)
    assert_problem(client.post(f"{ANNOUNCEMENTS}/evt-42/cancel", headers=admin_headers), 404)
    assert store.fanout("evt-42")["status"] == "spreading"


def test_cancelling_skips_what_waits_and_keeps_what_was_sent(client, store, admin_headers):
    created = announce(client, admin_headers)
    other = announce(client, admin_headers)
    aid = created["id"]
    seed(store,
         delivery(aid, MARIA, template="announcement", fanout_id=aid),
         delivery(aid, IVAN, template="announcement", fanout_id=aid),
         delivery(aid, MARIA, channel="sms", template="announcement", fanout_id=aid, status=HELD),
         delivery(aid, "8b3e4d1a6f0c4a7b9c2d3e4f", template="announcement", fanout_id=aid, status=SENT),
         delivery(other["id"], MARIA, template="announcement", fanout_id=other["id"]))
    before = client.get(f"{ANNOUNCEMENTS}/{aid}", headers=admin_headers).get_json()
    assert before["progress"] == {**ZERO_PROGRESS, "queued": 2, "held": 1, "sent": 1}

    response = client.post(f"{ANNOUNCEMENTS}/{aid}/cancel", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    cancelled = response.get_json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    assert cancelled["progress"] == {**ZERO_PROGRESS, "skipped": 3, "sent": 1}
    items, total = store.deliveries(fanout_id=aid)
    assert total == 4
    for item in items:
        if item["recipient"] == "8b3e4d1a6f0c4a7b9c2d3e4f":
            assert item["status"] == SENT and "reason" not in item
        else:
            assert (item["status"], item["reason"]) == (SKIPPED, "cancelled")
    # The other announcement goes on.
    assert store.deliveries(fanout_id=other["id"])[0][0]["status"] == QUEUED
    assert client.get(f"{ANNOUNCEMENTS}/{other['id']}", headers=admin_headers).get_json()["status"] == "spreading"
    # Cancelling again changes nothing; reading it shows the same.
    again = client.post(f"{ANNOUNCEMENTS}/{aid}/cancel", headers=admin_headers).get_json()
    assert (again["status"], again["cancelled_at"], again["progress"]) == (
        "cancelled", cancelled["cancelled_at"], cancelled["progress"])
    assert client.get(f"{ANNOUNCEMENTS}/{aid}", headers=admin_headers).get_json() == again
    # The log shows the reason.
    log = client.get(f"{DELIVERIES}?announcement_id={aid}&status=skipped", headers=admin_headers).get_json()
    assert log["total"] == 3 and {d["reason"] for d in log["items"]} == {"cancelled"}


def test_a_spread_announcement_can_still_be_cancelled(client, store, admin_headers):
    created = announce(client, admin_headers)
    store.db[notification_store.FANOUTS].update_one({"_id": created["id"]}, {"$set": {"status": "spread",
                                                                                     "audience_size": 2}})
    seed(store, delivery(created["id"], MARIA, template="announcement", fanout_id=created["id"]))
    cancelled = client.post(f"{ANNOUNCEMENTS}/{created['id']}/cancel", headers=admin_headers).get_json()
    assert (cancelled["status"], cancelled["audience_size"]) == ("cancelled", 2)
    assert cancelled["progress"] == {**ZERO_PROGRESS, "skipped": 1}


def test_an_idempotency_key_makes_a_retried_announcement_create_nothing_twice(client, store, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "office-2026-11-28-concert"}
    first = client.post(ANNOUNCEMENTS, json=announcement(), headers=headers)
    retry = client.post(ANNOUNCEMENTS, json=announcement(), headers=headers)
    assert first.status_code == retry.status_code == 202
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert store.db[notification_store.FANOUTS].count_documents({}) == 1
    # The same key with another body is refused; another key makes another announcement.
    problem = assert_problem(client.post(ANNOUNCEMENTS, json=announcement(category="awards"), headers=headers), 422)
    assert "Idempotency-Key" in problem["errors"]
    other = client.post(ANNOUNCEMENTS, json=announcement(), headers={**admin_headers, "Idempotency-Key": "other"})
    assert other.status_code == 202 and other.get_json()["id"] != first.get_json()["id"]
    assert store.db[notification_store.FANOUTS].count_documents({}) == 2


def test_a_failure_after_an_announcement_is_stored_never_makes_its_retry_send_it_twice(
        client, store, admin_headers, monkeypatch):
    """Its progress is read after the announcement is written: when that read fails, the
    retry with the same key must not create (and email the audience) a second time."""
    progress = notification_store.NotificationsStore.fanout_progress
    failures = [ConnectionError("the store went away after the write")]

    def progress_failing_once(self, fanout_id):
        if failures:
            raise failures.pop()
        return progress(self, fanout_id)

    monkeypatch.setattr(notification_store.NotificationsStore, "fanout_progress", progress_failing_once)
    headers = {**admin_headers, "Idempotency-Key": "office-concert-retry"}
    assert_problem(client.post(ANNOUNCEMENTS, json=announcement(), headers=headers), 500)
    retry = client.post(ANNOUNCEMENTS, json=announcement(), headers=headers)
    assert retry.status_code == 202, retry.get_data(as_text=True)
    assert [f["_id"] for f in store.db[notification_store.FANOUTS].find()] == [retry.get_json()["id"]]


def test_a_refused_announcement_does_not_use_up_its_idempotency_key(client, store, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "office-retry"}
    body = announcement(audience={"kind": "segment", "segment_id": SEGMENT})
    assert_problem(client.post(ANNOUNCEMENTS, json=body, headers=headers), 422)  # unknown segment
    assert store.db[notification_store.FANOUTS].count_documents({}) == 0
    replay = client.post(ANNOUNCEMENTS, json=body, headers=headers)
    assert replay.status_code == 422


# --------------------------------------------------------------------------- fuzzing

def test_no_generated_request_makes_any_notifications_route_fail(app, admin_headers):
    failures = fuzz_every_route(app, f"{BASE}/openapi.json", admin_headers, 25, min_routes=7)
    assert not failures, "\n\n".join(failures)
