"""The worker process of a service: its consumer, its outbox relay and its timers, each in a
thread, plus a small HTTP server for ``/healthz``, ``/readyz`` and ``/metrics``.

SIGTERM and SIGINT stop it gracefully: every loop is told to stop at once (the consumer stops
taking messages, finishes and acks the batch in hand, the relay finishes its window), and the
worker waits for all of them under one deadline, shorter than the 30 s a container manager
grants before it kills, then exits.

``/readyz`` is the worker's ``ready_checks`` (store, broker) plus one check per loop that has a
``ready`` attribute: a ``threading.Event`` (set while ready), a property or attribute read as a
bool, or a callable returning one. The consumer's says whether it is attached to its inbox,
the outbox relay's whether it follows its outbox (proven, not failing, its loop turning); a
loop without one contributes nothing. Each check is also the gauge ``alumnet_worker_ready``
(set whenever readiness is asked: by the probe, and by every ``/metrics`` scrape), which the
alerts on a detached consumer and a relay that stopped following watch.
"""
from __future__ import annotations

import json
import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Protocol

from shared.bus.metrics import WORKER_READY
from shared.web import metrics

log = logging.getLogger(__name__)


STOP_DEADLINE_S = 25.0  # for all loops together; Kubernetes and compose kill after 30 s


class Loop(Protocol):
    def run(self) -> None: ...
    def stop(self) -> None: ...


def loop_ready(loop: Loop) -> bool | None:
    """A loop's own readiness, or None when it declares none."""
    ready = getattr(loop, "ready", None)
    if ready is None:
        return None
    if isinstance(ready, threading.Event):
        return ready.is_set()
    return bool(ready() if callable(ready) else ready)


class PeriodicTask:
    """Runs ``tick()`` every ``interval_s`` until stopped; errors are logged, not fatal.
    ``on_stop`` tells a long tick to finish early (it runs when the worker stops)."""

    def __init__(self, name: str, tick: Callable[[], object], interval_s: float,
                 on_stop: Callable[[], None] | None = None):
        self.name, self.tick, self.interval_s, self.on_stop = name, tick, interval_s, on_stop
        self._stop = threading.Event()
        self.wakeup = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("periodic task %s failed", self.name)
            self.wakeup.wait(self.interval_s)
            self.wakeup.clear()

    def wake(self) -> None:
        self.wakeup.set()

    def stop(self) -> None:
        self._stop.set()
        if self.on_stop is not None:
            self.on_stop()
        self.wakeup.set()


@dataclass
class Worker:
    service: str
    loops: dict[str, Loop]
    ready_checks: dict[str, Callable[[], bool]] = field(default_factory=dict)
    threads: dict[str, threading.Thread] = field(default_factory=dict)
    _stopped: threading.Event = field(default_factory=threading.Event)
    # Reads the stop deadline; a test passes a clock it moves instead of waiting.
    monotonic: Callable[[], float] = time.monotonic

    def start(self) -> None:
        for name, loop in self.loops.items():
            thread = threading.Thread(target=loop.run, name=f"{self.service}-{name}", daemon=True)
            thread.start()
            self.threads[name] = thread
        log.info("%s worker started: %s", self.service, ", ".join(self.loops))

    def alive(self) -> bool:
        return all(t.is_alive() for t in self.threads.values())

    def readiness(self) -> dict[str, bool]:
        checks = {name: bool(check()) for name, check in self.ready_checks.items()}
        for name, loop in self.loops.items():
            ready = loop_ready(loop)
            if ready is not None:
                checks[name] = ready
        for name, ok in checks.items():
            WORKER_READY.labels(self.service, name).set(1 if ok else 0)
        return checks

    def stop(self, timeout_s: float = STOP_DEADLINE_S) -> None:
        """Tell every loop to stop, then wait for all of them until one deadline."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        for name, loop in self.loops.items():
            try:
                loop.stop()
            except Exception:  # the other loops must still be told
                log.exception("%s worker: stopping %s failed", self.service, name)
        deadline = self.monotonic() + timeout_s
        for thread in self.threads.values():
            thread.join(max(0.0, deadline - self.monotonic()))
        late = [name for name, thread in self.threads.items() if thread.is_alive()]
        if late:
            log.warning("%s worker: %s did not stop within %ss", self.service, ", ".join(late), timeout_s)
        log.info("%s worker stopped", self.service)

    def run_forever(self, http_port: int | None = None) -> None:
        """Start, serve health on ``http_port``, and block until SIGTERM or SIGINT."""
        stop_requested = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop_requested.set())
        server = serve_health(self, http_port) if http_port else None
        self.start()
        stop_requested.wait()
        log.info("%s worker stopping on signal", self.service)
        self.stop()
        if server:
            server.shutdown()


def serve_health(worker: Worker, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            if self.path == "/healthz":
                ok = worker.alive()
                self._send(200 if ok else 503, {"status": "ok" if ok else "a loop died"})
            elif self.path == "/readyz":
                checks = worker.readiness()
                ok = all(checks.values()) and worker.alive()
                self._send(200 if ok else 503, {"status": "ready" if ok else "not ready", "checks": checks})
            elif self.path == "/metrics":
                worker.readiness()  # the readiness gauges as of this scrape
                body, content_type = metrics.render()
                self._send_raw(200, body, content_type)
            else:
                self._send(404, {"type": "about:blank", "title": "Not Found", "status": 404},
                           "application/problem+json")

        def _send(self, status, body, content_type="application/json"):
            self._send_raw(status, json.dumps(body).encode(), content_type)

        def _send_raw(self, status, body, content_type):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # health probes would flood the logs
            pass

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    threading.Thread(target=server.serve_forever, name="worker-health", daemon=True).start()
    return server
