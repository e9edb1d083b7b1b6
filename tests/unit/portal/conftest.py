"""Page tests: the portal app with a fake gateway (``fake_gateway.py``) behind it."""
from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet

from frontends.portal.app import create_app
from frontends.portal.settings import PortalSettings
from tests.unit.portal.fake_gateway import FakeGateway

MEMBER_ID = "m-1"


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def portal(gateway):
    settings = PortalSettings(api_url=gateway.base_url, session_key=Fernet.generate_key().decode(),
                              dev_mode=False, api_timeout_s=5, trusted_proxies=1, dev_outbox_dir="/nonexistent")
    app = create_app(settings, transport=gateway)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(portal):
    """A browser that asks for English; tests of Bulgarian pages switch or send their own header."""
    browser = portal.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the current session, as a page's form carries it."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client, gateway: FakeGateway, *, member_id: str = MEMBER_ID, roles=("alumnus",),
           language: str = "en", given_name: str = "Maria", **member) -> None:
    """Log in through the login page, with the fake members API accepting the password."""
    gateway.on("POST", "/api/v1/members/auth/login", 200, {
        "access_token": f"access-{member_id}", "refresh_token": f"refresh-{member_id}", "token_type": "Bearer",
        "expires_in": 900, "member_id": member_id, "roles": list(roles)})
    gateway.on("GET", f"/api/v1/members/{member_id}", 200, {
        "id": member_id, "given_name": given_name, "family_name": "Ivanova", "preferred_language": language,
        "email": "maria@example.bg", **member})
    response = client.post("/login", data={"email": "maria@example.bg", "password": "correct horse",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def member(client, gateway):
    log_in(client, gateway)
    return client


@pytest.fixture
def admin(client, gateway):
    log_in(client, gateway, member_id="admin-1", roles=("admin",), given_name="Office")
    return client


@pytest.fixture
def staff(client, gateway):
    log_in(client, gateway, member_id="staff-1", roles=("staff",), given_name="Door")
    return client
