"""Password reset end to end: the members api stores a one-time token and publishes it
encrypted; the notifications worker decrypts it only to send the email; the link in the
email sets a new password once (and proves the address, as the welcome email's link does)."""
from __future__ import annotations

import re
import uuid

import requests

from tests.support import wait_until


def test_a_reset_email_carries_a_link_whose_token_sets_the_password_once(platform, smtp_sink):
    sink, _ = smtp_sink
    members = platform.urls["members"]
    email = f"reset.{uuid.uuid4().hex[:8]}@example.com"
    created = requests.post(f"{members}/api/v1/members", json={
        "given_name": "Petar", "family_name": "Kolev", "email": email, "preferred_language": "en",
        "password": "first-password-123", "consent": {"email": True, "sms": False}}, timeout=10)
    assert created.status_code == 202, created.text
    wait_until(lambda: sink.to(email), timeout_s=30, message="welcome email")

    asked = requests.post(f"{members}/api/v1/members/auth/password-reset", json={"email": email}, timeout=10)
    assert asked.status_code == 202
    mails = wait_until(lambda: (lambda m: m if len(m) == 2 else None)(sink.to(email)), timeout_s=30,
                       message="reset email")
    reset = next(m for m in mails if "welcome" not in m["Subject"].lower())
    text = reset.get_body(("plain",)).get_content()
    token = re.search(r"reset-password\?token=([A-Za-z0-9_\-]+)", text).group(1)

    confirm = f"{members}/api/v1/members/auth/password-reset/confirm"
    done = requests.post(confirm, json={"token": token, "new_password": "second-password-456"}, timeout=10)
    assert done.status_code == 204, done.text
    again = requests.post(confirm, json={"token": token, "new_password": "third-password-789"}, timeout=10)
    assert again.status_code >= 400 and again.headers["Content-Type"] == "application/problem+json"

    login = f"{members}/api/v1/members/auth/login"
    assert requests.post(login, json={"email": email, "password": "first-password-123"}, timeout=10).status_code == 401
    ok = requests.post(login, json={"email": email, "password": "second-password-456"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer"
