"""deploy/healthcheck.py, the containers' health command, against a local HTTP server."""
from __future__ import annotations

import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .helpers import DEPLOY


def _load():
    spec = importlib.util.spec_from_file_location("alumnet_healthcheck", DEPLOY / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = _load()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        status = {"/readyz": 200, "/healthz": 200}.get(self.path, 503)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_ports_come_from_the_process_variables():
    assert healthcheck.url_for("api", "/readyz", {}) == "http://127.0.0.1:8000/readyz"
    assert healthcheck.url_for("api", "/x", {"PORT": "8123"}) == "http://127.0.0.1:8123/x"
    assert healthcheck.url_for("worker", "/healthz", {}) == "http://127.0.0.1:9000/healthz"
    assert (healthcheck.url_for("worker", "/readyz", {"WORKER_HTTP_PORT": "9100"})
            == "http://127.0.0.1:9100/readyz")


def test_healthy_and_unhealthy(server, monkeypatch):
    monkeypatch.setenv("PORT", str(server))
    monkeypatch.setenv("WORKER_HTTP_PORT", str(server))
    assert healthcheck.main(["api"]) == 0
    assert healthcheck.main(["worker", "/healthz"]) == 0
    assert healthcheck.main(["api", "/not-ready"]) == 1


def test_nothing_listening_is_unhealthy(server, monkeypatch):
    monkeypatch.setenv("PORT", "1")
    assert healthcheck.main(["api"]) == 1


def test_bad_usage(capsys):
    assert healthcheck.main([]) == 2
    assert healthcheck.main(["database"]) == 2
