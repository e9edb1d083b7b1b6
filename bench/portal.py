#!/usr/bin/env python
"""Benchmark of the portal's pages through the gateway: the home page (``/``), a directory
search (``/directory?q=…``) and an event's page (``/events/<id>``), signed in as a seeded
verified member, each beside the API calls that page makes, called directly through the same
gateway with the member's bearer token, and beside a bare Flask page of the same size on the
same gunicorn config, all measured in the same run.

    .venv/bin/python bench/portal.py [--connections C] [--seconds S] [--members N] [--quick]

It starts its own throwaway SecantusDB (``LocalStore(":memory:")``), seeds N members (with
directory entries, bench/members.py's generator) into the members service's database, one
of them with a password, published events and registrations into the events service's
database (the services' own store functions), runs the members, events and notifications
apis, the portal (``frontends.portal.app:create_app()``, DEV_MODE=false) and
``bench/bare_page.py`` under gunicorn with ``deploy/gunicorn.conf.py`` and the deployment's
environment, and a real nginx with ``deploy/nginx/alumnet.conf.template`` rendered as
tests/deploy/nginx_harness.py renders it, in front of all of them. The member signs in through
the portal's ``/login`` form (its CSRF token and session cookie); the bearer token comes from
``POST /api/v1/members/auth/login``.

Which API calls a page makes is not assumed: each page is requested once with a unique
``X-Request-ID`` (the portal forwards it on its API calls) and the gateway's JSON access log
lists the ``/api/`` requests with that id. That list, in order, is what the page's "API calls"
row sends, one after the other on one connection, as one timed unit. Target: each page's
requests/s >= 0.5 x its API calls'. What each row means: bench/README.md, "## portal".
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from bench.harness import (  # noqa: E402
    Gunicorn,
    ServiceBench,
    deploy_env,
    fmt_rate,
    group_cpu_s,
    keepalive_request,
    machine,
    ms,
    run_load,
    run_threads,
    say,
    sigterm_interrupts,
    start_watchdog,
    table_lines,
)
from bench import report  # noqa: E402
from bench.events import LoadResult  # noqa: E402
from bench.members import seed as seed_members  # noqa: E402
from tests.deploy.nginx_harness import PLACEHOLDER, find_nginx, render  # noqa: E402

APIS = {
    "members": "services.members.app:create_app()",
    "events": "services.events.app:create_app()",
    "notifications": "services.notifications.app:create_app()",
}
PORTAL_APP = "frontends.portal.app:create_app()"
BARE_APP = "bench.bare_page:app"
TEMPLATE = ROOT / "deploy" / "nginx" / "alumnet.conf.template"
BARE_PATH = "/bench/bare-page"  # the bench's own location in its copy of the gateway config
HTTP_TIMEOUT_S = 60.0
# Calls a page makes only now and then (its session's access token is about to expire): not
# part of what the page costs each time.
OCCASIONAL_CALLS = ("/api/v1/members/auth/refresh",)
PASSWORD = "bench-" + uuid.uuid4().hex
ACCEPT_ENCODING = "gzip, deflate"  # what browsers and the portal's requests session ask for


# ------------------------------------------------------------------------------------------
# The gateway: nginx with the deployment's template
# ------------------------------------------------------------------------------------------

class BenchGateway:
    """nginx running deploy/nginx/alumnet.conf.template rendered for this run, inside the
    official image's main settings (``worker_processes auto``, 1024 connections a worker),
    not the test harness's single small worker. The bench's copy of the site adds one
    location, for the bare page, with an upstream kept alive as the apis' are."""

    def __init__(self, workdir: Path, apis: dict[str, str], portal: str, bare: str):
        self.workdir, self.apis, self.portal, self.bare = workdir, apis, portal, bare
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.access_log = workdir / "access.log"
        self.nginx = find_nginx()

    def version(self) -> str:
        return subprocess.run([self.nginx, "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1]

    def site(self, template: str | None = None) -> str:
        """The site config: ``template`` (by default the deployment's) rendered, and the bare
        page's location and upstream added."""
        template = template if template is not None else TEMPLATE.read_text()
        # Everything runs on 127.0.0.1: the portal calls the apis from there, and there is no
        # load balancer in front ("127.0.0.1 if none", says the template).
        values = {"GATEWAY_LISTEN": f"127.0.0.1:{self.port}", "GATEWAY_REAL_IP_FROM": "127.0.0.1",
                  "PORTAL_REAL_IP_FROM": "127.0.0.1", "PORTAL_UPSTREAM": self.portal}
        for name in set(PLACEHOLDER.findall(template)) - set(values):
            if not name.endswith("_API"):
                raise SystemExit(f"bench/portal.py: the gateway template has a variable it does not know: {name}")
            # A service the bench does not run (awards): nginx needs an address, no request goes there.
            values[name] = self.apis.get(name.removesuffix("_API").lower(), "127.0.0.1:9")
        upstream = (f"upstream alumnet_bench_bare {{\n    server {self.bare};\n    keepalive 16;\n"
                    "    keepalive_timeout 60s;\n}\n\n")
        location = f"location = {BARE_PATH} {{\n        proxy_pass http://alumnet_bench_bare/page;\n    }}\n\n    "
        text = render(template, values)
        if "location = /healthz {" not in text:
            raise SystemExit("bench/portal.py: the gateway template has no `location = /healthz {` to put the "
                             "bare page's location before")
        return upstream + text.replace("location = /healthz {", location + "location = /healthz {", 1)

    def write_config(self) -> None:
        site = self.workdir / "alumnet.conf"
        site.write_text(self.site())
        built = subprocess.run([self.nginx, "-V"], capture_output=True, text=True).stderr
        # Temporary files in the private directory, for each module this nginx was built with.
        temp = [f"  {kind}_temp_path {self.workdir}/{kind};"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                if kind in ("client_body", "proxy") or f"--without-http_{kind}_module" not in built]
        (self.workdir / "nginx.conf").write_text("\n".join([
            # As root, workers would run as nobody, who cannot enter this private directory.
            *(["user root;"] if os.geteuid() == 0 else []),
            "worker_processes auto;", "events { worker_connections 1024; }", "http {",
            "  default_type application/octet-stream;", "  keepalive_timeout 65;", *temp,
            f"  include {site};", "}", ""]))

    def start(self) -> "BenchGateway":
        from alumnet.localstore import free_port
        if self.nginx is None:
            raise SystemExit("bench/portal.py: nginx is not installed (apt-get install nginx)")
        self.port = free_port()  # nginx is told its port in its config
        self.write_config()
        argv = [self.nginx, "-p", f"{self.workdir}/", "-c", str(self.workdir / "nginx.conf"),
                "-e", str(self.workdir / "error.log"), "-g", f"daemon off; pid {self.workdir}/nginx.pid;"]
        with open(self.access_log, "ab") as out, open(self.workdir / "nginx.stderr", "ab") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        logs = "".join(p.read_text(errors="replace")
                       for p in (self.workdir / "error.log", self.workdir / "nginx.stderr") if p.exists())
        raise RuntimeError(f"nginx did not start:\n{logs[-3000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log_lines(self, request_id: str) -> list[dict]:
        lines = []
        for raw in self.access_log.read_text(errors="replace").splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict) and line.get("request_id") == request_id:
                lines.append(line)
        return lines


# ------------------------------------------------------------------------------------------
# One-off requests (signing in, finding what a page calls)
# ------------------------------------------------------------------------------------------

def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None
            ) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.msg, response.read()
    finally:
        conn.close()


def set_cookies(jar: dict[str, str], msg: http.client.HTTPMessage) -> None:
    """Keep the cookies a response sets (Secure ones too: the bench speaks plain http to the
    gateway, where a browser would be behind TLS)."""
    for header in msg.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        if value and "max-age=0" not in header.lower():
            jar[name.strip()] = value.strip()
        else:
            jar.pop(name.strip(), None)


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


# ------------------------------------------------------------------------------------------
# Load: P processes x T threads, one keep-alive connection per thread
# ------------------------------------------------------------------------------------------

def _sequence_child(port: int, steps: list[tuple[str, str, int]], headers: dict, first: int, threads: int,
                    t_measure: float, t_end: float, out) -> None:
    """Each thread sends ``steps`` (method, path, expected status) one after another, again
    and again; one pass is one timed unit, a success if every answer had its expected status.
    The result is bench/events.py's: a unit that succeeded counts as status 200, one that did
    not as "<status>!=<expected>" (an error)."""
    lock = threading.Lock()
    result = {"latencies": [], "statuses": Counter(), "samples": [], "reconnects": 0, "done": 0, "exhausted": 0}

    def run(_tid: int) -> None:
        conn = None
        lat: list[float] = []
        statuses: Counter = Counter()
        samples: list[str] = []
        reconnects = done = 0
        while True:
            t0 = time.monotonic()
            if t0 >= t_end:
                break
            failed = None
            for method, path, expected in steps:
                conn, status, payload, retried = keepalive_request(conn, port, method, path, None, headers,
                                                                   HTTP_TIMEOUT_S)
                reconnects += retried
                if status != expected:
                    failed = f"{status}!={expected}"
                    sample = f"{status} (expected {expected}) {method} {path}: {payload[:200]!r}"
                    break
            t1 = time.monotonic()
            if t0 < t_measure:
                continue
            statuses[200 if failed is None else failed] += 1
            if failed is None:
                lat.append(t1 - t0)
                done += t1 <= t_end
            elif len(samples) < 3:
                samples.append(sample)
        if conn is not None:
            conn.close()
        with lock:
            result["latencies"].extend(lat)
            result["statuses"].update(statuses)
            result["samples"].extend(samples)
            result["reconnects"] += reconnects
            result["done"] += done

    run_threads(run, first, threads)
    out.put(result)


class CpuWindow(threading.Thread):
    """Cores used by named process groups in a row's measured window (``run_load`` counts
    one app; a page row keeps the portal, three apis and nginx busy)."""

    def __init__(self, groups: dict[str, list[int]], t_measure: float, seconds: float):
        super().__init__(daemon=True)
        self.groups, self.t_measure, self.seconds = groups, t_measure, seconds
        self.used: dict[str, float] = {}

    def sample(self) -> dict[str, float]:
        return {name: sum(group_cpu_s(pgid) or 0.0 for pgid in pgids) for name, pgids in self.groups.items()}

    def run(self) -> None:
        def sleep_until(moment: float) -> None:
            while (left := moment - time.monotonic()) > 0:
                time.sleep(min(0.05, left))
        sleep_until(self.t_measure)
        before = self.sample()
        sleep_until(self.t_measure + self.seconds)
        after = self.sample()
        self.used = {name: (after[name] - before[name]) / self.seconds for name in before}


# ------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------

class Page:
    """A page measured: its path, what one request showed (status, size, the API calls it
    made with their statuses) and its result and that of its API calls."""

    def __init__(self, label: str, path: str, shown: str | None = None):
        self.label, self.path, self.shown = label, path, shown or path
        self.status: int | None = None
        self.size = 0
        self.calls: list[tuple[str, str, int]] = []
        self.skipped: list[str] = []
        self.result: LoadResult | None = None
        self.calls_result: LoadResult | None = None
        self.bare_result: LoadResult | None = None


class Bench(ServiceBench):
    tmp_prefix = "bench-portal-"
    store_detail = "pure-Python server, "

    def __init__(self, args):
        super().__init__(args)
        self.gateway: BenchGateway | None = None
        self.cookies: dict[str, str] = {}
        self.results: list[report.Result] = []  # the rows in bench/report.py's shape (--json)

    # ---------------------------------------------------------------- data
    def seed(self) -> None:
        from services.events import events_store, registrations_store
        from services.events.store import EventsStore
        from services.members.accounts import rules as accounts
        from services.members.accounts import store as accounts_store
        from services.members.store import MembersStore
        from services.notifications import store as notifications_store
        from services.notifications.store import NotificationsStore
        from shared import memberfilter, memberview
        a = self.args
        t = time.perf_counter()
        members = MembersStore(self.url, f"{self.prefix}members")
        events = EventsStore(self.url, f"{self.prefix}events")
        notifications = NotificationsStore(self.url, f"{self.prefix}notifications")
        for store in (members, events, notifications):
            store.create_indexes()
        self.population, _ = seed_members(members.db, a.members, random.Random(a.seed))
        now = datetime.now(timezone.utc).replace(microsecond=0)

        # The member who signs in: verified, listed in the directory, email confirmed, a password.
        viewer = members.db.members.find_one({"_id": self.population.findable_ids[0]})
        self.viewer = viewer
        members.db.members.update_one({"_id": viewer["_id"]}, {"$set": {"email_confirmed_at": now}})
        members.db[accounts_store.CREDENTIALS].insert_one(accounts_store.new_credential(
            viewer["_id"], viewer["email"], accounts.hash_password(PASSWORD), now))

        # The events and notifications services' read models of the members, as their
        # handlers keep them from the members service's events.
        verified = list(members.db.members.find({"status": "verified"}))
        for start in range(0, len(verified), 1000):
            docs = []
            for m in verified[start:start + 1000]:
                doc = {"_id": m["_id"], **{k: m[k] for k in memberview.KEPT if k in m}, "status": "verified"}
                docs.append({**doc, **memberfilter.searchable_fields(doc)})
            events.db.members.insert_many(docs)
        notifications_store.upsert_contact(notifications.db, None, viewer["_id"], {
            **{k: viewer[k] for k in memberview.KEPT if k in viewer}, "email": viewer["email"],
            "phone": viewer.get("phone"), "language": viewer["preferred_language"], "consent": viewer["consent"],
            "status": "verified"}, now)

        # Published events over the coming months; the member registers for the first, with others.
        self.event_ids = []
        for k in range(a.events):
            starts = now + timedelta(days=7 + 5 * k, hours=k % 5)
            event = events_store.create(events, {
                "title": {"bg": f"Среща на випуск {1990 + k}", "en": f"Class of {1990 + k} reunion"},
                "description": {"bg": "Вечеря и разговори в Аулата.", "en": "Dinner and talks in the Aula."},
                "kind": "reunion", "timezone": "Europe/Sofia", "starts_at": starts,
                "ends_at": starts + timedelta(hours=4),
                "place": {"name": "Аула на МУ-Пловдив", "address": "бул. „Васил Априлов“ 15А", "city": "Пловдив"},
                "capacity": 500, "reminders": [1440, 60]}, "a" * 32, now)
            events_store.publish(events, event["_id"], now)
            self.event_ids.append(event["_id"])
        others = [m["_id"] for m in verified if m["_id"] != viewer["_id"]][:a.registrations - 1]
        for member_id in [viewer["_id"], *others]:
            registrations_store.register(events, self.event_ids[0], member_id, 0, now)
        say(f"seeded {self.population.members:,} members ({len(verified):,} verified), {a.events} published "
            f"events, {len(others) + 1} registrations for the first in {time.perf_counter() - t:.1f}s")
        for store in (members, events, notifications):
            store.client.close()

    # ---------------------------------------------------------------- processes
    def start_apps(self) -> None:
        env, _ = deploy_env(self.tmp, self.url, self.prefix)
        self.env = env
        metrics = self.tmp / "prometheus"
        self.api_apps = {name: Gunicorn(f"{name}-api", target, {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics / name)},
                                        self.tmp) for name, target in APIS.items()}
        self.portal_app = Gunicorn("portal", PORTAL_APP, {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics / "portal")},
                                   self.tmp)
        self.bare_app = Gunicorn("bare-page", BARE_APP, {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics / "bare")},
                                 self.tmp)
        apps = [*self.api_apps.values(), self.portal_app, self.bare_app]
        self.apps += apps  # before they start, so that the cleanup stops them whatever happens
        self.gateway = BenchGateway(self.tmp / "nginx",
                                    {n: f"127.0.0.1:{app.port}" for n, app in self.api_apps.items()},
                                    f"127.0.0.1:{self.portal_app.port}", f"127.0.0.1:{self.bare_app.port}")
        self.gateway.workdir.mkdir()
        self.gateway.start()
        self.portal_app.env.update(PORTAL_API_URL=f"http://127.0.0.1:{self.gateway.port}",
                                   PORTAL_SESSION_KEY=Fernet.generate_key().decode(), DEV_MODE="false",
                                   PORTAL_TRUSTED_PROXIES="1")
        say(f"starting gunicorn: {', '.join(APIS)} apis, the portal, the bare page; nginx on :{self.gateway.port} ...")
        for app in apps:
            app.start()
        for app in self.api_apps.values():
            app.wait_ready("/readyz")
        self.portal_app.wait_ready("/healthz")
        self.bare_app.wait_ready("/page")
        say(f"   logs in {self.tmp}")

    def cleanup(self) -> None:
        super().cleanup()
        if self.gateway is not None:
            self.gateway.stop()
        if not self.args.keep_logs:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---------------------------------------------------------------- signing in
    def sign_in(self) -> None:
        port = self.gateway.port
        status, msg, body = request(port, "GET", "/login")
        found = re.search(rb'name="csrf_token" value="([^"]+)"', body)
        if status != 200 or not found:
            raise SystemExit(f"bench/portal.py: GET /login answered {status} without a CSRF token: {body[:300]!r}")
        set_cookies(self.cookies, msg)
        form = urlencode({"email": self.viewer["email"], "password": PASSWORD,
                          "csrf_token": found.group(1).decode()}).encode()
        status, msg, body = request(port, "POST", "/login", {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(self.cookies)}, form)
        if status not in (302, 303):
            raise SystemExit(f"bench/portal.py: signing in through /login answered {status}: {body[:500]!r}")
        set_cookies(self.cookies, msg)
        status, _, body = request(port, "POST", "/api/v1/members/auth/login", {"Content-Type": "application/json"},
                                  json.dumps({"email": self.viewer["email"], "password": PASSWORD}).encode())
        if status != 200:
            raise SystemExit(f"bench/portal.py: POST /api/v1/members/auth/login answered {status}: {body[:300]!r}")
        self.bearer = f"Bearer {json.loads(body)['access_token']}"
        say(f"signed in as {self.viewer['given_name']} {self.viewer['family_name']} ({self.viewer['email']}): "
            f"portal session cookie and a bearer token")

    def page_headers(self) -> dict:
        # As a browser asks: compressed (nginx gzips HTML and JSON).
        return {"Cookie": cookie_header(self.cookies), "Accept-Encoding": ACCEPT_ENCODING}

    def api_headers(self) -> dict:
        # As the portal sends them (requests' default encodings; the page's language, the
        # member's, set at login).
        return {"Authorization": self.bearer, "Accept-Language": self.viewer["preferred_language"],
                "Accept-Encoding": ACCEPT_ENCODING}

    # ---------------------------------------------------------------- what a page calls
    def probe(self, page: Page, times: int = 4) -> None:
        """Request the page ``times`` times, each with a unique request id, and read the API
        calls it made from the gateway's access log. The last request's calls are the page's
        (a page may call something only until a worker has cached it); a note says if the
        earlier ones differed."""
        seen = [self.probe_once(page) for _ in range(times)]
        page.calls = seen[-1]
        if any(calls != page.calls for calls in seen):
            self.notes.append(f"{page.shown}: the API calls differed between {times} requests "
                              f"({', '.join(str(len(c)) for c in seen)} calls); the last request's are replayed")
        shown = "; ".join(f"{m} {u} -> {s}" for m, u, s in page.calls) or "none"
        say(f"   {page.shown}: {page.status}, {page.size:,} bytes; API calls: {shown}")

    def probe_once(self, page: Page) -> list[tuple[str, str, int]]:
        request_id = f"bench-portal-{uuid.uuid4().hex}"
        # Uncompressed, so that the size printed (and given to the bare page) is the HTML's.
        headers = {**self.page_headers(), "X-Request-ID": request_id, "Accept-Encoding": "identity"}
        status, msg, body = request(self.gateway.port, "GET", page.path, headers)
        page.status, page.size = status, len(body)
        if status in (302, 303) and "/login" in (msg.get("Location") or ""):
            raise SystemExit(f"bench/portal.py: {page.path} sent the signed-in member to the login page")
        deadline = time.monotonic() + 10
        while True:
            lines = self.gateway.log_lines(request_id)
            if any(not line["uri"].startswith("/api/") for line in lines):
                break  # the page's own line is written after its API calls'
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway's access log has no line for {page.path} ({request_id})")
            time.sleep(0.05)
        calls = []
        for line in lines:
            if not line["uri"].startswith("/api/"):
                continue
            if line["uri"].startswith(OCCASIONAL_CALLS):
                if f"{line['method']} {line['uri']}" not in page.skipped:
                    page.skipped.append(f"{line['method']} {line['uri']}")
            else:
                calls.append((line["method"], line["uri"], int(line["status"])))
        return calls

    # ---------------------------------------------------------------- load
    def drive(self, rows: list[tuple[str, list[tuple[str, str, int]], dict]]) -> list[LoadResult]:
        """Measure ``rows`` (name, steps, headers) in ``--rounds`` rounds, the rows taking turns
        within each round, so that a change of the machine's load between a page's row and its
        API calls' row weighs on both alike. A row's figures are over all its rounds."""
        a = self.args
        seconds = a.seconds / a.rounds
        raws: dict[str, list] = {name: [] for name, _, _ in rows}
        cpus: dict[str, list[dict]] = {name: [] for name, _, _ in rows}
        # The rows only read: once idle before the first round, the store stays so between rounds.
        waited = self.wait_store_quiet()
        if waited > 1.5:
            self.notes.append(f"{rows[0][0]}: waited {waited:.0f}s before the rows for the store to become idle")
        for k in range(a.rounds):
            for name, steps, headers in rows:
                say(f"row: {name}, round {k + 1}/{a.rounds} ({a.connections} connections, {a.warmup:g}s "
                    f"warm-up + {seconds:g}s) ...")
                lead_s = 0.5
                window = CpuWindow({"portal": [self.portal_app.process.pid],
                                    "apis": [app.process.pid for app in self.api_apps.values()],
                                    "bare": [self.bare_app.process.pid], "nginx": [self.gateway.proc.pid]},
                                   time.monotonic() + lead_s + a.warmup, seconds)
                window.start()
                load = run_load(self.children, _sequence_child, (self.gateway.port, steps, headers), None,
                                self.store, a.connections, procs=max(1, min(a.client_processes, a.connections)),
                                lead_s=lead_s, warmup=a.warmup, seconds=seconds,
                                result_timeout_s=HTTP_TIMEOUT_S + 60)
                window.join(30)
                raws[name] += load.raw
                cpus[name].append({**load.cpu, **window.used})
        results = []
        for name, _, _ in rows:
            cpu = {key: None if any(c.get(key) is None for c in cpus[name]) else
                   sum(c[key] for c in cpus[name]) / len(cpus[name]) for key in cpus[name][0]}
            result = LoadResult(name, a.seconds, raws[name], cpu, a.connections)
            say(f"   {name}: {fmt_rate(result.rate)}, p50 {ms(result.pctl(50))}, p99 {ms(result.pctl(99))}, "
                f"errors {result.errors}")
            for sample in result.samples[:3]:
                say(f"     error: {sample}")
            results.append(result)
        return results

    def run_rows(self) -> None:
        a = self.args
        event = self.event_ids[0]
        self.pages = [Page("home", "/"),
                      Page("directory search", f"/directory?q={quote(a.query)}", f"/directory?q={a.query}"),
                      Page("event", f"/events/{event}")]
        say("what each page calls (four requests each, by request id in the gateway's access log):")
        for page in self.pages:
            self.probe(page)
        for page in self.pages:
            if page.status != 200:
                self.rows.append((f"GET {page.shown} ({page.label})", "n/a", "-", "-", "-", "-",
                                  f"not available: the page answers {page.status}", ""))
                self.results.append(report.Result(f"GET {page.shown} ({page.label})", "n/a", unit="req/s",
                                                  baseline=f"not available: the page answers {page.status}"))
                continue
            rows = [(page.label, [("GET", page.path, 200)], self.page_headers())]
            if page.calls:
                rows.append((f"{page.label}: its API calls", page.calls, self.api_headers()))
            rows.append((f"{page.label}: bare page of its size", [("GET", f"{BARE_PATH}?bytes={page.size}", 200)],
                         {"Accept-Encoding": ACCEPT_ENCODING}))
            page.result, *rest, page.bare_result = self.drive(rows)
            page.calls_result = rest[0] if rest else None
            self.add_page(page)
        self.check_still_signed_in()

    def check_still_signed_in(self) -> None:
        """After the rows the session must still be the member's (a page that signed the
        member out during the run would have measured the login page): a signed-in member
        asking for the login page is sent on."""
        status, _, _ = request(self.gateway.port, "GET", "/login", self.page_headers())
        if status not in (302, 303):
            self.verdicts.append(f"the portal session was signed out by the end of the run (GET /login: {status}): "
                                 "the rows are suspect")

    def add(self, name: str, r: LoadResult, target: str = "", verdict: str = "", app: str = "portal", *,
            ratio: float | None = None, target_ratio: float | None = None, baseline: str = "",
            baseline_cpu: float | None = None, cpu_group: str | None = None) -> None:
        """``app``: the gunicorn that renders the row's pages (its cores go in the first cpu column);
        the same row goes into ``results`` with its ratio and target as numbers and the CPU ms
        per request of ``cpu_group`` (default ``app``), the processes that serve the row."""
        errors = str(r.errors) + (f" ({r.reconnects} reconn.)" if r.reconnects else "")
        cpu = "/".join("-" if r.cpu.get(k) is None else f"{r.cpu[k]:.2f}"
                       for k in (app, "apis", "nginx", "store", "machine"))
        self.rows.append((name, fmt_rate(r.rate), ms(r.pctl(50)), ms(r.pctl(99)), errors, cpu, target, verdict))
        self.results.append(report.Result(
            name.strip(), fmt_rate(r.rate), ratio=ratio, target=target_ratio, verdict=verdict.strip("-"),
            baseline=baseline, unit="req/s", cpu_ms_per_op=cpu_ms(r, cpu_group or app), baseline_cpu_ms_per_op=baseline_cpu))
        for s in r.samples[:3]:
            self.notes.append(f"{r.name}: error {s}")

    def add_page(self, page: Page) -> None:
        r, calls, bare = page.result, page.calls_result, page.bare_result
        of_bare = f"{r.rate / bare.rate:.2f} x bare page" if bare.rate else ""
        name = f"GET {page.shown} ({page.label}), {page.size:,} B"
        bare_name = "  bare Flask page of the same size (same gunicorn config)"
        bare_cpu = cpu_ms(bare, "bare")
        if calls is None:
            self.add(name, r, f"no API calls; {of_bare}", "-", baseline=f"bare page {fmt_rate(bare.rate)}",
                     baseline_cpu=bare_cpu)
            self.add(bare_name, bare, app="bare")
            self.verdicts.append(f"{page.label}: makes no API call (the page may not be built yet); "
                                 f"{fmt_rate(r.rate)}, {of_bare}")
            return
        ratio = r.rate / calls.rate if calls.rate else 0.0
        ok = ratio >= 0.5 and not r.errors and not calls.errors
        self.add(name, r, f"{ratio:.2f} x its API calls, >= 0.50; {of_bare}", "PASS" if ok else "MISS",
                 ratio=ratio, target_ratio=0.5, baseline=f"{fmt_rate(calls.rate)} its API calls",
                 baseline_cpu=bare_cpu)
        count = len(page.calls)
        self.add(f"  its API call{f's ({count}, one after another)' if count > 1 else ''}, bearer token", calls,
                 cpu_group="apis")
        self.add(bare_name, bare, app="bare")
        self.verdicts.append(f"{page.label}: {fmt_rate(r.rate)} / its API calls {fmt_rate(calls.rate)} = "
                             f"{ratio:.2f}   target >= 0.50   {'PASS' if ok else 'MISS'}")

    def table(self) -> str:
        a = self.args
        header = ("measurement", "req/s", "p50", "p99", "errors", "cpu page/apis/nginx/store/all",
                  "ratio; target", "verdict")
        env = getattr(self, "env", {})
        lines = [
            f"Alumnet portal pages benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
            f"store:    {self.store_label}",
            f"host:     {machine()}; 1-min load average {self.load_start:.2f} before the run",
            f"gunicorn: deploy/gunicorn.conf.py, WEB_CONCURRENCY={env.get('WEB_CONCURRENCY')}, "
            f"GUNICORN_THREADS={env.get('GUNICORN_THREADS')}, gthread, LOG_LEVEL={env.get('LOG_LEVEL')}; "
            "members, events, notifications apis, the portal (DEV_MODE=false), the bare page",
            f"gateway:  nginx {self.gateway.version() if self.gateway else '?'}, "
            f"deploy/nginx/alumnet.conf.template rendered, worker_processes auto; the bench's copy adds "
            f"`location = {BARE_PATH}` (the bare page)",
            f"load gen: {a.connections} keep-alive connections from {min(a.client_processes, a.connections)} "
            f"processes (http.client) to the gateway; a row is {a.rounds} round{'s' if a.rounds > 1 else ''} of "
            f"{a.warmup:g}s warm-up + {a.seconds / a.rounds:g}s, a page's three rows taking turns; "
            "on the same machine",
        ]
        if hasattr(self, "population"):
            lines.append(f"data:     {self.population.members:,} members ({self.population.directory:,} in the "
                         f"directory), {a.events} published events, {a.registrations} registrations for the "
                         f"event shown; signed in as a verified member (portal /login form, session cookie)")
        lines += ["cpu:      cores used in the row's window: the page's gunicorn (portal or bare page) / "
                  "the three apis / nginx / store / whole machine",
                  "", *table_lines(header, self.rows), "", *self.verdicts]
        calls = [f"- {p.shown}: " + ("; ".join(f"{m} {u} -> {s}" for m, u, s in p.calls) or "none")
                 + (f" (left out, occasional: {', '.join(p.skipped)})" if p.skipped else "")
                 for p in getattr(self, "pages", []) if p.status == 200]
        if calls:
            lines += ["", "API calls each page made (the gateway's access log, by the page request's X-Request-ID):",
                      *calls]
        if self.notes:
            lines += ["", "notes:", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines)


def cpu_ms(r: LoadResult, group: str) -> float | None:
    """CPU ms per request of a process group over the row: its cores in the window / the rate."""
    share = r.cpu.get(group)
    return None if share is None or not r.rate else share * 1000.0 / r.rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--client-processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--seconds", type=float, default=9.0, help="measured seconds per row (over all rounds)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="a page's row, its API calls' row and its bare page's row take turns this many times")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds before each round of a row")
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--events", type=int, default=12, help="published events")
    parser.add_argument("--registrations", type=int, default=200, help="registrations for the event shown")
    parser.add_argument("--query", default="Петров", help="the directory search's q")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="3 s rows, 1 s warm-up, 1,000 members (a smoke run)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with the logs")
    parser.add_argument("--json", help="also write the rows as JSON to this path")
    args = parser.parse_args()
    args.mongo_url = None  # ServiceBench's option; this bench always runs its own store
    if args.quick:
        args.seconds, args.warmup, args.rounds, args.members = 3.0, 1.0, 1, 1000
    bench = Bench(args)
    sigterm_interrupts()
    watchdog = start_watchdog(300 + 10 * (args.seconds + args.warmup + 1), bench.cleanup)
    try:
        bench.start_store()
        bench.seed()
        bench.start_apps()
        bench.sign_in()
        bench.run_rows()
    finally:
        bench.cleanup()
        watchdog.cancel()
    print(bench.table())
    if args.json:
        calls = [f"{p.shown}: " + ("; ".join(f"{m} {u} -> {s}" for m, u, s in p.calls) or "no API calls")
                 for p in getattr(bench, "pages", []) if p.status == 200]
        report.write(args.json, "portal", getattr(bench, "store_label", "?"), bench.results, quick=args.quick,
                     notes=[*bench.verdicts, *bench.notes, *calls])
    return 0


if __name__ == "__main__":
    sys.exit(main())
