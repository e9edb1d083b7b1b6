"""Forwarded headers are believed only from TRUSTED_PROXIES (shared/web/proxies.py), and the
docs page loads Swagger UI from the service itself, never from a CDN (shared/web/swaggerui.py)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import jsonify, request
from shared.web.inputs import Blueprint

from shared.config import load
from shared.web.app import create_service_app

GATEWAY = "10.1.2.3"
CLIENT = "198.51.100.20"


def _app(**env: str):
    blp = Blueprint("whoami", __name__, url_prefix="/api/v1/demo/whoami")

    @blp.route("")
    def whoami():
        return jsonify(addr=request.remote_addr, scheme=request.scheme,
                       real_ip=request.headers.get("X-Real-IP"), xff=request.headers.get("X-Forwarded-For"))

    return create_service_app("demo", load(env, require_keys=False), SimpleNamespace(), blueprints=[blp])


def _whoami(app, peer: str):
    return app.test_client().get("/api/v1/demo/whoami", environ_base={"REMOTE_ADDR": peer}, headers={
        "X-Real-IP": CLIENT, "X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"}).get_json()


def test_forwarded_headers_from_a_trusted_proxy_give_the_client():
    seen = _whoami(_app(TRUSTED_PROXIES="10.0.0.0/8"), GATEWAY)
    assert (seen["addr"], seen["scheme"]) == (CLIENT, "https")


@pytest.mark.parametrize("env", [{}, {"TRUSTED_PROXIES": "192.0.2.0/24"}])
def test_forwarded_headers_from_anyone_else_are_dropped(env):
    seen = _whoami(_app(**env), GATEWAY)
    assert seen == {"addr": GATEWAY, "scheme": "http", "real_ip": None, "xff": None}


def test_dev_mode_trusts_only_this_machine():
    app = _app(DEV_MODE="true")
    assert _whoami(app, "127.0.0.1")["addr"] == CLIENT
    assert _whoami(app, GATEWAY)["addr"] == GATEWAY


def test_the_docs_page_loads_swagger_ui_from_the_service():
    client = _app().test_client()
    page = client.get("/api/v1/demo/docs").get_data(as_text=True)
    assert "cdn" not in page.lower() and "https://" not in page
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        url = f"/api/v1/demo/docs/assets/{asset}"
        assert url in page
        response = client.get(url)
        assert response.status_code == 200 and len(response.data) > 1000, asset
    assert client.get("/api/v1/demo/docs/assets/index.html").status_code == 404
    assert client.get("/api/v1/demo/docs/assets/..%2Fsetup.py").status_code == 404
