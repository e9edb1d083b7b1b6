#!/usr/bin/env python
"""Benchmark of the awards engagement ledger: intake of activity events by the awards
consumer beside bench/bus.py's idempotent-consumer row in the same run, then standings
top-20 reads over the resulting ledger, with store commands counted per operation.

    .venv/bin/python bench/awards.py [--events N] [--readers C] [--reads R] [--quick] [--json PATH]

It starts its own throwaway SecantusDB (``LocalStore(":memory:")``), uses the real RabbitMQ at
``--amqp-url`` / ``AMQP_URL``, names its queues uniquely for the run and deletes them at the
end, and prints one table.

1. Baseline (bench/bus.py row 2): N events waiting in a throwaway inbox queue, ``Consumer``
   with a handler that inserts one document per event through ``ctx.session``.
2. Ledger intake: N activity events of every source of the rules table (2,000 members over a
   year, a cycle registered first so every row also moves buckets and standings) waiting in
   the awards inbox, drained by ``Consumer`` with the awards service's real subscriptions
   (``services.awards.handlers``). Target: >= 0.5 x row 1. Store commands are counted
   (``shared.commandcount``) in a separate probe, as the consumer handles them (inbox,
   handlers, their before-commit hooks, commit): one event alone, then a batch of 100.
3. Standings reads: C threads (one pooled client, C connections) each reading what
   ``GET /cycles/<id>/standings`` reads (``ledger.store.top`` for 20, then the names from the
   members view) over the ledger of row 2; p50/p99 per read, reads/s, and store commands per
   read (``shared.commandcount``; target: the row ``awards.standings`` of bench/budgets.toml).
   No HTTP: the route's own cost is bench/mentoring.py's kind of row.

The store-command rows are judged against bench/budgets.toml (``awards.activity_event``,
``awards.activity_batch``, ``awards.standings``). cpu ms/op: the consumers and readers run in
this process (the store is another), so a row's CPU is this process's CPU time over the row
(``time.process_time``) / its events or reads; row 2's baseline is row 1's. ``--json PATH``
writes the rows in bench/report.py's shape.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kombu import Connection  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from alumnet.localstore import LocalStore  # noqa: E402
from bench import report  # noqa: E402
from bench import bus  # noqa: E402
from bench.bus import BenchData, delete_queues, make_envelope, pika_publish, redact  # noqa: E402
from bench.harness import machine, pctl, say, sigterm_interrupts, start_watchdog, table_lines  # noqa: E402
from services.awards import handlers  # noqa: E402
from services.awards.ledger import rules  # noqa: E402
from services.awards.ledger import store as ledger_store  # noqa: E402
from services.awards.store import AwardsStore  # noqa: E402
from shared.bus.consumer import Consumer, HandlerContext, Subscription  # noqa: E402
from shared.bus.envelope import Envelope, producer_of, utc_now_rfc3339  # noqa: E402
from shared.bus.topology import ServiceQueues  # noqa: E402
from shared.commandcount import StoreCommands  # noqa: E402
from tests.support import consumer_like  # noqa: E402
from shared.store import ServiceStore  # noqa: E402

log = logging.getLogger("bench.awards")
DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672//"
YEAR = rules.year_period(datetime(2026, 6, 1, tzinfo=timezone.utc))
CYCLE = "bench-2026"


def fmt_rate(rate: float | None) -> str:
    return "n/a" if not rate else f"{rate:,.0f}/s"


def fmt_ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@dataclass
class Row(bus.Row):
    """A row of the table: bench/bus.py's columns and this process's CPU per operation."""
    cpu: str = ""


def activity(n: int, members: int, seed: int) -> list[Envelope]:
    """``n`` activity events of every source, spread over ``members`` members and the year."""
    rng = random.Random(seed)
    ids = [uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(members)]
    types = rules.event_types()
    events = []
    for i in range(n):
        member, kind = rng.choice(ids), types[i % len(types)]
        at = (YEAR[0] + timedelta(minutes=rng.randrange(365 * 24 * 60))).isoformat()
        data = {
            rules.CHECKED_IN: {"event_id": "e", "registration_id": f"r{i}", "member_id": member, "checked_in_at": at},
            rules.SURVEY_COMPLETED: {"survey_id": "s", "member_id": member, "completed_at": at},
            rules.VOLUNTEER_JOINED: {"cause_id": "c", "volunteer_id": f"v{i}", "member_id": member, "status": "joined",
                                     "at": at},
            rules.HOURS_CONFIRMED: {"cause_id": "c", "volunteer_id": f"v{i}", "member_id": member,
                                    "hours": rng.choice([1, 2.5, 4]), "on": at[:10]},
            rules.MENTORSHIP_ACCEPTED: {"mentor_id": member, "mentorship_id": f"p{i}", "accepted_at": at},
            rules.MEETING_LOGGED: {"mentor_id": member, "mentorship_id": "p", "meeting_id": f"m{i}", "logged_at": at},
            rules.MENTORSHIP_ENDED: {"mentor_id": member, "mentorship_id": f"p{i}", "reason": "ended", "meetings": 4,
                                     "ended_at": at},
            rules.ACTIVITY_LOGGED: {"activity_id": f"a{i}", "member_id": member, "logged_at": at},
            rules.CONTACT_REPLIED: {"contact_id": f"k{i}", "member_id": member, "first": True, "within_target": True,
                                    "replied_at": at},
        }[kind]
        events.append(Envelope(id=str(uuid.uuid4()), source=producer_of(kind), type=kind, time=utc_now_rfc3339(),
                               subject=member, data=data, correlationid=str(uuid.uuid4())))
    return events


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.run_id = uuid.uuid4().hex[:8]
        self.url = args.amqp_url
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.store: LocalStore | None = None
        self.queues: list[ServiceQueues] = []
        self.clients: list = []
        self.load_start = os.getloadavg()[0]
        self.commands = StoreCommands.install()  # before any client: the counter sees clients made after
        self.results: list[report.Result] = []  # one per row, for --json
        self.cpu_ms: dict[str, float | None] = {}  # this process's CPU ms per event of each drained row

    def add(self, row: Row, result: report.Result) -> None:
        self.rows.append(row)
        self.results.append(result)

    def add_commands(self, label: str, row_id: str, seen, over: int = 1) -> None:
        """A row of store commands counted, judged against ``row_id``'s budget."""
        spent, allowed = seen.total / over, report.budget_commands(row_id)
        verdict = report.verdict(spent, allowed, lower_is_better=True)
        value = f"{seen.total} ({seen})" + (f"; {spent:.2f} per event" if over > 1 else "")
        self.add(Row(label, value, "", f"{spent:g}", f"<= {allowed:g} ({row_id})" if allowed is not None else "",
                     verdict),
                 report.Result(label, value, ratio=spent, target=allowed, verdict=verdict, unit="store commands",
                               lower_is_better=True, baseline=f"bench/budgets.toml {row_id}"))

    # ---------------------------------------------------------------- set-up
    def start(self) -> None:
        say(f"run {self.run_id}: starting SecantusDB (in-memory) ...")
        self.store = LocalStore(":memory:").start()
        self.store_version = importlib.metadata.version("SecantusDB")
        letters = "".join(c for c in self.run_id if c.isalpha()) or "x"
        self.bus_service = f"benchbus{letters}"
        self.bus_type = f"{self.bus_service}.item.created"
        self.awards_service = f"benchawards{letters}"
        with Connection(self.url, connect_timeout=5) as conn:
            try:
                conn.ensure_connection(max_retries=1)
            except Exception as exc:
                raise RuntimeError(f"RabbitMQ at {redact(self.url)} is unreachable ({exc})") from None
            version = conn.connection.server_properties.get("version", "?")
            self.rabbit_version = version.decode() if isinstance(version, bytes) else version
            for queues in (ServiceQueues(self.bus_service, (self.bus_type,)),
                           ServiceQueues(self.awards_service, tuple(s.event_type for s in handlers.subscriptions()))):
                queues.declare(conn)
                self.queues.append(queues)

    def cleanup(self) -> None:
        try:
            delete_queues(self.url, [q.name for queues in self.queues for q in queues.all_queues()])
        finally:
            for client in self.clients:
                client.close()
            if self.store is not None:
                self.store.stop()
                self.store = None

    def drain(self, label: str, consumer: Consumer, n: int, done) -> float | None:
        """Run ``consumer`` until ``done()`` says the ``n`` events' effects are stored; events/s."""
        say(f"{label}: handling {n:,} waiting events ...")
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        thread = threading.Thread(target=consumer.run, name=label, daemon=True)
        thread.start()
        deadline = time.monotonic() + self.args.timeout
        finished = False
        while time.monotonic() < deadline and thread.is_alive():
            if consumer.handled >= n and done():
                finished = True
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - t0
        self.cpu_ms[label] = report.cpu_ms_per_op(time.process_time() - cpu0, n)
        consumer.stop()
        thread.join(30)
        if not finished:
            self.notes.append(f"{label}: not done after {seconds:.0f}s (handled {consumer.handled})")
            return None
        if consumer.parked or consumer.retried:
            self.notes.append(f"{label}: parked {consumer.parked}, retried {consumer.retried}")
        say(f"   {fmt_rate(n / seconds)} ({seconds:.1f}s)")
        return n / seconds

    # ---------------------------------------------------------------- 1. bus.py's consumer row
    def bench_bus_consumer(self) -> float | None:
        n = self.args.events
        store = ServiceStore(self.store.url, f"bench_{self.run_id}_bus")
        store.create_indexes()
        self.clients.append(store.client)
        effects = store.db["effects"]
        envelopes = [make_envelope(self.bus_service, self.bus_type, i) for i in range(n)]
        sent = pika_publish(self.url, [(e.id, e.type, e.to_json()) for e in envelopes], window=1000,
                            timeout_s=self.args.timeout)
        if sent["error"]:
            self.notes.append(f"publishing the baseline's events: {sent['error']}")

        def handler(event: Envelope, ctx: HandlerContext) -> None:
            effects.insert_one({"_id": event.id, "seq": event.data["seq"]}, session=ctx.session)

        consumer = Consumer(self.bus_service, self.url, store.db, store.transaction,
                            [Subscription(self.bus_type, BenchData(), handler)])
        rate = self.drain("1. bus consumer, idempotent handler", consumer, n,
                          lambda: effects.estimated_document_count() >= n)
        cpu = self.cpu_ms.get("1. bus consumer, idempotent handler") if rate else None
        label = f"1 bus consumer, idempotent handler (N={n:,}; bench/bus.py row 2)"
        self.add(Row(label, fmt_rate(rate), cpu=fmt_ms(cpu)),
                 report.Result(label, fmt_rate(rate), unit="events/s", cpu_ms_per_op=cpu))
        return rate

    # ---------------------------------------------------------------- 2. ledger intake
    def bench_intake(self, baseline: float | None) -> None:
        n = self.args.events
        self.awards = AwardsStore(self.store.url, f"bench_{self.run_id}_awards")
        self.awards.create_indexes()
        self.clients.append(self.awards.client)
        db = self.awards.db
        ledger_store.open_cycle(db, None, CYCLE, rules.CURRENT, *YEAR)
        events = activity(n, self.args.members, self.args.seed)
        self.count_intake(events[-101:])
        events = events[:-101]
        sent = pika_publish(self.url, [(e.id, e.type, e.to_json()) for e in events], window=1000,
                            timeout_s=self.args.timeout)
        if sent["error"]:
            self.notes.append(f"publishing the activity events: {sent['error']}")
        consumer = Consumer(self.awards_service, self.url, db, self.awards.transaction, handlers.subscriptions())
        rate = self.drain("2. awards ledger intake", consumer, len(events),
                          lambda: db[ledger_store.LEDGER].estimated_document_count() >= len(events) + 101)
        ratio = rate / baseline if rate and baseline else None
        verdict = "PASS" if ratio and ratio >= 0.5 else "MISS"
        cpu = self.cpu_ms.get("2. awards ledger intake") if rate else None
        base_cpu = self.cpu_ms.get("1. bus consumer, idempotent handler") if baseline else None
        label = f"2 ledger intake, awards Consumer + real subscriptions (N={n:,}, 1 cycle open)"
        self.add(Row(label, fmt_rate(rate), f"{fmt_rate(baseline)} (row 1)", f"{ratio:.2f}" if ratio else "n/a",
                     ">= 0.50", verdict, f"{fmt_ms(cpu)} (row 1: {fmt_ms(base_cpu)})" if cpu is not None else ""),
                 report.Result(label, fmt_rate(rate), ratio=None if ratio is None else round(ratio, 4), target=0.5,
                               verdict=verdict, baseline=f"row 1 {fmt_rate(baseline)}", unit="events/s",
                               cpu_ms_per_op=cpu, baseline_cpu_ms_per_op=base_cpu))
        self.add_commands("  2a store commands of one activity event handled alone (its transaction)",
                          "awards.activity_event", self.alone)
        self.add_commands("  2b store commands of a batch of 100 (one transaction, as the consumer takes them)",
                          "awards.activity_batch", self.batch, over=100)
        rows = db[ledger_store.LEDGER].estimated_document_count()
        standings = db[ledger_store.STANDINGS].count_documents({"cycle_id": CYCLE})
        label, value = "  2c ledger after the row", f"{rows:,} rows; {standings:,} standings docs"
        self.add(Row(label, value), report.Result(label, value))
        t = time.perf_counter()
        before = sorted((s["_id"], s["points"]) for s in db[ledger_store.STANDINGS].find({"cycle_id": CYCLE}))
        ledger_store.rebuild(db, CYCLE)
        seconds = time.perf_counter() - t
        after = sorted((s["_id"], s["points"]) for s in db[ledger_store.STANDINGS].find({"cycle_id": CYCLE}))
        label, same = "  2d rebuild of the cycle from the ledger", before == after
        self.add(Row(label, f"{seconds:.1f} s", "equals incremental" if same else "DIFFERS from incremental"),
                 report.Result(label, f"{seconds:.1f} s", baseline="equals incremental" if same
                               else "DIFFERS from incremental", unit="s"))

    def count_intake(self, events: list[Envelope]) -> None:
        """One activity event handled as the consumer does (inbox record, handler, the
        before-commit hooks, commit), then a batch of 100 the same way, their commands
        counted (``shared.commandcount``) on a client of their own, its view warm."""
        client = MongoClient(self.store.url, tz_aware=True, w="majority")
        self.clients.append(client)
        store = AwardsStore.__new__(AwardsStore)
        store.client, store.db = client, client[self.awards.db.name]
        handle = consumer_like(store, handlers.subscriptions(), inbox=True)  # as Consumer._store_effects
        ledger_store.VIEWS.get(store.db)  # warm: a view is read every few seconds, not per event
        with self.commands.counting(store.db.name) as alone:
            handle(events[0])
        with self.commands.counting(store.db.name) as batch:
            handle(*events[1:101])
        self.alone, self.batch = alone, batch

    # ---------------------------------------------------------------- 3. standings reads
    def bench_reads(self) -> None:
        a = self.args
        client = MongoClient(self.store.url, tz_aware=True, maxPoolSize=a.readers)
        self.clients.append(client)
        db = client[self.awards.db.name]

        def read(category: str) -> None:
            items = ledger_store.top(db, CYCLE, category, 20)
            ledger_store.member_view(db, [i["member_id"] for i in items])  # the route's names

        read(rules.OVERALL)  # warm
        with self.commands.counting(db.name) as seen:
            read(rules.MENTORING)
        latencies: list[float] = []
        lock = threading.Lock()
        categories = list(rules.STANDINGS)

        def reader(k: int) -> None:
            mine = []
            for i in range(a.reads // a.readers):
                t = time.perf_counter()
                read(categories[(k + i) % len(categories)])
                mine.append(time.perf_counter() - t)
            with lock:
                latencies.extend(mine)

        say(f"3. standings: {a.reads:,} top-20 reads from {a.readers} threads ...")
        threads = [threading.Thread(target=reader, args=(k,)) for k in range(a.readers)]
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(a.timeout)
        seconds = time.perf_counter() - t0
        cpu = report.cpu_ms_per_op(time.process_time() - cpu0, len(latencies))
        rows = self.awards.db[ledger_store.LEDGER].estimated_document_count()
        label = f"3 standings top-20 + names ({a.readers} connections, {rows:,} ledger rows): p50 / p99"
        value = f"{pctl(latencies, 50) * 1000:.1f} / {pctl(latencies, 99) * 1000:.1f} ms"
        self.add(Row(label, value, f"{fmt_rate(len(latencies) / seconds)} reads", cpu=fmt_ms(cpu)),
                 report.Result(label, value, baseline=f"{fmt_rate(len(latencies) / seconds)} reads",
                               unit="ms p50 / p99", cpu_ms_per_op=cpu))
        self.add_commands("  3a store commands per read (top, then names)", "awards.standings", seen)

    def table(self) -> str:
        header = Row("measurement", "value", "baseline", "ratio", "target", "verdict", "cpu ms/op")
        a = self.args
        lines = [
            f"Alumnet awards ledger benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
            f"store:  SecantusDB {getattr(self, 'store_version', '?')} (local, in-memory)",
            f"broker: RabbitMQ {getattr(self, 'rabbit_version', '?')} at {redact(self.url)}",
            f"host:   {machine()}; 1-min load average {self.load_start:.2f} before the run",
            f"run:    N={a.events:,} events, {a.members:,} members, {a.reads:,} reads from {a.readers} threads"
            + (" (--quick)" if a.quick else ""),
            "", *table_lines(header, self.rows),
        ]
        if self.notes:
            lines += ["", "notes:", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=None, help="N for rows 1 and 2 (100000; 2000 with --quick)")
    p.add_argument("--members", type=int, default=2000, help="members the activity credits (2000)")
    p.add_argument("--readers", type=int, default=16, help="reading threads / connections of row 3 (16)")
    p.add_argument("--reads", type=int, default=None, help="reads of row 3 (8000; 800 with --quick)")
    p.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL))
    p.add_argument("--timeout", type=float, default=3600.0, help="limit of each timed phase, seconds (3600)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--quick", action="store_true", help="a smoke run: 2,000 events, 800 reads")
    p.add_argument("--json", metavar="PATH", default=None,
                   help="also write the rows as JSON (bench/report.py's shape) to PATH")
    args = p.parse_args(argv)
    args.events = args.events or (2000 if args.quick else 100_000)
    args.reads = args.reads or (800 if args.quick else 8000)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    bench = Bench(args)
    timer = start_watchdog(args.timeout * 4 + 300, bench.cleanup)
    sigterm_interrupts()
    status = 0
    try:
        bench.start()
        baseline = bench.bench_bus_consumer()
        bench.bench_intake(baseline)
        bench.bench_reads()
    except KeyboardInterrupt:
        bench.notes.append("run interrupted")
        status = 130
    except Exception as exc:
        log.exception("benchmark failed")
        bench.notes.append(f"run aborted: {type(exc).__name__}: {exc}")
        status = 1
    finally:
        say("cleaning up (queues, store) ...")
        bench.cleanup()
        timer.cancel()
    print(bench.table())
    if args.json:
        report.write(args.json, "awards", "SecantusDB " + getattr(bench, "store_version", "?"), bench.results,
                     quick=args.quick, notes=bench.notes)
    return status  # a missed target is a finding, not a failure of the script


if __name__ == "__main__":
    sys.exit(main())
