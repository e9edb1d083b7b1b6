#!/usr/bin/env python
"""Benchmark of an office announcement fanned out by the notifications worker into an SMTP
sink: emails/s from the POST until the sink holds every email, the worker's peak memory and
its CPU per email, beside raw smtplib into the same sink and the store's raw update_one rate,
in the same run.

    .venv/bin/python bench/notifications.py                      # 20,000 recipients, 1 worker
    .venv/bin/python bench/notifications.py --quick              # 2,000 recipients (about 90 s)
    .venv/bin/python bench/notifications.py --workers 1 2        # a second row with two workers
    .venv/bin/python bench/notifications.py --amqp-url "$AMQP_URL" --json bench/results/notifications.json
    .venv/bin/python bench/notifications.py --mongo-url 'mongodb://host:27017/?replicaSet=rs0'

Target (issue 17): emails/s >= 0.5x the rate at which the store takes the commands an
announced email needs (row 3c: queueing, claim, marks, records with their events, release and
the relay's marking of the events, replayed through the worker's own store modules with no
SMTP, same run), peak RSS < 200 MB per worker. What each row means:
bench/README.md, "## notifications".
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import shutil
import smtplib
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alumnet.localstore import die_with_parent  # noqa: E402
from bench import report  # noqa: E402
from bench.harness import (  # noqa: E402
    Gunicorn, ServiceBench, deploy_env, fmt_rate, group_cpu_s, keepalive_request, machine, machine_busy,
    pids_cpu_s, say, sigterm_interrupts, start_watchdog, table_lines,
)

APP = "services.notifications.app:create_app()"
ALUMNET = str(Path(sys.executable).parent / "alumnet")
MAIL_FROM = "Alumni Club MU-Plovdiv <alumni@mu-plovdiv.bg>"
DELIVERY = re.compile(rb"(?im)^X-Alumnet-Delivery:\s*(\S+)")  # the header is folded: \s spans the CRLF
CPU_KEYS = ("worker", "store", "sink", "api", "broker", "bench")
TOP_KINDS = ("queries", "getmore", "insert", "update", "remove", "commands")


def sink_main(conn) -> None:
    """The SMTP sink, in its own process: aiosmtpd counting what arrives (the ground truth),
    with each message's arrival time and X-Alumnet-Delivery; commands over a pipe. It binds
    a port the OS picks and sends it back once ready."""
    from tests.smtp_sink import LocalController
    lock = threading.Lock()
    state = {"times": [], "ids": Counter(), "bytes": 0, "by_rcpt": {}}

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
            now = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
            found = DELIVERY.search(envelope.content.split(b"\r\n\r\n", 1)[0])
            with lock:
                state["times"].append(now)
                state["ids"][found.group(1).decode() if found else "?"] += 1
                state["bytes"] += len(envelope.content)
                for rcpt in envelope.rcpt_tos:
                    state["by_rcpt"].setdefault(rcpt.lower(), now)
            return "250 OK"

    controller = LocalController(Handler())
    controller.start()
    conn.send(("ready", controller.port))
    while (command := conn.recv()) != "stop":
        with lock:
            if command == "count":
                conn.send(len(state["times"]))
            elif isinstance(command, tuple) and command[0] == "arrived":  # when a recipient's first message came
                conn.send(state["by_rcpt"].get(command[1].lower()))
            elif command == "reset":
                state.update(times=[], ids=Counter(), bytes=0, by_rcpt={})
                conn.send("ok")
            else:
                ids = state["ids"]
                conn.send({"times": sorted(state["times"]), "bytes": state["bytes"], "unique": len(ids),
                           "duplicates": sum(n - 1 for n in ids.values() if n > 1),
                           "sources": Counter(i.split(":", 1)[0] for i in ids)})
    controller.stop()


class WorkerProcess(Gunicorn):
    """``alumnet worker <service>`` (``target``; health on WORKER_HTTP_PORT); readiness and the
    stop (SIGTERM to its process group, SIGKILL after 30 s) as for gunicorn."""

    def start(self) -> WorkerProcess:
        env = {k: v for k, v in self.env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([ALUMNET, "worker", self.target or "notifications"], cwd=ROOT,
                                            env={**env, "WORKER_HTTP_PORT": str(self.port)}, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True,
                                            preexec_fn=die_with_parent)
        return self

    def mb(self, field: str) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return 0.0


class Bench(ServiceBench):
    tmp_prefix = "bench-notifications-"
    store_detail = "pure-Python server, "
    vhost = None

    def start_sink(self) -> None:
        """Forked first, before this process has a client or a thread."""
        ctx = mp.get_context("fork")
        self.sink_conn, child_conn = ctx.Pipe()
        self.sink = ctx.Process(target=sink_main, args=(child_conn,), daemon=True)
        self.sink.start()
        self.children.append(self.sink)
        answer = self.sink_conn.recv() if self.sink_conn.poll(30) else None
        if not (isinstance(answer, tuple) and answer[0] == "ready"):
            raise RuntimeError("the SMTP sink did not start")
        self.sink_port = answer[1]

    def run(self, rows: Callable[[], None], watchdog_s: float) -> None:
        """The sink, the store, the broker, then ``rows``; everything stopped at the end (the
        logs kept when it failed or ``--keep-logs``), and by a watchdog after ``watchdog_s``."""
        watchdog, failed = None, True
        try:
            self.start_sink()
            watchdog = start_watchdog(watchdog_s, self.cleanup)
            self.start_store_and_broker()
            rows()
            failed = False
        finally:
            if watchdog:
                watchdog.cancel()
            self.cleanup()
            if self.args.keep_logs or failed:
                say(f"logs kept in {self.tmp}")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def start_store_and_broker(self) -> None:
        """The store, the broker and the services' environment (sending into the sink)."""
        self.start_store()
        self.store_pgid = self.store.process.pid if self.store else None
        self.start_broker()
        env, self.issuer = deploy_env(self.tmp, self.url, self.prefix)
        self.env = {**env, "AMQP_URL": self.amqp, "EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": str(self.sink_port), "MAIL_FROM": MAIL_FROM,
                    # The broker's guest and the store without users would stop a deployed worker
                    # (shared.secretcheck); dev mode changes nothing else in the services.
                    "DEV_MODE": "true"}

    def ask(self, command):
        self.sink_conn.send(command)
        return self.sink_conn.recv()

    def start_broker(self) -> None:
        """A throwaway vhost, so the worker neither consumes the shared ``notifications.inbox``
        nor leaves its delivery events in the shared ``notifications.events`` stream."""
        if self.args.amqp_url:
            self.amqp, self.broker_label = self.args.amqp_url, f"{self.args.amqp_url} (as given)"
            return
        self.vhost = f"bench-{uuid.uuid4().hex[:8]}"
        for cmd in (["add_vhost", self.vhost], ["set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"]):
            subprocess.run(["rabbitmqctl", "-q", *cmd], check=True, capture_output=True, timeout=60)
        self.amqp = f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}"
        self.broker_label = f"local RabbitMQ, throwaway vhost {self.vhost} (deleted at the end)"
        self.broker_pids = [int(p) for p in os.listdir("/proc") if p.isdigit()
                            and Path(f"/proc/{p}/comm").read_text().strip() == "beam.smp"]

    def cleanup(self) -> None:
        super().cleanup()
        if self.vhost:
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", self.vhost], capture_output=True, timeout=60)
            self.vhost = None

    def drop_databases(self) -> None:
        for name in self.client.list_database_names():
            if name.startswith(self.prefix):
                self.client.drop_database(name)

    def sample(self, workers: list[WorkerProcess], api: Gunicorn, db_name: str) -> dict:
        try:  # the server's time per collection and kind of operation (MongoDB's and SecantusDB's ``top``)
            top = {f"{ns.split('.', 1)[1]} {kind}": v["time"] for ns, d in self.client.admin.command("top")["totals"]
                   .items() if ns.startswith(db_name + ".") for kind, v in d.items() if kind in TOP_KINDS}
        except Exception:
            top = {}
        return {"worker": pids_cpu_s([w.process.pid for w in workers]), "store": group_cpu_s(self.store_pgid),
                "sink": pids_cpu_s([self.sink.pid]), "api": group_cpu_s(api.process.pid),
                "broker": pids_cpu_s(getattr(self, "broker_pids", [])), "bench": pids_cpu_s([os.getpid()]),
                "machine": machine_busy(), "top": top}

    # ---------------------------------------------------------------- baselines
    def raw_smtp(self) -> None:
        """N prebuilt text+html messages over one kept-open smtplib connection."""
        n, payloads = self.args.recipients, []
        for i in range(n):
            m = EmailMessage()
            m["From"], m["To"], m["Subject"] = MAIL_FROM, f"member{i}@example.bg", "Среща / Reunion"
            m["X-Alumnet-Delivery"] = f"raw:{i:032x}:email"
            m.set_content("Здравейте,\n\nсрещата на випуска е на 12 юни.\n" * 8)
            m.add_alternative("<p>Здравейте,</p><p>срещата на випуска е на 12 юни.</p>" * 8, subtype="html")
            payloads.append((f"member{i}@example.bg", m.as_bytes(policy=SMTP_POLICY)))
        self.ask("reset")
        say(f"baseline: raw smtplib, {n:,} messages over one connection ...")
        c0, t0 = pids_cpu_s([self.sink.pid]), time.monotonic()
        with smtplib.SMTP("127.0.0.1", self.sink_port, timeout=30) as smtp:
            for to, payload in payloads:
                smtp.sendmail("alumni@mu-plovdiv.bg", [to], payload)
        self.raw_smtp_rate = n / (time.monotonic() - t0)
        stats = self.ask("stats")
        self.base_rows.append((f"2 raw smtplib, 1 kept-open connection, {n:,} prebuilt messages",
                               fmt_rate(self.raw_smtp_rate), f"sink cpu {(pids_cpu_s([self.sink.pid]) - c0) / n * 1000:.2f}"
                               f" ms/email; {stats['bytes'] / n / 1024:.1f} KB/email", "", "", ""))
        if stats["unique"] != n or stats["duplicates"]:
            self.verdicts.append(f"raw smtplib: the sink counted {stats['unique']} distinct of {n}: the sink is wrong")

    def raw_store(self) -> None:
        """update_one by _id, one thread, shaped like ``begin_sending`` (the one store write per
        email that is not batched): on a bare collection, then on one with the service's indexes."""
        from services.notifications.store import NotificationsStore
        n, now = self.args.store_sample, datetime.now(timezone.utc)
        for indexed in (False, True):
            name = f"{self.prefix}raw{int(indexed)}"
            indexed and NotificationsStore(self.url, name).create_indexes()
            coll = self.client[name]["deliveries"]
            coll.insert_many([{"_id": f"x:{i:032x}:email", "status": "queued", "batch": "b", "attempts": 0,
                               "priority": 1, "due_at": now, "queued_at": now, "recipient": f"{i:032x}",
                               "fanout_id": "x", "address": f"member{i}@example.bg"} for i in range(n)])
            self.wait_store_quiet()
            t0, c0 = time.monotonic(), group_cpu_s(self.store_pgid)
            for i in range(n):
                coll.update_one({"_id": f"x:{i:032x}:email", "batch": "b", "status": "queued"}, {
                    "$set": {"status": "sending", "sending_at": datetime.now(timezone.utc)}, "$inc": {"attempts": 1}})
            rate = n / (time.monotonic() - t0)
            cpu = f"store cpu {(group_cpu_s(self.store_pgid) - c0) / n * 1000:.2f} ms/op" if self.store_pgid else ""
            self.base_rows.append((f"3{'b' if indexed else 'a'} raw {self.store_short} update_one by _id, 1 thread, "
                                   f"{'the deliveries indexes' if indexed else 'no secondary index'} ({n:,})",
                                   fmt_rate(rate), cpu, "", "", ""))
            self.client.drop_database(name)
        self.raw_store_rate = rate

    def raw_email_writes(self) -> None:
        """What the store can take of the commands an announced email needs, with no SMTP, no
        rendering and no broker, through the worker's own modules: ``store.sample`` deliveries
        queued in pages of 500 (``store.queue``, as the fan-out does), then one batch at a time
        (``NotificationsStore``) the claim, the ``sending`` marks in groups of 4 (the worker's 4
        senders), the outcomes recorded with their ``delivery.sent`` events every 10
        (``dispatcher.RECORD_EVERY``) and the release, then the outbox relay's share: the events
        read in pages of 100 and marked sent with their bodies redacted (one bulk write a page,
        as ``OutboxRelay._publish`` does). The issue's baseline for the announcement: "the rate
        at which the store can take the writes one email needs"."""
        from pymongo import ASCENDING, UpdateOne

        from services.notifications.dispatcher import RECORD_EVERY, DeliveryDispatcher
        from services.notifications.messages import DELIVERY_SENT
        from services.notifications.store import NotificationsStore, new_delivery, queue
        from shared.bus.outbox import COLLECTION, NEW, SENT, redacted
        n, name = self.args.recipients, f"{self.prefix}rawmail"  # as many as the announcement: the store slows as collections grow
        store = NotificationsStore(self.url, name)
        store.create_indexes()
        self.wait_store_quiet()
        t0, c0, c0_self, sent = time.monotonic(), group_cpu_s(self.store_pgid), time.process_time(), 0
        for start in range(0, n, 500):
            queue(store.db, None, [new_delivery(
                source_id="raw", recipient=f"{i:032x}", channel="email", template="announcement", language="bg",
                address=f"member{i}@example.bg", context={"title": "x"}, correlation_id=None, category="news",
                marketing=True, fanout_id="raw") for i in range(start, min(n, start + 500))])
        while batch := store.claim_batch("raw-worker"):
            outcomes: list = []
            for start in range(0, len(batch), 4):
                group = batch[start:start + 4]
                store.begin_sending_many(group)
                now = datetime.now(timezone.utc)
                outcomes += [(d["_id"], {"$set": {"status": "sent", "sent_at": now, "provider": "smtp",
                                                  "provider_message_id": f"<{d['_id']}@raw>"}},
                              (DeliveryDispatcher._event(DELIVERY_SENT, d, 1, "smtp", {
                                  "sent_at": now.isoformat(), "provider_message_id": f"<{d['_id']}@raw>"}),))
                             for d in group]
                if len(outcomes) >= RECORD_EVERY:
                    store.record(batch[0]["batch"], "raw-worker", outcomes)
                    outcomes = []
            if outcomes:
                store.record(batch[0]["batch"], "raw-worker", outcomes)
            store.release_batch(batch[0]["batch"], "raw-worker")
            sent += len(batch)
        outbox = store.db[COLLECTION]
        while page := list(outbox.find({"status": NEW}, {"body": 1}).sort("order", ASCENDING).limit(100)):
            now = datetime.now(timezone.utc)
            outbox.bulk_write([UpdateOne({"_id": e["_id"]}, {"$set": {"status": SENT, "sent_at": now,
                                                                     "body": redacted(e["body"])}}) for e in page],
                              ordered=False)
        elapsed = time.monotonic() - t0
        self.raw_email_rate = sent / elapsed
        cpu = (f"store cpu {(group_cpu_s(self.store_pgid) - c0) / max(1, sent) * 1000:.2f} ms/email, "
               if self.store_pgid else "") + f"bench cpu {(time.process_time() - c0_self) / max(1, sent) * 1000:.2f}"
        self.base_rows.append((f"3c raw {self.store_short}: the store commands of {sent:,} announced emails "
                               "(queued by pages of 500, claimed, marked by 4, recorded by 10 with their events, "
                               "released, the events marked sent by pages of 100), one thread, no SMTP",
                               fmt_rate(self.raw_email_rate), cpu, "", "", ""))
        self.client.drop_database(name)

    def build_cost(self, db, fanout_id: str) -> None:
        """What the dispatcher does per email besides the store and SMTP, timed in this process."""
        from services.notifications.dispatcher import DeliveryDispatcher
        from services.notifications.handlers import context_for_sending
        docs = list(db.deliveries.find({"fanout_id": fanout_id}).limit(300))
        key, link_key = self.env["TOKEN_ENCRYPTION_KEY"], self.env["LINK_SIGNING_KEY"]
        builder = DeliveryDispatcher(None, {}, mail_from=MAIL_FROM, prepare=lambda d: context_for_sending(
            d, token_key=key, link_key=link_key, public_base_url="http://localhost:8080"))
        builder._build(docs[0]).as_bytes(policy=SMTP_POLICY)  # templates compiled once
        t0 = time.perf_counter()
        for d in docs:
            builder._build(d).as_bytes(policy=SMTP_POLICY)
        each = (time.perf_counter() - t0) / len(docs)
        self.base_rows.append((f"4 build one announcement email in-process (prepare, render, MIME, bytes; {len(docs)} "
                               "deliveries)", f"{each * 1000:.2f} ms", f"= {fmt_rate(1 / each)} on one core", "", "", ""))
        ceiling = 1 / (1 / self.raw_smtp_rate + 1 / self.raw_store_rate + each)
        self.base_rows.append(("5 ceiling of one sequential dispatcher: 1 / (row 2 + row 3b + row 4 per email)",
                               fmt_rate(ceiling), "no claim, record, fan-out or relay", "", "", ""))

    # ---------------------------------------------------------------- the announcement
    def seed(self, db) -> None:
        from services.notifications.store import NotificationsStore
        NotificationsStore(self.url, db.name).create_indexes()
        n, at, t0 = self.args.recipients, datetime.now(timezone.utc).replace(microsecond=0), time.monotonic()
        for start in range(0, n, 1000):
            db.contacts.insert_many([{
                "_id": uuid.uuid4().hex, "given_name": "Мария" if i % 2 else "John", "family_name": "Иванова",
                "email": f"member{i}@example.bg", "phone": None, "language": "bg" if i % 3 else "en",
                "status": "verified", "graduation_year": 1990 + i % 35, "faculty": "medicine",
                "consents": {"email": {"news": {"granted": True, "source": "signup", "at": at, "expires_at": None}}},
            } for i in range(start, min(n, start + 1000))])
        self.notes.append(f"setup: {n:,} verified contacts (email news consent, 2/3 bg, 1/3 en) inserted directly "
                          f"into {db.name}.contacts with pymongo insert_many in {time.monotonic() - t0:.1f}s "
                          "(benchmark setup, not through members events)")

    def announcement(self, k: int) -> None:
        a, n, prefix = self.args, self.args.recipients, f"{self.prefix}w{k}_"
        db, env = self.client[f"{prefix}notifications"], {**self.env, "MONGO_DB_PREFIX": prefix}
        self.seed(db)
        api = Gunicorn(f"notifications-api-w{k}", APP, {**env, "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / f"prom{k}")},
                       self.tmp)
        workers = [WorkerProcess(f"notifications-worker-w{k}-{i}", "", env, self.tmp) for i in range(k)]
        self.apps += [api, *workers]
        for p in (api, *workers):
            p.start()
        for p in (api, *workers):
            p.wait_ready("/readyz")
        self.wait_store_quiet()
        time.sleep(2.0)
        r = SimpleNamespace(k=k, idle_rss=max(w.mb("VmRSS") for w in workers), fanout={})
        headers = {"Authorization": f"Bearer {self.issuer.issue(uuid.uuid4().hex, ['admin'])}",
                   "Content-Type": "application/json"}
        body = json.dumps({"subject": {"bg": "Среща на випуска", "en": "Class reunion"},
                           "body": {"bg": "Здравейте,\n\nсрещата на випуска е на 12 юни.\n\nДо скоро!",
                                    "en": "Hello,\n\nthe class reunion is on 12 June.\n\nSee you!"},
                           "audience": {"kind": "all"}, "category": "news", "channels": ["email"]}).encode()
        self.ask("reset")
        say(f"row: announcement to {n:,} with {k} worker(s) ...")
        r.c0, r.t0, wall0 = self.sample(workers, api, db.name), time.monotonic(), time.time()
        conn, status, payload, _ = keepalive_request(None, api.port, "POST", "/api/v1/notifications/announcements",
                                                     body, headers, 60)
        if status != 202:
            raise RuntimeError(f"POST announcement answered {status}: {payload[:500]!r}")
        r.id = json.loads(payload)["id"]
        count, last_change, r.peak_rss, next_say = 0, r.t0, r.idle_rss, r.t0 + 10
        while count < n:
            time.sleep(0.2)
            now, before = time.monotonic(), count
            count = self.ask("count")
            r.peak_rss = max(r.peak_rss, *(w.mb("VmRSS") for w in workers))
            last_change = now if count != before else last_change
            if r.fanout.get("status") != "spread":  # a find by _id; GET's progress would load the store
                r.fanout = db.fanouts.find_one({"_id": r.id}, {"status": 1, "spread_at": 1}) or {}
            if now >= next_say:
                say(f"   {now - r.t0:5.0f}s: {count:,} emails in the sink, fan-out {r.fanout.get('status')}, "
                    f"worker RSS {r.peak_rss:.0f} MB")
                next_say = now + 10
            if now - last_change > a.stall_s or now - r.t0 > a.timeout:
                self.verdicts.append(f"{k} worker(s): STOPPED WAITING after {now - r.t0:.0f}s with {count:,} of "
                                     f"{n:,} emails in the sink (worker logs in {self.tmp}, kept)")
                a.keep_logs = True
                break
        r.t_end, r.c1 = time.monotonic(), self.sample(workers, api, db.name)
        r.hwm, r.stats = max(w.mb("VmHWM") for w in workers), self.ask("stats")
        r.fanout = db.fanouts.find_one({"_id": r.id}) or {}
        if r.fanout.get("spread_at"):
            r.t_spread = r.t0 + r.fanout["spread_at"].replace(tzinfo=timezone.utc).timestamp() - wall0
        for _ in range(60):  # the last batch is recorded just after its last send
            if not db.deliveries.count_documents({"fanout_id": r.id, "status": "sending"}):
                break
            time.sleep(0.5)
        t = time.monotonic()
        conn, status, payload, _ = keepalive_request(conn, api.port, "GET", f"/api/v1/notifications/announcements/{r.id}",
                                                     None, headers, 300)
        r.get_s, r.progress = time.monotonic() - t, json.loads(payload).get("progress") if status == 200 else payload
        r.stopped = []
        for w in workers:
            t = time.monotonic()
            w.stop()
            r.stopped.append(f"{time.monotonic() - t:.1f}s, exit code {w.process.returncode}")
        api.stop()
        conn and conn.close()
        self.judge(r)
        if not any(row[0].startswith("4 ") for row in self.base_rows):
            self.build_cost(db, r.id)

    def judge(self, r) -> None:
        a, n, times = self.args, self.args.recipients, r.stats["times"]
        got, m = r.stats["sources"].get(r.id, 0), max(1, len(times))
        span = (times[-1] if times else r.t_end) - r.t0
        rate = len(times) / span if times else 0.0
        # The target is relative to the store: the commands an announced email needs, replayed
        # through the worker's own store modules with no SMTP (row 3c): the rest is ours.
        ratio = rate / self.raw_email_rate
        rate_ok, rss_ok = got == n and ratio >= a.target_ratio, r.hwm < a.target_rss_mb
        worker_cpu_s = r.c1["worker"] - r.c0["worker"]
        r.cpu_ms = report.cpu_ms_per_op(worker_cpu_s, max(1, len(times)))
        w = f"{r.k} worker{'s' if r.k > 1 else ''}"
        rows = [(f"1 announcement, {w}: POST -> {n:,} emails in the sink", fmt_rate(rate),
                 f"{fmt_rate(self.raw_email_rate)} the store's commands of an email (row 3c); "
                 f"{fmt_rate(self.raw_store_rate)} 1 indexed update (row 3b); {fmt_rate(self.raw_smtp_rate)} raw smtplib (row 2)", f"{ratio:.2f}", f">= {a.target_ratio:g}", "MET" if rate_ok else "MISS",
                 f"{r.cpu_ms:.2f}"),
                (f"  peak RSS per worker (VmHWM; polled VmRSS max {r.peak_rss:.0f} MB)", f"{r.hwm:.0f} MB",
                 f"{r.idle_rss:.0f} MB idle before the POST", "", f"< {a.target_rss_mb:g} MB", "MET" if rss_ok else "MISS"),
                ("  POST -> first email", f"{times[0] - r.t0:.2f} s" if times else "-", "", "", "", "")]
        if getattr(r, "t_spread", None) and times:
            fan_s, before = r.t_spread - r.t0, sum(1 for t in times if t < r.t_spread)
            rows += [("  fan-out: POST -> status spread (every delivery queued)", f"{fan_s:.1f} s",
                      f"{n / fan_s:,.0f} deliveries queued/s", "", "", ""),
                     ("  sending while spreading / after spread", f"{before / fan_s:,.0f}/s / "
                      f"{(len(times) - before) / max(1e-9, times[-1] - r.t_spread):,.0f}/s",
                      f"{before:,} / {len(times) - before:,} emails", "", "", "")]
        lo, hi = len(times) // 10, len(times) * 9 // 10 - 1
        steady = (hi - lo) / (times[hi] - times[lo]) if hi > lo and times[hi] > times[lo] else 0.0
        used = [(r.c1[key] - r.c0[key]) if r.c0[key] is not None else None for key in CPU_KEYS]
        busy = (r.c1["machine"][0] - r.c0["machine"][0]) / max(1, r.c1["machine"][1] - r.c0["machine"][1]) * \
            (os.cpu_count() or 1)
        window = r.t_end - r.t0  # the span of the cpu samples
        other = busy - sum(u or 0.0 for u in used) / window
        fmt = lambda v, f: "-" if v is None else f.format(v)  # noqa: E731
        rows += [("  steady rate (10% -> 90% of the emails)", fmt_rate(steady), "", "", "", ""),
                 (f"  cores used: {'/'.join(CPU_KEYS)}/other/all", "/".join(fmt(u and u / window, "{:.2f}") for u in used)
                  + f"/{other:.2f}/{busy:.2f}", "broker: all of RabbitMQ; other: not this run's", "", "", ""),
                 (f"  cpu ms per email: {'/'.join(CPU_KEYS[:5])}", "/".join(fmt(u and u / m * 1000, "{:.2f}") for u in used[:5]),
                  "", "", "", "")]
        top = sorted(((v - r.c0["top"].get(key, 0), key) for key, v in r.c1["top"].items()), reverse=True)
        top = [(us, key) for us, key in top if not key.endswith("getmore")]  # change streams: mostly awaiting
        if top:
            rows.append(("  store time per email by collection and operation (top; not getMore)", "; ".join(
                f"{key} {us / m / 1000:.2f} ms" for us, key in top[:4]), f"all: {sum(us for us, _ in top) / m / 1000:.2f}"
                " ms/email", "", "", ""))
        self.rows += rows
        self.results += [
            report.Result(rows[0][0], fmt_rate(rate), ratio=round(ratio, 3), target=a.target_ratio,
                          verdict=report.verdict(ratio, a.target_ratio) if got == n else "MISS",
                          baseline=f"{fmt_rate(self.raw_email_rate)} the store's commands of an announced email, no SMTP (row 3c)",
                          unit="emails/s", cpu_ms_per_op=r.cpu_ms),
            report.Result(f"  peak RSS per worker, {w}", f"{r.hwm:.0f} MB", ratio=round(r.hwm, 1),
                          target=a.target_rss_mb, verdict=report.verdict(r.hwm, a.target_rss_mb, True), unit="MB",
                          lower_is_better=True),
            report.Result(f"  POST -> first email, {w}", f"{times[0] - r.t0:.2f} s" if times else "-", unit="s"),
            report.Result(f"  cores used (worker/store/all of the machine), {w}",
                          "/".join(fmt(u and u / window, "{:.2f}") for u in (used[0], used[1])) + f"/{busy:.2f}",
                          unit="cores")]
        self.verdicts.append(f"{w}: {rate:,.0f} emails/s = {ratio:.2f}x the store's rate for an email's commands (target >= "
                             f"{a.target_ratio:g}x) {'MET' if rate_ok else 'MISS'}; peak RSS {r.hwm:.0f} MB (target < "
                             f"{a.target_rss_mb:g} MB) {'MET' if rss_ok else 'MISS'}; worker cpu {r.cpu_ms:.2f} ms/email")
        self.notes.append(f"{w}: the sink received {len(times):,} emails, {got:,} of this announcement, "
                          f"{r.stats['unique']:,} distinct X-Alumnet-Delivery, {r.stats['duplicates']} duplicates, "
                          f"{r.stats['bytes'] / m / 1024:.1f} KB/email; fan-out {r.fanout.get('status')}, audience_size "
                          f"{r.fanout.get('audience_size')}; GET announcement afterwards: progress {r.progress} "
                          f"(answered in {r.get_s:.2f}s); worker(s) stopped by SIGTERM in {'; '.join(r.stopped)}")
        if got != n or r.stats["duplicates"] or r.stats["unique"] != len(times):
            self.verdicts.append(f"{w}: DELIVERY CHECK FAILED ({got:,} of {n:,}, {r.stats['duplicates']} duplicates)")

    def table(self) -> str:
        a = self.args
        header = ("measurement", "value", "baseline / detail", "ratio", "target", "verdict", "cpu ms/op")
        lines = [f"Alumnet notifications announcement benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
                 f"store:   {self.store_label}", f"broker:  {self.broker_label}",
                 f"host:    {machine()}; 1-min load average {self.load_start:.2f} before the run",
                 f"code:    commit {self.commit}",
                 f"worker:  `alumnet worker notifications` x {'/'.join(map(str, a.workers))}, EMAIL_BACKEND=smtp, "
                 f"EMAIL_RATE_PER_S={self.env.get('EMAIL_RATE_PER_S', '0')}, LOG_LEVEL={self.env['LOG_LEVEL']}; api: "
                 f"`alumnet api notifications` (gunicorn, WEB_CONCURRENCY={self.env['WEB_CONCURRENCY']})",
                 "sink:    aiosmtpd in its own process, counting messages and their X-Alumnet-Delivery ids",
                 "cpu ms/op: the worker process(es)' CPU per email over the row",
                 "", *table_lines(header, [(*row, "")[:7] for row in self.rows + self.base_rows]), "", *self.verdicts]
        return "\n".join(lines + (["", "notes:", *(f"- {x}" for x in self.notes)] if self.notes else []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1],
                        help="a row per entry, with that many worker processes (each row seeds a fresh database)")
    parser.add_argument("--mongo-url", help="use this MongoDB (a replica set) instead of a local SecantusDB")
    parser.add_argument("--amqp-url", help="use this broker as it is (default: a throwaway vhost on the local "
                                           "RabbitMQ, made with rabbitmqctl); memory:// works too")
    parser.add_argument("--store-sample", type=int, default=3000, help="update_one calls of the store baseline")
    parser.add_argument("--quick", action="store_true", help="2,000 recipients, a store sample of 1,000 (~90 s)")
    parser.add_argument("--json", help="also write the rows to this file (bench/report.py's shape)")
    parser.add_argument("--target-ratio", type=float, default=0.5,
                        help="emails/s over the store's rate for an announced email's commands, no SMTP (row 3c)")
    parser.add_argument("--target-rss-mb", type=float, default=200.0)
    parser.add_argument("--stall-s", type=float, default=120.0, help="give up when no email arrives for this long")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up on a row after this long")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with the logs")
    args = parser.parse_args()
    if args.quick:
        args.recipients, args.store_sample = min(args.recipients, 2000), min(args.store_sample, 1000)
    bench = Bench(args)
    bench.base_rows, bench.results = [], []
    git = lambda *argv: subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    bench.commit = git("rev-parse", "--short", "HEAD") + (" + uncommitted changes in services/notifications"
                                                        if git("status", "--porcelain", "services/notifications") else "")
    sigterm_interrupts()

    def rows() -> None:
        bench.raw_smtp()
        bench.raw_store()
        bench.raw_email_writes()
        for k in args.workers:
            bench.announcement(k)
    bench.run(rows, args.timeout * (len(args.workers) + 1) + 600)
    print(bench.table())
    if args.json:
        report.write(args.json, "notifications", bench.store_label, bench.results, quick=args.quick,
                     notes=bench.notes + bench.verdicts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
