#!/usr/bin/env python
"""Benchmark of the members api under gunicorn: GET a member and directory search, beside a
bare Flask ``/ping`` on the same gunicorn config and the store's raw indexed-find rate, all
measured in the same run.

    .venv/bin/python bench/members.py [--members N] [--connections C] [--seconds S] [--quick] [--json PATH]
    .venv/bin/python bench/members.py --mongo-url mongodb://host:27017/?replicaSet=rs0

It starts its own throwaway SecantusDB (``LocalStore(":memory:")``) unless ``--mongo-url`` is
given (then it uses, and at the end drops, a database ``bench<random>_members`` there), seeds N
members (default 50,000; 5,000 with --quick) and, up to --directory-members (50,000), more
members with their directory entry only, runs the members api (``services.members.app:create_app()``) and
``bench/bare_ping.py`` under gunicorn with ``deploy/gunicorn.conf.py`` and the deployment's
environment (WEB_CONCURRENCY=2, GUNICORN_THREADS=4, LOG_LEVEL=INFO, PROMETHEUS_MULTIPROC_DIR),
drives them with C keep-alive connections for S seconds per row after a warm-up (the judged
directory row: one connection for --directory-seconds), and prints one table; each HTTP row shows its app's CPU per answered request (gunicorn master + workers),
beside bare /ping's in the same run. ``--json PATH`` also writes every row in bench/report.py's
shape. What each row means: bench/README.md.
"""
from __future__ import annotations

import argparse
import http.client
import importlib.metadata
import json
import multiprocessing as mp
import os
import queue
import random
import re
import shutil
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pymongo import MongoClient  # noqa: E402

from bench import report  # noqa: E402
from bench.harness import (  # noqa: E402
    GUNICORN_CONF,
    Gunicorn,
    ServiceBench,
    deploy_env,
    fmt_cpu,
    fmt_rate,
    keepalive_request,
    machine,
    ms,
    pctl,
    run_threads,
    say,
    sigterm_interrupts,
    start_api_and_ping,
    start_watchdog,
    table_lines,
)
from services.members.profiles import rules as profiles  # noqa: E402
from services.members.profiles import store as profiles_store  # noqa: E402
from services.members.store import MembersStore  # noqa: E402
from shared import translit  # noqa: E402

MEMBERS_APP = "services.members.app:create_app()"
DIRECTORY = "/api/v1/members/directory"
HTTP_TIMEOUT_S = 900.0

# ------------------------------------------------------------------------------------------
# Realistic members
# ------------------------------------------------------------------------------------------

MALE = ["Иван", "Георги", "Димитър", "Николай", "Петър", "Христо", "Тодор", "Стефан", "Васил",
        "Александър", "Атанас", "Красимир", "Любомир", "Пламен", "Стоян", "Борислав", "Владимир",
        "Йордан", "Мартин", "Калоян", "Емил", "Цветан", "Радослав", "Веселин", "Валентин", "Янко",
        "Асен", "Ангел", "Кирил", "Здравко", "Огнян", "Божидар", "Светослав", "Румен", "Щерю",
        "Жельо", "Милен", "Добромир", "Теодор", "Васко"]
FEMALE = ["Мария", "Елена", "Иванка", "Йорданка", "Пенка", "Даниела", "Десислава", "Снежана",
          "Виолета", "Гергана", "Радостина", "Цветелина", "Надежда", "Теодора", "Николина", "Милена",
          "Ралица", "Зорница", "Анелия", "Силвия", "Катерина", "Боряна", "Весела", "Петя", "Галина",
          "Мирослава", "Юлия", "Яна", "Жана", "Христина", "Антоанета", "Вяра", "Елица", "Бистра"]
# Family names in their masculine form, most common first (a Zipf-like share each).
FAMILY = ["Иванов", "Георгиев", "Димитров", "Петров", "Николов", "Христов", "Стоянов", "Тодоров",
          "Илиев", "Василев", "Атанасов", "Петков", "Ангелов", "Маринов", "Колев", "Йорданов",
          "Попов", "Стефанов", "Костов", "Русев", "Михайлов", "Кръстев", "Павлов", "Димов",
          "Симеонов", "Цветков", "Янков", "Лазаров", "Жечев", "Щерев", "Чакъров", "Шопов", "Цонев",
          "Гочев", "Бояджиев", "Хаджиев", "Панайотов", "Кирилов", "Славов", "Добрев", "Митев",
          "Ненов", "Пеев", "Генов", "Радев", "Спасов", "Вълчев", "Бонев", "Каменов", "Ганчев",
          "Тончев", "Златев", "Милушев", "Караиванов", "Узунов", "Кехайов", "Чолаков", "Дечев",
          "Шишков", "Бакърджиев", "Пашов", "Мавродиев", "Гърков", "Делчев", "Филипов", "Андонов",
          "Стамболийски", "Ковачев", "Манолов", "Дюлгеров", "Терзиев", "Керанов", "Пенчев",
          "Алексиев", "Начев", "Въжаров", "Чернев", "Бъчваров", "Йотов", "Кацаров"]
FAMILY_WEIGHTS = [1 / (i + 3) for i in range(len(FAMILY))]
INTL_GIVEN = ["Rahul", "Priya", "David", "Sarah", "Yosef", "Noa", "Georgios", "Eleni", "Mohammed",
              "Fatima", "Lukas", "Anna", "James", "Emily", "Omar", "Leila", "Kofi", "Amara", "Arjun",
              "Maya", "Daniel", "Sophie", "Nikos", "Ioanna", "Ahmed", "Yasmin", "Erik", "Ingrid"]
INTL_FAMILY = ["Sharma", "Patel", "Cohen", "Levi", "Papadopoulos", "Nikolaidis", "Müller", "Schmidt",
               "Smith", "Brown", "Al-Hassan", "Mensah", "O'Connor", "Rossi", "Friedman", "Kaur",
               "Georgiou", "Andersson", "Johansson", "Weber", "Haddad", "Okafor", "Murphy", "Singh"]
INTL_PLACES = [("GB", "London"), ("GB", "Manchester"), ("DE", "Berlin"), ("DE", "München"),
               ("IL", "Tel Aviv"), ("GR", "Athens"), ("GR", "Thessaloniki"), ("IN", "Mumbai"),
               ("IE", "Dublin"), ("SE", "Stockholm"), ("CY", "Limassol"), ("NG", "Lagos")]
# Bulgarian cities: (Cyrillic, Latin), Plovdiv and its region first.
CITIES = [("Пловдив", "Plovdiv"), ("София", "Sofia"), ("Пазарджик", "Pazardzhik"),
          ("Хасково", "Haskovo"), ("Стара Загора", "Stara Zagora"), ("Асеновград", "Asenovgrad"),
          ("Кърджали", "Kardzhali"), ("Смолян", "Smolyan"), ("Варна", "Varna"), ("Бургас", "Burgas"),
          ("Карлово", "Karlovo"), ("Велико Търново", "Veliko Tarnovo"), ("Русе", "Ruse"),
          ("Плевен", "Pleven"), ("Благоевград", "Blagoevgrad"), ("Ямбол", "Yambol"), ("Сливен", "Sliven")]
CITY_WEIGHTS = [30, 18, 6, 5, 5, 4, 3, 3, 4, 4, 2, 2, 2, 2, 2, 2, 2]
ABROAD = [("DE", "Берлин"), ("DE", "Hamburg"), ("GB", "Лондон"), ("FR", "Paris"), ("AT", "Виена"),
          ("US", "Chicago"), ("NL", "Amsterdam"), ("BE", "Брюксел")]
FACULTY_WEIGHTS = {"medicine": 50, "dental_medicine": 15, "pharmacy": 12, "public_health": 8,
                   "medical_college": 15}
PROGRAMMES = {"medicine": "Медицина", "dental_medicine": "Дентална медицина", "pharmacy": "Фармация",
              "public_health": "Управление на здравните грижи", "medical_college": "Медицинска сестра"}
SPECIALTIES = {
    "medicine": ["кардиология", "неврология", "обща хирургия", "педиатрия", "анестезиология и интензивно лечение",
                 "вътрешни болести", "акушерство и гинекология", "ортопедия и травматология",
                 "образна диагностика", "обща медицина", "медицинска онкология", "гастроентерология",
                 "нефрология", "психиатрия", "очни болести", "ушно-носно-гърлени болести"],
    "dental_medicine": ["ортодонтия", "орална хирургия", "пародонтология", "детска дентална медицина",
                        "протетична дентална медицина"],
    "pharmacy": ["клинична фармация", "фармацевтична технология", "организация и икономика на фармацията",
                 "фармакогнозия"],
    "public_health": ["здравен мениджмънт", "обществено здраве", "епидемиология"],
    "medical_college": ["медицинска сестра", "акушерка", "медицински лаборант", "рентгенов лаборант",
                        "помощник-фармацевт"],
}
INTL_SPECIALTIES = ["cardiology", "general practice", "internal medicine", "paediatrics", "orthodontics",
                    "emergency medicine", "radiology", "family medicine"]
POSITIONS = ["лекар", "лекар-специалист", "началник отделение", "асистент", "доцент", "професор",
             "управител", "магистър-фармацевт", "медицинска сестра", "специализант", "главен лекар",
             "Consultant", "Registrar", "Resident"]
EMPLOYERS = ["УМБАЛ „Свети Георги“", "УМБАЛ „Пълмед“", "МБАЛ Пазарджик", "Медицински университет – Пловдив",
             "ДКЦ I Пловдив", "УМБАЛ „Александровска“", "Аптеки „Марешки“", "Софарма", "Актавис",
             "СБАЛОЗ Пловдив", "МБАЛ Хасково", "Лаборатория Цибалаб", "собствена практика",
             "NHS", "Charité", "Sana Kliniken", "Medicover"]
INTERESTS = ["менторство", "научни изследвания", "спорт", "туризъм", "музика", "фотография",
             "доброволчество", "медицинско образование", "дигитално здраве", "история на медицината",
             "global health", "research", "running", "teaching"]
LANGS = ["de", "fr", "ru", "es", "it", "el", "tr"]
VIS_FIELDS = [f for f in profiles.VISIBILITY_FIELDS if f not in ("email", "phone")]


def latin(name: str) -> str:
    """The passport spelling of a Cyrillic name (the Streamlined System, capitalised)."""
    return " ".join(w.capitalize() for w in translit.fold(name).split())


def feminine(family: str) -> str:
    if family.endswith("ски"):
        return family[:-1] + "а"
    return family + "а"


def make_member(i: int, rng: random.Random, epoch: datetime) -> dict:
    """One realistic member: mostly Bulgarian graduates with Cyrillic names (and usually
    their Latin passport form), some English-programme graduates with Latin names only."""
    intl = rng.random() < 0.08
    faculty = rng.choices(list(FACULTY_WEIGHTS), list(FACULTY_WEIGHTS.values()))[0]
    year = min(2026, 1970 + int(rng.triangular(0, 57, 45)))
    member: dict = {"_id": f"{rng.getrandbits(128):032x}"}
    if intl:
        faculty = rng.choice(["medicine", "medicine", "medicine", "dental_medicine"])
        given, family = rng.choice(INTL_GIVEN), rng.choice(INTL_FAMILY)
        country, city = rng.choice(INTL_PLACES)
        member.update(given_name=given, family_name=family, given_name_latin=None, family_name_latin=None,
                      preferred_language="en", country=country, city=city,
                      programme=("Medicine" if faculty == "medicine" else "Dental Medicine") + " (English-taught)",
                      specialty=rng.choice(INTL_SPECIALTIES) if rng.random() < 0.8 else None,
                      languages=["en", *rng.sample(["de", "el", "he", "hi", "ar", "sv"], rng.randint(0, 1))],
                      international_graduate=True)
        year = max(year, 1995)
        ascii_name = f"{translit.fold(given)}.{translit.fold(family)}"
    else:
        female = rng.random() < 0.6
        given = rng.choice(FEMALE if female else MALE)
        family = rng.choices(FAMILY, FAMILY_WEIGHTS)[0]
        family = feminine(family) if female else family
        with_latin = rng.random() < 0.85
        if rng.random() < 0.9:
            country, city = "BG", rng.choices(CITIES, CITY_WEIGHTS)[0]
            city = city[0] if rng.random() < 0.75 else city[1]
        else:
            country, city = rng.choice(ABROAD)
        member.update(given_name=given, family_name=family,
                      given_name_latin=latin(given) if with_latin else None,
                      family_name_latin=latin(family) if with_latin else None,
                      preferred_language="bg" if rng.random() < 0.93 else "en", country=country, city=city,
                      programme=PROGRAMMES[faculty],
                      specialty=rng.choice(SPECIALTIES[faculty]) if rng.random() < 0.75 else None,
                      languages=["bg", *(["en"] if rng.random() < 0.75 else []),
                                 *rng.sample(LANGS, rng.choices([0, 1, 2], [5, 4, 1])[0])],
                      international_graduate=False)
        ascii_name = f"{translit.fold(given)}.{translit.fold(family)}".replace(" ", "")
    ascii_name = "".join(ch for ch in ascii_name if ch.isalnum() or ch == ".")
    registered = epoch - timedelta(seconds=rng.randint(0, 400 * 86400))
    registered = registered.replace(microsecond=registered.microsecond // 1000 * 1000)
    verified = rng.random() >= 0.03
    visibility = {}
    if rng.random() < 0.15:
        visibility["names"] = profiles.PUBLIC
    for name in VIS_FIELDS:
        if name != "names" and rng.random() < 0.2:
            visibility[name] = rng.choices(profiles.LEVELS, [2, 1, 2])[0]
    for name in ("email", "phone"):
        if rng.random() < 0.1:
            visibility[name] = profiles.MEMBERS
    member.update(
        email=f"{ascii_name}.{i}@example.org".lower(),
        phone=f"+3598{rng.choice('789')}{rng.randrange(10**7):07d}" if rng.random() < 0.7 else None,
        graduation_year=year, faculty=faculty,
        position=rng.choice(POSITIONS) if rng.random() < 0.7 else None,
        employer=rng.choice(EMPLOYERS) if rng.random() < 0.7 else None,
        interests=rng.sample(INTERESTS, rng.choices([0, 1, 2, 3], [3, 3, 2, 1])[0]) or None,
        open_to_mentoring=rng.random() < 0.25, open_to_ambassador=rng.random() < 0.1,
        consent={"email": rng.random() < 0.8, "sms": rng.random() < 0.3},
        status="verified" if verified else "pending_verification",
        verification=({"status": "verified", "method": rng.choice(["roster_email", "roster_student_number", "admin"]),
                       "at": registered, "by": None, "reason": None} if verified else None),
        roles=["alumnus"], in_directory=rng.random() >= 0.05, visibility=visibility,
        registered_at=registered, updated_at=registered,
    )
    return member


@dataclass
class Population:
    """What the load generator needs to know about the seeded members."""

    verified_ids: list[str] = field(default_factory=list)
    public_ids: list[str] = field(default_factory=list)       # listed, with a public field
    findable_ids: list[str] = field(default_factory=list)     # verified and in the directory (GET targets)
    listed: list[dict] = field(default_factory=list)          # a sample of directory entries' sources
    members: int = 0
    directory: int = 0
    pending: int = 0


def seed(db, n: int, rng: random.Random, full: int | None = None) -> tuple[Population, dict]:
    """Insert ``n`` members and their directory entries, generating the next chunk while the
    store inserts the current one. Members from ``full`` on get only their directory entry:
    the directory rows search that collection alone, and a member document costs the store
    ten times an entry to insert. Returns the population and timings (seconds)."""
    full = n if full is None else min(full, n)
    pop = Population()
    epoch = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
    chunks: queue.Queue = queue.Queue(maxsize=4)
    timing = {"generate": 0.0, "insert": 0.0}
    failure: list[BaseException] = []
    sampler, seen = random.Random(rng.random()), 0

    def inserter() -> None:
        while True:
            item = chunks.get()
            if item is None:
                return
            members, entries = item
            t = time.perf_counter()
            try:
                if members:
                    db.members.insert_many(members, ordered=False)
                if entries:
                    db[profiles_store.DIRECTORY].insert_many(entries, ordered=False)
            except BaseException as exc:  # reported by the main thread
                failure.append(exc)
                return
            timing["insert"] += time.perf_counter() - t

    thread = threading.Thread(target=inserter, name="seed-insert", daemon=True)
    thread.start()
    t0 = time.perf_counter()
    try:
        for start in range(0, n, 1000):
            t = time.perf_counter()
            members, entries = [], []
            for i in range(start, min(n, start + 1000)):
                member = make_member(i, rng, epoch)
                entry = profiles.directory_entry(member)
                if i < full:  # beyond it: listed only, no member document, no GET target
                    members.append(profiles_store.with_search_fields(member))
                    if member["status"] == "verified":
                        pop.verified_ids.append(member["_id"])
                        # Members out of the directory are 404 to other members: not GET targets.
                        if entry is not None:
                            pop.findable_ids.append(member["_id"])
                            if len(profiles.view(member, profiles.PUBLIC)) > 1:
                                pop.public_ids.append(member["_id"])
                    else:
                        pop.pending += 1
                if entry is not None:
                    entries.append(entry)
                    seen += 1  # a uniform sample of listed members (reservoir), for the queries
                    if len(pop.listed) < 5000:
                        pop.listed.append(member)
                    elif (slot := sampler.randrange(seen)) < 5000:
                        pop.listed[slot] = member
            pop.members += len(members)
            pop.directory += len(entries)
            timing["generate"] += time.perf_counter() - t
            while True:
                if failure:
                    raise failure[0]
                try:
                    chunks.put((members, entries), timeout=1)
                    break
                except queue.Full:
                    continue
            if (start // 1000) % 10 == 9:
                say(f"   {start + 1000:,} members generated ...")
    finally:
        chunks.put(None)
        thread.join()
    if failure:
        raise failure[0]
    timing["total"] = time.perf_counter() - t0
    return pop, timing


# ------------------------------------------------------------------------------------------
# Load generation: P processes x T threads, one keep-alive connection per thread
# ------------------------------------------------------------------------------------------

def _http_child(port: int, requests: list[tuple[str, str]], headers: list[dict], first_thread: int,
                threads: int, t_measure: float, t_end: float, seed_: int, out: mp.Queue) -> None:
    lock = threading.Lock()
    result = {"latencies": {}, "errors": Counter(), "error_samples": [], "reconnects": 0, "done": 0,
              "totals": {}}

    def run(tid: int) -> None:
        rng = random.Random(seed_ * 1000 + tid)
        head = headers[tid % len(headers)] if headers else {}
        conn: http.client.HTTPConnection | None = None
        lat: dict[str, list[float]] = {}
        totals: dict[str, list[int]] = {}
        errors: Counter = Counter()
        samples: list[str] = []
        reconnects = done = 0
        while True:
            t0 = time.monotonic()
            if t0 >= t_end:
                break
            kind, path = requests[rng.randrange(len(requests))]
            # A recycled worker closes its keep-alive connections: sent again on a new one, as
            # nginx does for an idempotent request (the time counts).
            conn, status, body, retried = keepalive_request(conn, port, "GET", path, None, head, HTTP_TIMEOUT_S)
            reconnects += retried
            t1 = time.monotonic()
            if t0 < t_measure:
                continue
            # Latency: every request started in the window, however long it took to answer
            # (the run waits for it). Rate: the answers that came within the window.
            if isinstance(status, int) and 200 <= status < 300:
                lat.setdefault(kind, []).append(t1 - t0)
                done += t1 <= t_end
                if path.startswith(DIRECTORY):
                    totals.setdefault(kind, []).append(json.loads(body)["total"])
            else:
                errors[f"{kind}: {status}"] += 1
                if len(samples) < 3:
                    samples.append(f"{status} GET {path}: {body[:300]!r}")
        if conn is not None:
            conn.close()
        with lock:
            for kind, values in lat.items():
                result["latencies"].setdefault(kind, []).extend(values)
            for kind, values in totals.items():
                result["totals"].setdefault(kind, []).extend(values)
            result["done"] += done
            result["errors"].update(errors)
            result["error_samples"].extend(samples)
            result["reconnects"] += reconnects

    run_threads(run, first_thread, threads)
    out.put(result)


def _store_child(url: str, db_name: str, ids: list[str], first_thread: int, threads: int,
                 t_measure: float, t_end: float, seed_: int, out: mp.Queue) -> None:
    client = MongoClient(url, tz_aware=True, maxPoolSize=threads + 2)
    members = client[db_name].members
    lock = threading.Lock()
    result = {"latencies": {"find_one": []}, "errors": Counter(), "error_samples": [], "reconnects": 0,
              "done": 0, "totals": {}}

    def run(tid: int) -> None:
        rng = random.Random(seed_ * 1000 + tid)
        lat: list[float] = []
        errors: Counter = Counter()
        done = 0
        while True:
            t0 = time.monotonic()
            if t0 >= t_end:
                break
            try:
                found = members.find_one({"_id": ids[rng.randrange(len(ids))]})
                ok = found is not None
            except Exception as exc:  # counted, not raised
                ok = False
                errors[type(exc).__name__] += 1
            t1 = time.monotonic()
            if t0 >= t_measure:
                if ok:
                    lat.append(t1 - t0)
                    done += t1 <= t_end
                else:
                    errors["not found"] += 1
        with lock:
            result["latencies"]["find_one"].extend(lat)
            result["done"] += done
            result["errors"].update(errors)

    run_threads(run, first_thread, threads)
    client.close()
    out.put(result)


@dataclass
class Result:
    name: str
    seconds: float
    latencies: dict[str, list[float]]
    errors: Counter
    error_samples: list[str]
    reconnects: int
    cpu: dict[str, float | None]
    done: int = 0
    totals: dict[str, list[int]] = field(default_factory=dict)
    connections: int = 0
    drain_s: float = 0.0
    boots: int = 0

    @property
    def all_latencies(self) -> list[float]:
        return [v for values in self.latencies.values() for v in values]

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    @property
    def n_errors(self) -> int:
        return sum(self.errors.values())

    @property
    def cpu_ms_per_op(self) -> float | None:
        """The app's CPU milliseconds per answered request over the row (None for a row
        without an app: the raw store row)."""
        share = self.cpu.get("app")
        return None if share is None else report.cpu_ms_per_op(share * self.seconds, self.done)


# ------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------

@dataclass
class Row:
    measurement: str
    rate: str = ""
    p50: str = ""
    p99: str = ""
    errors: str = ""
    cpu: str = ""
    cpu_ms: str = ""
    target: str = ""
    verdict: str = ""


class Bench(ServiceBench):
    tmp_prefix = "alumnet-bench-members-"
    quiet_timeout_s = 900.0

    def __init__(self, args: argparse.Namespace):
        super().__init__(args)
        self.db_name = f"{self.prefix}members"
        self.rows: list[Row] = []
        self.results: dict[str, Result] = {}
        self.reported: list[report.Result] = []  # one per table row, for --json
        self.ping_cpu_ms: float | None = None

    def seed(self) -> None:
        n, a = self.args.members, self.args
        # The directory rows need their own size only when they run (--member-only: none).
        listed_only = 0 if a.member_only else max(0, a.directory_members - n)
        db = self.client[self.db_name]
        store = MembersStore(self.url, self.db_name)
        say(f"seeding {n:,} members into {self.db_name} (indexes first)"
            + (f", then {listed_only:,} more with only their directory entry" if listed_only else "") + " ...")
        t = time.perf_counter()
        store.create_indexes()
        self.index_s = time.perf_counter() - t
        self.population, self.seed_timing = seed(db, n + listed_only, random.Random(self.args.seed), full=n)
        self.settle_s = self.wait_store_quiet()
        pop = self.population
        say(f"   {pop.members:,} members, {pop.directory:,} directory entries, {pop.pending:,} pending, "
            f"in {self.seed_timing['total']:.1f}s (generating {self.seed_timing['generate']:.1f}s, "
            f"store inserts {self.seed_timing['insert']:.1f}s, overlapped); indexes {self.index_s:.1f}s; "
            f"then the store was busy on its own for {self.settle_s:.0f}s")

    def start_apps(self) -> None:
        env, self.issuer = deploy_env(self.tmp, self.url, self.prefix)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(self.tmp / "prometheus")
        self.env = env
        self.members_app, self.ping_app = start_api_and_ping("members", MEMBERS_APP, env, self.tmp, self.apps)

    def drop_databases(self) -> None:
        try:
            self.client.drop_database(self.db_name)
        except Exception as exc:
            say(f"warning: could not drop {self.db_name}: {exc}")

    # ---------------------------------------------------------------- load
    def drive(self, name: str, child, child_args: tuple, app: Gunicorn | None,
              connections: int | None = None, seconds: float | None = None) -> Result:
        conns = connections or self.args.connections
        seconds = seconds or self.args.seconds
        waited = self.wait_store_quiet()
        if waited > 1.5:
            say(f"   (waited {waited:.0f}s for the store to become idle)")
            self.notes.append(f"{name}: waited {waited:.0f}s before the row for the store to become idle")
        load = self.load(child, child_args, app, conns, lead_s=0.3, result_timeout_s=self.args.drain + 60,
                         seed=self.args.seed, seconds=seconds)
        results, drain_s = load.raw, load.drain_s
        lat: dict[str, list[float]] = {}
        totals: dict[str, list[int]] = {}
        errors: Counter = Counter()
        samples: list[str] = []
        for r in results:
            for kind, values in r["latencies"].items():
                lat.setdefault(kind, []).extend(values)
            for kind, values in r["totals"].items():
                totals.setdefault(kind, []).extend(values)
            errors.update(r["errors"])
            samples.extend(r["error_samples"])
        result = Result(name, seconds, lat, errors, samples, sum(r["reconnects"] for r in results), load.cpu,
                        done=sum(r["done"] for r in results), totals=totals, connections=conns,
                        drain_s=drain_s, boots=load.boots)
        self.results[name] = result
        say(f"   {name}: {fmt_rate(result.rate)}, p50 {ms(pctl(result.all_latencies, 50)) if result.all_latencies else '-'}, "
            f"p99 {ms(pctl(result.all_latencies, 99)) if result.all_latencies else '-'}, errors {result.n_errors}, "
            f"cpu {fmt_cpu(result.cpu, CPU_KEYS)}; in flight at the end answered {drain_s:.1f}s later")
        for s in samples[:3]:
            say(f"     error: {s}")
        return result

    def http_row(self, name: str, app: Gunicorn, requests: list[tuple[str, str]],
                 headers: list[dict] | None = None, connections: int | None = None,
                 seconds: float | None = None) -> Result:
        say(f"row: {name} ({connections or self.args.connections} connections, {self.args.warmup:g}s warm-up + "
            f"{seconds or self.args.seconds:g}s) ...")
        return self.drive(name, _http_child, (app.port, requests, headers or []), app, connections, seconds)

    # ---------------------------------------------------------------- requests
    def tokens(self, count: int) -> list[dict]:
        rng = random.Random(self.args.seed + 7)
        viewers = rng.sample(self.population.verified_ids, min(count, len(self.population.verified_ids)))
        return [{"Authorization": f"Bearer {self.issuer.issue(v, ['alumnus'])}"} for v in viewers]

    def directory_mix(self, count: int = 3000) -> list[tuple[str, str]]:
        """Directory searches as members type them: a name or part of one in either
        alphabet, sometimes with a filter; 20 per page, sorted by name (the default)."""
        rng = random.Random(self.args.seed + 11)
        kinds = [("q family prefix", 30), ("q given + family", 15), ("q given name", 10),
                 ("q + faculty", 12), ("q + graduation years", 12), ("q + city", 12), ("q specialty prefix", 9)]
        out = []
        listed = self.population.listed
        for _ in range(count):
            kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
            m = rng.choice(listed)
            use_latin = m.get("family_name_latin") and rng.random() < 0.5
            given = m["given_name_latin"] if use_latin else m["given_name"]
            family = m["family_name_latin"] if use_latin else m["family_name"]
            fam_word = max(re.findall(r"[^\W\d_]+", family), key=len)  # O'Connor: Connor
            prefix = fam_word[:rng.randint(3, 6)] if len(fam_word) > 3 else fam_word
            params: dict = {}
            if kind == "q family prefix":
                params["q"] = prefix.lower() if rng.random() < 0.7 else prefix
            elif kind == "q given + family":
                params["q"] = f"{given} {family}"
            elif kind == "q given name":
                params["q"] = given
            elif kind == "q + faculty":
                params.update(q=prefix, faculty=m["faculty"])
            elif kind == "q + graduation years":
                y = m["graduation_year"]
                params.update(q=prefix, graduation_year_from=y - 2, graduation_year_to=y + 2)
            elif kind == "q + city":
                city = m["city"]
                pair = next((c for c in CITIES if city in c), None)
                if pair and rng.random() < 0.5:
                    city = pair[1] if city == pair[0] else pair[0]
                params.update(q=prefix, city=city)
            else:
                spec = m.get("specialty") or rng.choice(SPECIALTIES["medicine"])
                word = max(spec.split(), key=len)
                params["q"] = word[:rng.randint(5, min(8, len(word)))] if len(word) > 5 else word
            params["per_page"] = 20
            out.append((kind, f"{DIRECTORY}?{urlencode(params)}"))
        return out

    def check(self, app: Gunicorn, requests: list[tuple[str, str]], headers: list[dict],
              per_kind: int = 1) -> dict[str, list[tuple[float, int | None]]]:
        """Before a row: every directory query must pass the api's own query schema (no 422 in
        the mix), and ``per_kind`` requests of each kind are sent one at a time on an idle
        server: each must answer 2xx; their time (the request's own cost, no queueing) and
        ``total`` (members matched) are returned per kind."""
        from urllib.parse import parse_qsl, urlsplit

        from marshmallow import fields

        from services.members.directory.api import DirectoryQuerySchema
        schema = DirectoryQuerySchema()
        for _kind, path in requests:
            if path.startswith(DIRECTORY):
                query: dict = {}
                for key, value in parse_qsl(urlsplit(path).query):
                    if isinstance(schema.fields.get(key), fields.List):  # repeated in a query string
                        query.setdefault(key, []).append(value)
                    else:
                        query[key] = value
                errors = schema.validate(query)
                if errors:
                    raise RuntimeError(f"bench bug: {path} is not a valid directory query: {errors}")
        seen: dict[str, list[tuple[float, int | None]]] = {}
        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=HTTP_TIMEOUT_S)
        try:
            for i, (kind, path) in enumerate(requests):
                if len(seen.get(kind, ())) >= per_kind:
                    continue
                t = time.monotonic()
                conn.request("GET", path, headers=headers[i % len(headers)] if headers else {})
                response = conn.getresponse()
                body = response.read()
                elapsed = time.monotonic() - t
                if not 200 <= response.status < 300:
                    raise RuntimeError(f"check: GET {path} answered {response.status}: {body[:500]!r}")
                total = json.loads(body)["total"] if path.startswith(DIRECTORY) else None
                seen.setdefault(kind, []).append((elapsed, total))
                if len(seen) == len({k for k, _ in requests}) and all(len(v) >= per_kind for v in seen.values()):
                    break
        finally:
            conn.close()
        return seen

    # ---------------------------------------------------------------- rows
    def run_rows(self) -> None:
        pop = self.population
        a = self.args
        rng = random.Random(a.seed + 3)
        viewers = self.tokens(64)
        if a.directory_only:
            return self.directory_rows(viewers)

        ping = self.http_row("bare Flask /ping", self.ping_app, [("ping", "/ping")])
        self.ping_cpu_ms = ping.cpu_ms_per_op
        self.add_row("bare Flask GET /ping (same gunicorn config)", ping, baseline_cpu=False)

        say(f"row: store raw find_one by _id ({a.connections} threads) ...")
        raw = self.drive("store find_one", _store_child, (self.url, self.db_name, pop.verified_ids), None)
        self.add_row(f"{self.store_short} find_one({{_id}}) on members, raw pymongo", raw, unit="finds/s",
                     baseline_cpu=False)

        member_paths = [("member", f"/api/v1/members/{i}")
                        for i in rng.sample(pop.findable_ids, min(5000, len(pop.findable_ids)))]
        self.check(self.members_app, member_paths, viewers)
        member = self.http_row("GET member (verified viewer)", self.members_app, member_paths, viewers)
        bound = min(ping.rate, raw.rate) if ping.rate and raw.rate else None
        ratio = member.rate / bound if bound else None
        ok = ratio is not None and ratio >= 0.6 and not member.n_errors
        lower = "/ping" if ping.rate <= raw.rate else "store find_one"
        self.add_row("GET /api/v1/members/{id} as a verified member", member,
                     target=">= 0.6 x min(ping, find)", verdict="PASS" if ok else "MISS",
                     note=f"{ratio:.2f} x" if ratio is not None else "", ratio=ratio, target_value=0.6,
                     baseline=f"min(/ping {fmt_rate(ping.rate)}, find_one {fmt_rate(raw.rate)}): {lower}")
        self.verdicts.append(
            f"GET member: {member.rate:,.0f}/s / min(/ping {ping.rate:,.0f}/s, find_one {raw.rate:,.0f}/s) "
            f"= {member.rate:,.0f} / {bound:,.0f} ({lower}) = {ratio:.2f}   target >= 0.60   "
            f"{'PASS' if ok else 'MISS'}" + (f"  ({member.n_errors} errors)" if member.n_errors else ""))

        if pop.public_ids:
            anon_paths = [("member anon", f"/api/v1/members/{i}")
                          for i in rng.sample(pop.public_ids, min(5000, len(pop.public_ids)))]
            self.check(self.members_app, anon_paths, [])
            anon = self.http_row("GET member (anonymous)", self.members_app, anon_paths)
            self.add_row("  info: GET member anonymous (public fields; no viewer lookup)", anon,
                         note=f"{anon.rate / bound:.2f} x (not judged)" if bound else "(not judged)")
        if a.recycling_row:
            say("starting the members api again with GUNICORN_MAX_REQUESTS=0 (no worker recycling) ...")
            steady = Gunicorn("members-api-no-recycling", MEMBERS_APP,
                              {**self.members_app.env, "GUNICORN_MAX_REQUESTS": "0",
                               "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "prometheus" / "steady")}, self.tmp)
            self.apps.append(steady)
            steady.start()
            steady.wait_ready("/readyz")
            result = self.http_row("GET member, max_requests=0", steady, member_paths, viewers)
            steady.stop()
            self.add_row("  info: the same GET member row, GUNICORN_MAX_REQUESTS=0 (no recycling)", result,
                         note=f"{result.rate / bound:.2f} x (not judged)" if bound else "(not judged)")
        if not a.member_only:
            self.directory_rows(viewers)

    def directory_rows(self, viewers: list[dict]) -> None:
        """The judged row is the issue's: the mix run alone, one connection, so each search's
        own time (no queueing behind others); the same mix with ``--connections`` follows as
        information."""
        pop, a = self.population, self.args
        mix = self.directory_mix()
        self.check(self.members_app, mix, viewers, per_kind=1)  # every query valid, each kind answers 2xx
        search = self.http_row("directory search mix, 1 connection", self.members_app, mix, viewers,
                               connections=1, seconds=a.directory_seconds)
        values = search.all_latencies
        p99 = pctl(values, 99) if values else None
        ok = p99 is not None and p99 < a.p99_target_ms / 1000 and not search.n_errors
        self.add_row(f"directory search, 1 connection: {len(values):,} of a mix, {pop.directory:,} listed", search,
                     target=f"p99 < {a.p99_target_ms:g} ms", verdict="PASS" if ok else "MISS",
                     ratio=None if p99 is None else p99 * 1000, target_value=a.p99_target_ms,
                     lower_is_better=True, unit="ms p99", value=ms(p99))
        for kind in sorted(search.latencies, key=lambda k: -len(search.latencies[k])):
            lat = search.latencies[kind]
            totals = search.totals.get(kind) or [0]
            # Under 100 searches a p99 is only the largest: say so.
            tail = ("p99", pctl(lat, 99)) if len(lat) >= 100 else ("max", max(lat))
            self.rows.append(Row(
                f"  {kind}: {len(lat)} searches, matches median {pctl(totals, 50):,} max {max(totals):,}",
                "", ms(pctl(lat, 50)), f"{tail[0]} {ms(tail[1])}"))
            self.reported.append(report.Result(
                self.rows[-1].measurement.strip(), f"p50 {ms(pctl(lat, 50))}, {tail[0]} {ms(tail[1])}", unit="ms"))
        self.verdicts.append(
            f"directory search (mix, 1 connection, {pop.directory:,} listed): p99 "
            f"{ms(p99) if p99 is not None else 'n/a'}   target < {a.p99_target_ms:g} ms   {'PASS' if ok else 'MISS'}"
            + (f"  ({search.n_errors} errors)" if search.n_errors else ""))
        if a.connections > 1:
            busy = self.http_row("directory search mix", self.members_app, mix, viewers)
            self.add_row(f"  info: the same mix on {a.connections} connections (queueing behind each other)",
                         busy, note="(not judged)", unit="ms p99",
                         value=ms(pctl(busy.all_latencies, 99)) if busy.all_latencies else "-")

        conns = a.info_connections
        browse = [("browse years", f"{DIRECTORY}?" + urlencode(
            {"graduation_year_from": 2000, "graduation_year_to": 2001, "per_page": 20}))]
        first = [("first page", f"{DIRECTORY}?per_page=20")]
        for label, requests in (("browse ?graduation_year_from=2000&graduation_year_to=2001", browse),
                                ("unfiltered first page", first)):
            seen = self.check(self.members_app, requests, viewers)
            # 10 s at least: an unfiltered page over 50,000 takes seconds on the embedded store.
            result = self.http_row(f"{label} (no q)", self.members_app, requests, viewers, connections=conns,
                                   seconds=max(a.seconds, 10.0))
            total = next(iter(seen.values()))[0][1]
            self.add_row(f"  info: {label}, no q ({total:,} match; {conns} connection{'s' if conns > 1 else ''})",
                         result, note="(not judged)")

    def add_row(self, name: str, r: Result, *, target: str = "", verdict: str = "", note: str = "",
                ratio: float | None = None, target_value: float | None = None, lower_is_better: bool = False,
                unit: str = "req/s", value: str | None = None, baseline: str = "",
                baseline_cpu: bool = True) -> None:
        """A table row and its --json result. ``ratio``/``target_value``: the judged figures
        (None for a row that only informs); ``value``: the figure judged, the rate by default;
        ``baseline_cpu``: show /ping's CPU per request beside the row's."""
        values = r.all_latencies
        errors = str(r.n_errors) if r.n_errors else "0"
        if r.reconnects:
            errors += f" ({r.reconnects} reconn.)"
        if r.n_errors and verdict == "PASS":
            verdict = "MISS"
        cpu_ms, ping_ms = r.cpu_ms_per_op, self.ping_cpu_ms if baseline_cpu else None
        cell = "-" if cpu_ms is None else f"{cpu_ms:.2f}" + ("" if ping_ms is None else f" (ping {ping_ms:.2f})")
        self.rows.append(Row(name, fmt_rate(r.rate), ms(pctl(values, 50)) if values else "-",
                             ms(pctl(values, 99)) if values else "-", errors, fmt_cpu(r.cpu, CPU_KEYS), cell,
                             "; ".join(x for x in (note, target) if x), verdict))
        self.reported.append(report.Result(
            name.strip(), value or fmt_rate(r.rate), ratio, target_value, verdict if target_value is not None else "",
            baseline, unit, lower_is_better, cpu_ms, ping_ms))
        if r.boots:
            self.notes.append(f"{r.name}: {r.boots} gunicorn worker(s) recycled during the row "
                              "(max_requests); their keep-alive connections were re-opened")
        for s in r.error_samples[:3]:
            self.notes.append(f"{r.name}: error {s}")

    # ---------------------------------------------------------------- table
    def table(self) -> str:
        header = Row("measurement", "req/s", "p50", "p99", "errors", "cpu app/store/client/all", "cpu ms/op",
                     "ratio; target", "verdict")
        a = self.args
        pop = getattr(self, "population", None)
        lines = [
            f"Alumnet members api benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
            f"store:    {self.store_label}",
            f"host:     {machine()}",
            f"load:     1-min load average {self.load_start:.2f} before the run",
            f"gunicorn: {gunicorn_settings(self.env) if hasattr(self, 'env') else '?'}",
            f"load gen: {a.connections} keep-alive connections from {min(a.client_processes, a.connections)} "
            f"processes (http.client), {a.warmup:g}s warm-up + {a.seconds:g}s per row, on the same machine; "
            f"the judged directory row on 1 connection for {a.directory_seconds:g}s",
        ]
        if pop:
            lines.append(f"data:     N={pop.members:,} members ({pop.pending:,} pending) and {pop.directory:,} "
                         f"directory entries (members beyond N have only theirs: the directory rows' size); "
                         f"seeded in {self.seed_timing['total']:.1f}s ("
                         f"indexes created first in {self.index_s:.1f}s; the store then stayed busy on its own "
                         f"for {self.settle_s:.0f}s and every row starts on an idle store)")
        lines += [
            "cpu:      cores used during the row: gunicorn (master + workers) / store server / load generator / whole machine",
            "cpu ms/op: the app's CPU (gunicorn master + workers) per answered request over the row, beside bare "
            "/ping's in this run",
            "",
            *table_lines(header, self.rows),
        ]
        if self.verdicts:
            lines += ["", *self.verdicts]
        if self.notes:
            lines += ["", "notes:", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines)


CPU_KEYS = ("app", "store", "client", "machine")


def gunicorn_settings(env: dict) -> str:
    import runpy
    saved = dict(os.environ)
    try:
        os.environ.update({k: v for k, v in env.items() if isinstance(v, str)})
        conf = runpy.run_path(str(GUNICORN_CONF))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return (f"deploy/gunicorn.conf.py: workers={conf['workers']} worker_class={conf['worker_class']} "
            f"threads={conf['threads']} keepalive={conf['keepalive']} max_requests={conf['max_requests']}"
            f"+{conf['max_requests_jitter']} loglevel={conf['loglevel']}; gunicorn "
            f"{importlib.metadata.version('gunicorn')}; same for both apps")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=None, help="members to seed (50000; 5000 with --quick)")
    p.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (16)")
    p.add_argument("--client-processes", type=int, default=2,
                   help="load generator processes sharing the connections (2)")
    p.add_argument("--seconds", type=float, default=None, help="measured seconds per row (10; 3 with --quick)")
    p.add_argument("--warmup", type=float, default=None, help="warm-up seconds per row (2; 1 with --quick)")
    p.add_argument("--mongo-url", default=None,
                   help="use this MongoDB (a database bench<random>_members, dropped at the end) "
                        "instead of a throwaway in-memory SecantusDB")
    p.add_argument("--info-connections", type=int, default=1,
                   help="connections of the two information rows (browse without q), whose requests "
                        "take seconds on SecantusDB (1: each request's own time)")
    p.add_argument("--drain", type=float, default=300.0,
                   help="seconds to wait after a row for the answers still in flight (300)")
    p.add_argument("--no-recycling-row", dest="recycling_row", action="store_false",
                   help="skip the information row of GET member with GUNICORN_MAX_REQUESTS=0")
    p.add_argument("--directory-only", action="store_true",
                   help="only the directory rows")
    p.add_argument("--member-only", action="store_true",
                   help="only the GET member rows and their baselines (/ping, find_one): no directory rows")
    p.add_argument("--p99-target-ms", type=float, default=100.0, help="directory search p99 target (100)")
    p.add_argument("--directory-members", type=int, default=50_000,
                   help="members the directory rows search among (50,000, also with --quick): those beyond "
                        "--members get only their directory entry")
    p.add_argument("--directory-seconds", type=float, default=None,
                   help="measured seconds of the judged directory row, one connection (60; 40 with --quick: "
                        "about 600 searches on the embedded store, so that its p99 is not the maximum of a few)")
    p.add_argument("--seed", type=int, default=20261128, help="random seed of the data and requests")
    p.add_argument("--quick", action="store_true",
                   help="a short run: 5,000 members (the directory rows: --directory-members), 1 s warm-up + 3 s rows")
    p.add_argument("--json", metavar="PATH", help="also write every row as JSON (bench/report.py's shape)")
    args = p.parse_args(argv)
    args.members = args.members or (5000 if args.quick else 50000)
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    args.directory_seconds = args.directory_seconds or (40.0 if args.quick else 60.0)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    timer = start_watchdog(3600 + args.members / 50, bench.cleanup)
    sigterm_interrupts()
    status = 0
    try:
        bench.start_store()
        bench.seed()
        bench.start_apps()
        bench.run_rows()
    except KeyboardInterrupt:
        say("interrupted")
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
        if status == 0:
            shutil.rmtree(bench.tmp, ignore_errors=True)
        else:
            say(f"logs kept in {bench.tmp}")
    print(bench.table())
    if args.json:
        report.write(args.json, "members", bench.store_label, bench.reported, quick=args.quick,
                     notes=[*bench.verdicts, *bench.notes])
    return status  # a missed target is a finding, not a failure of the script


if __name__ == "__main__":
    sys.exit(main())
