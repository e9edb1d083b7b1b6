"""The nginx gateway config, exercised by a real nginx in front of stub service apis.

Needs an nginx binary (Debian: nginx-light). Without one the nginx tests are skipped,
except under CI=true, where a missing nginx is a failure.
"""
from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager

import pytest

from tests.conftest import IN_CI
from tests.support import wait_until

from .helpers import GATEWAY_VARIABLES, SERVICES
from .nginx_harness import PLACEHOLDER, PORTAL_HEADERS, TEMPLATE, Gateway, Stub, find_nginx, http_session, render

PROBLEM_TYPE = "application/problem+json"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")  # nginx's $request_id


@pytest.fixture(scope="module")
def nginx() -> str:
    binary = find_nginx()
    if binary is None:
        message = "nginx is not installed (Debian: apt-get install nginx-light)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return binary


@pytest.fixture(scope="module")
def stubs():
    started = {name: Stub(name) for name in (*SERVICES, "portal")}
    yield started
    for stub in started.values():
        stub.stop()


@pytest.fixture(scope="module")
def gateway(nginx, stubs, tmp_path_factory):
    upstreams = {service: stub.address for service, stub in stubs.items()}
    with Gateway(nginx, tmp_path_factory.mktemp("gateway"), upstreams) as running:
        yield running


@pytest.fixture
def http():
    with http_session() as session:
        yield session


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"].split(";")[0] == PROBLEM_TYPE
    body = response.json()
    assert body["status"] == status
    for member in ("type", "title", "detail"):
        assert isinstance(body[member], str) and body[member]
    return body


def test_template_uses_exactly_the_documented_variables():
    assert set(PLACEHOLDER.findall(TEMPLATE.read_text())) == GATEWAY_VARIABLES


def test_render_refuses_a_missing_variable():
    with pytest.raises(KeyError):
        render("listen ${GATEWAY_LISTEN};", {})


def test_nginx_accepts_the_config(nginx, stubs, tmp_path):
    upstreams = {service: stub.address for service, stub in stubs.items()}
    result = Gateway(nginx, tmp_path, upstreams).test_config()
    assert result.returncode == 0, result.stderr


def test_gateway_health(gateway, http):
    response = http.get(f"{gateway.url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("service", SERVICES)
def test_each_prefix_reaches_its_service_with_the_path_unchanged(gateway, http, service):
    path = f"/api/v1/{service}/items/42?page=2&q=a%20b"
    response = http.get(f"{gateway.url}{path}", timeout=5)
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["service"] == service
    assert echoed["path"] == path


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_and_docs_paths_are_routed(gateway, http, service):
    for path in (f"/api/v1/{service}/openapi.json", f"/api/v1/{service}/docs"):
        echoed = http.get(f"{gateway.url}{path}", timeout=5).json()
        assert (echoed["service"], echoed["path"]) == (service, path)


def test_the_platform_docs_page_at_docs_comes_from_the_members_api_with_the_api_pages_policy(gateway, http):
    echoed = http.get(f"{gateway.url}/docs", timeout=5).json()
    assert (echoed["service"], echoed["path"]) == ("members", "/api/v1/members/docs/platform")
    page = http.get(f"{gateway.url}/docs?html=1", timeout=5)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_post_body_is_forwarded(gateway, http):
    response = http.post(f"{gateway.url}/api/v1/events/events", json={"title": "Gala"}, timeout=5)
    echoed = response.json()
    assert echoed["method"] == "POST"
    assert echoed["body_length"] == len(json.dumps({"title": "Gala"}))


def test_request_id_is_generated_when_absent(gateway, http):
    response = http.get(f"{gateway.url}/api/v1/members/me", timeout=5)
    sent = response.json()["headers"]["x-request-id"]
    assert GENERATED_ID.match(sent)
    assert response.headers["X-Request-ID"] == sent


def test_request_id_is_passed_through_when_present(gateway, http):
    response = http.get(f"{gateway.url}/api/v1/awards/cycles",
                        headers={"X-Request-ID": "client-req-0001"}, timeout=5)
    assert response.json()["headers"]["x-request-id"] == "client-req-0001"
    assert response.headers["X-Request-ID"] == "client-req-0001"


def test_an_unsafe_request_id_is_replaced(gateway, http):
    response = http.get(f"{gateway.url}/api/v1/awards/cycles",
                        headers={"X-Request-ID": 'bad" id'}, timeout=5)
    sent = response.json()["headers"]["x-request-id"]
    assert GENERATED_ID.match(sent)
    assert response.headers["X-Request-ID"] == sent


def test_forwarded_headers_are_set(gateway, http):
    headers = http.get(f"{gateway.url}/api/v1/notifications/templates", timeout=5).json()["headers"]
    assert headers["x-forwarded-for"].split(",")[-1].strip() == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == "127.0.0.1"
    assert headers["x-forwarded-port"] == str(gateway.port)
    assert headers["x-real-ip"] == "127.0.0.1"


def test_forwarded_proto_from_a_front_load_balancer_is_kept(gateway, http):
    headers = http.get(f"{gateway.url}/api/v1/members/me",
                       headers={"X-Forwarded-Proto": "https"}, timeout=5).json()["headers"]
    assert headers["x-forwarded-proto"] == "https"


@pytest.mark.parametrize("path", ["/api/", "/api/v1/unknown/x", "/api/v2/members/x",
                                  "/api/v1/membersx/y", "/api/metrics"])
def test_unknown_api_paths_get_a_404_problem(gateway, http, path):
    response = http.get(f"{gateway.url}{path}", timeout=5)
    body = assert_problem(response, 404)
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_api_errors_pass_through_untouched(gateway, http):
    response = http.get(f"{gateway.url}/api/v1/members/missing", timeout=5)
    assert response.status_code == 404
    assert response.json()["title"] == "from-upstream"


def test_a_body_at_the_limit_is_accepted(gateway, http):
    body = b"x" * 1_000_000
    response = http.post(f"{gateway.url}/api/v1/members/imports", data=body, timeout=10)
    assert response.status_code == 200
    assert response.json()["body_length"] == len(body)


def test_an_oversized_body_gets_a_413_problem(gateway, http):
    body = b"x" * (1024 * 1024 + 1)
    response = http.post(f"{gateway.url}/api/v1/members/imports", data=body, timeout=10)
    assert_problem(response, 413)


def test_json_is_gzipped_when_asked(gateway, http):
    response = http.get(f"{gateway.url}/api/v1/events/events?big=1",
                        headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == "gzip"
    assert response.json()["service"] == "events"


def test_upstream_connections_are_kept_alive(gateway, http):
    ports = {http.get(f"{gateway.url}/api/v1/awards/ping", timeout=5).json()["client_port"]
             for _ in range(3)}
    assert len(ports) == 1


def test_access_log_is_json_with_the_request_id(gateway, http):
    http.get(f"{gateway.url}/api/v1/events/events", headers={"X-Request-ID": "log-check-7"},
             timeout=5)
    deadline = time.monotonic() + 5
    entry = None
    while entry is None and time.monotonic() < deadline:
        for line in gateway.access_log.read_text().splitlines():
            record = json.loads(line)
            if record["request_id"] == "log-check-7":
                entry = record
        if entry is None:
            time.sleep(0.05)
    assert entry is not None, "no access log line for the request"
    assert entry["status"] == 200
    assert entry["uri"] == "/api/v1/events/events"


@contextmanager
def one_upstream_stopped(nginx, stubs, tmp_path, http, name: str, path: str):
    """A gateway whose ``name`` upstream answers ``path``, then stops: yields the answer after.
    The others are unaffected (checked on leaving)."""
    down = Stub(name)
    upstreams = {**{n: stub.address for n, stub in stubs.items()}, name: down.address}
    with Gateway(nginx, tmp_path, upstreams) as gateway:
        assert http.get(f"{gateway.url}{path}", timeout=5).status_code == 200
        down.stop()
        yield http.get(f"{gateway.url}{path}", timeout=10)
        assert http.get(f"{gateway.url}/api/v1/members/me", timeout=5).status_code == 200


def test_a_stopped_upstream_gives_a_problem(nginx, stubs, tmp_path, http):
    with one_upstream_stopped(nginx, stubs, tmp_path, http, "awards", "/api/v1/awards/cycles") as response:
        assert response.status_code in (502, 503)
        assert_problem(response, response.status_code)


# --------------------------------------------------------------------------- several copies of an api

API_VARIABLES = ("MEMBERS_API", "EVENTS_API", "AWARDS_API", "NOTIFICATIONS_API", "PORTAL_UPSTREAM")


def test_a_copy_that_refused_is_left_alone_for_two_seconds_not_ten():
    """nginx's default (a failed copy is skipped for 10 s) made a rolling restart of two
    copies give "no live upstreams" 502s when the second went down less than 10 s after the
    first came back (tests/e2e/test_platform.py counted hundreds)."""
    template = TEMPLATE.read_text()
    servers = dict(re.findall(r"^\s*server \$\{(\w+)\}([^;]*);", template, re.MULTILINE))
    assert set(servers) == set(API_VARIABLES)
    assert {name: params.split() for name, params in servers.items()} == {
        name: ["max_fails=1", "fail_timeout=2s"] for name in API_VARIABLES}
    # A request that never reached a copy (refused, connect timeout) goes to the other one.
    assert re.findall(r"^\s*proxy_next_upstream(?:_tries)? ([^;]+);", template, re.MULTILINE) == ["error timeout", "2"]


def test_each_copy_of_an_api_gets_its_own_server_line_with_the_parameters(nginx, stubs, tmp_path):
    upstreams = {**{name: stub.address for name, stub in stubs.items()},
                 "members": ["127.0.0.1:1801", "127.0.0.1:1802"]}
    checked = Gateway(nginx, tmp_path, upstreams).test_config()
    assert checked.returncode == 0, checked.stderr
    site = (tmp_path / "alumnet.conf").read_text()
    assert re.findall(r"server (127\.0\.0\.1:180\d)([^;]*);", site) == [
        ("127.0.0.1:1801", " max_fails=1 fail_timeout=2s"), ("127.0.0.1:1802", " max_fails=1 fail_timeout=2s")]


def test_a_rolling_restart_of_two_copies_answers_every_request(nginx, stubs, tmp_path, http):
    """Each copy in turn stops (its connections refused) and comes back on its address; the
    next one stops only once the gateway sends to the first again. Every request, GET or POST,
    is answered by a live copy: a refused connection carried no request, so nginx passes even
    a POST to the other copy, and a copy back up is used again without a 502 in between."""
    names = ["members-1", "members-2"]
    copies = [Stub(name) for name in names]
    upstreams = {**{name: stub.address for name, stub in stubs.items()}, "members": [c.address for c in copies]}

    def served(requests_: int) -> set[str]:
        who = set()
        for n in range(requests_):
            url = f"{gateway.url}/api/v1/members/me"
            response = http.post(url, json={"n": n}, timeout=10) if n % 2 else http.get(url, timeout=10)
            assert response.status_code == 200, response.text
            who.add(response.json()["service"])
        return who

    try:
        with Gateway(nginx, tmp_path, upstreams) as gateway:
            assert served(6) == set(names)
            for k, name in enumerate(names):
                port = int(copies[k].address.rsplit(":", 1)[1])
                copies[k].stop()
                assert served(10) == set(names) - {name}
                copies[k] = Stub(name, port=port)
                wait_until(lambda: name in served(2), timeout_s=30, message=f"the gateway sends to {name} again")
            assert served(6) == set(names)
    finally:
        for copy in copies:
            copy.stop()


# --------------------------------------------------------------------------- trust and hardening

@pytest.fixture(scope="module")
def gateway_without_load_balancer(nginx, stubs, tmp_path_factory):
    """A gateway whose load balancer is elsewhere (TEST-NET): the tests are plain clients."""
    upstreams = {service: stub.address for service, stub in stubs.items()}
    with Gateway(nginx, tmp_path_factory.mktemp("gateway-no-lb"), upstreams, real_ip_from="192.0.2.1") as running:
        yield running


def test_the_client_behind_the_load_balancer_is_the_forwarded_address(gateway, http):
    headers = http.get(f"{gateway.url}/api/v1/members/me",
                       headers={"X-Forwarded-For": "203.0.113.9"}, timeout=5).json()["headers"]
    assert headers["x-real-ip"] == "203.0.113.9"
    assert headers["x-forwarded-for"] == "203.0.113.9"


def test_a_clients_own_forwarding_headers_are_not_believed(gateway_without_load_balancer, http):
    headers = http.get(f"{gateway_without_load_balancer.url}/api/v1/members/me", headers={
        "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9", "X-Forwarded-Proto": "https"},
        timeout=5).json()["headers"]
    assert headers["x-real-ip"] == "127.0.0.1"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"


def test_every_response_has_the_safety_headers(gateway, http):
    for path in ("/api/v1/events/events", "/api/nope", "/healthz"):
        response = http.get(f"{gateway.url}{path}", timeout=5)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path


def test_hsts_only_when_the_client_came_over_tls(gateway, gateway_without_load_balancer, http):
    plain = http.get(f"{gateway.url}/api/v1/events/events", timeout=5)
    assert "Strict-Transport-Security" not in plain.headers
    tls = http.get(f"{gateway.url}/api/v1/events/events", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    assert tls.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    claimed = http.get(f"{gateway_without_load_balancer.url}/api/v1/events/events",
                       headers={"X-Forwarded-Proto": "https"}, timeout=5)
    assert "Strict-Transport-Security" not in claimed.headers


def test_html_pages_get_a_content_security_policy_and_json_does_not(gateway, http):
    page = http.get(f"{gateway.url}/api/v1/members/docs?html=1", timeout=5)
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in policy.replace("https", "")  # no other origin: no CDN
    assert "Content-Security-Policy" not in http.get(f"{gateway.url}/api/v1/members/me", timeout=5).headers


LIMITED = ["/api/v1/members", "/api/v1/members/auth/login", "/api/v1/members/auth/password-reset",
           "/api/v1/members/auth/password-reset/confirm", "/api/v1/members/auth/confirm-email",
           "/api/v1/members/auth/confirm-email-change", "/api/v1/members/auth/undo-email-change"]


@pytest.mark.parametrize("n,path", list(enumerate(LIMITED)))
def test_identity_routes_are_rate_limited_per_client_address(gateway, http, n, path):
    client = {"X-Forwarded-For": f"198.51.100.{10 + n}"}
    statuses = [http.post(f"{gateway.url}{path}", json={}, headers=client, timeout=5).status_code
                for _ in range(12)]
    assert statuses[0] == 200 and 429 in statuses, statuses
    refused = http.post(f"{gateway.url}{path}", json={}, headers=client, timeout=5)
    body = assert_problem(refused, 429)
    assert body["request_id"] == refused.headers["X-Request-ID"]
    assert int(refused.headers["Retry-After"]) > 0
    # Another client is not affected, and neither are reads nor other routes of the same client.
    other = {"X-Forwarded-For": f"198.51.100.{110 + n}"}
    assert http.post(f"{gateway.url}{path}", json={}, headers=other, timeout=5).status_code == 200
    assert http.get(f"{gateway.url}/api/v1/members", headers=client, timeout=5).status_code == 200
    assert http.post(f"{gateway.url}/api/v1/members/auth/refresh", json={}, headers=client,
                     timeout=5).status_code == 200


# --------------------------------------------------------------------------- the portal

@pytest.mark.parametrize("path", ["/", "/login?next=%2Fevents", "/events/42/ticket", "/metrics", "/apix",
                                  "/static/portal.css"])
def test_every_other_path_reaches_the_portal_unchanged(gateway, http, path):
    echoed = http.get(f"{gateway.url}{path}", timeout=5).json()
    assert (echoed["service"], echoed["path"]) == ("portal", path)


def test_a_portal_form_post_reaches_the_portal(gateway, http):
    body = b"x" * (5 * 1024 * 1024)  # a roster CSV of 5 MB, more than the apis' 1 MiB
    echoed = http.post(f"{gateway.url}/console/members/imports", data=body, timeout=20).json()
    assert (echoed["service"], echoed["method"], echoed["body_length"]) == ("portal", "POST", len(body))


def test_the_portal_sees_who_its_visitor_is(gateway, http):
    headers = http.get(f"{gateway.url}/login", headers={"X-Forwarded-For": "203.0.113.7"},
                       timeout=5).json()["headers"]
    assert headers["x-forwarded-for"] == "203.0.113.7"  # one address, as the portal's ProxyFix(x_for=1) reads it
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == "127.0.0.1"


def test_the_portals_pages_carry_its_own_safety_headers_once(gateway, http):
    response = http.get(f"{gateway.url}/login?html=1", timeout=5)
    assert response.headers["Content-Type"].startswith("text/html")
    # requests joins repeated headers with ", ": equality means exactly one copy.
    for name, value in PORTAL_HEADERS.items():
        assert response.headers[name] == value, name


def test_the_apis_html_keeps_the_gateways_policy(gateway, http):
    page = http.get(f"{gateway.url}/api/v1/members/docs?html=1", timeout=5)
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_static_files_are_cached_long_when_versioned(gateway, http):
    versioned = http.get(f"{gateway.url}/static/portal.css?v=3f2a9c", timeout=5)
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    plain = http.get(f"{gateway.url}/static/events/ticket.js", timeout=5)
    assert plain.headers["Cache-Control"] == "public, max-age=3600"
    page = http.get(f"{gateway.url}/login", timeout=5)
    assert page.headers["Cache-Control"] == "no-cache"  # the portal's own, untouched


def test_the_portal_calling_the_apis_is_counted_as_its_visitor(nginx, stubs, tmp_path, http):
    """Through the portal's address, X-Forwarded-For names the visitor: the identity rate
    limit counts each visitor apart, not every login through the portal as one client."""
    upstreams = {name: stub.address for name, stub in stubs.items()}
    with Gateway(nginx, tmp_path, upstreams, real_ip_from="192.0.2.1", portal_real_ip_from="127.0.0.1") as gateway:
        path = f"{gateway.url}/api/v1/members/auth/login"
        one = {"X-Forwarded-For": "198.51.100.201"}
        statuses = [http.post(path, json={}, headers=one, timeout=5).status_code for _ in range(12)]
        assert statuses[0] == 200 and 429 in statuses, statuses
        other = {"X-Forwarded-For": "198.51.100.202"}
        answer = http.post(path, json={}, headers=other, timeout=5)
        assert answer.status_code == 200
        assert answer.json()["headers"]["x-real-ip"] == "198.51.100.202"


def test_a_stopped_portal_gives_a_readable_page(nginx, stubs, tmp_path, http):
    with one_upstream_stopped(nginx, stubs, tmp_path, http, "portal", "/login") as response:
        assert response.status_code == 503
        assert response.headers["Content-Type"].startswith("text/html")
        assert "Опитайте отново" in response.text and "try again" in response.text
        assert int(response.headers["Retry-After"]) > 0
