#!/usr/bin/env python
"""Benchmark of mentoring recommendations under gunicorn: many different eligible mentees each
asking ``GET /api/v1/members/me/mentoring/recommendations`` over 5,000 mentors, beside a bare
Flask ``/ping`` on the same gunicorn config, in the same run; store commands per request
counted in-process, the api's CPU per request from /proc.

    .venv/bin/python bench/mentoring.py [--mentors N] [--mentees M] [--requests R] [--quick] [--json PATH]
    .venv/bin/python bench/mentoring.py --profile 200       # and where an in-process request's time goes
    .venv/bin/python bench/mentoring.py --mongo-url mongodb://host:27017/?replicaSet=rs0

It starts its own throwaway SecantusDB (``LocalStore(":memory:")``) unless ``--mongo-url`` is
given, and seeds *directly through the store*: N verified alumni (bench/members.py's
generator) each with an offer made by ``mentoring.store.save_offer`` (what ``PUT
.../me/mentoring/offer`` calls: topics, their specialty, their languages, online or in person
in their city, 1 to 4 places, one in ten paused), then a history written on the offers (asks
accepted, declined, expired, reply times; some places taken, ``free`` kept equal to capacity -
active - pending), and M verified mentees (students, and graduates of the last three years).
Then the members api and ``bench/bare_ping.py`` run under gunicorn with
``deploy/gunicorn.conf.py`` and the deployment's environment, and each row sends a fixed number
of requests over C keep-alive connections, each with the token of the next mentee in turn.
The rows' machinery (fixed requests, rates, CPU and cpu ms/op, the command counter, ``--json``)
is bench/surveys.py's.
What each row means: bench/README.md, "## mentoring".
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pymongo import UpdateOne  # noqa: E402

from bench import surveys  # noqa: E402
from bench.harness import (  # noqa: E402
    fmt_rate,
    machine,
    ms,
    pctl,
    say,
    table_lines,
)
from bench.members import make_member  # noqa: E402

RECOMMENDATIONS = "/api/v1/members/me/mentoring/recommendations"
# What mentees wish for in the second row (the first uses only their profile).
WISHES = {"topics": ["specialty_choice", "working_abroad"], "limit": 10}


class Bench(surveys.Bench):
    name = "mentoring"
    tmp_prefix = "bench-mentoring-"

    # ---------------------------------------------------------------- set-up
    def seed_members(self) -> None:
        """Mentors with offers and a history, and mentees, all through the store (see the
        module's docstring)."""
        from services.members.mentoring import rules
        from services.members.mentoring import store as mentoring_store
        from services.members.store import MembersStore
        a = self.args
        store = MembersStore(self.url, self.db_name)
        store.create_indexes()
        db = store.db
        rng = random.Random(a.seed)
        epoch = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
        verified = {"status": "verified", "verification": {"status": "verified", "method": "admin", "at": epoch,
                                                           "by": None, "reason": None}}
        t = time.perf_counter()
        mentors = []
        for i in range(a.mentors):
            member = {**make_member(i, rng, epoch), **verified, "roles": ["alumnus"], "open_to_mentoring": True}
            member["graduation_year"] = min(member["graduation_year"], 2020)
            mentors.append(member)
        for start in range(0, len(mentors), 1000):
            db.members.insert_many(mentors[start:start + 1000])
        history = []
        for member in mentors:
            in_person = bool(member.get("city")) and rng.random() < 0.4
            offer = {"topics": rng.sample(list(rules.TOPICS), rng.randint(1, 4)),
                     "specialties": [member["specialty"]] if member.get("specialty") else [],
                     "languages": member["languages"],
                     "formats": ["online", "in_person"] if in_person else ["online"],
                     "city": member.get("city") if in_person else None,
                     "capacity": rng.randint(1, 4), "paused": rng.random() < 0.1}
            saved = mentoring_store.save_offer(store, member, offer, epoch)
            active = rng.randint(0, saved["capacity"])
            pending = rng.randint(0, saved["capacity"] - active)
            answered = rng.randint(0, 12)
            accepted = rng.randint(0, answered)
            declined = rng.randint(0, answered - accepted)
            replies = [round(rng.uniform(0.5, 80), 1) for _ in range(min(answered, mentoring_store.REPLIES))]
            history.append(UpdateOne({"_id": member["_id"]}, {
                "$set": {"active": active, "pending": pending, "free": saved["capacity"] - active - pending,
                         "stats": {"accepted": accepted, "declined": declined,
                                   "expired": answered - accepted - declined},
                         "replies": replies}}))
        db[mentoring_store.OFFERS].bulk_write(history, ordered=False)
        self.mentors_seed_s = time.perf_counter() - t
        self.offered = db[mentoring_store.OFFERS].count_documents({"paused": False, "free": {"$gt": 0}})
        say(f"seeded {len(mentors):,} mentors with offers ({self.offered:,} paused=false with a free place) "
            f"in {self.mentors_seed_s:.1f}s")
        self.members = []
        for i in range(a.mentees):
            member = {**make_member(a.mentors + i, rng, epoch), **verified}
            if rng.random() < 0.5:
                member.update(roles=["student"], graduation_year=None, is_student=True)
            else:
                member.update(roles=["alumnus"], graduation_year=rng.randint(2023, 2026))
            self.members.append(member)
        for start in range(0, len(self.members), 1000):
            db.members.insert_many(self.members[start:start + 1000])
        say(f"seeded {len(self.members):,} mentees")

    # ---------------------------------------------------------------- rows
    def requests_for(self, path: str, n: int) -> list[tuple]:
        """``n`` GETs of ``path``, each with the next mentee's token (round robin)."""
        tokens = [{"Authorization": f"Bearer {self.issuer.issue(m['_id'], m['roles'])}"} for m in self.members]
        return [("GET", path, tokens[k % len(tokens)], None) for k in range(n)]

    def run_rows(self) -> None:
        a = self.args
        ping = self.drive("bare Flask /ping", self.ping, self.spread([("GET", "/ping", {}, None)] * a.ping_requests))
        with_wishes = f"{RECOMMENDATIONS}?{urlencode(WISHES, doseq=True)}"
        probe = {"Authorization": f"Bearer {self.issuer.issue(self.members[0]['_id'], self.members[0]['roles'])}"}
        for label, path in (("profile", RECOMMENDATIONS), ("wishes", with_wishes)):
            self.count_commands(label, "GET", path, probe)
        plain = self.drive("recommendations", self.api, self.spread(self.requests_for(RECOMMENDATIONS, a.requests)))
        wished = self.drive("recommendations with wishes", self.api,
                            self.spread(self.requests_for(with_wishes, a.requests)))
        self.check_answers()

        def commands(label: str) -> str:
            n, detail = self.commands.get(label, (None, ""))
            return "not measured" if n is None else f"{n} ({detail})"
        self.add(f"GET .../me/mentoring/recommendations ({a.mentors:,} mentors; {a.mentees:,} mentees in turn)",
                 plain, commands("profile"), ping=ping)
        self.add(f"  the same with wishes (?{urlencode(WISHES, doseq=True)})", wished, commands("wishes"), ping=ping)
        self.add("bare Flask GET /ping (same gunicorn config)", ping)
        for label, r in (("recommendations", plain), ("with wishes", wished)):
            if not r.rate or not ping.rate:
                continue
            self.verdicts.append(
                f"{label}: {fmt_rate(r.rate)}, p50 {ms(pctl(r.latencies, 50))}, p99 {ms(pctl(r.latencies, 99))}; "
                f"{r.rate / ping.rate:.3f} x bare /ping; the api's CPU {r.cpu['app'] / r.rate * 1000:.1f} ms a "
                f"request, the store's {r.cpu['store'] / r.rate * 1000:.1f} ms" if r.cpu.get("store") is not None
                else f"{label}: {fmt_rate(r.rate)}")
        if a.profile:
            self.profile(a.profile)

    def check_answers(self) -> None:
        """One mentee's answer, read: ten mentors, best first, none paused or full."""
        member = self.members[1]
        token = self.issuer.issue(member["_id"], member["roles"])
        status, body = self.call("GET", RECOMMENDATIONS, headers={"Authorization": f"Bearer {token}"})
        items = body.get("items", []) if status == 200 else []
        totals = [i["total"] for i in items]
        ok = status == 200 and len(items) == 10 and totals == sorted(totals, reverse=True) \
            and all(i["mentor"]["offered"] for i in items)
        self.notes.append(f"data check: a mentee's answer {status}, {len(items)} mentors, scores "
                          f"{totals[0] if totals else '-'} to {totals[-1] if totals else '-'}, best first, all "
                          f"offered: {'consistent' if ok else 'INCONSISTENT'}")

    def profile(self, n: int) -> None:
        """``n`` recommendation requests of different mentees in-process under cProfile; the
        functions with the most time of their own, and the most cumulative, as notes."""
        plan = self.requests_for(RECOMMENDATIONS, n)
        profiler = cProfile.Profile()
        t = time.process_time()
        profiler.enable()
        for _, path, headers, _ in plan:
            self.probe.get(path, headers=headers)
        profiler.disable()
        cpu_ms = (time.process_time() - t) / n * 1000
        for order, top in (("tottime", 18), ("cumulative", 30)):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
            say(f"cProfile of {n} in-process requests by {order} ({cpu_ms:.1f} ms CPU a request, "
                f"client and profiler included):\n{out.getvalue()}")

    def table(self) -> str:
        a = self.args
        env = getattr(self, "env", {})
        header = surveys.HEADER
        lines = [
            f"Alumnet mentoring recommendations benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
            f"store:    {self.store_label}",
            f"host:     {machine()}; 1-min load average {self.load_start:.2f} before the run",
            f"gunicorn: deploy/gunicorn.conf.py, WEB_CONCURRENCY={env.get('WEB_CONCURRENCY', '?')}, "
            f"GUNICORN_THREADS={env.get('GUNICORN_THREADS', '?')}, gthread",
            f"load gen: {a.connections} keep-alive connections from {min(a.client_processes, a.connections)} "
            f"processes (http.client); a row is {a.requests:,} requests (/ping {a.ping_requests:,}); "
            "rate = 2xx answers / first sent to last answered",
            f"data:     {a.mentors:,} mentors seeded through the store (mentoring.store.save_offer, then a history "
            f"on the offers) "
            + (f"in {self.mentors_seed_s:.0f}s, {self.offered:,} of them offered (not paused, a free place); "
               if hasattr(self, "offered") else "; ")
            + f"{a.mentees:,} verified mentees (students and 2023-2026 graduates), a different one per request in turn",
            "", *table_lines(header, self.rows),
        ]
        if self.verdicts:
            lines += ["", *self.verdicts]
        if self.notes:
            lines += ["", "notes:", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mentors", type=int, default=None, help="mentors with an offer (5000; 600 with --quick)")
    p.add_argument("--mentees", type=int, default=None, help="mentees who ask, in turn (2000; 200 with --quick)")
    p.add_argument("--requests", type=int, default=None, 
                   help="requests of each recommendations row (2000; 100 with --quick)")
    p.add_argument("--ping-requests", type=int, default=None,
                   help="requests of the /ping row (8000; 1000 with --quick)")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--client-processes", type=int, default=2, help="load generator processes")
    p.add_argument("--profile", type=int, default=0, metavar="N",
                   help="after the rows, profile N in-process requests with cProfile (printed to stderr)")
    p.add_argument("--mongo-url", default=None, help="use this MongoDB (a replica set) instead of a local SecantusDB")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds a row may take (1800)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--quick", action="store_true", help="a smoke run (under ~90 s on an idle machine): 600 mentors, 200 mentees, 100 requests a row")
    p.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with the logs")
    surveys.add_json_arg(p)
    args = p.parse_args(argv)
    args.mentors = args.mentors or (600 if args.quick else 5000)
    args.mentees = args.mentees or (200 if args.quick else 2000)
    args.requests = args.requests or (100 if args.quick else 2000)
    args.ping_requests = args.ping_requests or (1000 if args.quick else 8000)
    return args


def main(argv: list[str] | None = None) -> int:
    return surveys.run(Bench(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
