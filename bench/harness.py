"""What the benchmark scripts in bench/ share: the machinery, not the measurements.

bench/members.py and bench/events.py each run a service api and ``bench/bare_ping.py`` under
gunicorn with ``deploy/gunicorn.conf.py`` against a throwaway SecantusDB (or a given MongoDB),
drive them with keep-alive HTTP connections from forked load-generator processes and print one
table; bench/bus.py prints the same kind of table. This module holds the parts that are the
same in each: progress lines (``say``), the store and its label (from ``buildInfo``), the
deployment's environment with fresh JWT keys, the ``Gunicorn`` wrapper (start, readiness,
stop), CPU accounting from /proc, the load-generator plumbing (one keep-alive request with a
retry, threads per process, processes per row, the measured window), percentiles and cell
formatting, the table layout, and the watchdog / SIGTERM handling of ``main``. What a row
sends, records and judges stays in each script.
"""
from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import astuple, is_dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from alumnet.localstore import LocalStore, die_with_parent, free_port  # noqa: E402
from shared.auth import TokenIssuer, generate_keypair  # noqa: E402

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PING_APP = "bench.bare_ping:app"
# What the deployment sets for every api (docker-compose.yml x-api-env, deploy/k8s).
DEPLOY_ENV = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", "LOG_LEVEL": "INFO"}
RETRYABLE = (http.client.RemoteDisconnected, http.client.CannotSendRequest, http.client.BadStatusLine,
             ConnectionResetError, BrokenPipeError, ConnectionRefusedError)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------
# Processes: gunicorn apps and CPU accounting
# ------------------------------------------------------------------------------------------

class Gunicorn:
    """One app under gunicorn with deploy/gunicorn.conf.py, as ``alumnet api`` runs it."""

    def __init__(self, name: str, target: str, env: dict[str, str], log_dir: Path):
        self.name, self.target = name, target
        self.port = free_port()  # gunicorn is told its port; it does not say which one it got
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

    def worker_boots(self) -> int:
        try:
            return self.log_path.read_text(errors="replace").count("Booting worker")
        except OSError:
            return 0

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


def start_api_and_ping(service: str, target: str, env: dict[str, str], log_dir: Path,
                       apps: list[Gunicorn]) -> tuple[Gunicorn, Gunicorn]:
    """The service's api (``<service>-api``, ready on /readyz) and the bare Flask /ping beside
    it, each with its own PROMETHEUS_MULTIPROC_DIR; both are appended to ``apps`` before they
    start, so that a cleanup stops them whatever happens."""
    say(f"starting gunicorn: {service} api and bare Flask /ping ...")
    metrics = log_dir / "prometheus"
    api = Gunicorn(f"{service}-api", target, {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics / service)}, log_dir)
    ping = Gunicorn("bare-ping", PING_APP, {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics / "ping")}, log_dir)
    apps += [api, ping]
    for app in (api, ping):
        app.start()
    api.wait_ready("/readyz")
    ping.wait_ready("/ping")
    say(f"   {service} api on :{api.port}, /ping on :{ping.port}; logs in {log_dir}")
    return api, ping


def group_cpu_s(pgid: int | None) -> float | None:
    """CPU seconds (user + system) used by a process group's live members plus the children
    its members have reaped (gunicorn's recycled workers end up in the master's cutime)."""
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
        if int(fields[2]) != pgid:  # field 5 (pgrp); fields[] starts at field 3 (state)
            continue
        total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    return total / tick


def pids_cpu_s(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


# ------------------------------------------------------------------------------------------
# The store and the apps' environment
# ------------------------------------------------------------------------------------------

def store_labels(info: dict, where: str, secantus_detail: str = "") -> tuple[str, str]:
    """(short, full) label of the store from its ``buildInfo``: SecantusDB or MongoDB."""
    if info.get("secantusVersion"):
        short = f"SecantusDB {info['secantusVersion']}"
        return short, f"{short} ({where}; {secantus_detail}wire-compatible with MongoDB {info.get('version')})"
    short = f"MongoDB {info.get('version', '?')}"
    return short, f"{short} ({where})"


def deploy_env(tmp: Path, url: str, prefix: str) -> tuple[dict[str, str], TokenIssuer]:
    """The apps' environment as the deployment sets it (DEPLOY_ENV unless set already), with
    fresh JWT keys under ``tmp/keys``, and an issuer of tokens the apps accept."""
    private, public = generate_keypair(tmp / "keys")
    issuer = TokenIssuer.from_file(str(private), "alumnet", "alumnet", 3600)
    env = {
        **os.environ,
        **{k: os.environ.get(k, v) for k, v in DEPLOY_ENV.items()},
        "MONGO_URL": url,
        "MONGO_DB_PREFIX": prefix,
        "AMQP_URL": "memory://",
        "JWT_PUBLIC_KEY_FILE": str(public),
        "JWT_PRIVATE_KEY_FILE": str(private),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LINK_SIGNING_KEY": Fernet.generate_key().decode(),
        "EMAIL_BACKEND": "file",
        "SMS_BACKEND": "file",
        "DEV_OUTBOX_DIR": str(tmp / "outbox"),
        "PYTHONPATH": str(ROOT),
    }
    return env, issuer


class ServiceBench:
    """The state and set-up of a run against a service api: a temporary directory, the store
    (a throwaway in-memory SecantusDB unless ``args.mongo_url``), the gunicorn apps and the
    load-generator processes (both stopped by ``cleanup``), the table's rows, verdicts, notes."""

    tmp_prefix = "bench-"
    store_detail = ""  # words before "wire-compatible" in a SecantusDB label
    quiet_timeout_s = 300.0

    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix=self.tmp_prefix))
        self.prefix = f"bench{uuid.uuid4().hex[:8]}_"
        self.store: LocalStore | None = None
        self.client: MongoClient | None = None
        self.apps: list[Gunicorn] = []
        self.children: list = []
        self.rows: list = []
        self.notes: list[str] = []
        self.verdicts: list[str] = []
        self.load_start = os.getloadavg()[0]
        self.store_label = "?"

    def start_store(self) -> None:
        if self.args.mongo_url:
            self.url, where = self.args.mongo_url, "external"
        else:
            say("starting SecantusDB (in memory) ...")
            self.store = LocalStore(":memory:", log_path=str(self.tmp / "store.log")).start()
            self.url, where = self.store.url, "in memory"
        self.client = MongoClient(self.url, tz_aware=True)
        info = self.client.admin.command("buildInfo")
        self.store_short, self.store_label = store_labels(info, where, self.store_detail)
        say(f"store: {self.store_label}")

    def wait_store_quiet(self) -> float:
        """Wait (polling) until the local store uses under 5% of a core: after bulk inserts
        SecantusDB keeps its native threads busy for a while, which would load the next row."""
        if self.store is None:
            return 0.0
        timeout_s = self.quiet_timeout_s
        t0 = time.monotonic()
        last = group_cpu_s(self.store.process.pid)
        while time.monotonic() - t0 < timeout_s:
            time.sleep(1.0)
            now = group_cpu_s(self.store.process.pid)
            if now - last < 0.05:
                return time.monotonic() - t0
            last = now
        raise RuntimeError(f"the store stayed busy for {timeout_s:.0f}s with no load")

    def drop_databases(self) -> None:
        """With ``--mongo-url``: drop what the run created there."""

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
                self.drop_databases()
            self.client.close()
            self.client = None
        if self.store is not None:
            self.store.stop()
            self.store = None

    def load(self, child, child_args: tuple, app: Gunicorn | None, connections: int, *, lead_s: float,
             result_timeout_s: float, seed: int | None = None, seconds: float | None = None) -> "Load":
        """Run ``child`` in P forked processes (``args.client_processes``, at most one a
        connection) sharing ``connections`` threads for ``seconds`` (``args.seconds``); see ``Load``."""
        return run_load(self.children, child, child_args, app, self.store, connections,
                        procs=max(1, min(self.args.client_processes, connections)), lead_s=lead_s,
                        warmup=self.args.warmup, seconds=seconds or self.args.seconds,
                        result_timeout_s=result_timeout_s, seed=seed)


# ------------------------------------------------------------------------------------------
# Load: P processes x T threads, one keep-alive connection per thread
# ------------------------------------------------------------------------------------------

def keepalive_request(conn: http.client.HTTPConnection | None, port: int, method: str, path: str,
                      body: bytes | None, headers: dict, timeout_s: float
                      ) -> tuple[http.client.HTTPConnection | None, int | str | None, bytes, int]:
    """One request on a thread's keep-alive connection (opened when ``conn`` is None). A
    recycled gunicorn worker closes its keep-alive connections: the request is sent once more
    on a new one, as nginx does (the time counts). Returns (the connection to use next or
    None, the status or the exception's name, the body, the reconnections)."""
    status, payload, reconnects = None, b"", 0
    for attempt in (0, 1):
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            status = response.status
            if response.will_close:
                conn.close()
                conn = None
            break
        except RETRYABLE as exc:
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
    return conn, status, payload, reconnects


def run_threads(run: Callable[[int], None], first: int, threads: int) -> None:
    """``run(tid)`` in ``threads`` threads, tids ``first``, ``first + 1``, ...; waits for all."""
    workers = [threading.Thread(target=run, args=(first + k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def wait_until_time(t: float) -> None:
    while True:
        left = t - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.5))


class Load:
    """What ``run_load`` gathered: each process's result (``raw``), the cores used in the
    measured window (``cpu``: app, store, client, machine), how long after the window the
    last answer came (``drain_s``) and the gunicorn workers booted in the window (``boots``)."""

    def __init__(self, raw: list[dict], cpu: dict, drain_s: float, boots: int):
        self.raw, self.cpu, self.drain_s, self.boots = raw, cpu, drain_s, boots


def run_load(children: list, child, child_args: tuple, app: Gunicorn | None, store: LocalStore | None,
             connections: int, *, procs: int, lead_s: float, warmup: float, seconds: float,
             result_timeout_s: float, seed: int | None = None) -> Load:
    """Fork ``procs`` processes ``child(*child_args, first, threads, t_measure, t_end[, seed +
    k], out)`` sharing ``connections`` threads; the window measured starts ``lead_s + warmup``
    from now and lasts ``seconds``. ``children`` holds the live processes (for a cleanup)."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    t_measure = time.monotonic() + lead_s + warmup
    t_end = t_measure + seconds
    per = [connections // procs + (1 if k < connections % procs else 0) for k in range(procs)]
    first = 0
    children.clear()
    for k in range(procs):
        tail = (seed + k,) if seed is not None else ()
        p = ctx.Process(target=child, args=(*child_args, first, per[k], t_measure, t_end, *tail, out), daemon=True)
        first += per[k]
        p.start()
        children.append(p)
    app_pgid = app.process.pid if app else None
    store_pgid = store.process.pid if store else None
    client_pids = [p.pid for p in children]
    wait_until_time(t_measure)
    boots0 = app.worker_boots() if app else 0
    c0 = (group_cpu_s(app_pgid), group_cpu_s(store_pgid), pids_cpu_s(client_pids), machine_busy())
    wait_until_time(t_end)
    c1 = (group_cpu_s(app_pgid), group_cpu_s(store_pgid), pids_cpu_s(client_pids), machine_busy())
    raw = [out.get(timeout=result_timeout_s) for _ in range(procs)]
    drain_s = time.monotonic() - t_end
    for p in children:
        p.join(30)
    children.clear()

    def share(a, b):
        return None if a is None or b is None else (b - a) / seconds

    busy = (c1[3][0] - c0[3][0]) / max(1, c1[3][1] - c0[3][1]) * (os.cpu_count() or 1)
    cpu = {"app": share(c0[0], c1[0]), "store": share(c0[1], c1[1]), "client": share(c0[2], c1[2]),
           "machine": busy}
    return Load(raw, cpu, drain_s, (app.worker_boots() - boots0) if app else 0)


# ------------------------------------------------------------------------------------------
# Numbers and the table
# ------------------------------------------------------------------------------------------

def pctl(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def fmt_rate(rate: float) -> str:
    return f"{rate:,.0f}/s" if rate >= 10 else f"{rate:.1f}/s"


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def fmt_cpu(cpu: dict, keys: Sequence[str]) -> str:
    def f(v):
        return "-" if v is None else f"{v:.2f}"
    return "/".join(f(cpu[k]) for k in keys)


def table_lines(header, rows: Sequence) -> list[str]:
    """The header, a rule and the rows, in columns separated by `` | `` (rows: tuples of
    strings or dataclasses of string fields)."""
    cells = [tuple(astuple(r) if is_dataclass(r) else r) for r in (header, *rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]

    def line(r) -> str:
        return " | ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()
    return [line(cells[0]), "-+-".join("-" * w for w in widths), *(line(r) for r in cells[1:])]


# ------------------------------------------------------------------------------------------
# main: a hard time limit and SIGTERM
# ------------------------------------------------------------------------------------------

def start_watchdog(budget_s: float, cleanup: Callable[[], None]) -> threading.Timer:
    """After ``budget_s`` seconds: ``cleanup()`` and exit 3, so the script always ends even if
    a library call hangs. Cancel the returned timer when done."""
    def watchdog() -> None:
        say(f"watchdog: the run exceeded {budget_s:.0f}s; cleaning up and exiting")
        try:
            cleanup()
        finally:
            os._exit(3)

    timer = threading.Timer(budget_s, watchdog)
    timer.daemon = True
    timer.start()
    return timer


def sigterm_interrupts() -> None:
    """SIGTERM raises KeyboardInterrupt in the main thread, so the run cleans up."""
    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
