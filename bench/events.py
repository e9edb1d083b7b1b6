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
one registration is made in-process and counted with shared.commandcount), and p99 < 100 ms at 32
connections. Each row also gives the api's CPU ms per request beside bare /ping's; ``--json PATH``
writes bench/report.py's shape. What each row means: bench/README.md, "## events".
"""
from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import shutil
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pymongo import MongoClient  # noqa: E402

from bench import report  # noqa: E402
from bench.harness import (  # noqa: E402
    Gunicorn,
    ServiceBench,
    deploy_env,
    fmt_cpu,
    fmt_rate,
    keepalive_request,
    ms,
    run_threads,
    say,
    sigterm_interrupts,
    start_api_and_ping,
    table_lines,
)
from shared.commandcount import StoreCommands  # noqa: E402

EVENTS_APP = "services.events.app:create_app()"
HTTP_TIMEOUT_S = 120.0
WRITE_COMMANDS = {"insert", "update", "delete", "findAndModify"}
READ_COMMANDS = {"find", "aggregate", "count", "distinct"}


# Installed before any client is made: it counts one in-process registration (``count_writes``).
COUNTER = StoreCommands.install()


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
            # Sent again on a new connection after a recycled worker closed the old one
            # (registering again is answered 200 with the registration).
            conn, status, payload, retried = keepalive_request(conn, port, method, path, body, headers,
                                                               HTTP_TIMEOUT_S)
            reconnects += retried
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

    run_threads(run, first, threads)
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

    run_threads(run, first, threads)
    client.close()
    out.put(result)


class LoadResult:
    """One row's load: its answers, latencies, rate and the cores its processes used."""

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
        # The api's CPU per answered request (None for rows without an app: the store's raw rates).
        self.cpu_ms_per_op = None if cpu.get("app") is None or not self.rate else cpu["app"] * 1000.0 / self.rate

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

class Bench(ServiceBench):
    tmp_prefix = "bench-events-"
    store_detail = "pure-Python server, "

    def __init__(self, args):
        super().__init__(args)
        self.results: list[report.Result] = []  # the rows as --json writes them
        self.ping_cpu_ms: float | None = None
        self.commands = 0

    def make_env(self) -> dict[str, str]:
        env, self.issuer = deploy_env(self.tmp, self.url, self.prefix)
        return env

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
        """One registration made in-process on a warm app (another member registered first: the
        api's once-a-second read of revocations is not the request's), its store commands
        counted: the writes per registration the store bound divides by."""
        from services.events import events_store
        from services.events.app import create_app
        from shared.config import load
        prefix = f"count{uuid.uuid4().hex[:8]}_"
        app = create_app(load({**self.env, "MONGO_DB_PREFIX": prefix}))
        store = app.extensions["alumnet"].store
        now = datetime.now(timezone.utc).replace(microsecond=0)
        event = events_store.create(store, self.event_fields(now), "a" * 32, now)
        events_store.publish(store, event["_id"], now)
        warm, member = uuid.uuid4().hex, uuid.uuid4().hex
        store.db.members.insert_many([{"_id": m, "status": "verified"} for m in (warm, member)])

        def register(who: str):
            return app.test_client().post(f"/api/v1/events/{event['_id']}/registrations", json={"guests": 0},
                                          headers={"Authorization": f"Bearer {self.issuer.issue(who, ['alumnus'])}"})
        register(warm)
        with COUNTER.counting(store.db.name) as seen:
            response = register(member)
        if response.status_code != 201:
            raise SystemExit(f"bench/events.py: a registration answered {response.status_code}: "
                             f"{response.get_data(as_text=True)[:500]}")
        commands = seen.by_collection
        self.commands = seen.total
        self.writes = sum(n for (c, _), n in commands.items() if c in WRITE_COMMANDS)
        self.reads = sum(n for (c, _), n in commands.items() if c in READ_COMMANDS)
        self.write_detail = ", ".join(f"{c} {coll}" + (f" x{n}" if n > 1 else "")
                                      for (c, coll), n in sorted(commands.items()) if c in WRITE_COMMANDS)
        self.read_detail = ", ".join(f"{c} {coll}" + (f" x{n}" if n > 1 else "")
                                     for (c, coll), n in sorted(commands.items()) if c in READ_COMMANDS)
        self.client.drop_database(store.db.name)
        say(f"one registration: {self.writes} writes ({self.write_detail}); {self.reads} reads ({self.read_detail}); "
            f"{seen.total} store commands in all ({seen})")

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
        self.events_app, self.ping_app = start_api_and_ping("events", EVENTS_APP, self.env, self.tmp, self.apps)

    def drop_databases(self) -> None:
        for name in self.client.list_database_names():
            if name.startswith(self.prefix):
                self.client.drop_database(name)

    def cleanup(self) -> None:
        super().cleanup()
        if not self.args.keep_logs:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---------------------------------------------------------------- load
    def drive(self, name: str, child, child_args: tuple, app: Gunicorn | None, plan_len: int,
              connections: int | None = None) -> LoadResult:
        a = self.args
        conns = connections or a.connections
        waited = self.wait_store_quiet()
        if waited > 1.5:
            self.notes.append(f"{name}: waited {waited:.0f}s before the row for the store to become idle")
        say(f"row: {name} ({conns} connections, {a.warmup:g}s warm-up + {a.seconds:g}s) ...")
        load = self.load(child, child_args, app, conns, lead_s=0.5, result_timeout_s=HTTP_TIMEOUT_S + 60)
        result = LoadResult(name, a.seconds, load.raw, load.cpu, conns)
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
        self.ping_cpu_ms = ping.cpu_ms_per_op
        bound_text = f"{fmt_rate(bound)} ({lower})"
        self.add(f"POST /api/v1/events/{{id}}/registrations ({a.events} events, a new member each)", reg,
                 f"{ratio:.2f} x lower bound; >= 0.50", "PASS" if rate_ok else "MISS",
                 ratio=ratio, target_value=0.5, baseline=bound_text)
        self.add("  same row: p99 latency", reg, f"p99 < {a.p99_target_ms:g} ms", "PASS" if p99_ok else "MISS",
                 value=ms(p99), ratio=None if p99 is None else p99 * 1000, target_value=a.p99_target_ms, unit="ms p99",
                 lower_is_better=True)
        self.add("bare Flask GET /ping (same gunicorn config)", ping)
        for r in raws:
            self.add(f"{self.store_short} raw: {self.writes}-write transactions, {r.connections} thread"
                     f"{'s' if r.connections > 1 else ''}", r,
                     f"= {fmt_rate(r.rate * self.writes)} writes" + (" (best)" if r is raw else ""), unit="tx/s")
        name = f"  lower bound: min(/ping, {fmt_rate(raw_writes)} writes / {self.writes} per registration)"
        self.rows.append((name, fmt_rate(bound), "", "", "", "", "", lower, ""))
        self.results.append(report.Result(name.strip(), fmt_rate(bound), baseline=lower, unit="req/s"))
        self.add(f"  info: raw transactions of a registration's {self.writes} writes + {self.reads} reads, "
                 f"{threads} threads (the api's concurrency)", whole,
                 f"registrations = {reg.rate / whole.rate:.2f} x this" if whole.rate else "", unit="tx/s")
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
                     spread, f"{spread.rate / bound:.2f} x lower bound (not judged)" if bound else "",
                     baseline=bound_text)
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

    def add(self, name: str, r: LoadResult, target: str = "", verdict: str = "", *, value: str | None = None,
            ratio: float | None = None, target_value: float | None = None, unit: str = "req/s",
            baseline: str = "", lower_is_better: bool = False) -> None:
        """A row of the table and its ``report.Result`` (``target_value``: the number the
        ratio is judged against; rows without one only inform)."""
        errors = str(r.errors) + (f" ({r.reconnects} reconn.)" if r.reconnects else "")
        cpu_ms = "-" if r.cpu_ms_per_op is None else f"{r.cpu_ms_per_op:.2f}"
        self.rows.append((name, fmt_rate(r.rate), ms(r.pctl(50)), ms(r.pctl(99)), errors,
                          fmt_cpu(r.cpu, ("app", "store", "machine")), cpu_ms, target, verdict))
        self.results.append(report.Result(
            name.strip(), value or fmt_rate(r.rate), ratio=ratio, target=target_value,
            # The table's verdict: it also fails a row that answered errors.
            verdict=verdict if target_value is not None else "", baseline=baseline, unit=unit,
            lower_is_better=lower_is_better, cpu_ms_per_op=r.cpu_ms_per_op,
            baseline_cpu_ms_per_op=self.ping_cpu_ms if r.cpu_ms_per_op is not None else None))
        for s in r.samples[:3]:
            self.notes.append(f"{r.name}: error {s}")

    def table(self) -> str:
        header = ("measurement", "rate", "p50", "p99", "errors", "cpu app/store/all", "cpu ms/op", "ratio; target",
                  "verdict")
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
            f"({self.read_detail}); {self.commands} store commands with the commit; one transaction",
            "cpu ms/op: the api's processes' CPU (user + system) over the row / requests answered; bare /ping's "
            "in the same run: " + ("-" if self.ping_cpu_ms is None else f"{self.ping_cpu_ms:.2f} ms"),
            "", *table_lines(header, self.rows),
            "", *self.verdicts,
        ]
        if self.notes:
            lines += ["", "notes:", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines)


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

    sigterm_interrupts()
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
        report.write(args.json, "events", bench.store_label, bench.results, quick=args.quick,
                     notes=[*bench.verdicts, *bench.notes])
    return 0


if __name__ == "__main__":
    sys.exit(main())
