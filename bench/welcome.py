#!/usr/bin/env python
"""Benchmark of the welcome email's latency, in a set-up like ``make dev``'s: from a sign-up
(``POST /api/v1/members``) until its welcome email is in an SMTP sink, one sign-up at a time,
through the members api (gunicorn), the members worker (its outbox relay publishes the
sign-up), RabbitMQ and the notifications worker (its consumer queues the delivery, its
dispatcher sends it) on one store.

    .venv/bin/python bench/welcome.py                     # 50 sign-ups (after 5 not counted)
    .venv/bin/python bench/welcome.py --quick             # 20 sign-ups
    .venv/bin/python bench/welcome.py --amqp-url "$AMQP_URL" --json bench/results/welcome.json

Target (issue 17): p50 < 100 ms. What the row means: bench/README.md, "## notifications".
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.harness import (  # noqa: E402
    Gunicorn, group_cpu_s, keepalive_request, machine, pctl, say, sigterm_interrupts, table_lines,
)
from bench.notifications import Bench, WorkerProcess  # noqa: E402

MEMBERS_APP = "services.members.app:create_app()"


class WelcomeBench(Bench):
    tmp_prefix = "bench-welcome-"

    def start_services(self) -> None:
        env = {**self.env}
        self.api = Gunicorn("members-api", MEMBERS_APP, {**env, "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "prom")},
                            self.tmp)
        self.members_worker = WorkerProcess("members-worker", "members", env, self.tmp)
        self.notifications_worker = WorkerProcess("notifications-worker", "notifications", env, self.tmp)
        self.services = [self.api, self.members_worker, self.notifications_worker]
        self.apps += self.services
        for p in self.services:
            p.start()
        for p in self.services:
            p.wait_ready("/readyz")

    def cpu_s(self) -> float:
        return sum(group_cpu_s(p.process.pid) or 0.0 for p in self.services)

    def sign_up(self, conn, i: int) -> tuple[object, float]:
        """One sign-up; the seconds from sending it until its welcome email is in the sink (and
        in ``self.stages``, until the POST was answered and until the delivery was queued)."""
        email = f"welcome{i}.{uuid.uuid4().hex[:6]}@example.bg"
        body = json.dumps({"given_name": "Мария", "family_name": "Иванова", "email": email,
                           "preferred_language": "bg" if i % 2 else "en",
                           "consent": {"email": True, "sms": False}}).encode()
        t0, wall0 = time.monotonic(), time.time()
        conn, status, payload, _ = keepalive_request(conn, self.api.port, "POST", "/api/v1/members", body,
                                                     {"Content-Type": "application/json"}, 30)
        if status != 202:
            raise RuntimeError(f"sign-up answered {status}: {payload[:300]!r}")
        answered = time.monotonic() - t0
        deadline = t0 + self.args.stall_s
        while (arrived := self.ask(("arrived", email))) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no welcome email for {email} after {self.args.stall_s:.0f}s (logs: {self.tmp})")
            time.sleep(0.002)
        delivery = self.client[f"{self.prefix}notifications"].deliveries.find_one(
            {"address": email, "template": "welcome"}, {"queued_at": 1})
        queued = delivery["queued_at"].timestamp() - wall0 if delivery else float("nan")  # ms precision
        self.stages.append((answered, queued))
        return conn, arrived - t0

    def run_row(self) -> None:
        a = self.args
        conn, self.stages = None, []
        say(f"warm-up: {a.warmup} sign-ups, not counted ...")
        for i in range(a.warmup):
            conn, _ = self.sign_up(conn, i)
        self.wait_store_quiet()
        say(f"row: {a.signups} sign-ups, one at a time, each until its welcome email arrived ...")
        cpu0, latencies, self.stages = self.cpu_s(), [], []
        for i in range(a.signups):
            conn, seconds = self.sign_up(conn, a.warmup + i)
            latencies.append(seconds)
            time.sleep(a.gap_s)  # apart: a sign-up is not waiting behind the previous one's tail work
        cpu = self.cpu_s() - cpu0
        conn and conn.close()
        self.latencies, self.cpu_ms = latencies, report.cpu_ms_per_op(cpu, len(latencies))

    def results(self) -> list[report.Result]:
        a, lat = self.args, self.latencies
        p50, p99 = pctl(lat, 50) * 1000, pctl(lat, 99) * 1000
        return [report.Result(f"sign-up -> welcome email in the sink, p50 ({len(lat)} sign-ups, one at a time)",
                              f"{p50:.0f} ms", ratio=round(p50, 1), target=a.target_p50_ms,
                              verdict=report.verdict(p50, a.target_p50_ms, lower_is_better=True),
                              unit="ms p50", lower_is_better=True, cpu_ms_per_op=self.cpu_ms),
                report.Result("sign-up -> welcome email in the sink, p99", f"{p99:.0f} ms", unit="ms p99",
                              lower_is_better=True),
                report.Result("sign-up -> welcome email in the sink, max", f"{max(lat) * 1000:.0f} ms", unit="ms max",
                              lower_is_better=True),
                report.Result("  of which: POST answered (members api), p50",
                              f"{pctl([a for a, _ in self.stages], 50) * 1000:.0f} ms", unit="ms p50"),
                report.Result("  of which: welcome delivery queued (relay, broker, consumer committed), p50",
                              f"{pctl([q for _, q in self.stages], 50) * 1000:.0f} ms", unit="ms p50")]

    def table(self, results: list[report.Result]) -> str:
        header = ("measurement", "value", "cpu ms/op", "target", "verdict")
        rows = [(r.row, r.value, "" if r.cpu_ms_per_op is None else f"{r.cpu_ms_per_op:.1f}",
                 "" if r.target is None else f"< {r.target:g} ms", r.verdict) for r in results]
        return "\n".join([f"Alumnet welcome-email latency benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
                          f"store:   {self.store_label}", f"broker:  {self.broker_label}",
                          f"host:    {machine()}; 1-min load average {self.load_start:.2f} before the run",
                          "apps:    members api (gunicorn), `alumnet worker members`, `alumnet worker notifications` "
                          "(EMAIL_BACKEND=smtp into an aiosmtpd sink in its own process)",
                          "cpu ms/op: the three service processes' CPU per sign-up over the row", "",
                          *table_lines(header, rows), "", *(f"- {n}" for n in self.notes)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signups", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--gap-s", type=float, default=0.2, help="pause between two sign-ups")
    parser.add_argument("--quick", action="store_true", help="20 sign-ups")
    parser.add_argument("--mongo-url", help="use this MongoDB (a replica set) instead of a local SecantusDB")
    parser.add_argument("--amqp-url", help="use this broker as it is (default: a throwaway vhost on the local "
                                           "RabbitMQ, made with rabbitmqctl)")
    parser.add_argument("--target-p50-ms", type=float, default=100.0)
    parser.add_argument("--stall-s", type=float, default=30.0, help="give up when a welcome email takes this long")
    parser.add_argument("--json", help="also write the rows to this file (bench/report.py's shape)")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.signups = min(args.signups, 20)
    bench = WelcomeBench(args)
    sigterm_interrupts()

    def rows() -> None:
        bench.start_services()
        bench.run_row()
    bench.run(rows, 900)
    results = bench.results()
    print(bench.table(results))
    if args.json:
        report.write(args.json, "welcome", bench.store_label, results, quick=args.quick, notes=bench.notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
