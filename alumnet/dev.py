"""``alumnet dev``: the whole platform in one process, no Docker, RabbitMQ or MongoDB needed.

A local SecantusDB server keeps the data under ``.dev/``, kombu's in-process memory broker
carries the events (or the RabbitMQ at ``AMQP_URL`` if one is set), every service's api is
mounted under its gateway prefix on one port, every worker runs in threads, and email and
SMS are written to ``.dev/outbox``. Demo members are signed up through the public API, so
they follow the same path as real ones. Ctrl-C or SIGTERM at any moment, the demo's loading
included, stops everything started so far, the store server last.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import threading
from pathlib import Path

from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from alumnet import demo as demo_data
from alumnet import service_module
from alumnet.gateway import Gateway, index_page
from alumnet.keys import new_link_key
from alumnet.localstore import LocalStore
from shared import logs
from shared.auth import generate_keypair
from shared.config import SERVICES, load

log = logging.getLogger("alumnet.dev")
def _dev_environment(data_dir: Path, store: LocalStore) -> dict[str, str]:
    keys = data_dir / "keys"
    if not (keys / "jwt-public.pem").exists():
        generate_keypair(keys)
    token_key = keys / "token-encryption.key"
    if not token_key.exists():
        token_key.write_bytes(Fernet.generate_key())
        token_key.chmod(0o600)
    link_key = keys / "link-signing.key"
    if not link_key.exists():
        link_key.write_text(new_link_key())
        link_key.chmod(0o600)
    env = {
        "DEV_MODE": "true",
        "MONGO_URL": store.url,
        "AMQP_URL": os.environ.get("AMQP_URL", "memory://"),
        "JWT_PUBLIC_KEY_FILE": str(keys / "jwt-public.pem"),
        "JWT_PRIVATE_KEY_FILE": str(keys / "jwt-private.pem"),
        "EMAIL_BACKEND": "file",
        "SMS_BACKEND": "file",
        "DEV_OUTBOX_DIR": str(data_dir / "outbox"),
        "TOKEN_ENCRYPTION_KEY": token_key.read_text().strip(),
        "LINK_SIGNING_KEY": link_key.read_text().strip(),
    }
    return {**os.environ, **env}


class Stop(BaseException):
    """Ctrl-C or SIGTERM: unwinds whatever the main thread is doing (starting, loading the
    demo, serving) into the clean stop. A BaseException, so no ``except Exception`` eats it."""


def _on_stop_signals(handler) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


def _stop(*_) -> None:
    _on_stop_signals(signal.SIG_IGN)  # a second Ctrl-C must not cut the clean stop short
    raise Stop()


def run(port: int, data_dir: Path, demo: bool) -> None:
    # Before anything is started: a stop at any moment must stop what was started so far.
    _on_stop_signals(_stop)
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    logs.configure("dev", os.environ.get("LOG_LEVEL", "INFO"))
    store = LocalStore(str(data_dir / "store"), log_path=str(data_dir / "store.log"))
    workers, gateway = [], None
    try:
        store.start()
        config = load(_dev_environment(data_dir, store))
        apps = {name: service_module(name, "app").create_app(config) for name in SERVICES}
        for name in SERVICES:
            workers.append(service_module(name, "worker").create_worker(config))
            workers[-1].start()
        base = f"http://127.0.0.1:{port}"
        server = make_server("127.0.0.1", port, Gateway(apps, index_page(base, list(SERVICES), config.dev_outbox_dir)),
                             threaded=True)
        threading.Thread(target=server.serve_forever, name="gateway", daemon=True).start()
        gateway = server
        loaded = demo_data.load(apps["members"], config.jwt_private_key_file, apps["events"]) if demo else {}
        print(json.dumps({"alumnet": "dev mode is running", "gateway": base,
                          "api_docs": {s: f"{base}/api/v1/{s}/docs" for s in SERVICES},
                          "dev_outbox": config.dev_outbox_dir, "store": store.url,
                          "broker": config.amqp_url, "demo_members_created": 0, **loaded,
                          "jwt_private_key": config.jwt_private_key_file,
                          "stop": "Ctrl-C"}, indent=2, ensure_ascii=False), flush=True)
        threading.Event().wait()  # until a signal raises Stop
    except Stop:
        print("stopping...", flush=True)
    finally:
        _on_stop_signals(signal.SIG_IGN)
        if gateway is not None:  # shutdown() would wait forever for a loop that never ran
            gateway.shutdown()
        for worker in workers:
            worker.stop()
        store.stop()
