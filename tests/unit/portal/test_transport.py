"""The portal's HTTP transport against a real local server: it sends what the gateway client
asks (query, JSON, multipart files, headers) as requests did, decompresses gzipped answers,
and a gateway that cannot be reached becomes ``ApiDown``."""
from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from frontends.portal.gateway import ApiDown, Gateway
from frontends.portal import transport as transport_module
from frontends.portal.transport import Transport, query_string
from tests.support import refusing_port


class Echo(BaseHTTPRequestHandler):
    """Answers with what it received; ``/gzip`` answers gzipped, ``/status/<n>`` with status n,
    ``/close`` closes the connection after its answer without saying so (as a server whose
    keep-alive timeout ran out between two requests)."""
    protocol_version = "HTTP/1.1"

    def _answer(self):
        self.connections_seen.add(self.client_address)  # before answering: the client goes on at once
        length = int(self.headers.get("Content-Length") or 0)
        seen = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                "body": self.rfile.read(length).decode("latin-1")}
        body = json.dumps(seen).encode()
        status = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/status/") else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if self.path == "/gzip":
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.path == "/close":
            self.close_connection = True

    connections_seen: set = set()
    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_query_repeats_list_values_and_leaves_out_none():
    assert query_string({"q": "Петров", "country": ["BG", "GR"], "page": 2, "city": None}) == \
        "q=%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2&country=BG&country=GR&page=2"


def test_params_headers_and_json_are_sent(server):
    answer = Transport().request("POST", f"{server}/api/v1/x?a=1", headers={"Authorization": "Bearer t"},
                                 params={"b": ["2", "3"]}, json={"name": "Иван"}, timeout=5)
    seen = json.loads(answer.content)
    assert answer.status_code == 200 and answer.headers.get("content-type") == "application/json"
    assert seen["method"] == "POST" and seen["path"] == "/api/v1/x?a=1&b=2&b=3"
    assert seen["headers"]["Authorization"] == "Bearer t"
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["headers"]["Accept-Encoding"] == "gzip, deflate"
    assert json.loads(seen["body"].encode("latin-1")) == {"name": "Иван"}


def test_files_go_as_multipart_form_data(server):
    answer = Transport().request("POST", f"{server}/upload", files={"file": ("roster.csv", b"a,b\n1,2\n", "text/csv")},
                                 timeout=5)
    seen = json.loads(answer.content)
    assert seen["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert 'name="file"; filename="roster.csv"' in seen["body"] and "a,b\n1,2\n" in seen["body"]


def test_a_gzipped_answer_is_decompressed(server):
    answer = Transport().request("GET", f"{server}/gzip", timeout=5)
    assert json.loads(answer.content)["path"] == "/gzip"


def test_calls_share_one_keep_alive_connection_and_survive_the_server_closing_it(server):
    transport = Transport()
    Echo.connections_seen.clear()
    for _ in range(3):
        assert transport.request("GET", f"{server}/a", timeout=5).status_code == 200
    assert len(Echo.connections_seen) == 1
    transport.request("GET", f"{server}/close", timeout=5)
    answer = transport.request("GET", f"{server}/after", timeout=5)  # on a new connection
    assert json.loads(answer.content)["path"] == "/after" and len(Echo.connections_seen) == 2


def test_a_get_on_a_connection_closed_unnoticed_is_sent_again_but_not_a_post(server, monkeypatch):
    monkeypatch.setattr(transport_module, "_dropped", lambda connection: False)  # the close comes too late
    transport = Transport()
    transport.request("GET", f"{server}/close", timeout=5)
    assert json.loads(transport.request("GET", f"{server}/again", timeout=5).content)["path"] == "/again"
    transport.request("GET", f"{server}/close", timeout=5)
    with pytest.raises(transport_module.Unreachable):
        transport.request("POST", f"{server}/once", json={}, timeout=5)


def test_statuses_are_passed_on_and_a_server_error_is_api_down(server):
    gateway = Gateway(server, 5)
    assert gateway.send("GET", "/status/404").status == 404
    with pytest.raises(ApiDown):
        gateway.send("GET", "/status/503")


def test_a_gateway_that_cannot_be_reached_is_api_down():
    with refusing_port() as port, pytest.raises(ApiDown):
        Gateway(f"http://127.0.0.1:{port}", 2).send("GET", "/api/v1/events")


class Download(BaseHTTPRequestHandler):
    """A CSV sent in pieces with chunked transfer encoding, the second piece only after the
    client has read the first (so a client that waited for the whole body would hang)."""
    protocol_version = "HTTP/1.1"
    first_read = threading.Event()

    def do_GET(self):
        Download.accept_encoding = self.headers.get("Accept-Encoding")
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in ("\ufeffid,answer\r\n".encode(), "1,да\r\n".encode()):
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.flush()
            Download.first_read.wait(5)
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args):
        pass


def test_a_download_is_streamed_piece_by_piece_byte_for_byte():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Download)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        answer = Transport().stream("GET", f"http://127.0.0.1:{httpd.server_address[1]}/export.csv", timeout=5)
        assert answer.status_code == 200 and answer.headers.get("content-type") == "text/csv; charset=utf-8"
        chunks = answer.chunks()
        first = next(chunks)  # before the server sends the rest
        Download.first_read.set()
        assert first == "\ufeffid,answer\r\n".encode()
        assert b"".join(chunks) == "1,да\r\n".encode()
        assert Download.accept_encoding == "identity"
    finally:
        httpd.shutdown()
        httpd.server_close()
