#!/usr/bin/env python
"""Benchmark of surveys under gunicorn: members submitting responses
(``POST /api/v1/members/surveys/<id>/response/submit``), then the results of a large survey
(``GET .../results`` and ``?by=faculty``), beside a bare Flask ``/ping`` on the same gunicorn
config, all in the same run; store commands per request counted in-process.

    .venv/bin/python bench/surveys.py [--responses N] [--big-responses M] [--connections C] [--quick] [--json PATH]
    .venv/bin/python bench/surveys.py --mongo-url mongodb://host:27017/?replicaSet=rs0

It starts its own throwaway SecantusDB (``LocalStore(":memory:")``) unless ``--mongo-url`` is
given (then it uses, and at the end drops, a database ``bench<random>_members`` there), seeds
N verified members (bench/members.py's generator), runs the members api and
``bench/bare_ping.py`` under gunicorn with ``deploy/gunicorn.conf.py`` and the deployment's
environment, creates and opens a survey through the HTTP API as an admin, and has every
member submit it once at C connections. Then it seeds a 40-question survey with M responses
*directly* (responses inserted, then ``results_store.recount``: the sums of what
``results_store.record`` adds per submission, one write per tally document) and times its
results. Each row is a fixed number of requests, spread over the connections; rate =
answered requests / time from the first request sent to the last answer; cpu ms/op = the
gunicorn app's processes' CPU seconds over the row / its answered requests (the api's, and
bare /ping's in the same run). ``--json PATH`` writes the rows in bench/report.py's shape.
What each row means: bench/README.md, "## surveys".
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
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

from bench import report  # noqa: E402
from bench.harness import (  # noqa: E402
    ServiceBench,
    deploy_env,
    fmt_cpu,
    fmt_rate,
    group_cpu_s,
    keepalive_request,
    machine,
    machine_busy,
    ms,
    pctl,
    run_threads,
    say,
    sigterm_interrupts,
    start_api_and_ping,
    start_watchdog,
    table_lines,
)
from bench.members import make_member  # noqa: E402
from shared.commandcount import StoreCommands  # noqa: E402

MEMBERS_APP = "services.members.app:create_app()"
SURVEYS = "/api/v1/members/surveys"
HTTP_TIMEOUT_S = 300.0
ADMIN_ID = "a" * 32
KINDS = ("single_choice", "multiple_choice", "scale", "scale_nps", "number", "yes_no", "text", "country")
COUNTRIES = ("BG", "BG", "BG", "BG", "DE", "GB", "GR", "AT", "US", "FR")
WISHES = ("Повече срещи на випуска", "Онлайн лекции за специализанти", "Менторска програма",
          "More events in English", "=по-добра организация", "Стипендии за студенти", "Нищо, всичко е чудесно")


# Installed before any client of this process: the probe app's client reports to it.
COUNTER = StoreCommands.install()


# ------------------------------------------------------------------------------------------
# Surveys and answers
# ------------------------------------------------------------------------------------------

def bilingual(bg: str, en: str) -> dict:
    return {"bg": bg, "en": en}


def question(i: int) -> dict:
    kind = KINDS[i % len(KINDS)]
    q = {"id": f"q{i}", "kind": kind, "text": bilingual(f"Въпрос {i}: как оценявате…", f"Question {i}: how do you rate…")}
    if kind in ("single_choice", "multiple_choice"):
        q["choices"] = [{"id": f"c{k}", "text": bilingual(f"Отговор {k}", f"Answer {k}")} for k in range(5)]
        q["other"] = True
    elif kind == "scale":
        q["scale"] = "1-5"
    elif kind == "scale_nps":
        q["kind"], q["scale"] = "scale", "nps"
    elif kind == "number":
        q["minimum"], q["maximum"] = 0, 60
    return q


def definition(questions: int, now: datetime, title: str) -> dict:
    """A survey as an admin posts it: ``questions`` questions of every kind in turn, in
    sections of ten, open from a minute ago for a day, to everyone, named."""
    qs = [question(i) for i in range(questions)]
    return {"title": bilingual(title, title), "description": bilingual("Бенчмарк", "Benchmark"),
            "sections": [{"id": f"s{k}", "title": bilingual(f"Част {k + 1}", f"Part {k + 1}"),
                          "questions": qs[k:k + 10]} for k in range(0, questions, 10)],
            "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=1)).isoformat(),
            "audience": {"kind": "everyone"}, "anonymous": False}


def answers_for(survey: dict, rng: random.Random) -> dict:
    """A valid answer set: about four questions in five answered, as people answer."""
    out = {}
    for section in survey["sections"]:
        for q in section["questions"]:
            if rng.random() < 0.2:
                continue
            kind = q["kind"]
            if kind == "single_choice":
                out[q["id"]] = ({"other": rng.choice(WISHES)} if rng.random() < 0.05
                                else {"choices": [rng.choice(q["choices"])["id"]]})
            elif kind == "multiple_choice":
                out[q["id"]] = {"choices": [c["id"] for c in rng.sample(q["choices"], rng.randint(1, 3))]}
            elif kind == "scale":
                out[q["id"]] = rng.randint(0, 10) if q["scale"] == "nps" else rng.randint(1, 5)
            elif kind == "number":
                # years, hours: whole numbers, now and then a half
                out[q["id"]] = rng.randint(0, 40) + (0.5 if rng.random() < 0.1 else 0)
            elif kind == "yes_no":
                out[q["id"]] = rng.random() < 0.6
            elif kind == "text":
                out[q["id"]] = rng.choice(WISHES)
            elif kind == "country":
                out[q["id"]] = rng.choice(COUNTRIES)
    return out


# ------------------------------------------------------------------------------------------
# Load: a fixed number of requests over P processes x T threads
# ------------------------------------------------------------------------------------------

def _count_child(port: int, plan: list[list[tuple[str, str, dict, bytes | None]]], first: int, threads: int,
                 out) -> None:
    """``plan[thread]``: that thread's requests, (method, path, headers, body), sent in order on
    one keep-alive connection. Reports latencies of 2xx answers, statuses, when it started
    and when its last answer came (monotonic clock: the same in every process)."""
    lock = threading.Lock()
    result = {"latencies": [], "statuses": Counter(), "samples": [], "reconnects": 0, "start": None, "end": 0.0}

    def run(tid: int) -> None:
        conn = None
        lat, statuses, samples, reconnects = [], Counter(), [], 0
        start = time.monotonic()
        for method, path, headers, body in plan[tid]:
            t0 = time.monotonic()
            conn, status, payload, retried = keepalive_request(conn, port, method, path, body, headers, HTTP_TIMEOUT_S)
            reconnects += retried
            statuses[status] += 1
            if isinstance(status, int) and 200 <= status < 300:
                lat.append(time.monotonic() - t0)
            elif len(samples) < 3:
                samples.append(f"{status} {method} {path}: {payload[:300]!r}")
        if conn is not None:
            conn.close()
        with lock:
            result["latencies"] += lat
            result["statuses"].update(statuses)
            result["samples"] += samples
            result["reconnects"] += reconnects
            result["start"] = start if result["start"] is None else min(result["start"], start)
            result["end"] = max(result["end"], time.monotonic())

    run_threads(run, first, threads)
    out.put(result)


class Result:
    def __init__(self, name: str, raw: list[dict], cpu: dict, app_cpu_s: float | None = None):
        self.name = name
        self.latencies = sorted(x for r in raw for x in r["latencies"])
        self.statuses: Counter = Counter()
        for r in raw:
            self.statuses.update(r["statuses"])
        self.samples = [s for r in raw for s in r["samples"]]
        self.reconnects = sum(r["reconnects"] for r in raw)
        self.seconds = max(r["end"] for r in raw) - min(r["start"] for r in raw)
        self.rate = len(self.latencies) / self.seconds if self.seconds > 0 else 0.0
        self.cpu = cpu
        self.app_cpu_s = app_cpu_s  # the app's processes' CPU seconds over the row

    @property
    def cpu_ms_per_op(self) -> float | None:
        return report.cpu_ms_per_op(self.app_cpu_s, len(self.latencies))

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if not (isinstance(s, int) and 200 <= s < 300))


# ------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------

def fmt_ms_op(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


# The table's columns (bench/mentoring.py's too).
HEADER = ("measurement", "rate", "p50", "p99", "errors", "cpu app/store/all", "cpu ms/op",
          "store commands per request")


class Bench(ServiceBench):
    name = "surveys"
    tmp_prefix = "bench-surveys-"
    store_detail = "pure-Python server, "

    def __init__(self, args):
        super().__init__(args)
        self.db_name = f"{self.prefix}members"
        self.commands: dict[str, tuple[int, str]] = {}
        self.results: list[report.Result] = []  # one per row of the table, for --json

    # ---------------------------------------------------------------- set-up
    def seed_members(self) -> None:
        from services.members.store import MembersStore
        store = MembersStore(self.url, self.db_name)
        store.create_indexes()
        rng = random.Random(self.args.seed)
        epoch = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
        t = time.perf_counter()
        self.members = []
        for start in range(0, self.args.responses, 1000):
            chunk = [make_member(i, rng, epoch) for i in range(start, min(self.args.responses, start + 1000))]
            for member in chunk:  # every one verified: each submits once
                member.update(status="verified", verification={"status": "verified", "method": "admin",
                                                               "at": epoch, "by": None, "reason": None})
            self.client[self.db_name].members.insert_many(chunk)
            self.members += chunk
        say(f"seeded {len(self.members):,} verified members in {time.perf_counter() - t:.1f}s")

    def start_apps(self) -> None:
        self.env, self.issuer = deploy_env(self.tmp, self.url, self.prefix)
        self.admin = {"Authorization": f"Bearer {self.issuer.issue(ADMIN_ID, ['admin'])}",
                      "Content-Type": "application/json"}
        self.api, self.ping = start_api_and_ping("members", MEMBERS_APP, self.env, self.tmp, self.apps)

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.api.port, timeout=HTTP_TIMEOUT_S)
        try:
            conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                         headers=headers or self.admin)
            response = conn.getresponse()
            payload = response.read()
            try:
                return response.status, json.loads(payload or b"{}")
            except ValueError:
                return response.status, {"raw": payload[:300].decode(errors="replace")}
        finally:
            conn.close()

    def open_survey_over_http(self) -> str | None:
        """Create and open the survey members submit, through the contract's admin routes;
        None (with a note) while the members api has no such routes."""
        now = datetime.now(timezone.utc).replace(microsecond=0)
        status, survey = self.call("POST", SURVEYS, definition(self.args.questions, now, "Анкета 2026"))
        if status != 201:
            self.notes.append(f"POST {SURVEYS} answered {status} ({str(survey)[:200]}): the surveys store/API "
                              "is not in this build; the submit row was not measured")
            return None
        status, opened = self.call("POST", f"{SURVEYS}/{survey['id']}/open", {})
        if status != 200:
            self.notes.append(f"POST {SURVEYS}/<id>/open answered {status} ({str(opened)[:200]}); "
                              "the submit row was not measured")
            return None
        self.survey_def = definition(self.args.questions, now, "Анкета 2026")
        return survey["id"]

    def seed_big_survey(self) -> dict:
        """The 40-question survey with M responses, written directly: responses inserted in
        batches, then their tallies made by ``results_store.recount`` (the sums of what
        ``results_store.record`` adds per response, one write per tally document)."""
        from services.members.surveys import results_store, rules
        a = self.args
        db = self.client[self.db_name]
        now = datetime.now(timezone.utc).replace(microsecond=0)
        loaded = rules.SurveySchema().load(definition(a.big_questions, now, "Голяма анкета"))
        survey = {"_id": uuid.uuid4().hex, "status": "open", **loaded, "created_by": ADMIN_ID, "created_at": now,
                  "updated_at": now, "opened_at": now, "closed_at": None, "audience_size": a.big_responses,
                  "version": 1}
        db.surveys.insert_one(survey)
        rng = random.Random(a.seed + 1)
        epoch = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
        t = time.perf_counter()
        docs = []
        for i in range(a.big_responses):
            member = make_member(i, rng, epoch)
            answers = rules.drop_hidden(survey, answers_for(survey, rng))
            docs.append({"_id": f"{survey['_id']}:{member['_id']}", "survey_id": survey["_id"],
                         "member_id": member["_id"], "status": "submitted", "answers": answers,
                         "class": member["graduation_year"], "faculty": member["faculty"], "saved_at": now,
                         "submitted_at": now - timedelta(seconds=i), "proposals": []})
        for start in range(0, len(docs), 1000):
            db.survey_responses.insert_many(docs[start:start + 1000])
        results_store.recount(db, survey)
        self.big_seed_s = time.perf_counter() - t
        say(f"seeded the {a.big_questions}-question survey with {len(docs):,} responses and their tallies "
            f"in {self.big_seed_s:.1f}s")
        return survey

    # ---------------------------------------------------------------- counting commands
    def count_commands(self, label: str, method: str, path: str, headers: dict, body: dict | None = None) -> int:
        """One request in-process (the members app on the same database), its store commands
        counted with a pymongo command listener."""
        from services.members.app import create_app
        from shared.config import load
        if not hasattr(self, "probe"):
            app = create_app(load({**self.env, "LOG_LEVEL": "WARNING"}))
            verifier = app.extensions["alumnet"].verifier
            if verifier is not None and verifier.revocations is not None:
                # Its once-a-second refresh is no command of the request counted.
                verifier.revocations.refresh_s = 24 * 3600.0
            self.probe = app.test_client()
        # Once uncounted first: the first request of a process also reads the revocations.
        self.probe.open(path, method=method, json=body, headers=headers)
        with COUNTER.counting(self.db_name) as seen:
            response = self.probe.open(path, method=method, json=body, headers=headers)
        if not 200 <= response.status_code < 300:
            self.notes.append(f"counting {label}: {response.status_code} {response.get_data(as_text=True)[:200]}")
            return 0
        self.commands[label] = (seen.total, ", ".join(f"{c} {coll}".strip() + (f" x{n}" if n > 1 else "")
                                                     for (c, coll), n in sorted(seen.by_collection.items())))
        return seen.total

    # ---------------------------------------------------------------- rows
    def drive(self, name: str, app, plan: list[list]) -> Result:
        waited = self.wait_store_quiet()
        if waited > 1.5:
            self.notes.append(f"{name}: waited {waited:.0f}s before the row for the store to become idle")
        n = sum(len(p) for p in plan)
        say(f"row: {name} ({n:,} requests, {len(plan)} connections) ...")
        procs = max(1, min(self.args.client_processes, len(plan)))
        per = [len(plan) // procs + (1 if k < len(plan) % procs else 0) for k in range(procs)]
        ctx = mp.get_context("fork")
        out = ctx.Queue()
        c0 = (group_cpu_s(app.process.pid), group_cpu_s(self.store.process.pid if self.store else None),
              machine_busy(), time.monotonic())
        first = 0
        for k in range(procs):
            p = ctx.Process(target=_count_child, args=(app.port, plan, first, per[k], out), daemon=True)
            first += per[k]
            p.start()
            self.children.append(p)
        raw = [out.get(timeout=self.args.timeout) for _ in range(procs)]
        for p in self.children:
            p.join(30)
        self.children.clear()
        c1 = (group_cpu_s(app.process.pid), group_cpu_s(self.store.process.pid if self.store else None),
              machine_busy(), time.monotonic())
        wall = c1[3] - c0[3]
        busy = (c1[2][0] - c0[2][0]) / max(1, c1[2][1] - c0[2][1]) * (mp.cpu_count() or 1)
        cpu = {"app": (c1[0] - c0[0]) / wall, "store": None if c0[1] is None else (c1[1] - c0[1]) / wall,
               "machine": busy}
        result = Result(name, raw, cpu, app_cpu_s=c1[0] - c0[0])
        say(f"   {name}: {fmt_rate(result.rate)}, p50 {ms(pctl(result.latencies, 50) if result.latencies else None)}, "
            f"p99 {ms(pctl(result.latencies, 99) if result.latencies else None)}, errors {result.errors}")
        for s in result.samples[:3]:
            self.notes.append(f"{name}: error {s}")
        return result

    def spread(self, requests: list[tuple]) -> list[list[tuple]]:
        c = self.args.connections
        return [requests[k::c] for k in range(c)]

    def add(self, name: str, r: Result | None, commands: str = "", ping: Result | None = None) -> None:
        """A row of the table, and its ``report.Result`` (ratio: x bare /ping, no target)."""
        if r is None:
            self.rows.append((name, "not measured", "-", "-", "-", "-", "-", commands))
            self.results.append(report.Result(name, "not measured", unit="req/s"))
            return
        errors = str(r.errors) + (f" ({r.reconnects} reconn.)" if r.reconnects else "")
        p = (lambda q: ms(pctl(r.latencies, q))) if r.latencies else (lambda q: "-")
        base = ping if ping is not None and ping is not r else None
        self.rows.append((name, fmt_rate(r.rate), p(50), p(99), errors, fmt_cpu(r.cpu, ("app", "store", "machine")),
                          fmt_ms_op(r.cpu_ms_per_op) + (f" (/ping {fmt_ms_op(base.cpu_ms_per_op)})" if base else ""),
                          commands))
        ratio = r.rate / base.rate if base is not None and base.rate and r.rate else None
        self.results.append(report.Result(
            name, fmt_rate(r.rate), ratio=None if ratio is None else round(ratio, 4),
            baseline=f"bare /ping {fmt_rate(base.rate)}" if base is not None else "", unit="req/s",
            cpu_ms_per_op=r.cpu_ms_per_op, baseline_cpu_ms_per_op=base.cpu_ms_per_op if base is not None else None))

    def run_rows(self) -> None:
        a = self.args
        ping = self.drive("bare Flask /ping", self.ping, self.spread([("GET", "/ping", {}, None)] * a.ping_requests))
        survey_id = self.open_survey_over_http()
        submit = None
        if survey_id:
            rng = random.Random(a.seed + 2)
            loaded = {"sections": self.survey_def["sections"]}
            requests = [("POST", f"{SURVEYS}/{survey_id}/response/submit",
                         {"Authorization": f"Bearer {self.issuer.issue(m['_id'], ['alumnus'])}",
                          "Content-Type": "application/json"},
                         json.dumps({"answers": answers_for(loaded, rng)}).encode()) for m in self.members]
            submit = self.drive("submit", self.api, self.spread(requests))
            status, shown = self.call("GET", f"{SURVEYS}/{survey_id}/results")
            ok = status == 200 and shown.get("respondents") == len(submit.latencies)
            self.notes.append(f"data check: {len(submit.latencies):,} submits answered 2xx, the results count "
                              f"{shown.get('respondents')} respondents: {'consistent' if ok else 'INCONSISTENT'}")
        big = self.seed_big_survey()
        results_path = f"{SURVEYS}/{big['_id']}/results"
        admin = {"Authorization": self.admin["Authorization"]}
        for label, path in (("results", results_path), ("results by faculty", f"{results_path}?by=faculty")):
            self.count_commands(label, "GET", path, admin)
        if survey_id:
            extra = self.members[0]
            self.count_commands("submit again", "POST", f"{SURVEYS}/{survey_id}/response/submit",
                                {"Authorization": f"Bearer {self.issuer.issue(extra['_id'], ['alumnus'])}"},
                                {"answers": answers_for({"sections": self.survey_def["sections"]}, random.Random(1))})
        plain = self.drive("results", self.api, self.spread([("GET", results_path, admin, None)] * a.results_requests))
        faculty = self.drive("results by faculty", self.api,
                             self.spread([("GET", f"{results_path}?by=faculty", admin, None)] * a.results_requests))

        def commands(label: str) -> str:
            n, detail = self.commands.get(label, (None, ""))
            return "not measured" if n is None else f"{n} ({detail})"
        self.add(f"POST .../surveys/{{id}}/response/submit ({a.questions} questions, {a.responses:,} members once each)",
                 submit, commands("submit again") + (" [a re-submission, counted in-process]" if submit else ""),
                 ping=ping)
        self.add(f"GET .../surveys/{{id}}/results ({a.big_questions} questions, {a.big_responses:,} responses)",
                 plain, commands("results"), ping=ping)
        self.add("GET .../surveys/{id}/results?by=faculty (same survey)", faculty, commands("results by faculty"),
                 ping=ping)
        self.add("bare Flask GET /ping (same gunicorn config)", ping)
        for label, r in (("submit", submit), ("results", plain), ("results by faculty", faculty)):
            if r is None or not r.rate or not ping.rate:
                continue
            self.verdicts.append(
                f"{label}: {fmt_rate(r.rate)}, p50 {ms(pctl(r.latencies, 50))}, p99 {ms(pctl(r.latencies, 99))}; "
                f"{r.rate / ping.rate:.3f} x bare /ping; the api's CPU {r.cpu['app'] / r.rate * 1000:.1f} ms a request "
                f"(/ping {ping.cpu['app'] / ping.rate * 1000:.2f} ms)")

    def drop_databases(self) -> None:
        self.client.drop_database(self.db_name)

    def cleanup(self) -> None:
        super().cleanup()
        if not self.args.keep_logs:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def table(self) -> str:
        a = self.args
        header = HEADER
        lines = [
            f"Alumnet surveys benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
            f"store:    {self.store_label}",
            f"host:     {machine()}; 1-min load average {self.load_start:.2f} before the run",
            f"gunicorn: deploy/gunicorn.conf.py, WEB_CONCURRENCY={self.env.get('WEB_CONCURRENCY') if hasattr(self, 'env') else '?'}, "
            f"GUNICORN_THREADS={self.env.get('GUNICORN_THREADS') if hasattr(self, 'env') else '?'}, gthread",
            f"load gen: {a.connections} keep-alive connections from {min(a.client_processes, a.connections)} "
            "processes (http.client); a row is a fixed number of requests; rate = 2xx answers / first sent to last answered",
            f"data:     {a.responses:,} verified members submit once each (a survey created and opened over HTTP); "
            f"a {a.big_questions}-question survey with {a.big_responses:,} responses seeded directly "
            + (f"in {self.big_seed_s:.0f}s " if hasattr(self, "big_seed_s") else "")
            + "(responses inserted, then results_store.recount: the sums of record's increments)",
            "", *table_lines(header, self.rows),
        ]
        if self.verdicts:
            lines += ["", *self.verdicts]
        if self.notes:
            lines += ["", "notes:", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--responses", type=int, default=None, help="members who submit, once each (2000; 300 with --quick)")
    p.add_argument("--questions", type=int, default=12, help="questions of the survey they submit (12)")
    p.add_argument("--big-responses", type=int, default=None,
                   help="responses of the large survey whose results are timed (10000; 1000 with --quick)")
    p.add_argument("--big-questions", type=int, default=40, help="its questions (40)")
    p.add_argument("--results-requests", type=int, default=None, help="requests of each results row (400; 80 with --quick)")
    p.add_argument("--ping-requests", type=int, default=None, help="requests of the /ping row (8000; 2000 with --quick)")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--client-processes", type=int, default=2, help="load generator processes")
    p.add_argument("--mongo-url", default=None, help="use this MongoDB (a replica set) instead of a local SecantusDB")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds a row may take (1800)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--quick", action="store_true", help="a smoke run: 300 submits, 1,000 responses, 80 results requests")
    p.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with the logs")
    add_json_arg(p)
    args = p.parse_args(argv)
    args.responses = args.responses or (300 if args.quick else 2000)
    args.big_responses = args.big_responses or (1000 if args.quick else 10_000)
    args.results_requests = args.results_requests or (80 if args.quick else 400)
    args.ping_requests = args.ping_requests or (2000 if args.quick else 8000)
    return args


def add_json_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="PATH", default=None,
                   help="also write the rows as JSON (bench/report.py's shape) to PATH")


def run(bench) -> int:
    """Store, seed, apps, rows, then the table, whatever happened (a watchdog ends a hung run);
    the exit status says whether the run itself failed."""
    timer = start_watchdog(3 * bench.args.timeout + 600, bench.cleanup)
    sigterm_interrupts()
    status = 0
    try:
        bench.start_store()
        bench.seed_members()
        bench.start_apps()
        bench.run_rows()
    except KeyboardInterrupt:
        bench.notes.append("run interrupted")
        status = 130
    except Exception as exc:
        import traceback
        traceback.print_exc()
        bench.notes.append(f"run aborted: {type(exc).__name__}: {exc}")
        status = 1
    finally:
        say("cleaning up (gunicorn, store) ...")
        bench.cleanup()
        timer.cancel()
    print(bench.table())
    if bench.args.json:
        report.write(bench.args.json, bench.name, getattr(bench, "store_short", "?"), bench.results,
                     quick=bench.args.quick, notes=[*bench.verdicts, *bench.notes])
    return status  # the figures are findings: no target is judged here


def main(argv: list[str] | None = None) -> int:
    return run(Bench(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
