"""Access revocation end to end: an admin changes a member's roles; the member's access token
from before is refused (401 problem) by the events and notifications apis (gunicorn, two
processes each) within seconds, through ``members.access.revoked`` on the real broker; the
refresh token from before mints nothing, and a fresh login works everywhere."""
from __future__ import annotations

import uuid

import requests

from tests.e2e.accounts import join, log_in
from tests.support import wait_until

ROUTES = {"events": "/api/v1/events/registrations/mine", "notifications": "/api/v1/notifications/preferences/me"}


def test_a_role_change_revokes_the_members_tokens_in_every_service(platform, smtp_sink, issue_token):
    members = platform.urls["members"]
    email = f"revoke.{uuid.uuid4().hex[:8]}@example.bg"
    password = "first-password-123"
    member_id, _ = join(members, smtp_sink[0], {
        "given_name": "Мария", "family_name": "Иванова", "email": email, "preferred_language": "bg",
        "password": password, "consent": {"email": False, "sms": False}})
    login = log_in(members, email, password)
    old = {"Authorization": f"Bearer {login['access_token']}"}
    for service, route in ROUTES.items():
        response = requests.get(platform.urls[service] + route, headers=old, timeout=10)
        assert response.status_code == 200, (service, response.text)

    admin = {"Authorization": f"Bearer {issue_token('office-revoke', 'admin')}"}
    changed = requests.put(f"{members}/api/v1/members/{member_id}/roles", json={"roles": ["alumnus", "judge"]},
                           headers=admin, timeout=10)
    assert changed.status_code == 200, changed.text

    def refused_everywhere():
        # Several tries per service: each gunicorn process must have refreshed its list.
        answers = [requests.get(platform.urls[service] + route, headers=old, timeout=10)
                   for service, route in ROUTES.items() for _ in range(4)]
        return all(a.status_code == 401 for a in answers) and answers
    answers = wait_until(refused_everywhere, timeout_s=10, interval_s=0.2,
                         message="the old token refused by events and notifications")
    assert all(a.headers["Content-Type"] == "application/problem+json" and "revoked" in a.json()["detail"]
               for a in answers)
    assert requests.get(f"{members}/api/v1/members/{member_id}", headers=old, timeout=10).status_code == 401
    assert requests.post(f"{members}/api/v1/members/auth/refresh", timeout=10,
                         json={"refresh_token": login["refresh_token"]}).status_code == 401

    again = requests.post(f"{members}/api/v1/members/auth/login", json={"email": email, "password": password},
                          timeout=10)
    assert again.status_code == 200 and again.json()["roles"] == ["alumnus", "judge"]
    fresh = {"Authorization": f"Bearer {again.json()['access_token']}"}
    for service, route in ROUTES.items():
        response = requests.get(platform.urls[service] + route, headers=fresh, timeout=10)
        assert response.status_code == 200, (service, response.text)
