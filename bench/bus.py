#!/usr/bin/env python
"""Benchmark of the message bus (shared/bus) against raw pika and the store's own speed.

    .venv/bin/python bench/bus.py [--events N] [--quick]

It starts its own throwaway SecantusDB (``LocalStore(":memory:")``), uses the real RabbitMQ at
``--amqp-url`` / ``AMQP_URL``, names its queues and event types uniquely for the run and deletes
its queues at the end, and prints one table. What each row means: bench/README.md.

1. Outbox relay: N events committed to the outbox, then ``OutboxRelay.run`` (as a worker runs
   it) until all N are confirmed (follow the outbox's change stream, publish with confirms +
   mandatory, record the position),
   against raw pika publishing the same N bodies to the same exchange with mandatory and a
   sliding window of 1,000 unconfirmed messages.
2. Consumer: N events waiting in the inbox queue, ``Consumer`` with a handler that inserts one
   document per event through ``ctx.session``, against (a) raw pika consuming at prefetch 100
   with one basic.ack per message and (b) the store's raw rate of one ``insert_one`` per message.
3. Latency: a producer commits one event per transaction through the outbox at a steady rate,
   the relay (``OutboxRelay.run``) and the consumer run in threads, the handler records
   ``now - commit time`` (the time stamped in ``data`` inside the producing transaction).
"""
from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import random
import string
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pika  # noqa: E402
from kombu import Connection  # noqa: E402
from marshmallow import Schema, fields  # noqa: E402

from alumnet.localstore import LocalStore  # noqa: E402
from bench import report  # noqa: E402
from bench.harness import (  # noqa: E402
    machine,
    pctl,
    say,
    sigterm_interrupts,
    start_watchdog,
    table_lines,
)
from shared.bus import outbox  # noqa: E402
from shared.bus.consumer import Consumer, HandlerContext, Subscription  # noqa: E402
from shared.bus.envelope import CONTENT_TYPE, Envelope, utc_now_rfc3339  # noqa: E402
from shared.bus.outbox import OutboxRelay  # noqa: E402
from shared.bus.publisher import AmqpPublisher  # noqa: E402
from shared.bus.topology import EXCHANGE_NAME, ServiceQueues  # noqa: E402
from shared.store import ServiceStore  # noqa: E402

log = logging.getLogger("bench.bus")
DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672//"
PAD = "x" * 160  # a realistic small payload: envelopes come to about 450 bytes


class BenchData(Schema):
    seq = fields.Integer(required=True)
    t = fields.Float(load_default=None, allow_none=True)
    pad = fields.String(load_default="")


def make_envelope(source: str, event_type: str, seq: int, t: float | None = None) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()), source=source, type=event_type, time=utc_now_rfc3339(),
        subject=f"item-{seq}", data={"seq": seq, "t": t, "pad": PAD},
        correlationid=str(uuid.uuid4()),
    )


# ------------------------------------------------------------------------------------------
# Raw pika baselines (SelectConnection: asynchronous, no per-message round trip)
# ------------------------------------------------------------------------------------------

def pika_publish(url: str, bodies: list[tuple[str, str, bytes]], *, window: int,
                 timeout_s: float) -> dict:
    """Publish (message_id, routing_key, body) items to the events exchange with confirms and
    mandatory, keeping at most ``window`` messages unconfirmed. Returns rate and counts."""
    n = len(bodies)
    st = {"sent": 0, "acked": 0, "nacked": 0, "returned": 0, "t0": None, "t1": None,
          "error": None}
    outstanding: deque[int] = deque()
    early: set[int] = set()
    holder: dict = {}

    def pump() -> None:
        ch = holder["channel"]
        while st["sent"] < n and len(outstanding) < window:
            message_id, routing_key, body = bodies[st["sent"]]
            ch.basic_publish(EXCHANGE_NAME, routing_key, body, pika.BasicProperties(
                content_type=CONTENT_TYPE, delivery_mode=2, message_id=message_id,
                type=routing_key), mandatory=True)
            st["sent"] += 1
            outstanding.append(st["sent"])  # delivery tags start at 1

    def settle(tag: int, multiple: bool, ok: bool) -> None:
        if multiple:
            while outstanding and outstanding[0] <= tag:
                outstanding.popleft()
                st["acked" if ok else "nacked"] += 1
        else:
            early.add(tag)
            st["acked" if ok else "nacked"] += 1
            while outstanding and outstanding[0] in early:
                early.discard(outstanding.popleft())
        if st["acked"] + st["nacked"] >= n:
            if st["t1"] is None:
                st["t1"] = time.perf_counter()
                holder["connection"].close()
        else:
            pump()

    def on_confirm(frame) -> None:
        method = frame.method
        settle(method.delivery_tag, method.multiple, isinstance(method, pika.spec.Basic.Ack))

    def on_return(_ch, _method, _props, _body) -> None:
        st["returned"] += 1

    def on_confirm_ok(_frame) -> None:
        st["t0"] = time.perf_counter()
        pump()

    def on_channel(ch) -> None:
        holder["channel"] = ch
        ch.add_on_return_callback(on_return)
        ch.confirm_delivery(ack_nack_callback=on_confirm, callback=on_confirm_ok)

    def on_open(conn) -> None:
        conn.channel(on_open_callback=on_channel)

    def on_open_error(_conn, exc) -> None:
        st["error"] = f"connection failed: {exc}"
        _conn.ioloop.stop()

    def on_closed(conn, reason) -> None:
        if st["t1"] is None and st["error"] is None:
            st["error"] = f"connection closed early: {reason}"
        conn.ioloop.stop()

    def on_timeout() -> None:
        st["error"] = f"timed out after {timeout_s:.0f}s ({st['acked']} of {n} confirmed)"
        conn = holder["connection"]
        if conn.is_open:
            conn.close()
        else:
            conn.ioloop.stop()

    conn = pika.SelectConnection(pika_params(url), on_open_callback=on_open,
                                 on_open_error_callback=on_open_error,
                                 on_close_callback=on_closed)
    holder["connection"] = conn
    conn.ioloop.call_later(timeout_s, on_timeout)
    conn.ioloop.start()
    elapsed = (st["t1"] or time.perf_counter()) - (st["t0"] or time.perf_counter())
    return {**st, "n": n, "seconds": elapsed,
            "rate": st["acked"] / elapsed if elapsed > 0 and st["t1"] else None}


def pika_consume(url: str, queue: str, n: int, *, prefetch: int, timeout_s: float) -> dict:
    """Consume ``n`` messages from ``queue`` with manual acks (one basic.ack per message)."""
    st = {"received": 0, "t0": None, "t1": None, "error": None}
    holder: dict = {}

    def on_message(ch, method, _props, _body) -> None:
        ch.basic_ack(method.delivery_tag)
        st["received"] += 1
        if st["received"] >= n and st["t1"] is None:
            st["t1"] = time.perf_counter()
            holder["connection"].close()

    def on_qos(_frame) -> None:
        st["t0"] = time.perf_counter()
        holder["channel"].basic_consume(queue, on_message, auto_ack=False)

    def on_channel(ch) -> None:
        holder["channel"] = ch
        ch.basic_qos(prefetch_count=prefetch, callback=on_qos)

    def on_open(conn) -> None:
        conn.channel(on_open_callback=on_channel)

    def on_open_error(_conn, exc) -> None:
        st["error"] = f"connection failed: {exc}"
        _conn.ioloop.stop()

    def on_closed(conn, reason) -> None:
        if st["t1"] is None and st["error"] is None:
            st["error"] = f"connection closed early: {reason}"
        conn.ioloop.stop()

    def on_timeout() -> None:
        st["error"] = f"timed out after {timeout_s:.0f}s ({st['received']} of {n} received)"
        conn = holder["connection"]
        if conn.is_open:
            conn.close()
        else:
            conn.ioloop.stop()

    conn = pika.SelectConnection(pika_params(url), on_open_callback=on_open,
                                 on_open_error_callback=on_open_error,
                                 on_close_callback=on_closed)
    holder["connection"] = conn
    conn.ioloop.call_later(timeout_s, on_timeout)
    conn.ioloop.start()
    elapsed = (st["t1"] or time.perf_counter()) - (st["t0"] or time.perf_counter())
    return {**st, "n": n, "seconds": elapsed,
            "rate": st["received"] / elapsed if elapsed > 0 and st["t1"] else None}


# ------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------

class TimedPublisher:
    """Wraps the relay's publisher to split the relay's time into publishing (AMQP, confirms)
    and everything else (the store: reading pending events, marking them sent)."""

    def __init__(self, inner):
        self.inner = inner
        self.seconds = 0.0
        self.items = 0

    @property
    def confirm_timeout_s(self) -> float:  # the relay sizes its lease by it
        return self.inner.confirm_timeout_s

    def publish_batch(self, items):
        t = time.perf_counter()
        try:
            return self.inner.publish_batch(items)
        finally:
            self.seconds += time.perf_counter() - t
            self.items += len(items)

    def reset(self) -> None:
        self.inner.reset()

    def close(self) -> None:
        self.inner.close()


@dataclass
class Row:
    measurement: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""


@dataclass
class Bench:
    args: argparse.Namespace
    rows: list[Row] = field(default_factory=list)
    results: list[report.Result] = field(default_factory=list)  # the rows in bench/report.py's shape
    notes: list[str] = field(default_factory=list)
    store: LocalStore | None = None
    started_threads: list[tuple[Callable[[], None], threading.Thread]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.run_id = "".join(random.choices(string.ascii_lowercase, k=8))
        self.service = f"bench{self.run_id}"            # [a-z]+, as event types require
        self.event_type = f"{self.service}.item.created"
        self.queues = ServiceQueues(self.service, (self.event_type,))
        self.url = self.args.amqp_url
        self.declared = False
        self.clients: list = []
        self.load_start = os.getloadavg()[0]

    # ---------------------------------------------------------------- set-up and tear-down
    def start(self) -> None:
        say(f"run {self.run_id}: starting SecantusDB (in-memory) ...")
        self.store = LocalStore(":memory:").start()
        self.store_version = importlib.metadata.version("SecantusDB")
        with Connection(self.url, connect_timeout=5) as conn:
            try:
                conn.ensure_connection(max_retries=1)
            except Exception as exc:
                raise RuntimeError(f"RabbitMQ at {redact(self.url)} is unreachable ({exc}); start it "
                                   "with `rabbitmq-server -detached; rabbitmqctl await_startup`") from None
            props = conn.connection.server_properties
            self.rabbit_version = props.get("version", "?")
            if isinstance(self.rabbit_version, bytes):
                self.rabbit_version = self.rabbit_version.decode()
            self.queues.declare(conn)
            self.declared = True
        say(f"RabbitMQ {self.rabbit_version}; queues {self.queues.inbox_name} ...; "
            f"event type {self.event_type}")

    def service_store(self, name: str) -> ServiceStore:
        store = ServiceStore(self.store.url, f"bench_{self.run_id}_{name}")
        self.clients.append(store.client)
        store.create_indexes()
        return store

    def stop_threads(self) -> None:
        for stop, thread in self.started_threads:
            try:
                stop()
            except Exception:
                log.exception("stopping a thread failed")
        for _stop, thread in self.started_threads:
            thread.join(15)
            if thread.is_alive():
                say(f"warning: thread {thread.name} did not stop")
        self.started_threads.clear()

    def cleanup(self) -> None:
        try:
            self.stop_threads()
        finally:
            try:
                if self.declared:
                    delete_queues(self.url, [q.name for q in self.queues.all_queues()])
            finally:
                for client in {id(c): c for c in self.clients}.values():
                    try:
                        client.close()
                    except Exception:
                        pass
                if self.store is not None:
                    self.store.stop()
                    self.store = None

    def thread(self, name: str, target: Callable[[], None], stop: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self.started_threads.append((stop, thread))
        thread.start()
        return thread

    # ---------------------------------------------------------------- 1. relay vs raw pika
    def bench_relay(self) -> None:
        n = self.args.events
        store = self.service_store("relay")
        envelopes = [make_envelope(self.service, self.event_type, i) for i in range(n)]
        say(f"1. raw pika: publishing {n} messages, window {self.args.window}, confirms + mandatory ...")
        cpu0 = time.process_time()
        base = pika_publish(self.url, [(e.id, e.type, e.to_json()) for e in envelopes],
                            window=self.args.window, timeout_s=self.args.timeout)
        base_cpu = report.cpu_ms_per_op(time.process_time() - cpu0, base["acked"])
        if base["error"] or base["returned"] or base["nacked"]:
            self.notes.append(f"raw pika publish: {base['error'] or ''} returned={base['returned']} "
                              f"nacked={base['nacked']}")
        say(f"   raw pika: {fmt_rate(base['rate'])} ({base['seconds']:.2f}s)")
        # 2a drains what 1's baseline published, so the relay publishes into an empty queue too.
        self.bench_pika_consume(n)

        publisher = TimedPublisher(AmqpPublisher(self.url))
        relay = OutboxRelay(store.db, publisher, **self.relay_options())
        # A relay that keeps a position in the outbox (a change stream's) takes it now, on the
        # empty outbox, so that the backlog below is read the way a running relay reads it.
        relay.relay_once()
        say(f"1. inserting {n} events into the outbox (not timed) ...")
        t = time.perf_counter()
        for i in range(0, n, 1000):
            outbox.add(store.db, None, *envelopes[i:i + 1000])
        say(f"   inserted in {time.perf_counter() - t:.1f}s")
        say("1. relaying (OutboxRelay.run, as a worker runs it) ...")
        error = None
        t0, cpu0 = time.perf_counter(), time.process_time()
        runner = threading.Thread(target=relay.run, name="bench-relay", daemon=True)
        runner.start()
        deadline = time.monotonic() + self.args.timeout
        while relay.published < n and time.monotonic() < deadline and runner.is_alive():
            time.sleep(0.005)
        seconds, cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
        relay.stop()
        runner.join(30)
        rate = relay.published / seconds if seconds > 0 else 0.0
        say(f"   relay: {fmt_rate(rate)} ({relay.published} of {n} confirmed in {seconds:.2f}s)")
        ok = relay.published >= n and not error
        if not ok:
            self.notes.append(f"relay: {relay.published} of {n} events confirmed in {seconds:.0f}s"
                              f"{'; ' + error if error else ''}")
        self.add_ratio_row(f"1 outbox relay, run() until drained (N={n})", rate if ok else None,
                           base["rate"], f"raw pika, window {self.args.window}", 0.5,
                           cpu=report.cpu_ms_per_op(cpu_s, relay.published), base_cpu=base_cpu)
        store_s = seconds - publisher.seconds
        self.add(Row("  1a of which AMQP publish+confirm (publish_batch)",
                     f"{publisher.seconds:.2f} s", f"{base['seconds']:.2f} s raw pika",
                     f"{base['seconds'] / publisher.seconds:.2f}" if publisher.seconds else "n/a"), unit="s")
        self.add(Row("  1b of which the rest (read outbox, record progress)", f"{store_s:.2f} s",
                     f"{100 * store_s / seconds:.0f}% of relay time" if seconds else ""), unit="s")

    # ---------------------------------------------------------------- 2a. raw pika consumer
    def bench_pika_consume(self, n: int) -> None:
        say(f"2a. raw pika: consuming {n} messages, prefetch 100, basic.ack each ...")
        cpu0 = time.process_time()
        res = pika_consume(self.url, self.queues.inbox_name, n, prefetch=100,
                           timeout_s=self.args.timeout)
        self.pika_consume_cpu = report.cpu_ms_per_op(time.process_time() - cpu0, res["received"])
        if res["error"]:
            self.notes.append(f"raw pika consume: {res['error']}")
        say(f"   raw pika consume: {fmt_rate(res['rate'])} ({res['seconds']:.2f}s)")
        self.pika_consume_rate = res["rate"]

    # ---------------------------------------------------------------- 2. consumer
    def bench_consumer(self) -> None:
        n = self.args.events
        store = self.service_store("consumer")
        effects = store.db["effects"]

        def handler(event: Envelope, ctx: HandlerContext) -> None:
            effects.insert_one({"_id": event.id, "seq": event.data["seq"]}, session=ctx.session)

        consumer = Consumer(self.service, self.url, store.db, store.transaction,
                            [Subscription(self.event_type, BenchData(), handler)])
        say(f"2. Consumer: handling {n} events waiting in {self.queues.inbox_name} ...")
        t0, cpu0 = time.perf_counter(), time.process_time()
        thread = self.thread("bench-consumer", consumer.run, consumer.stop)
        deadline = time.monotonic() + self.args.timeout
        stored = 0
        while time.monotonic() < deadline and thread.is_alive():
            if consumer.handled >= n:
                stored = effects.count_documents({})
                if stored >= n:
                    break
            time.sleep(0.005)
        seconds, cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
        if stored < n:
            stored = effects.count_documents({})
        consumer.stop()
        thread.join(15)
        self.started_threads = [(s, t) for s, t in self.started_threads if t is not thread]
        rate = stored / seconds if stored >= n else None
        say(f"   Consumer: {fmt_rate(rate)} ({stored} effects in {seconds:.2f}s, parked "
            f"{consumer.parked}, retried {consumer.retried})")
        if stored < n:
            self.notes.append(f"consumer: only {stored} of {n} effects after {seconds:.0f}s")

        sample = min(n, self.args.store_sample)
        say(f"2b. store: {sample} x insert_one ...")
        raw = store.db["raw_writes"]
        t = time.perf_counter()
        for i in range(sample):
            raw.insert_one({"_id": str(uuid.uuid4()), "seq": i})
        store_rate = sample / (time.perf_counter() - t)
        say(f"   store insert_one: {fmt_rate(store_rate)}")

        candidates = [r for r in (self.pika_consume_rate, store_rate) if r]
        lower = min(candidates) if candidates else None
        which = "store insert_one" if lower == store_rate else "raw pika consume"
        self.add_ratio_row(f"2 consumer, idempotent handler (N={n})", rate, lower,
                           f"lower: {which}", 0.5, cpu=report.cpu_ms_per_op(cpu_s, stored),
                           base_cpu=self.pika_consume_cpu)
        self.add(Row("  2a raw pika consume, prefetch 100, ack each", fmt_rate(self.pika_consume_rate)),
                 unit="events/s", cpu=self.pika_consume_cpu)
        self.add(Row(f"  2b {self.store_label_short} insert_one (sample {sample})", fmt_rate(store_rate)),
                 unit="writes/s")

    # ---------------------------------------------------------------- 3. latency
    def bench_latency(self) -> None:
        ceiling = self.store_ceiling()
        runs = [(self.args.rate, "3")]
        if self.args.low_rate and self.args.low_rate != self.args.rate:
            runs.append((self.args.low_rate, "3s"))
        for rate, tag in runs:
            purge_queue(self.url, self.queues.inbox_name)
            self.latency_run(rate, self.args.duration, tag)
        self.add(Row("  3c store alone: outbox transactions/s (1 event each, 1 thread)",
                     fmt_rate(ceiling), "nothing else running"), unit="transactions/s")

    def store_ceiling(self) -> float:
        """How many one-event outbox transactions per second one thread commits when nothing
        else uses the store: the most a single producer can offer in the latency runs."""
        store = self.service_store("ceiling")
        count = max(200, min(1000, self.args.rate * 2))
        say(f"3c. store alone: {count} one-event outbox transactions ...")
        t = time.perf_counter()
        for i in range(count):
            event = make_envelope(self.service, self.event_type, i, time.time())
            store.transaction(lambda session, e=event: outbox.add(store.db, session, e))
        rate = count / (time.perf_counter() - t)
        say(f"   {fmt_rate(rate)}")
        return rate

    def latency_run(self, rate: int, duration: float, tag: str) -> None:
        store = self.service_store(f"latency{rate}")
        db = store.db
        effects = db["effects"]
        handled_at: dict[int, float] = {}
        latencies: dict[int, float] = {}
        committed_at: dict[int, float] = {}

        def handler(event: Envelope, ctx: HandlerContext) -> None:
            now = time.time()
            seq = event.data["seq"]
            if seq not in latencies:  # a retried transaction runs the handler again
                latencies[seq] = now - event.data["t"]
                handled_at[seq] = now
            effects.insert_one({"_id": event.id, "seq": seq}, session=ctx.session)

        consumer = Consumer(self.service, self.url, db, store.transaction,
                            [Subscription(self.event_type, BenchData(), handler)])
        relay = OutboxRelay(db, AmqpPublisher(self.url), **self.relay_options())
        self.thread("bench-latency-consumer", consumer.run, consumer.stop)
        self.thread("bench-latency-relay", relay.run, relay.stop)
        if not consumer.ready.wait(30):
            raise RuntimeError("the consumer did not become ready in 30s")
        time.sleep(1.0)  # the relay takes its lease and settles into idle polling

        total = int(rate * duration)
        say(f"{tag}. latency: {total} events at {rate}/s for {duration:g}s, one per transaction ...")
        stop = threading.Event()
        produced = {"n": 0, "t0": 0.0, "t1": 0.0, "error": None}

        def produce() -> None:
            start = time.perf_counter()
            produced["t0"] = start
            produced["wall0"] = time.time()
            try:
                for i in range(total):
                    # Steady rate for ``duration`` seconds: a producer that falls behind (the
                    # store cannot commit that fast) stops at the end rather than running long.
                    if stop.is_set() or time.perf_counter() - start > duration:
                        break
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)

                    def work(session, seq=i):
                        # The commit time, stamped inside the transaction just before it commits.
                        event = make_envelope(self.service, self.event_type, seq, time.time())
                        outbox.add(db, session, event)

                    store.transaction(work)
                    committed_at[i] = time.time()
                    produced["n"] = i + 1
            except Exception as exc:
                produced["error"] = f"{type(exc).__name__}: {exc}"
            produced["t1"] = time.perf_counter()

        producer = self.thread(f"bench-latency-producer-{rate}", produce, stop.set)
        producer.join(duration + self.args.timeout)
        stop.set()
        n = produced["n"]
        drain_deadline = time.monotonic() + self.args.drain
        while len(latencies) < n and time.monotonic() < drain_deadline:
            time.sleep(0.05)
        self.stop_threads()
        achieved = n / (produced["t1"] - produced["t0"]) if produced["t1"] > produced["t0"] else 0.0
        got = [latencies[s] * 1000 for s in sorted(latencies)]
        missing = n - len(got)
        from_commit = [(handled_at[s] - committed_at[s]) * 1000 for s in latencies if s in committed_at]
        if produced["error"]:
            self.notes.append(f"latency @ {rate}/s, producer: {produced['error']}")
        if missing:
            self.notes.append(f"latency @ {rate}/s: {missing} of {n} events not handled within "
                              f"{self.args.drain:.0f}s after the producer finished (not in percentiles)")
        short = achieved < 0.95 * rate
        if short:
            self.notes.append(f"latency @ {rate}/s: the producer reached only {achieved:.0f}/s (one "
                              "transaction per event, store shared with relay and consumer), so this "
                              "row did not run at its load")
        label = f"{tag} commit->handler @ {rate}/s x {duration:g}s"
        target = f"p99 < {self.args.p99_target_ms:g} ms"
        if got:
            p50, p99, worst = pctl(got, 50), pctl(got, 99), max(got)
            say(f"   p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms; producer {achieved:.0f}/s")
            ok = p99 < self.args.p99_target_ms and not missing and not short
            self.add(Row(f"{label}: p50", f"{p50:.1f} ms"), unit="ms p50")
            # The latency row's "ratio" is its p99 in ms, held under the target in ms.
            self.add(Row(f"{label}: p99", f"{p99:.1f} ms", target=target, verdict="PASS" if ok else "MISS"),
                     ratio=p99, target=self.args.p99_target_ms, unit="ms p99")
            self.add(Row(f"{label}: max", f"{worst:.1f} ms"), unit="ms max")
            if from_commit:
                self.add(Row(f"  {tag} same, from post-commit time: p50 / p99",
                             f"{pctl(from_commit, 50):.1f} / {pctl(from_commit, 99):.1f} ms"), unit="ms")
            # Without the first second: what a steady flow sees, apart from the start after idle.
            settled = [latencies[s] * 1000 for s in latencies
                       if committed_at.get(s, 0) - produced.get("wall0", 0) > 1.0]
            if settled:
                self.add(Row(f"  {tag} events after the first second: p50 / p99",
                             f"{pctl(settled, 50):.1f} / {pctl(settled, 99):.1f} ms"), unit="ms")
        else:
            self.add(Row(f"{label}: p99", "none handled", target=target, verdict="MISS"),
                     target=self.args.p99_target_ms, unit="ms p99")
        self.add(Row(f"  {tag} producer rate reached; handled / produced",
                     f"{achieved:.0f}/s; {len(got)} / {n}", f"{rate}/s offered", f"{achieved / rate:.2f}"),
                 ratio=achieved / rate, unit="events/s")

    def relay_options(self) -> dict:
        """The relay's own defaults unless the command line overrides them (experiments)."""
        options: dict = {"window": self.args.window}
        for item in self.args.relay_option or []:
            key, _, value = item.partition("=")
            try:
                options[key] = int(value)
            except ValueError:
                try:
                    options[key] = float(value)
                except ValueError:
                    options[key] = value
        return options

    # ---------------------------------------------------------------- table
    @property
    def store_label_short(self) -> str:
        return f"SecantusDB {getattr(self, 'store_version', '?')}"

    def add(self, row: Row, *, ratio: float | None = None, target: float | None = None, unit: str = "",
            cpu: float | None = None, base_cpu: float | None = None) -> None:
        """A row of the printed table, and the same row in bench/report.py's shape (``--json``):
        a latency row is lower-is-better (its "ratio" is its p99 in ms, as is its target)."""
        self.rows.append(row)
        lower = unit.startswith("ms")
        ratio = ratio if ratio is not None else (float(row.ratio) if row.ratio and row.ratio != "n/a" else None)
        self.results.append(report.Result(
            row.measurement.strip(), row.value, ratio=ratio, target=target, verdict=row.verdict,
            baseline=row.baseline, unit=unit, lower_is_better=lower, cpu_ms_per_op=cpu,
            baseline_cpu_ms_per_op=base_cpu))

    def add_ratio_row(self, name: str, value: float | None, base: float | None, base_label: str,
                      target: float, *, cpu: float | None = None, base_cpu: float | None = None) -> None:
        ratio = value / base if value and base else None
        self.add(Row(name, fmt_rate(value), f"{fmt_rate(base)} ({base_label})",
                     f"{ratio:.2f}" if ratio is not None else "n/a", f">= {target:.2f}",
                     "PASS" if ratio is not None and ratio >= target else "MISS"),
                 ratio=ratio, target=target, unit="events/s", cpu=cpu, base_cpu=base_cpu)

    def table(self) -> str:
        header = Row("measurement", "value", "baseline", "ratio", "target", "verdict")
        lines = [
            f"Alumnet bus benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
            f"store:  SecantusDB {self.store_version} (local, in-memory)",
            f"broker: RabbitMQ {self.rabbit_version} at {redact(self.url)}",
            f"code:   {code_version()}",
            f"host:   {machine()}",
            f"load:   1-min load average {self.load_start:.2f} before the run (the run itself adds about 2; "
            "other work on the machine skews every row)",
            f"run:    N={self.args.events}, window {self.args.window}, latency {self.args.rate}/s "
            f"x {self.args.duration:g}s, run id {self.run_id}",
            "",
            *table_lines(header, self.rows),
        ]
        if self.notes:
            lines += ["", "notes:", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines)


def fmt_rate(rate: float | None) -> str:
    return f"{rate:,.0f}/s" if rate else "n/a"


def redact(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def code_version() -> str:
    """The commit the bus code came from, and whether shared/bus had uncommitted changes."""
    import subprocess
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "shared/bus"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha or 'unknown'}{' + uncommitted changes in shared/bus' if dirty else ''}"


def pika_params(url: str) -> pika.ConnectionParameters:
    """Pika parameters for a kombu-style URL: ``amqp://user:pw@host:port//`` is vhost ``/``
    (pika would read that path as the empty vhost)."""
    parts = urlsplit(url)
    vhost = unquote(parts.path[1:]) if parts.path not in ("", "/") else "/"
    return pika.ConnectionParameters(
        host=parts.hostname or "localhost", port=parts.port or 5672, virtual_host=vhost or "/",
        credentials=pika.PlainCredentials(unquote(parts.username or "guest"),
                                          unquote(parts.password or "guest")),
        socket_timeout=5, blocked_connection_timeout=30, connection_attempts=1)


def delete_queues(url: str, names: list[str]) -> None:
    try:
        conn = pika.BlockingConnection(pika_params(url))
    except Exception as exc:
        say(f"warning: could not connect to delete queues {names}: {exc}")
        return
    try:
        for name in names:
            try:
                channel = conn.channel()
                channel.queue_delete(name)
                channel.close()
            except Exception as exc:
                say(f"warning: could not delete queue {name}: {exc}")
    finally:
        try:
            conn.close()
        except Exception:
            pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=None, help="N for rows 1 and 2 (default 20000; 2000 with --quick)")
    p.add_argument("--quick", action="store_true", help="a small run: N=2000, 3 s of latency, 1000 raw inserts")
    p.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
                   help="RabbitMQ (default: $AMQP_URL or amqp://guest:guest@localhost:5672//)")
    p.add_argument("--window", type=int, default=1000, help="confirm window of relay and raw pika (1000)")
    p.add_argument("--store-sample", type=int, default=None, help="raw insert_one sample (default 3000)")
    p.add_argument("--rate", type=int, default=500, help="latency test: events per second (500)")
    p.add_argument("--duration", type=float, default=None, help="latency test: seconds (10; 3 with --quick)")
    p.add_argument("--low-rate", type=int, default=50,
                   help="latency test repeated at a rate the store sustains (50; 0 to skip)")
    p.add_argument("--relay-option", action="append", metavar="NAME=VALUE",
                   help="experiment: a keyword argument for OutboxRelay (repeatable), "
                        "e.g. await_ms=5 or window=5000; default: the relay's own settings")
    p.add_argument("--drain", type=float, default=60.0, help="latency test: seconds to wait for stragglers (60)")
    p.add_argument("--p99-target-ms", type=float, default=25.0, help="latency target (25)")
    p.add_argument("--timeout", type=float, default=600.0, help="limit of each timed phase, seconds (600)")
    p.add_argument("--only", choices=["relay", "consumer", "latency"], action="append",
                   help="run only these measurements (repeatable); consumer needs relay")
    p.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    args = p.parse_args(argv)
    args.events = args.events or (2000 if args.quick else 20000)
    args.store_sample = args.store_sample or (1000 if args.quick else 3000)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pika").setLevel(logging.CRITICAL)  # failures are reported in the table
    bench = Bench(args)
    only = set(args.only or ["relay", "consumer", "latency"])
    if "consumer" in only:
        only.add("relay")  # the relay phase fills the inbox the consumer drains

    # A hard limit so the script always ends, even if a library call hangs.
    budget = args.timeout * 3 + args.duration * 5 + args.drain + 120

    def emergency_cleanup() -> None:
        try:
            delete_queues(args.amqp_url, [q.name for q in bench.queues.all_queues()])
        finally:
            if bench.store is not None:
                bench.store.stop()

    timer = start_watchdog(budget, emergency_cleanup)
    sigterm_interrupts()
    status = 0
    try:
        bench.start()
        if "relay" in only:
            bench.bench_relay()
        if "consumer" in only:
            bench.bench_consumer()
        if "latency" in only:
            bench.bench_latency()
    except KeyboardInterrupt:
        say("interrupted")
        status = 130
    except Exception as exc:
        if isinstance(exc, RuntimeError) and "unreachable" in str(exc):
            say(str(exc))
        else:
            log.exception("benchmark failed")
        bench.notes.append(f"run aborted: {type(exc).__name__}: {exc}")
        status = 1
    finally:
        say("cleaning up (threads, queues, store) ...")
        bench.cleanup()
        timer.cancel()
    if hasattr(bench, "rabbit_version"):
        print(bench.table())
    if args.json:
        store = f"{bench.store_label_short} (local, in-memory)"
        report.write(args.json, "bus", store, bench.results, quick=args.quick,
                     notes=[f"broker: RabbitMQ {getattr(bench, 'rabbit_version', '?')}; cpu ms/op: the bench "
                            "process (relay or consumer threads; raw pika for the baselines), not the store",
                            *bench.notes])
    return status  # a missed target is a finding, not a failure of the script


def purge_queue(url: str, name: str) -> None:
    conn = pika.BlockingConnection(pika_params(url))
    try:
        conn.channel().queue_purge(name)
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
