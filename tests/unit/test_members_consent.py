"""The consent ledger: the pure rules (``services.members.consent.rules``) and its HTTP API
(``/api/v1/members/{id}/consents``) on the real members app against the session's local
store (``AMQP_URL=memory://``: events stay in the outbox, where the tests read them).

Checked: sign-up flags are the first decision of every category; the latest decision wins;
expired grants do not count; transactional messages are never blocked; every change is
appended (never overwritten) with its event in the outbox; history is newest first and
paginated; authz (self, other member, admin with admin_on_request and a reason); validation
problems name the fields.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from services.members.consent import rules as consent
from services.members.messages import CATEGORIES, CHANNELS
from tests.support import assert_problem, bearer, signed_up_id

PROBLEM = "application/problem+json"
MEMBERS = "/api/v1/members"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def entry(channel="email", category="news", granted=True, at=NOW, expires_at=None, source="profile_page",
          _id="x"):
    return {"_id": _id, "channel": channel, "category": category, "granted": granted, "source": source,
            "at": at, "expires_at": expires_at}


# --------------------------------------------------------------------------- pure rules

def test_transactional_is_never_blocked_by_marketing_consent():
    refused = [entry(channel=c, category=k, granted=False) for c in CHANNELS for k in CATEGORIES]
    assert consent.may_send(refused, "email", consent.TRANSACTIONAL, NOW)
    assert consent.may_send([], "sms", consent.TRANSACTIONAL, NOW)


def test_marketing_needs_a_current_grant_for_that_channel_and_category():
    entries = [entry("email", "news", True)]
    assert consent.may_send(entries, "email", "news", NOW)
    assert not consent.may_send(entries, "email", "events", NOW)
    assert not consent.may_send(entries, "sms", "news", NOW)
    assert not consent.may_send([], "email", "news", NOW)


def test_the_latest_decision_wins_whatever_the_order_given():
    grant = entry(granted=True, at=NOW - timedelta(days=2), _id="a")
    withdraw = entry(granted=False, at=NOW - timedelta(days=1), _id="b")
    assert not consent.may_send([grant, withdraw], "email", "news", NOW)
    assert not consent.may_send([withdraw, grant], "email", "news", NOW)
    regrant = entry(granted=True, at=NOW - timedelta(hours=1), _id="c")
    assert consent.may_send([withdraw, regrant, grant], "email", "news", NOW)


def test_same_time_entries_are_ordered_by_their_growing_id():
    first = entry(granted=True, _id="65a000000000000000000001")
    second = entry(granted=False, _id="65a000000000000000000002")
    assert not consent.may_send([second, first], "email", "news", NOW)


def test_an_expired_grant_counts_as_not_granted():
    grant = entry(expires_at=NOW + timedelta(minutes=1))
    assert consent.may_send([grant], "email", "news", NOW)
    assert not consent.may_send([grant], "email", "news", NOW + timedelta(minutes=1))
    state = {(s["channel"], s["category"]): s for s in consent.current_state([grant], NOW + timedelta(days=1))}
    assert state[("email", "news")]["granted"] is False and state[("email", "news")]["expired"] is True
    assert state[("email", "events")] == {"channel": "email", "category": "events", "granted": False,
                                          "expired": False, "source": None, "at": None, "expires_at": None}


def test_unknown_channel_or_category_may_not_send():
    entries = [entry()]
    assert not consent.may_send(entries, "fax", "news", NOW)
    assert not consent.may_send(entries, "email", "promotions", NOW)
    assert not consent.may_send(entries, "pigeon", consent.TRANSACTIONAL, NOW)


def test_signup_flags_are_the_first_decision_of_every_category():
    member = {"_id": "m1", "consent": {"email": True, "sms": False}, "registered_at": NOW}
    implicit = consent.signup_entries(member)
    assert len(implicit) == len(CHANNELS) * len(CATEGORIES)
    assert {e["source"] for e in implicit} == {"signup"}
    for category in CATEGORIES:
        assert consent.may_send(implicit, "email", category, NOW)
        assert not consent.may_send(implicit, "sms", category, NOW)
    later = entry("email", "surveys", granted=False, at=NOW + timedelta(seconds=1))
    assert not consent.may_send(implicit + [later], "email", "surveys", NOW)
    assert consent.may_send(implicit + [later], "email", "awards", NOW)


# --------------------------------------------------------------------------- the API

def sign_up(client, email="maria.ivanova@example.bg", **consent_flags) -> str:
    return signed_up_id(client, {
        "given_name": "Мария", "family_name": "Иванова", "email": email, "phone": None,
        "preferred_language": "bg", "consent": {"email": True, "sms": False, **consent_flags}})


@pytest.fixture
def member(client):
    return sign_up(client)


def states(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {(s["channel"], s["category"]): s for s in response.get_json()["consents"]}


def consent_events(db) -> list[dict]:
    return [json.loads(doc["body"]) for doc in db.outbox.find({"type": "members.consent.changed"}).sort("order", 1)]


def test_current_state_starts_from_the_signup_flags(client, member, issue_token):
    state = states(client.get(f"{MEMBERS}/{member}/consents", headers=bearer(issue_token(member))))
    assert len(state) == len(CHANNELS) * len(CATEGORIES)
    assert all(state[("email", c)]["granted"] and state[("email", c)]["source"] == "signup" for c in CATEGORIES)
    assert not any(state[("sms", c)]["granted"] for c in CATEGORIES)


def test_a_change_is_appended_with_its_event_and_becomes_current(client, db, member, issue_token):
    headers = bearer(issue_token(member))
    response = client.post(f"{MEMBERS}/{member}/consents", headers=headers, json={
        "channel": "email", "category": "events", "granted": False, "source": "unsubscribe_link"})
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["granted"] is False and created["source"] == "unsubscribe_link" and created["id"]

    state = states(client.get(f"{MEMBERS}/{member}/consents", headers=headers))
    assert state[("email", "events")]["granted"] is False
    assert state[("email", "events")]["source"] == "unsubscribe_link"
    assert state[("email", "news")]["granted"] is True

    events = consent_events(db)
    assert len(events) == 1
    assert events[0]["subject"] == member
    assert events[0]["data"] == {"member_id": member, "channel": "email", "category": "events", "granted": False,
                                 "source": "unsubscribe_link", "at": events[0]["data"]["at"], "expires_at": None}
    assert events[0]["correlationid"] == response.headers["X-Request-ID"]
    assert db.consents.count_documents({"member_id": member}) == 1


def test_history_keeps_every_decision_newest_first_and_pages(client, db, member, issue_token):
    headers = bearer(issue_token(member))
    for granted in (True, False, True):
        assert client.post(f"{MEMBERS}/{member}/consents", headers=headers, json={
            "channel": "sms", "category": "mentoring", "granted": granted,
            "source": "profile_page"}).status_code == 201
    assert db.consents.count_documents({"member_id": member}) == 3  # nothing overwritten
    first = client.get(f"{MEMBERS}/{member}/consents/history?per_page=2", headers=headers).get_json()
    assert first["total"] == 3 + len(CHANNELS) * len(CATEGORIES)
    assert [(e["granted"], e["source"]) for e in first["items"]] == [(True, "profile_page"), (False, "profile_page")]
    second = client.get(f"{MEMBERS}/{member}/consents/history?page=2&per_page=2", headers=headers).get_json()
    assert [e["source"] for e in second["items"]] == ["profile_page", "signup"]
    assert second["items"][1]["implicit"] is True
    everything = client.get(f"{MEMBERS}/{member}/consents/history?per_page=100", headers=headers).get_json()
    times = [e["at"] for e in everything["items"]]
    assert times == sorted(times, reverse=True)
    assert len(everything["items"]) == everything["total"]
    past_the_end = client.get(f"{MEMBERS}/{member}/consents/history?page=9&per_page=10", headers=headers)
    assert past_the_end.get_json()["items"] == []
    assert states(client.get(f"{MEMBERS}/{member}/consents", headers=headers))[("sms", "mentoring")]["granted"]


def test_a_grant_may_expire(client, member, issue_token):
    headers = bearer(issue_token(member))
    soon = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    response = client.post(f"{MEMBERS}/{member}/consents", headers=headers, json={
        "channel": "sms", "category": "events", "granted": True, "source": "profile_page", "expires_at": soon})
    assert response.status_code == 201
    state = states(client.get(f"{MEMBERS}/{member}/consents", headers=headers))[("sms", "events")]
    assert state["granted"] is True and state["expires_at"] is not None and state["expired"] is False


def test_an_admin_records_admin_on_request_with_a_reason(client, db, member, issue_token):
    admin = bearer(issue_token("office-1", "admin"))
    body = {"channel": "email", "category": "awards", "granted": False, "source": "admin_on_request",
            "reason": "Asked by phone on 28 Nov"}
    response = client.post(f"{MEMBERS}/{member}/consents", headers=admin, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["reason"] == "Asked by phone on 28 Nov"
    assert db.consents.find_one({"member_id": member})["recorded_by"] == "office-1"
    assert states(client.get(f"{MEMBERS}/{member}/consents", headers=admin))[("email", "awards")]["granted"] is False

    no_reason = assert_problem(client.post(f"{MEMBERS}/{member}/consents", headers=admin,
                                           json={**body, "reason": None}), 422)
    assert set(no_reason["errors"]) == {"reason"}
    wrong_source = assert_problem(client.post(f"{MEMBERS}/{member}/consents", headers=admin,
                                              json={**body, "source": "profile_page"}), 422)
    assert set(wrong_source["errors"]) == {"source"}


def test_a_member_cannot_claim_admin_on_request(client, member, issue_token):
    problem = assert_problem(client.post(f"{MEMBERS}/{member}/consents", headers=bearer(issue_token(member)), json={
        "channel": "email", "category": "news", "granted": True, "source": "admin_on_request", "reason": "x"}), 403)
    assert problem["type"].endswith("/forbidden")


@pytest.mark.parametrize("roles", [("alumnus",), ("student",), ("judge",)])
def test_another_member_may_neither_read_nor_change(client, db, member, issue_token, roles):
    other = bearer(issue_token("someone-else", *roles))
    assert_problem(client.get(f"{MEMBERS}/{member}/consents", headers=other), 403)
    assert_problem(client.get(f"{MEMBERS}/{member}/consents/history", headers=other), 403)
    assert_problem(client.post(f"{MEMBERS}/{member}/consents", headers=other, json={
        "channel": "email", "category": "news", "granted": False, "source": "profile_page"}), 403)
    # Refused before validation: an invalid body does not turn the 403 into a 422.
    assert_problem(client.post(f"{MEMBERS}/{member}/consents", headers=other, json={"channel": "fax"}), 403)
    assert_problem(client.get(f"{MEMBERS}/{member}/consents/history?page=0", headers=other), 403)
    assert db.consents.count_documents({}) == 0 and consent_events(db) == []


def test_without_a_token_it_is_401(client, member):
    assert_problem(client.get(f"{MEMBERS}/{member}/consents"), 401)
    assert_problem(client.post(f"{MEMBERS}/{member}/consents", json={}), 401)


def test_unknown_member_is_404_for_an_admin(client, issue_token):
    admin = bearer(issue_token("office-1", "admin"))
    assert_problem(client.get(f"{MEMBERS}/nobody/consents", headers=admin), 404)
    assert_problem(client.post(f"{MEMBERS}/nobody/consents", headers=admin, json={
        "channel": "email", "category": "news", "granted": False, "source": "admin_on_request",
        "reason": "request"}), 404)


def test_invalid_changes_are_problems_naming_the_fields_and_store_nothing(client, db, member, issue_token):
    headers = bearer(issue_token(member))
    problem = assert_problem(client.post(f"{MEMBERS}/{member}/consents", headers=headers, json={
        "channel": "fax", "category": "transactional", "granted": "perhaps", "source": "signup"}), 422)
    assert set(problem["errors"]) == {"channel", "category", "granted", "source"}
    past = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    expired = assert_problem(client.post(f"{MEMBERS}/{member}/consents", headers=headers, json={
        "channel": "email", "category": "news", "granted": True, "source": "profile_page", "expires_at": past}), 422)
    assert set(expired["errors"]) == {"expires_at"}
    refusal_expiring = assert_problem(client.post(f"{MEMBERS}/{member}/consents", headers=headers, json={
        "channel": "email", "category": "news", "granted": False, "source": "profile_page",
        "expires_at": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()}), 422)
    assert set(refusal_expiring["errors"]) == {"expires_at"}
    missing = assert_problem(client.post(f"{MEMBERS}/{member}/consents", headers=headers, json={}), 422)
    assert set(missing["errors"]) == {"channel", "category", "granted", "source"}
    bad_page = assert_problem(client.get(f"{MEMBERS}/{member}/consents/history?per_page=1000", headers=headers), 422)
    assert set(bad_page["errors"]) == {"per_page"}
    assert db.consents.count_documents({}) == 0 and consent_events(db) == []


def test_idempotency_key_records_a_change_once(client, db, member, issue_token):
    headers = {**bearer(issue_token(member)), "Idempotency-Key": "consent-1"}
    body = {"channel": "email", "category": "surveys", "granted": False, "source": "profile_page"}
    first = client.post(f"{MEMBERS}/{member}/consents", headers=headers, json=body)
    again = client.post(f"{MEMBERS}/{member}/consents", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == again.get_json()
    assert db.consents.count_documents({"member_id": member}) == 1 and len(consent_events(db)) == 1


def test_routes_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/members/openapi.json").get_json()
    consents = spec["paths"]["/api/v1/members/{member_id}/consents"]
    assert {"get", "post"} <= set(consents)
    assert consents["post"]["security"] == [{"bearerAuth": []}]
    assert "requestBody" in consents["post"]
    assert "get" in spec["paths"]["/api/v1/members/{member_id}/consents/history"]
