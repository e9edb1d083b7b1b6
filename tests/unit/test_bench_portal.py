"""bench/portal.py's copy of the gateway config: the deployment's template rendered, the bench's
own location for the bare page added, and the route of ``/`` to the portal added only while the
template has none. No load is run here (the benchmark itself is not a test)."""
from __future__ import annotations

import re
import subprocess

import pytest

from bench.portal import TEMPLATE, BenchGateway

PORTAL, BARE = "127.0.0.1:7001", "127.0.0.1:7002"
CATCH_ALL = re.compile(r"location / \{\s*return 404;\s*\}")


def gateway(tmp_path) -> BenchGateway:
    gw = BenchGateway(tmp_path, {"members": "127.0.0.1:7003", "events": "127.0.0.1:7004",
                                 "notifications": "127.0.0.1:7005"}, PORTAL, BARE)
    gw.port = 7000
    return gw


# A gateway template of before ``/`` went to the portal, reduced to what the bench looks at.
OLD_TEMPLATE = """upstream members_api { server ${MEMBERS_API}; }
upstream awards_api { server ${AWARDS_API}; }
set_real_ip_from ${GATEWAY_REAL_IP_FROM};
server {
    listen ${GATEWAY_LISTEN} default_server;
    location = /healthz {
        return 200 'ok';
    }
    location / {
        return 404;
    }
}
"""


def test_without_a_portal_route_the_bench_adds_one(tmp_path):
    gw = gateway(tmp_path)
    site = gw.site(OLD_TEMPLATE)
    assert not CATCH_ALL.search(site)
    assert site.count("proxy_pass http://alumnet_bench_portal;") == 1
    assert f"server {PORTAL};" in site
    assert "location = /bench/bare-page" in site and f"server {BARE};" in site
    assert "server 127.0.0.1:7003;" in site and "listen 127.0.0.1:7000 default_server;" in site
    assert "server 127.0.0.1:9;" in site  # awards: not run, but nginx needs an address
    assert "${" not in site
    assert len(gw.additions) == 2


def test_a_template_routing_the_portal_is_kept_as_it_is(tmp_path):
    text = TEMPLATE.read_text()
    if "${PORTAL_UPSTREAM}" not in text:
        text = CATCH_ALL.sub("location / {\n        proxy_pass http://${PORTAL_UPSTREAM};\n    }", text)
    gw = gateway(tmp_path)
    site = gw.site(text)
    assert "alumnet_bench_portal" not in site
    assert PORTAL in site
    assert "location = /bench/bare-page" in site
    assert [a for a in gw.additions if "portal" in a] == []


def test_a_template_variable_the_bench_does_not_know_stops_it(tmp_path):
    with pytest.raises(SystemExit, match="PORTAL_THEME"):
        gateway(tmp_path).site(TEMPLATE.read_text() + "\n# ${PORTAL_THEME}\n")


def test_nginx_accepts_the_benchs_config(tmp_path):
    gw = gateway(tmp_path)
    if gw.nginx is None:
        pytest.skip("nginx is not installed")
    gw.write_config()
    checked = subprocess.run([gw.nginx, "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"),
                              "-e", str(tmp_path / "error.log"), "-t", "-g", f"pid {tmp_path}/t.pid;"],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
