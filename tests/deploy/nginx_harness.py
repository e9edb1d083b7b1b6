"""Runs the real gateway config: stub upstream servers and an nginx process, all on 127.0.0.1.

The template is rendered the way the official nginx image does it (only the listed
dollar-brace variables are replaced), wrapped in a minimal nginx.conf whose pid, logs and
temp files live in a private directory, and started in the foreground on a free port.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import requests

from .helpers import DEPLOY, GATEWAY_VARIABLES

TEMPLATE = DEPLOY / "nginx" / "alumnet.conf.template"
START_DEADLINE_S = 15.0
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def find_nginx() -> str | None:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def render(template: str, values: dict[str, str]) -> str:
    """Replace the template's variables; refuse unknown or missing ones, as nginx would choke."""
    missing = set(PLACEHOLDER.findall(template)) - set(values)
    if missing:
        raise KeyError(f"no value for template variables {sorted(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def free_port() -> int:
    """For nginx, which must be told its port in its config (the stubs bind port 0 instead);
    ``Gateway.start`` tries again when another process took the port first."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment must not see loopback traffic
    return session


# What frontends/portal/app.py and Flask's static files send; the gateway must not add a second copy.
PORTAL_HEADERS = {"Content-Security-Policy": "default-src 'self'; script-src 'self'",
                  "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
                  "Cache-Control": "no-cache"}


class _StubHandler(BaseHTTPRequestHandler):
    """Answers every request with JSON describing what arrived (service, path, headers)."""

    protocol_version = "HTTP/1.1"  # keep-alive, so the gateway's upstream keepalive is used
    server: "_StubServer"

    def setup(self):
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self):
        super().finish()
        self.server.connections.discard(self.connection)

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        received = 0
        while received < length:
            chunk = self.rfile.read(min(65536, length - received))
            if not chunk:
                break
            received += len(chunk)
        parts = urlsplit(self.path)
        if parts.path.endswith("/missing"):
            status, content_type = 404, "application/problem+json"
            body = {"type": "about:blank", "title": "from-upstream", "status": 404,
                    "service": self.server.name}
        else:
            status = 200
            # html=1: answer as an HTML page would (for the gateway's HTML-only headers).
            content_type = "text/html; charset=utf-8" if "html=1" in parts.query else "application/json"
            body = {
                "service": self.server.name,
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_length": received,
                "client_port": self.client_address[1],
            }
            if "big=1" in parts.query:
                body["padding"] = "x" * 8000
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if self.server.name == "portal":  # the safety headers the portal sets on its own
            for name, value in PORTAL_HEADERS.items():
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name: str, port: int = 0):
        self.name = name
        self.connections: set[socket.socket] = set()
        super().__init__(("127.0.0.1", port), _StubHandler)


class Stub:
    """One fake service api on an ephemeral port, or on ``port`` (a stopped copy's, to start
    it again on its address as a rolling restart does)."""

    def __init__(self, name: str, port: int = 0):
        self.name = name
        self._server = _StubServer(name, port)
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and cut open connections, like a crashed or stopped container."""
        self._server.shutdown()
        self._server.server_close()
        for conn in list(self._server.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)


def _servers(address: str | list[str], parameters: str) -> str:
    """The value of a template's ``server ${X_API} <parameters>;``: one address, or several as
    further ``server`` lines of the same upstream block, each with the template's parameters
    (``max_fails``, ``fail_timeout``)."""
    return address if isinstance(address, str) else f"{parameters};\n    server ".join(address)


def server_parameters(template: str, variable: str) -> str:
    """What follows ``${variable}`` on its ``server`` line of the template (with its leading space)."""
    found = re.search(r"^\s*server \$\{" + variable + r"\}([^;]*);", template, re.MULTILINE)
    if found is None:
        raise KeyError(f"no server line for {variable} in the template")
    return found.group(1)


class Gateway:
    """An nginx process running the rendered gateway template."""

    def __init__(self, nginx: str, workdir: Path, upstreams: dict[str, str | list[str]],
                 real_ip_from: str = "127.0.0.1", portal_real_ip_from: str = "192.0.2.2", port: int = 0):
        """``upstreams``: host:port of each service's api and of the ``portal``; a list of them
        for several copies (each its own ``server`` line, as a name resolving to several
        addresses would give in compose).
        ``real_ip_from``: the load balancer in front; by default the tests' own address.
        ``portal_real_ip_from``: where the portal calls from; by default nowhere (TEST-NET).
        ``port``: listen here (when others must know the URL before the start); by default a free one."""
        self.nginx = nginx
        self.workdir = workdir
        self.upstreams = upstreams
        self.real_ip_from = real_ip_from
        self.portal_real_ip_from = portal_real_ip_from
        self.proc: subprocess.Popen | None = None
        self.fixed_port = port
        self.port = port
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        template = TEMPLATE.read_text()
        variables = {name: "PORTAL_UPSTREAM" if name == "portal" else f"{name.upper()}_API" for name in self.upstreams}
        values = {variables[name]: _servers(address, server_parameters(template, variables[name]))
                  for name, address in self.upstreams.items()}
        values["GATEWAY_LISTEN"] = f"127.0.0.1:{self.port}"
        values["GATEWAY_REAL_IP_FROM"] = self.real_ip_from
        values["PORTAL_REAL_IP_FROM"] = self.portal_real_ip_from
        assert set(values) == GATEWAY_VARIABLES
        site = self.workdir / "alumnet.conf"
        site.write_text(render(template, values))
        built_with = subprocess.run([self.nginx, "-V"], capture_output=True, text=True).stderr
        lines = []
        if os.geteuid() == 0:
            # As root nginx's workers would run as nobody, who cannot enter this private dir.
            lines.append("user root;")
        lines += ["worker_processes 1;", "events { worker_connections 128; }", "http {",
                  "  default_type application/octet-stream;",
                  f"  client_body_temp_path {self.workdir}/client_body;",
                  f"  proxy_temp_path {self.workdir}/proxy;"]
        # Without these, nginx would create temp dirs at its compiled-in system paths.
        for module in ("fastcgi", "uwsgi", "scgi"):
            if f"--without-http_{module}_module" not in built_with:
                lines.append(f"  {module}_temp_path {self.workdir}/{module};")
        lines += [f"  include {site};", "}", ""]
        main = self.workdir / "nginx.conf"
        main.write_text("\n".join(lines))
        return main

    def command(self, *extra: str) -> list[str]:
        return [self.nginx, "-p", f"{self.workdir}/", "-c", str(self.workdir / "nginx.conf"),
                "-e", str(self.error_log), *extra]

    def test_config(self) -> subprocess.CompletedProcess:
        if not self.port:
            self.port = free_port()
            self._write_config()
        return subprocess.run(
            self.command("-t", "-g", f"pid {self.workdir}/nginx-t.pid;"),
            capture_output=True, text=True, timeout=30)

    def start(self) -> "Gateway":
        last_error = ""
        for _attempt in range(1 if self.fixed_port else 3):  # a free port may be taken between probe and bind
            self.port = self.fixed_port or free_port()
            self._write_config()
            with self.access_log.open("ab") as out, (self.workdir / "stderr.log").open("ab") as err:
                self.proc = subprocess.Popen(
                    self.command("-g", f"daemon off; pid {self.workdir}/nginx.pid;"),
                    stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            if self._wait_ready():
                return self
            last_error = self._logs()
            self.stop()
            if "Address already in use" not in last_error:
                break
        raise RuntimeError(f"nginx did not start:\n{last_error}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_DEADLINE_S
        with http_session() as session:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    return False
                try:
                    if session.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                        return True
                except requests.ConnectionError:
                    pass
                time.sleep(0.05)
        return False

    def _logs(self) -> str:
        texts = []
        for path in (self.error_log, self.workdir / "stderr.log"):
            if path.exists():
                texts.append(path.read_text(errors="replace"))
        return "\n".join(texts)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # fast shutdown
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> "Gateway":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
