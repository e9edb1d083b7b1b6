"""bench/portal.py's copy of the gateway config: the deployment's template rendered as it is,
with one location added for the bare page, and accepted by nginx. No load is run here (the
benchmark itself is not a test)."""
from __future__ import annotations

import subprocess

import pytest

from bench.portal import BARE_PATH, TEMPLATE, BenchGateway

PORTAL, BARE = "127.0.0.1:7001", "127.0.0.1:7002"


def gateway(tmp_path) -> BenchGateway:
    gw = BenchGateway(tmp_path, {"members": "127.0.0.1:7003", "events": "127.0.0.1:7004",
                                 "notifications": "127.0.0.1:7005"}, PORTAL, BARE)
    gw.port = 7000
    return gw


def test_the_template_is_rendered_with_the_runs_addresses_and_the_bare_page_added(tmp_path):
    site = gateway(tmp_path).site()
    assert "${" not in site
    # The template's server lines carry their options (max_fails, fail_timeout) after the address.
    assert f"server {PORTAL} " in site and "proxy_pass http://portal;" in site
    for address in ("127.0.0.1:7003", "127.0.0.1:7004", "127.0.0.1:7005"):
        assert f"server {address} " in site
    assert "server 127.0.0.1:9 " in site  # awards: not run, but nginx needs an address
    assert "listen 127.0.0.1:7000 default_server;" in site
    assert site.count(f"location = {BARE_PATH} {{") == 1 and f"server {BARE};" in site
    # Nothing of the template is lost: the bench's copy is the template plus its additions.
    assert len(site) > len(TEMPLATE.read_text())


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
