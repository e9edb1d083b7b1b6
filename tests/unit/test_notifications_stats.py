"""The office's statistics of deliveries, ``GET /api/v1/notifications/stats``, through the
notifications HTTP API (the real app on the session's local store, its clock fixed where the
days matter): deliveries come from members events through the real handlers, or are seeded
with the store's own helpers in the statuses the dispatcher leaves them.

Checked: totals by channel and status and the counts of every day and channel of the period
(Sofia days: a delivery queued at 00:30 in Sofia is that day's, though still the day before
in UTC); a welcome email queued by a sign-up, then skipped by the member's erasure; bad
``days`` are 422 problems naming it; and the aggregation's features on the test store. Who
may ask: ``tests/authz_matrix.py``.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.members.messages import CATALOG, MEMBER_ERASED, MEMBER_REGISTERED
from services.notifications import handlers, stats_store
from services.notifications.schemas import STATUSES
from services.notifications.store import FAILED, HELD, SENT, SKIPPED, new_delivery, queue
from shared.clock import FixedClock
from tests.support import assert_problem, consumer_like
# The notifications app, its test client and its store, as the API's own tests make them.
from tests.unit.test_notifications_api import app, client, store  # noqa: F401

STATS = "/api/v1/notifications/stats"
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # 12:00 in Sofia
MARIA = "6f1c2b9e4d8a4e5f9a0b1c2d"
ZERO = {status: 0 for status in STATUSES}


def seed(store, *deliveries: tuple[str, str, datetime]) -> None:
    """Deliveries of (channel, status, queued_at), each to its own member."""
    documents = []
    for number, (channel, status, queued_at) in enumerate(deliveries):
        document = new_delivery(source_id=f"evt-{number}", recipient=f"member-{number}", channel=channel,
                                template="event_published", language="bg", address="x", context={},
                                correlation_id="corr", category="events", marketing=True, status=status,
                                reason="no consent" if status == SKIPPED else None)
        document["queued_at"] = document["due_at"] = queued_at
        documents.append(document)
    assert queue(store.db, None, documents) == len(documents)


def stats(client, admin_headers, **query) -> dict:
    response = client.get(STATS, query_string=query, headers=admin_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_outcomes_by_channel_and_status_in_total_and_for_every_day_of_the_period(app, client, store, admin_headers):
    app.extensions["alumnet"].clock = FixedClock(NOW)
    seed(store,
         ("email", SENT, NOW - timedelta(hours=1)), ("email", SENT, NOW - timedelta(hours=2)),
         ("email", HELD, NOW - timedelta(hours=3)),
         ("email", FAILED, NOW - timedelta(days=1)),
         ("sms", SENT, NOW - timedelta(days=2)),
         ("email", SKIPPED, datetime(2026, 11, 21, 22, 30, tzinfo=UTC)),  # 22 Nov, 00:30 in Sofia
         ("email", SENT, datetime(2026, 11, 21, 21, 30, tzinfo=UTC)))  # 21 Nov, 23:30 in Sofia: before

    found = stats(client, admin_headers, days=7)
    assert (found["days"], found["timezone"]) == (7, "Europe/Sofia")
    assert found["since"] == "2026-11-22T00:00:00+02:00" and found["until"] == NOW.isoformat()
    assert found["totals"] == [
        {"channel": "email", "total": 5, "counts": {**ZERO, "sent": 2, "held": 1, "failed": 1, "skipped": 1}},
        {"channel": "sms", "total": 1, "counts": {**ZERO, "sent": 1}}]
    days = [(date(2026, 11, 22) + timedelta(days=n)).isoformat() for n in range(7)]
    listed = [(row["day"], row["channel"]) for row in found["per_day"]]
    assert listed == [(day, channel) for day in days for channel in ("email", "sms")]
    busy = {(row["day"], row["channel"]): row["counts"] for row in found["per_day"] if row["counts"] != ZERO}
    assert busy == {("2026-11-22", "email"): {**ZERO, "skipped": 1},
                    ("2026-11-26", "sms"): {**ZERO, "sent": 1},
                    ("2026-11-27", "email"): {**ZERO, "failed": 1},
                    ("2026-11-28", "email"): {**ZERO, "sent": 2, "held": 1}}

    longer = stats(client, admin_headers, days=8)
    assert longer["totals"][0]["counts"]["sent"] == 3 and longer["per_day"][0]["day"] == "2026-11-21"
    assert stats(client, admin_headers)["days"] == 30  # the default


def test_a_welcome_email_counts_as_queued_and_as_skipped_once_its_member_is_erased(client, store, admin_headers):
    deliver = consumer_like(store, handlers.subscriptions())
    deliver(CATALOG.create(MEMBER_REGISTERED, MARIA, {
        "member_id": MARIA, "given_name": "Мария", "family_name": "Иванова", "email": "maria.ivanova@example.bg",
        "phone": None, "preferred_language": "bg", "graduation_year": 2015, "faculty": "medicine",
        "consent": {"email": True, "sms": False}, "registered_at": datetime.now(UTC).isoformat()}, "corr-1"))
    assert stats(client, admin_headers)["totals"][0] == {"channel": "email", "total": 1,
                                                         "counts": {**ZERO, "queued": 1}}

    deliver(CATALOG.create(MEMBER_ERASED, MARIA, {"member_id": MARIA, "erased_at": datetime.now(UTC).isoformat()},
                           "corr-2"))
    assert stats(client, admin_headers)["totals"][0] == {"channel": "email", "total": 1,
                                                         "counts": {**ZERO, "skipped": 1}}


@pytest.mark.parametrize(("query", "field"), [
    ("days=0", "days"), ("days=367", "days"), ("days=week", "days"), ("days=1.5", "days"), ("channel=sms", "channel"),
])
def test_bad_parameters_are_problems_naming_the_field(client, admin_headers, query, field):
    problem = assert_problem(client.get(f"{STATS}?{query}", headers=admin_headers), 422)
    assert field in problem["errors"], problem


def test_the_route_is_in_the_openapi_document(client):
    assert "get" in client.get("/api/v1/notifications/openapi.json").get_json()["paths"][STATS]


def test_the_aggregation_groups_by_the_day_in_the_office_s_time_zone_on_the_test_store(store):
    """Pins what the store must support: $dateToString with a named time zone (summer and winter
    offsets) inside a $group key, after a $match on a date."""
    store.db.deliveries.insert_many([
        {"_id": "1", "channel": "email", "status": "sent", "queued_at": datetime(2026, 7, 1, 20, 59, tzinfo=UTC)},
        {"_id": "2", "channel": "email", "status": "sent", "queued_at": datetime(2026, 7, 1, 21, 1, tzinfo=UTC)},
        {"_id": "3", "channel": "sms", "status": "failed", "queued_at": datetime(2026, 12, 1, 22, 1, tzinfo=UTC)},
        {"_id": "4", "channel": "sms", "status": "failed", "queued_at": datetime(2026, 12, 1, 21, 59, tzinfo=UTC)},
        {"_id": "5", "channel": "sms", "status": "failed", "queued_at": datetime(2026, 6, 1, tzinfo=UTC)},
    ])
    groups = stats_store.delivery_groups(store.db, datetime(2026, 6, 2, tzinfo=UTC), "Europe/Sofia")
    assert sorted(groups, key=str) == sorted([
        {"day": "2026-07-01", "channel": "email", "status": "sent", "count": 1},  # 23:59 EEST
        {"day": "2026-07-02", "channel": "email", "status": "sent", "count": 1},  # 00:01 EEST
        {"day": "2026-12-02", "channel": "sms", "status": "failed", "count": 1},  # 00:01 EET
        {"day": "2026-12-01", "channel": "sms", "status": "failed", "count": 1},  # 23:59 EET
    ], key=str)
