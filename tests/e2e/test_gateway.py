"""The real nginx gateway in front of the real apis: a sign-up through `/api/v1/...` on the
gateway port reaches the members api unchanged, with the caller's request id carried through,
and the welcome email follows; every service's document is reached by its prefix, and an
upstream that is down answers 502-504."""
from __future__ import annotations

import re
import uuid

import requests

from tests.support import wait_until


def test_signup_through_the_gateway(gateway, smtp_sink):
    sink, _ = smtp_sink
    request_id = f"gw-{uuid.uuid4().hex}"
    email = f"ivan.{uuid.uuid4().hex[:8]}@example.bg"
    response = requests.post(f"{gateway.url}/api/v1/members", headers={"X-Request-ID": request_id}, json={
        "given_name": "Иван", "family_name": "Георгиев", "email": email, "preferred_language": "bg",
        "consent": {"email": True, "sms": False}}, timeout=10)
    assert response.status_code == 202, response.text
    assert response.headers["X-Request-ID"] == request_id
    assert response.json()["status"] == "accepted"
    mail = wait_until(lambda: sink.to(email), timeout_s=30, message="welcome email via the gateway")
    assert mail[0]["Subject"] == "Добре дошли в Алумни клуба, Иван!"

    spec = requests.get(f"{gateway.url}/api/v1/notifications/openapi.json", timeout=10)
    assert spec.status_code == 200 and "/api/v1/notifications/deliveries" in spec.json()["paths"]
    for service in ("members", "events", "awards"):
        other = requests.get(f"{gateway.url}/api/v1/{service}/openapi.json", timeout=10)
        assert other.status_code == 200 and other.json()["info"]["title"], service
    # One docs page for the platform: Swagger UI over the four documents, its files from here.
    docs = requests.get(f"{gateway.url}/docs", timeout=10)
    assert docs.status_code == 200 and docs.headers["Content-Type"].startswith("text/html")
    for service in ("members", "events", "awards", "notifications"):
        assert f"/api/v1/{service}/openapi.json" in docs.text
    for asset in re.findall(r'(?:href|src)="([^"]+)"', docs.text):
        assert asset.startswith("/api/v1/members/docs/assets/"), asset
        assert requests.get(f"{gateway.url}{asset}", timeout=10).status_code == 200, asset
    down = requests.get(f"{gateway.url}/", timeout=10)  # the portal is not started here
    assert down.status_code in (502, 503, 504)
