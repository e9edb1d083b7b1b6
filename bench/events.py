#!/usr/bin/env python
"""Benchmark of event registration under gunicorn: ``POST /api/v1/events/<id>/registrations``,
each request a different verified member, beside a bare Flask ``/ping`` on the same gunicorn
config and the store's raw write rate, all measured in the same run.

    .venv/bin/python bench/events.py [--connections C] [--seconds S] [--events E] [--quick]
    .venv/bin/python bench/events.py --mongo-url mongodb://host:27017/?replicaSet=rs0

It starts its own throwaway SecantusDB (``LocalStore(":memory:")``) unless ``--mongo-url`` is
given (then it uses, and at the end drops, databases ``bench<random>_…`` there), seeds verified
members into the events service's read model and E published events with room for everyone,
runs the events api (``services.events.app:create_app()``) and ``bench/bare_ping.py`` under
gunicorn with ``deploy/gunicorn.conf.py`` and the deployment's environment (WEB_CONCURRENCY=2,
GUNICORN_THREADS=4), drives them with C keep-alive connections, and prints one table.

The target: registrations/s >= 0.5 x the lower bound, the lower of bare ``/ping`` req/s and
the store's raw writes/s divided by the writes one registration makes (counted, not assumed:
one registration is made in-process with a pymongo command listener), and p99 < 100 ms at 32
connections. What each row means: bench/README.md, "## events".
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from pymongo import MongoClient, monitoring  # noqa: E402

from alumnet.localstore import LocalStore, die_with_parent, free_port  # noqa: E402
from shared.auth import TokenIssuer, generate_keypair  # noqa: E402

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
EVENTS_APP = "services.events.app:create_app()"
PING_APP = "bench.bare_ping:app"
DEPLOY_ENV = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", "LOG_LEVEL": "INFO"}
HTTP_TIMEOUT_S = 120.0
WRITE_COMMANDS = {"insert", "update", "delete", "findAndModify"}
READ_COMMANDS = {"find", "aggregate", "count", "distinct"}
RETRYABLE = (http.client.RemoteDisconnected, http.client.CannotSendRequest, http.client.BadStatusLine,
             ConnectionResetError, BrokenPipeError, ConnectionRefusedError)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class CommandCounter(monitoring.CommandListener):
    """Counts the commands sent to one database while ``on`` (registered before any client)."""

    def __init__(self):
        self.database: str | None = None
        self.on = False
        self.commands: Counter = Counter()

    def started(self, event) -> None:
        if self.on and event.database_name == self.database:
            collection = event.command.get(event.command_name)
            self.commands[(event.command_name, collection if isinstance(collection, str) else "")] += 1

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


COUNTER = CommandCounter()
monitoring.register(COUNTER)


# ------------------------------------------------------------------------------------------
# Processes
# ------------------------------------------------------------------------------------------

class Gunicorn:
    """One app under gunicorn with deploy/gunicorn.conf.py, as ``alumnet api`` runs it."""

    def __init__(self, name: str, target: str, env: dict[str, str], log_dir: Path):
        self.name, self.target = name, target
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port)}
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        argv = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), self.target]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, preexec_fn=die_with_parent)
        return self

    def wait_ready(self, path: str, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path)
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout_s:.0f}s; log: {self.log_path}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def group_cpu_s(pgid: int | None) -> float | None:
    """CPU seconds of a process group's live members plus the children they reaped."""
    if pgid is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    return total / tick


def machine_busy() -> tuple[int, int]:
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


# ------------------------------------------------------------------------------------------
# Load: P processes x T threads, one keep-alive connection per thread
# ------------------------------------------------------------------------------------------

def _http_child(port: int, plan: list[list[tuple[str, str, str]]], first: int, threads: int,
                t_measure: float, t_end: float, out) -> None:
    """``plan[thread]``: that thread's requests in order, (method, path, authorization); a
    thread that runs out of requests stops (reported as ``exhausted``)."""
    lock = threading.Lock()
    result = {"latencies": [], "statuses": Counter(), "samples": [], "reconnects": 0, "done": 0, "exhausted": 0}

    def run(tid: int) -> None:
        conn: http.client.HTTPConnection | None = None
        lat: list[float] = []
        statuses: Counter = Counter()
        samples: list[str] = []
        reconnects = done = 0
        exhausted = 0
        requests = plan[tid]
        i = 0
        while True:
            t0 = time.monotonic()
            if t0 >= t_end:
                break
            if i >= len(requests):
                exhausted = 1
                break
            method, path, auth = requests[i]
            i += 1
            body = b'{"guests": 0}' if method == "POST" else None
            headers = {"Content-Type": "application/json"} if body else {}
            if auth:
                headers["Authorization"] = auth
            status, payload = None, b""
            for attempt in (0, 1):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    status = response.status
                    if response.will_close:
                        conn.close()
                        conn = None
                    break
                except RETRYABLE as exc:
                    # A recycled gunicorn worker closes its keep-alive connections: send again
                    # on a new one (registering again is answered 200 with the registration).
                    if conn is not None:
                        conn.close()
                    conn = None
                    reconnects += 1
                    if attempt:
                        status = type(exc).__name__
                except OSError as exc:
                    if conn is not None:
                        conn.close()
                    conn = None
                    status = type(exc).__name__
                    break
            t1 = time.monotonic()
            if t0 < t_measure:
                continue
            statuses[status] += 1
            if isinstance(status, int) and 200 <= status < 300:
                lat.append(t1 - t0)
                done += t1 <= t_end
            elif len(samples) < 3:
                samples.append(f"{status} {method} {path}: {payload[:300]!r}")
        if conn is not None:
            conn.close()
        with lock:
            result["latencies"].extend(lat)
            result["statuses"].update(statuses)
            result["samples"].extend(samples)
            result["reconnects"] += reconnects
            result["done"] += done
            result["exhausted"] += exhausted

    workers = [threading.Thread(target=run, args=(first + k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(result)


def _store_child(url: str, db_name: str, writes: int, reads: int, first: int, threads: int, t_measure: float,
                 t_end: float, out) -> None:
    """Transactions of ``writes`` single-document writes shaped like a registration's, on the
    events service's collections with its indexes (created by the parent): the upsert of a
    new ``registrations`` document, a ``$inc`` of ``seats_taken`` on the thread's own
    ``events`` document (findAndModify), an ``outbox`` insert; first ``reads`` finds by
    ``_id`` (the event, the registration, the member, in turn). No contention."""
    import secrets

    from bson import Int64
    from pymongo.read_concern import ReadConcern
    from pymongo.write_concern import WriteConcern

    client = MongoClient(url, tz_aware=True, w="majority", maxPoolSize=threads + 2)
    db = client[db_name]
    lock = threading.Lock()
    result = {"latencies": [], "statuses": Counter(), "samples": [], "reconnects": 0, "done": 0, "exhausted": 0}

    def run(tid: int) -> None:
        event_id = f"{uuid.uuid4().hex}"
        now = datetime.now(timezone.utc).replace(microsecond=0)
        db.events.insert_one({"_id": event_id, "status": "published", "starts_at": now + timedelta(days=30),
                              "seats_taken": 0, "waitlist_length": 0, "waitlist_seq": 0})
        lat: list[float] = []
        statuses: Counter = Counter()
        done = 0

        def work(session) -> None:
            member = uuid.uuid4().hex
            rid = f"{event_id}:{member}"
            for k in range(reads):
                collection, key = ((db.events, event_id), (db.registrations, rid), (db.members, member))[k % 3]
                collection.find_one({"_id": key}, session=session)
            for k in range(writes):
                shape = k % 3
                if shape == 0:
                    db.registrations.replace_one({"_id": rid}, {
                        "_id": rid, "event_id": event_id, "member_id": member, "guests": 0, "party": 1,
                        "status": "confirmed", "position": None, "ticket_code": secrets.token_urlsafe(16),
                        "registered_at": now, "confirmed_at": now, "promoted_at": None, "cancelled_at": None,
                        "cancel_reason": None, "checked_in_at": None, "checked_in_by": None, "anonymised_at": None},
                        upsert=True, session=session)
                    rid = f"{rid}+"
                elif shape == 1:
                    db.events.find_one_and_update({"_id": event_id}, {"$inc": {"seats_taken": 1}}, session=session)
                else:
                    db.outbox.insert_one({"_id": str(uuid.uuid4()), "order": Int64(time.time_ns() // 1000),
                                          "type": "events.registration.confirmed", "subject": rid, "body": "x" * 900,
                                          "status": "new", "attempts": 0, "created_at": now}, session=session)

        while True:
            t0 = time.monotonic()
            if t0 >= t_end:
                break
            try:
                with client.start_session() as session:
                    session.with_transaction(work, read_concern=ReadConcern("snapshot"),
                                             write_concern=WriteConcern("majority"))
                ok = True
            except Exception as exc:
                ok = False
                statuses[type(exc).__name__] += 1
            t1 = time.monotonic()
            if t0 >= t_measure and ok:
                lat.append(t1 - t0)
                done += t1 <= t_end
                statuses[200] += 1
        with lock:
            result["latencies"].extend(lat)
            result["statuses"].update(statuses)
            result["done"] += done

    workers = [threading.Thread(target=run, args=(first + k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    client.close()
    out.put(result)


class Result:
    def __init__(self, name: str, seconds: float, raw: list[dict], cpu: dict, connections: int):
        self.name, self.connections = name, connections
        self.latencies = sorted(x for r in raw for x in r["latencies"])
        self.statuses: Counter = Counter()
        for r in raw:
            self.statuses.update(r["statuses"])
        self.samples = [s for r in raw for s in r["samples"]]
        self.reconnects = sum(r["reconnects"] for r in raw)
        self.exhausted = sum(r["exhausted"] for r in raw)
        self.rate = sum(r["done"] for r in raw) / seconds
        self.cpu = cpu

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if not (isinstance(s, int) and 200 <= s < 300))

    def pctl(self, p: float) -> float | None:
        if not self.latencies:
            return None
        return self.latencies[min(len(self.latencies) - 1, int(len(self.latencies) * p / 100))]


# ------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-events-"))
        self.prefix = f"bench{uuid.uuid4().hex[:8]}_"
        self.store: LocalStore | None = None
        self.client: MongoClient | None = None
        self.apps: list[Gunicorn] = []
        self.children: list = []
        self.rows: list[tuple[str, ...]] = []
        self.notes: list[str] = []
        self.verdicts: list[str] = []
        self.load_start = os.getloadavg()[0]

    # ---------------------------------------------------------------- set-up
    def start_store(self) -> None:
        if self.args.mongo_url:
            self.url, where = self.args.mongo_url, "external"
        else:
            say("starting SecantusDB (in memory) ...")
            self.store = LocalStore(":memory:", log_path=str(self.tmp / "store.log")).start()
            self.url, where = self.store.url, "in memory"
        self.client = MongoClient(self.url, tz_aware=True)
        info = self.client.admin.command("buildInfo")
        if info.get("secantusVersion"):
            self.store_short = f"SecantusDB {info['secantusVersion']}"
            self.store_label = (f"{self.store_short} ({where}; pure-Python server, wire-compatible with MongoDB "
                                f"{info.get('version')})")
        else:
            self.store_short = f"MongoDB {info.get('version', '?')}"
            self.store_label = f"{self.store_short} ({where})"
        say(f"store: {self.store_label}")

    def make_env(self) -> dict[str, str]:
        private, public = generate_keypair(self.tmp / "keys")
        self.issuer = TokenIssuer.from_file(str(private), "alumnet", "alumnet", 3600)
        return {
            **os.environ,
            **{k: os.environ.get(k, v) for k, v in DEPLOY_ENV.items()},
            "MONGO_URL": self.url,
            "MONGO_DB_PREFIX": self.prefix,
            "AMQP_URL": "memory://",
            "JWT_PUBLIC_KEY_FILE": str(public),
            "JWT_PRIVATE_KEY_FILE": str(private),
            "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "EMAIL_BACKEND": "file",
            "SMS_BACKEND": "file",
            "DEV_OUTBOX_DIR": str(self.tmp / "outbox"),
            "PYTHONPATH": str(ROOT),
        }

    def require_route(self) -> None:
        """Fail clearly while the registration endpoint does not exist yet."""
        from services.events.app import create_app
        from shared.config import load
        app = create_app(load({**self.env, "MONGO_DB_PREFIX": f"probe{uuid.uuid4().hex[:8]}_"}))
        rules = {(r.rule, m) for r in app.url_map.iter_rules() for m in r.methods}
        if ("/api/v1/events/<event_id>/registrations", "POST") not in rules:
            raise SystemExit("bench/events.py: the events api has no POST /api/v1/events/<event_id>/registrations "
                             "yet (services/events/registrations_api.py); nothing to measure")
        self.client.drop_database(app.extensions["alumnet"].store.db.name)

    def count_writes(self) -> None:
        """One registration made in-process, its store commands counted: the writes per
        registration the store bound divides by."""
        from services.events import events_store
        from services.events.app import create_app
        from shared.config import load
        prefix = f"count{uuid.uuid4().hex[:8]}_"
        app = create_app(load({**self.env, "MONGO_DB_PREFIX": prefix}))
        store = app.extensions["alumnet"].store
        now = datetime.now(timezone.utc).replace(microsecond=0)
        event = events_store.create(store, self.event_fields(now), "a" * 32, now)
        events_store.publish(store, event["_id"], now)
        member = uuid.uuid4().hex
        store.db.members.insert_one({"_id": member, "status": "verified"})
        token = self.issuer.issue(member, ["alumnus"])
        COUNTER.database, COUNTER.commands = store.db.name, Counter()
        COUNTER.on = True
        response = app.test_client().post(f"/api/v1/events/{event['_id']}/registrations", json={"guests": 0},
                                          headers={"Authorization": f"Bearer {token}"})
        COUNTER.on = False
        if response.status_code != 201:
            raise SystemExit(f"bench/events.py: a registration answered {response.status_code}: "
                             f"{response.get_data(as_text=True)[:500]}")
        commands = COUNTER.commands
        self.writes = sum(n for (c, _), n in commands.items() if c in WRITE_COMMANDS)
        self.reads = sum(n for (c, _), n in commands.items() if c in READ_COMMANDS)
        self.write_detail = ", ".join(f"{c} {coll}" + (f" x{n}" if n > 1 else "")
                                      for (c, coll), n in sorted(commands.items()) if c in WRITE_COMMANDS)
        self.read_detail = ", ".join(f"{c} {coll}" + (f" x{n}" if n > 1 else "")
                                     for (c, coll), n in sorted(commands.items()) if c in READ_COMMANDS)
        self.client.drop_database(store.db.name)
        say(f"one registration: {self.writes} writes ({self.write_detail}); {self.reads} reads ({self.read_detail})")

    @staticmethod
    def event_fields(now: datetime) -> dict:
        starts = now + timedelta(days=30)
        return {"title": {"bg": "Среща на випуск 2006", "en": "Class of 2006 reunion"},
                "description": {"bg": "", "en": ""}, "kind": "reunion", "timezone": "Europe/Sofia",
                "starts_at": starts, "ends_at": starts + timedelta(hours=4),
                "place": {"name": "Аула на МУ-Пловдив", "address": None, "city": "Пловдив"},
                "capacity": 100_000, "reminders": [1440, 60]}

    def seed(self) -> None:
        from services.events import events_store
        from services.events.store import EventsStore
        a = self.args
        self.db_name = f"{self.prefix}events"
        store = EventsStore(self.url, self.db_name)
        store.create_indexes()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        t = time.perf_counter()
        self.event_ids, self.spread_ids = [], []
        for ids, count in ((self.event_ids, a.events), (self.spread_ids, a.spread_events)):
            for _ in range(count):
                event = events_store.create(store, self.event_fields(now), "a" * 32, now)
                events_store.publish(store, event["_id"], now)
                ids.append(event["_id"])
        rng = random.Random(a.seed)
        everyone = [f"{rng.getrandbits(128):032x}" for _ in range(a.members * (2 if a.spread_events else 1))]
        self.member_ids, self.spread_members = everyone[:a.members], everyone[a.members:]
        for start in range(0, len(everyone), 1000):
            store.db.members.insert_many([{"_id": m, "status": "verified", "graduation_year": 2006,
                                           "faculty": "medicine"} for m in everyone[start:start + 1000]])
        say(f"seeded {a.events + a.spread_events} published events (capacity 100,000 each) and "
            f"{len(everyone):,} verified members in {time.perf_counter() - t:.1f}s")

    def start_apps(self) -> None:
        say("starting gunicorn: events api and bare Flask /ping ...")
        metrics = self.tmp / "prometheus"
        self.events_app = Gunicorn("events-api", EVENTS_APP, {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(
            metrics / "events")}, self.tmp)
        self.ping_app = Gunicorn("bare-ping", PING_APP, {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(
            metrics / "ping")}, self.tmp)
        self.apps = [self.events_app, self.ping_app]
        for app in self.apps:
            app.start()
        self.events_app.wait_ready("/readyz")
        self.ping_app.wait_ready("/ping")
        say(f"   events api on :{self.events_app.port}, /ping on :{self.ping_app.port}; logs in {self.tmp}")

    def cleanup(self) -> None:
        for child in self.children:
            if child.is_alive():
                child.kill()
                child.join(5)
        for app in self.apps:
            try:
                app.stop()
            except Exception as exc:
                say(f"warning: stopping {app.name}: {exc}")
        if self.client is not None:
            if self.args.mongo_url:
                for name in self.client.list_database_names():
                    if name.startswith(self.prefix):
                        self.client.drop_database(name)
            self.client.close()
        if self.store is not None:
            self.store.stop()
        if not self.args.keep_logs:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---------------------------------------------------------------- load
    def wait_store_quiet(self, timeout_s: float = 300.0) -> float:
        """Wait until the local store uses under 5% of a core: after bulk inserts SecantusDB
        keeps its threads busy for a while, which would load the next row."""
        if self.store is None:
            return 0.0
        t0 = time.monotonic()
        last = group_cpu_s(self.store.process.pid)
        while time.monotonic() - t0 < timeout_s:
            time.sleep(1.0)
            now = group_cpu_s(self.store.process.pid)
            if now - last < 0.05:
                return time.monotonic() - t0
            last = now
        raise RuntimeError(f"the store stayed busy for {timeout_s:.0f}s with no load")

    def drive(self, name: str, child, child_args: tuple, app: Gunicorn | None, plan_len: int,
              connections: int | None = None) -> Result:
        a = self.args
        conns = connections or a.connections
        waited = self.wait_store_quiet()
        if waited > 1.5:
            self.notes.append(f"{name}: waited {waited:.0f}s before the row for the store to become idle")
        procs = max(1, min(a.client_processes, conns))
        ctx = mp.get_context("fork")
        out = ctx.Queue()
        t_measure = time.monotonic() + 0.5 + a.warmup
        t_end = t_measure + a.seconds
        per = [conns // procs + (1 if k < conns % procs else 0) for k in range(procs)]
        first = 0
        self.children = []
        say(f"row: {name} ({conns} connections, {a.warmup:g}s warm-up + {a.seconds:g}s) ...")
        for k in range(procs):
            p = ctx.Process(target=child, args=(*child_args, first, per[k], t_measure, t_end, out), daemon=True)
            first += per[k]
            p.start()
            self.children.append(p)
        app_pgid = app.process.pid if app else None
        store_pgid = self.store.process.pid if self.store else None
        while time.monotonic() < t_measure:
            time.sleep(min(0.2, max(0.0, t_measure - time.monotonic())))
        c0 = (group_cpu_s(app_pgid), group_cpu_s(store_pgid), machine_busy())
        while time.monotonic() < t_end:
            time.sleep(min(0.2, max(0.0, t_end - time.monotonic())))
        c1 = (group_cpu_s(app_pgid), group_cpu_s(store_pgid), machine_busy())
        raw = [out.get(timeout=HTTP_TIMEOUT_S + 60) for _ in range(procs)]
        for p in self.children:
            p.join(30)
        self.children = []

        def share(i):
            return None if c0[i] is None else (c1[i] - c0[i]) / a.seconds
        busy = (c1[2][0] - c0[2][0]) / max(1, c1[2][1] - c0[2][1]) * (os.cpu_count() or 1)
        result = Result(name, a.seconds, raw, {"app": share(0), "store": share(1), "machine": busy}, conns)
        say(f"   {name}: {fmt_rate(result.rate)}, p50 {ms(result.pctl(50))}, p99 {ms(result.pctl(99))}, "
            f"errors {result.errors}, statuses {dict(result.statuses)}")
        for s in result.samples[:3]:
            say(f"     error: {s}")
        if result.exhausted:
            self.notes.append(f"{name}: {result.exhausted} connection(s) ran out of members before the end "
                              f"(raise --members above {plan_len:,})")
        return result

    def run_rows(self) -> None:
        from services.events.store import EventsStore
        a = self.args
        ping = self.drive("bare Flask /ping", _http_child,
                          (self.ping_app.port, [[("GET", "/ping", "")] * 1_000_000] * a.connections), self.ping_app, 0)

        # The store's best: the raw rate at the concurrency that gives the most (a pure-Python
        # server may do better with fewer transactions in flight than with 32).
        raws = []
        for n in sorted(set(a.raw_threads)):
            EventsStore(self.url, f"{self.prefix}raw{n}").create_indexes()
            raws.append(self.drive(f"store raw writes ({self.writes}-write transactions), {n} threads", _store_child,
                                   (self.url, f"{self.prefix}raw{n}", self.writes, 0), None, 0, connections=n))
        threads = int(self.env["WEB_CONCURRENCY"]) * int(self.env["GUNICORN_THREADS"])
        EventsStore(self.url, f"{self.prefix}rawrw").create_indexes()
        whole = self.drive(f"store raw {self.writes} writes + {self.reads} reads, {threads} threads", _store_child,
                           (self.url, f"{self.prefix}rawrw", self.writes, self.reads), None, 0, connections=threads)
        raw = max(raws, key=lambda r: r.rate)
        raw_writes = raw.rate * self.writes

        reg = self.drive("POST registrations", _http_child,
                         (self.events_app.port, self.plan(self.member_ids, self.event_ids)), self.events_app,
                         len(self.member_ids))

        bound_store = raw_writes / self.writes
        bound = min(ping.rate, bound_store)
        lower = "bare /ping" if ping.rate <= bound_store else f"store writes/s / {self.writes}"
        ratio = reg.rate / bound if bound else 0.0
        p99 = reg.pctl(99)
        rate_ok = ratio >= 0.5 and not reg.errors
        p99_ok = p99 is not None and p99 < a.p99_target_ms / 1000 and not reg.errors
        self.add(f"POST /api/v1/events/{{id}}/registrations ({a.events} events, a new member each)", reg,
                 f"{ratio:.2f} x lower bound; >= 0.50", "PASS" if rate_ok else "MISS")
        self.add("  same row: p99 latency", reg, f"p99 < {a.p99_target_ms:g} ms", "PASS" if p99_ok else "MISS")
        self.add("bare Flask GET /ping (same gunicorn config)", ping)
        for r in raws:
            self.add(f"{self.store_short} raw: {self.writes}-write transactions, {r.connections} thread"
                     f"{'s' if r.connections > 1 else ''}", r,
                     f"= {fmt_rate(r.rate * self.writes)} writes" + (" (best)" if r is raw else ""))
        self.rows.append((f"  lower bound: min(/ping, {fmt_rate(raw_writes)} writes / {self.writes} per registration)",
                          fmt_rate(bound), "", "", "", "", lower, ""))
        self.add(f"  info: raw transactions of a registration's {self.writes} writes + {self.reads} reads, "
                 f"{threads} threads (the api's concurrency)", whole,
                 f"registrations = {reg.rate / whole.rate:.2f} x this" if whole.rate else "")
        self.verdicts.append(
            f"registrations: {reg.rate:,.0f}/s / lower bound {bound:,.0f}/s ({lower}) = {ratio:.2f}   "
            f"target >= 0.50   {'PASS' if rate_ok else 'MISS'}")
        self.verdicts.append(f"registrations: p99 {ms(p99)} at {a.connections} connections   target < "
                             f"{a.p99_target_ms:g} ms   {'PASS' if p99_ok else 'MISS'}")
        if self.spread_ids:
            spread = self.drive(f"POST registrations, {len(self.spread_ids)} events", _http_child,
                                (self.events_app.port, self.plan(self.spread_members, self.spread_ids)),
                                self.events_app, len(self.spread_members))
            self.add(f"  info: the same over {len(self.spread_ids)} events (fewer conflicts on seats_taken)",
                     spread, f"{spread.rate / bound:.2f} x lower bound (not judged)" if bound else "")
        self.check_data()

    def plan(self, members: list[str], events: list[str]) -> list[list[tuple[str, str, str]]]:
        """Member i registers for event i % E; connection c sends members c, c + C, c + 2C, ..."""
        c_count = self.args.connections
        t = time.perf_counter()
        tokens = [f"Bearer {self.issuer.issue(m, ['alumnus'])}" for m in members]
        say(f"issued {len(tokens):,} member tokens in {time.perf_counter() - t:.1f}s")
        return [[("POST", f"/api/v1/events/{events[i % len(events)]}/registrations", tokens[i])
                 for i in range(c, len(members), c_count)] for c in range(c_count)]

    def check_data(self) -> None:
        """What the run stored must add up: one confirmed registration per member answered
        201, and each event's seats_taken equal to its confirmed registrations."""
        db = self.client[self.db_name]
        confirmed = db.registrations.count_documents({"status": "confirmed"})
        seats = sum(e["seats_taken"] for e in db.events.find({"_id": {"$in": self.event_ids + self.spread_ids}}))
        outbox = db.outbox.count_documents({"type": "events.registration.confirmed"})
        ok = confirmed == seats == outbox
        self.notes.append(f"data check: {confirmed:,} confirmed registrations, seats_taken sum {seats:,}, "
                          f"{outbox:,} events.registration.confirmed in the outbox: "
                          f"{'consistent' if ok else 'INCONSISTENT'}")
        if not ok:
            self.verdicts.append("data check: INCONSISTENT (see notes)")

    def add(self, name: str, r: Result, target: str = "", verdict: str = "") -> None:
        errors = str(r.errors) + (f" ({r.reconnects} reconn.)" if r.reconnects else "")
        self.rows.append((name, fmt_rate(r.rate), ms(r.pctl(50)), ms(r.pctl(99)), errors, fmt_cpu(r.cpu), target,
                          verdict))
        for s in r.samples[:3]:
            self.notes.append(f"{r.name}: error {s}")

    def table(self) -> str:
        header = ("measurement", "rate", "p50", "p99", "errors", "cpu app/store/all", "ratio; target", "verdict")
        rows = [header, *self.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]

        def line(r) -> str:
            return " | ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()
        a = self.args
        lines = [
            f"Alumnet events registration benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
            f"store:    {self.store_label}",
            f"host:     {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python "
            f"{platform.python_version()}; 1-min load average {self.load_start:.2f} before the run",
            f"gunicorn: deploy/gunicorn.conf.py, WEB_CONCURRENCY={self.env['WEB_CONCURRENCY']}, "
            f"GUNICORN_THREADS={self.env['GUNICORN_THREADS']}, gthread, LOG_LEVEL={self.env['LOG_LEVEL']}",
            f"load gen: {a.connections} keep-alive connections from {min(a.client_processes, a.connections)} "
            f"processes (http.client), {a.warmup:g}s warm-up + {a.seconds:g}s per row, on the same machine",
            f"one registration (counted): {self.writes} writes ({self.write_detail}); {self.reads} reads "
            f"({self.read_detail}); one transaction",
            "", line(header), "-+-".join("-" * w for w in widths), *(line(r) for r in self.rows),
            "", *self.verdicts,
        ]
        if self.notes:
            lines += ["", "notes:", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines)


def fmt_rate(rate: float) -> str:
    return f"{rate:,.0f}/s" if rate >= 10 else f"{rate:.1f}/s"


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def fmt_cpu(cpu: dict) -> str:
    def f(v):
        return "-" if v is None else f"{v:.2f}"
    return f"{f(cpu['app'])}/{f(cpu['store'])}/{f(cpu['machine'])}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mongo-url", help="use this MongoDB (a replica set) instead of a local SecantusDB")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client-processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per row")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--events", type=int, default=8, help="events the members register for")
    parser.add_argument("--spread-events", type=int, default=256,
                        help="an info row registers other members over this many events (0: no such row)")
    parser.add_argument("--members", type=int, default=12_000,
                        help="verified members (each registers once; must exceed what a row can send)")
    parser.add_argument("--raw-threads", type=int, nargs="+", default=[1, 8, 32],
                        help="the store's raw rate is measured at each of these concurrencies; the best counts")
    parser.add_argument("--p99-target-ms", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="5 s rows, 1 s warm-up, 4,000 members")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with the logs")
    parser.add_argument("--json", help="also write the rows as JSON to this path")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup, args.members = 5.0, 1.0, 4_000
    bench = Bench(args)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    try:
        bench.start_store()
        bench.env = bench.make_env()
        bench.require_route()
        bench.count_writes()
        bench.seed()
        bench.start_apps()
        bench.run_rows()
    finally:
        bench.cleanup()
    print(bench.table())
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": bench.rows, "verdicts": bench.verdicts,
                                               "notes": bench.notes, "store": bench.store_label}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
