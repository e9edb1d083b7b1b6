"""A member's data export from the notifications service
(``GET /api/v1/notifications/members/{id}/export``) on the real app and the session's local
store: Maria and Ivan known from their sign-up events (handled as the consumer does, which
queues their welcome emails), Maria's preferences set through the API, and a message to her
whose template data names someone else.

Checked: the export holds her contact (address, consents as the service holds them), her
preferences and her deliveries (channel, template, status, address, times), newest first and
at most ``DELIVERY_LIMIT`` (saying so); never a message's template data nor anything of Ivan;
only the member or an admin; a member the service has forgotten is a 404, as the members
service answers.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notifications import export_store, handlers
from services.notifications.app import create_app
from tests.support import assert_problem, bearer, consumer_like
from tests.unit.test_notifications_api import IVAN, MARIA, delivery, erased, registered, seed

BASE = "/api/v1/notifications"
SOMEONE_ELSES = "Петър Петров, 3 курс"


def export_url(member_id: str) -> str:
    return f"{BASE}/members/{member_id}/export"


@pytest.fixture
def client(make_config, issue_token):
    app = create_app(make_config(AMQP_URL="memory://"))
    store = app.extensions["alumnet"].store
    deliver = consumer_like(store, handlers.subscriptions())
    deliver(registered(MARIA, "maria.ivanova@example.bg"))
    deliver(registered(IVAN, "ivan.petrov@example.bg", phone="+359888999000"))
    client = app.test_client()
    client.deliver = deliver
    client.maria, client.ivan = (bearer(issue_token(m, "alumnus")) for m in (MARIA, IVAN))
    assert client.put(f"{BASE}/preferences/me", headers=client.maria, json={
        "channels": {"news": "digest"}, "digest_hour": 7}).status_code == 200
    request = delivery("mentoring-request-1", MARIA, template="mentoring_requested",
                       queued_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))  # before the welcome
    seed(store, {**request, "context": {"mentee_name": SOMEONE_ELSES}})
    return client


def test_the_export_holds_the_contact_preferences_and_deliveries_as_a_file(client):
    response = client.get(export_url(MARIA), headers=client.maria)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Disposition"] == f'attachment; filename="alumnet-notifications-{MARIA}.json"'
    body = response.get_json()
    assert body["service"] == "notifications"
    assert body["contact"]["email"] == "maria.ivanova@example.bg" and body["contact"]["consents"]["email"]
    assert (body["preferences"]["channels"], body["preferences"]["digest_hour"]) == ({"news": "digest"}, 7)
    assert [(d["template"], d["channel"], d["status"]) for d in body["deliveries"]] == [
        ("welcome", "email", "queued"), ("mentoring_requested", "email", "queued")]
    assert body["deliveries"][0]["address"] == "maria.ivanova@example.bg" and body["deliveries"][0]["queued_at"]
    assert body["deliveries_truncated"] is False


def test_the_export_holds_no_message_content_and_nothing_of_others(client):
    text = client.get(export_url(MARIA), headers=client.maria).get_data(as_text=True)
    for value in (SOMEONE_ELSES, '"context"', IVAN, "ivan.petrov@example.bg", "field_times", "sort_name"):
        assert value not in text, value


def test_the_newest_deliveries_are_exported_and_the_export_says_when_older_ones_are_left_out(client, monkeypatch):
    monkeypatch.setattr(export_store, "DELIVERY_LIMIT", 1)
    body = client.get(export_url(MARIA), headers=client.maria).get_json()
    assert [d["template"] for d in body["deliveries"]] == ["welcome"]
    assert body["deliveries_truncated"] is True


def test_only_the_member_or_an_admin_exports(client, admin_headers):
    assert_problem(client.get(export_url(MARIA)), 401)
    assert_problem(client.get(export_url(MARIA), headers=client.ivan), 403)
    assert client.get(export_url(MARIA), headers=admin_headers).get_json()["contact"]["id"] == MARIA


def test_an_erased_member_is_a_404(client, admin_headers):
    client.deliver(erased(MARIA))
    assert_problem(client.get(export_url(MARIA), headers=admin_headers), 404)
    assert client.get(export_url(IVAN), headers=client.ivan).status_code == 200
