"""The portal passes its visitor's address on to the apis, and the gateway believes it from
the portal: the per-client limit on logins counts each visitor apart, not everyone who logs in
through the portal as one client. (Plain HTTP through the gateway, as a browser sends it.)"""
from __future__ import annotations

import re
import uuid

import requests

from tests.browser.conftest import next_address

TOO_MANY = "Too many attempts"
WRONG = "The email or the password is not right"


def _log_in(session: requests.Session, url: str, email: str) -> str:
    form = session.get(f"{url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return session.post(f"{url}/login", timeout=10, data={
        "csrf_token": token, "email": email, "password": "not-the-password-1", "next": "/"}).text


def _visitor() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    # As a load balancer in front of the gateway would name this visitor.
    session.headers.update({"X-Forwarded-For": next_address(), "Accept-Language": "en"})
    return session


def test_one_visitor_guessing_passwords_is_slowed_down_and_others_are_not(site):
    guesser, other = _visitor(), _visitor()
    # Another address each time: the members service's own per-address limit stays out of it.
    pages = [_log_in(guesser, site.url, f"guess{n}.{uuid.uuid4().hex[:6]}@example.bg") for n in range(12)]
    assert WRONG in pages[0]
    assert any(TOO_MANY in page for page in pages), "the gateway never limited the guessing visitor"
    page = _log_in(other, site.url, f"someone.{uuid.uuid4().hex[:6]}@example.bg")
    assert WRONG in page and TOO_MANY not in page
