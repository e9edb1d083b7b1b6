"""How an e2e test becomes a member who can log in, as a person does: sign up (a 202 that
says nothing about the address), follow the welcome email's link setting the password there,
log in. The member's id comes from the login, since sign-up no longer returns it.

Each person calls from an address of their own (``address_of``), as people do: the members
api's per-address limits (30 confirmations in 10 minutes, ...) then count each person, not the
whole suite, which would otherwise meet them from 127.0.0.1. The apis trust loopback proxies in
the tests' dev mode (``X-Real-IP``); the nginx gateway takes ``X-Forwarded-For`` from the
tests' address (its load balancer in these tests) and passes the client on itself."""
from __future__ import annotations

import hashlib
import re

import requests

from tests.support import wait_until


def address_of(email: str) -> dict[str, str]:
    """The headers that make a request come from ``email``'s own (private) address."""
    digest = hashlib.sha256(email.encode()).digest()
    address = f"10.{digest[0]}.{digest[1]}.{digest[2] or 1}"
    return {"X-Real-IP": address, "X-Forwarded-For": address}

def link_token(sink, email: str, path: str) -> str:
    """The token of the ``path`` link (``/confirm-email``, ...) in a message ``sink`` received
    for ``email``, waited for."""
    pattern = re.compile(rf"{re.escape(path)}\?token=([A-Za-z0-9_\-]+)")

    def token():
        for message in sink.to(email):
            found = pattern.search(message.get_body(("plain",)).get_content())
            if found:
                return found.group(1)
        return None
    return wait_until(token, timeout_s=30, message=f"a {path} link in the mail of {email}")


def confirmation_token(sink, email: str) -> str:
    """The token of the confirmation link in the welcome email ``sink`` received for ``email``."""
    return link_token(sink, email, "/confirm-email")


def confirm(members: str, sink, email: str, password: str | None = None) -> requests.Response:
    body = {"token": confirmation_token(sink, email), **({"password": password} if password else {})}
    return requests.post(f"{members}/api/v1/members/auth/confirm-email", json=body, timeout=10,
                         headers=address_of(email))


def log_in(members: str, email: str, password: str) -> dict:
    response = requests.post(f"{members}/api/v1/members/auth/login", json={"email": email, "password": password},
                             timeout=10, headers=address_of(email))
    assert response.status_code == 200, response.text
    return response.json()


def join(members: str, sink, body: dict) -> tuple[str, dict]:
    """Sign up with ``body`` (which has a password), confirm the address and log in; return
    the member id and the member's bearer header."""
    response = requests.post(f"{members}/api/v1/members", json=body, timeout=10, headers=address_of(body["email"]))
    assert response.status_code == 202, response.text
    confirmed = confirm(members, sink, body["email"], body["password"])
    assert confirmed.status_code == 200, confirmed.text
    pair = log_in(members, body["email"], body["password"])
    return pair["member_id"], {"Authorization": f"Bearer {pair['access_token']}"}
