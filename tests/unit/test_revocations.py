"""Access revocations (``shared.revocations``) in every service that consumes them: after the
``members.access.revoked`` handler ran, a token of the member issued before ``not_before`` is
a 401 problem on that service's api, one issued after works; the newest revocation wins; the
api's list is read from memory between refreshes (one indexed query per refresh), catches a
row whose transaction committed late, and refuses to answer (503) when it cannot be read.
"""
from __future__ import annotations

import importlib
import time
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient

from services.members.messages import ACCESS_REVOKED, CATALOG
from shared import clock, revocations
from shared.auth import RevocationsUnavailable, optional_principal
from shared.web.problems import Problem
from tests.support import assert_problem, bearer, consumer_like, wait_until

MEMBER = "6f1c2b9e4d8a4e5f9a0b1c2d"
# A route of each service that needs a token.
ROUTES = {"events": "/api/v1/events/registrations/mine", "notifications": "/api/v1/notifications/preferences/me",
          "awards": "/api/v1/awards/me/nominations"}


def revoked_event(member_id: str, not_before: datetime):
    return CATALOG.create(ACCESS_REVOKED, member_id, {
        "member_id": member_id, "not_before": not_before.isoformat(), "reason": "roles_changed"}, "c-1")


def after(moment: datetime) -> None:
    """Wait until the wall clock is past ``moment`` (tokens' ``iat`` is wall time)."""
    wait_until(lambda: time.time() > moment.timestamp() + 0.002, timeout_s=5, message="the clock to pass")


def status_with(app, token: str, route: str | None) -> int:
    if route is not None:
        return app.test_client().get(route, headers=bearer(token)).status_code
    with app.test_request_context(headers=bearer(token)):
        try:
            optional_principal()
            return 200
        except Problem as problem:
            return problem.code


@pytest.mark.parametrize("service", sorted(ROUTES))
def test_a_token_issued_before_a_revocation_is_refused_once_the_handler_ran(service, make_config, issue_token):
    app = importlib.import_module(f"services.{service}.app").create_app(make_config(AMQP_URL="memory://"))
    handle = consumer_like(app.extensions["alumnet"].store,
                           importlib.import_module(f"services.{service}.handlers").subscriptions())
    route = ROUTES[service]
    old = issue_token(MEMBER)
    other = issue_token("someone-else")
    assert status_with(app, old, route) != 401
    not_before = clock.now() + timedelta(milliseconds=5)
    after(not_before)
    fresh = issue_token(MEMBER)

    handle(revoked_event(MEMBER, not_before))
    handle(revoked_event(MEMBER, not_before - timedelta(hours=1)))  # older, or redelivered: changes nothing

    if route is not None:
        problem = assert_problem(app.test_client().get(route, headers=bearer(old)), 401)
        assert "revoked" in problem["detail"]
    else:
        assert status_with(app, old, route) == 401
    assert status_with(app, fresh, route) != 401
    assert status_with(app, other, route) != 401
    row = app.extensions["alumnet"].store.db[revocations.COLLECTION].find_one({"_id": MEMBER})
    assert row["not_before"] == not_before and row["expires_at"] == not_before + revocations.KEEP_FOR


def test_the_newest_revocation_wins_whatever_the_order(notifications_store):
    db = notifications_store.db
    first = clock.now()
    revocations.record(db, None, MEMBER, first + timedelta(seconds=10))
    revocations.record(db, None, MEMBER, first)
    assert revocations.not_before(db, MEMBER) == first + timedelta(seconds=10)
    revocations.record(db, None, MEMBER, first + timedelta(seconds=20))
    assert revocations.not_before(db, MEMBER) == first + timedelta(seconds=20)
    assert revocations.not_before(db, "nobody") is None


def test_the_list_is_read_from_memory_between_refreshes(notifications_store):
    db = notifications_store.db
    checks = revocations.Revocations(db, refresh_s=3600)
    now = clock.now()
    assert not checks.revoked(MEMBER, now.timestamp())
    # Another process's row (not written through this process): unseen until the next refresh.
    db[revocations.COLLECTION].insert_one({"_id": MEMBER, "not_before": now + timedelta(seconds=1),
                                           "changed_at": clock.now(), "expires_at": now + revocations.KEEP_FOR})
    assert not checks.revoked(MEMBER, now.timestamp())
    checks.refresh_s = 0.2
    wait_until(lambda: checks.revoked(MEMBER, now.timestamp()), timeout_s=5, message="the refreshed list")
    assert not checks.revoked(MEMBER, (now + timedelta(seconds=1)).timestamp())


def test_a_row_whose_transaction_committed_late_is_still_read(notifications_store):
    db = notifications_store.db
    checks = revocations.Revocations(db, refresh_s=0)
    assert not checks.revoked(MEMBER, None)  # the first, full read
    assert not checks.revoked("someone", None)  # an incremental one
    # Stamped before that read, committed after it (a slow transaction).
    stamped = clock.now() - timedelta(seconds=20)
    db[revocations.COLLECTION].insert_one({"_id": MEMBER, "not_before": stamped, "changed_at": stamped,
                                           "expires_at": stamped + revocations.KEEP_FOR})
    assert checks.revoked(MEMBER, (stamped - timedelta(seconds=1)).timestamp())


def test_a_token_without_an_issue_time_falls_under_a_revocation():
    moment = datetime(2026, 12, 1, 12, 0, 0, 500000, tzinfo=timezone.utc)
    assert revocations.issued_before(None, moment)
    assert revocations.issued_before(moment.timestamp() - 0.001, moment)
    assert not revocations.issued_before(moment.timestamp(), moment)
    assert not revocations.issued_before(moment, moment)
    assert not revocations.issued_before(moment.timestamp() - 1, None)


def test_a_list_that_cannot_be_read_refuses_to_answer():
    unreachable = MongoClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=200, connectTimeoutMS=200)
    checks = revocations.Revocations(unreachable["nothing"], max_stale_s=0)
    for _ in range(2):  # the second answers from the failure just seen
        with pytest.raises(RevocationsUnavailable):
            checks.revoked(MEMBER, time.time())


def test_an_api_that_cannot_read_its_revocations_answers_503(make_config, issue_token):
    app = importlib.import_module("services.events.app").create_app(make_config(AMQP_URL="memory://"))
    unreachable = MongoClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=200, connectTimeoutMS=200)
    app.extensions["alumnet"].verifier.revocations = revocations.Revocations(unreachable["nothing"], max_stale_s=0)
    response = app.test_client().get(ROUTES["events"], headers=bearer(issue_token(MEMBER)))
    assert assert_problem(response, 503)["status"] == 503
    assert response.headers["Retry-After"]
