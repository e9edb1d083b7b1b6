"""Email change end to end (real apis and workers, real broker, real SMTP sink): a member asks
to change their address; the link reaches the NEW address's mailbox and, followed, applies the
change; the OLD address is told, with an undo link; the undo puts the old address back and
every token from before is refused."""
from __future__ import annotations

import uuid

import requests

from tests.e2e.accounts import join, link_token, log_in
from tests.support import wait_until

PASSWORD = "first-password-123"


def test_a_change_is_confirmed_from_the_new_mailbox_and_undone_from_the_old(platform, smtp_sink, issue_token):
    sink, _ = smtp_sink
    members = platform.urls["members"]
    auth = f"{members}/api/v1/members/auth"
    old_email, new_email = f"old.{uuid.uuid4().hex[:8]}@example.com", f"new.{uuid.uuid4().hex[:8]}@example.com"
    member_id, headers = join(members, sink, {
        "given_name": "Petar", "family_name": "Kolev", "email": old_email, "preferred_language": "en",
        "password": PASSWORD, "consent": {"email": True, "sms": False}})
    member_url = f"{members}/api/v1/members/{member_id}"
    admin = {"Authorization": f"Bearer {issue_token('office-email-change', 'admin')}"}

    asked = requests.post(f"{member_url}/email-change", json={"new_email": new_email}, headers=headers, timeout=10)
    assert asked.status_code == 202, asked.text  # a login this fresh needs no password
    token = link_token(sink, new_email, "/confirm-email-change")
    assert requests.get(member_url, headers=admin, timeout=10).json()["email"] == old_email

    confirmed = requests.post(f"{auth}/confirm-email-change", json={"token": token}, timeout=10)
    assert confirmed.status_code == 200, confirmed.text
    assert requests.get(member_url, headers=admin, timeout=10).json()["email"] == new_email
    # Every session ended: at once in the api process that confirmed, within a second in the others.
    wait_until(lambda: requests.get(member_url, headers=headers, timeout=10).status_code == 401, timeout_s=10,
               message="the session from before the change refused")
    undo_token = link_token(sink, old_email, "/undo-email-change")
    told = next(m for m in sink.to(old_email) if "/undo-email-change" in m.get_body(("plain",)).get_content())
    assert new_email in told.get_body(("plain",)).get_content()

    # Whoever now holds the account logs in with the new address...
    taker = {"Authorization": f"Bearer {log_in(members, new_email, PASSWORD)['access_token']}"}
    assert requests.get(member_url, headers=taker, timeout=10).status_code == 200

    # ...until the old address's link undoes it.
    undone = requests.post(f"{auth}/undo-email-change", json={"token": undo_token}, timeout=10)
    assert undone.status_code == 200, undone.text
    assert requests.get(member_url, headers=admin, timeout=10).json()["email"] == old_email
    wait_until(lambda: requests.get(member_url, headers=taker, timeout=10).status_code == 401, timeout_s=10,
               message="the new address's session refused")
    for email in (old_email, new_email):  # no password until the member sets one through the reset
        refused = requests.post(f"{auth}/login", json={"email": email, "password": PASSWORD}, timeout=10)
        assert refused.status_code == 401, refused.text
    assert requests.post(f"{auth}/undo-email-change", json={"token": undo_token}, timeout=10).status_code == 400
