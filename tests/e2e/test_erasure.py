"""GDPR erasure end to end: a member signs up with a password, logs in, gets the welcome
email, changes a consent, downloads their data and erases their account over HTTP; they can no
longer log in, and the notifications read model forgets them.

The download is every service's part, each fetched through the real nginx gateway (what the
portal bundles into one file): the members part, and the events, awards and notifications
parts once their consumers know the member; after the erasure each of them answers 404.

Driven through the public HTTP API. The delivery log's public schema has no address or
template data (so anonymisation cannot show there), and the notifications service has no
route for contacts: those two checks read the notifications store directly, as a last resort.
"""
from __future__ import annotations

import uuid

import requests
from pymongo import MongoClient

from tests.e2e.accounts import join
from tests.support import wait_until


EXPORTS = {"members": "/api/v1/members/{id}/export", "events": "/api/v1/events/members/{id}/export",
           "awards": "/api/v1/awards/members/{id}/export",
           "notifications": "/api/v1/notifications/members/{id}/export"}
# What shows that a service's consumer knows the member: its copy of them in its part.
COPY_OF_THE_MEMBER = {"members": "member", "events": "member", "awards": "member", "notifications": "contact"}


def _export(gateway, part: str, member_id: str, headers: dict) -> requests.Response:
    return requests.get(gateway.url + EXPORTS[part].format(id=member_id), headers=headers, timeout=10)


def test_erased_member_is_forgotten_by_the_notifications_read_model(platform, gateway, smtp_sink, issue_token):
    sink, _ = smtp_sink
    members, notifications = platform.urls["members"], platform.urls["notifications"]
    email = f"erase.me.{uuid.uuid4().hex[:8]}@example.bg"
    password = "correct horse battery staple"
    member_id, member = join(members, sink, {
        "given_name": "Мария", "family_name": "Иванова", "email": email, "phone": "+359888123456",
        "preferred_language": "bg", "consent": {"email": True, "sms": False}, "password": password})
    login = requests.post(f"{members}/api/v1/members/auth/login", json={"email": email, "password": password},
                          timeout=10)
    assert login.status_code == 200, login.text
    admin = {"Authorization": f"Bearer {issue_token('office-1', 'admin')}"}
    wait_until(lambda: sink.to(email), timeout_s=30, message="welcome email")

    env = platform.env
    read_model = MongoClient(env["MONGO_URL"])[env["MONGO_DB_PREFIX"] + "notifications"]

    # A consent change reaches the notifications read model through the bus.
    changed = requests.post(f"{members}/api/v1/members/{member_id}/consents", headers=member, timeout=10, json={
        "channel": "email", "category": "events", "granted": False, "source": "unsubscribe_link"})
    assert changed.status_code == 201, changed.text
    wait_until(lambda: ((read_model.contacts.find_one({"_id": member_id}) or {}).get("consents", {})
                        .get("email", {}).get("events", {}).get("source") == "unsubscribe_link"),
               timeout_s=30, message="consent in the read model")

    export = requests.get(f"{members}/api/v1/members/{member_id}/export", headers=member, timeout=10)
    assert export.status_code == 200 and export.json()["member"]["email"] == email
    # Every service's part of "my data", through the gateway, once its consumer knows the member.
    for part in EXPORTS:
        def known(part=part):
            answer = _export(gateway, part, member_id, member)
            return answer if answer.status_code == 200 and answer.json().get(COPY_OF_THE_MEMBER[part]) else None
        answer = wait_until(known, timeout_s=30, interval_s=0.2, message=f"the {part} export knows the member")
        assert answer.json()["service"] == part
        assert answer.headers["Content-Disposition"].startswith('attachment; filename="alumnet-')
    assert _export(gateway, "notifications", member_id, member).json()["contact"]["email"] == email

    def sent_log():
        log = requests.get(f"{notifications}/api/v1/notifications/deliveries",
                           params={"recipient": member_id}, headers=admin, timeout=10).json()
        return log if log["items"] and log["items"][0]["status"] == "sent" else None
    wait_until(sent_log, timeout_s=30, message="welcome delivery logged as sent")

    erased = requests.delete(f"{members}/api/v1/members/{member_id}", headers=member, timeout=10)
    assert erased.status_code == 202, erased.text
    assert erased.json()["status"] == "erased" and erased.json()["requested_by"] == "self"
    again = requests.delete(f"{members}/api/v1/members/{member_id}", params={"reason": "again"}, headers=admin,
                            timeout=10)
    assert again.status_code == 202 and again.json() == erased.json()
    assert requests.get(f"{members}/api/v1/members/{member_id}/export", headers=admin,
                        timeout=10).status_code == 404
    # The member's own token is revoked with the erasure (members.access.revoked), in every
    # api process within seconds.
    wait_until(lambda: all(requests.get(f"{members}/api/v1/members/{member_id}/export", headers=member,
                                        timeout=10).status_code == 401 for _ in range(4)),
               timeout_s=10, message="the erased member's token refused")
    # Every other service forgets the member too: their parts of the export answer 404.
    for part in ("events", "awards", "notifications"):
        wait_until(lambda part=part: _export(gateway, part, member_id, admin).status_code == 404, timeout_s=30,
                   interval_s=0.2, message=f"the {part} export of the erased member is a 404")
    # The account is gone: neither the password nor the refresh token opens it again.
    assert requests.post(f"{members}/api/v1/members/auth/login", json={"email": email, "password": password},
                         timeout=10).status_code == 401
    assert requests.post(f"{members}/api/v1/members/auth/refresh", timeout=10, json={
        "refresh_token": login.json()["refresh_token"]}).status_code == 401

    # Notifications forgets the member: no contact, the delivery kept for the log without the
    # address or the template data (the store is read directly: see the module docstring).
    def forgotten():
        delivery = read_model.deliveries.find_one({"recipient": member_id})
        return (read_model.contacts.find_one({"_id": member_id}) is None
                and "address" not in delivery and "context" not in delivery)
    wait_until(forgotten, timeout_s=30, message="notifications forgets the erased member")
    assert read_model.erased_members.find_one({"_id": member_id}) is not None
    assert read_model.contacts.count_documents({"email": email}) == 0
    assert read_model.deliveries.count_documents({"address": email}) == 0

    # The public delivery log still shows the email was sent, by ids only.
    log = requests.get(f"{notifications}/api/v1/notifications/deliveries", params={"recipient": member_id},
                       headers=admin, timeout=10)
    assert log.status_code == 200
    assert [(d["template"], d["status"]) for d in log.json()["items"]] == [("welcome", "sent")]
    assert email not in log.text and "Мария" not in log.text
    assert len(sink.to(email)) == 1
