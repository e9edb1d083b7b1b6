"""``alumnet dev``: the whole platform in one process, no Docker, RabbitMQ or MongoDB needed.

A local SecantusDB server keeps the data under ``.dev/``, kombu's in-process memory broker
carries the events (or the RabbitMQ at ``AMQP_URL`` if one is set), every service's api is
mounted under its gateway prefix on one port with the web portal at ``/`` (an index of the
API docs at ``/dev``), every worker runs in threads, and email and SMS are written to
``.dev/outbox``. The portal calls the apis through this same gateway, as in deployment. Demo members are signed up through the public API, so
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
from alumnet import devstate
from alumnet import service_module
from alumnet.gateway import INDEX_PATH, Gateway, index_page
from alumnet.keys import new_link_key
from alumnet.localstore import LocalStore
from shared import logs
from shared.auth import generate_keypair
from shared.config import SERVICES, load

log = logging.getLogger("alumnet.dev")
# The demo's office login (an admin), beside the demo members' (alumni) logins.
DEMO_ADMIN_EMAIL = "office@example.bg"


def _key_file(path: Path, make) -> str:
    """A dev key kept under .dev/keys, so a restart keeps tokens, links and sessions valid."""
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _dev_environment(data_dir: Path, store: LocalStore, base_url: str) -> dict[str, str]:
    keys = data_dir / "keys"
    if not (keys / "jwt-public.pem").exists():
        generate_keypair(keys)
    token_key = _key_file(keys / "token-encryption.key", lambda: Fernet.generate_key().decode())
    link_key = _key_file(keys / "link-signing.key", new_link_key)
    env = {
        "DEV_MODE": "true",
        "MONGO_URL": store.url,
        "AMQP_URL": os.environ.get("AMQP_URL", "memory://"),
        "JWT_PUBLIC_KEY_FILE": str(keys / "jwt-public.pem"),
        "JWT_PRIVATE_KEY_FILE": str(keys / "jwt-private.pem"),
        "EMAIL_BACKEND": "file",
        "SMS_BACKEND": "file",
        "DEV_OUTBOX_DIR": str(data_dir / "outbox"),
        "TOKEN_ENCRYPTION_KEY": token_key,
        "LINK_SIGNING_KEY": link_key,
        # Links in emails open the portal on this gateway.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", base_url),
    }
    return {**os.environ, **env}


def _portal(data_dir: Path, base_url: str, outbox_dir: str):
    """The web portal, calling the apis through this gateway (``base_url``) like in deployment."""
    from frontends.portal.app import create_app
    from frontends.portal.settings import load as load_portal_settings

    return create_app(load_portal_settings({
        "DEV_MODE": "true",  # session cookies over plain http
        "PORTAL_API_URL": base_url,
        "PORTAL_SESSION_KEY": _key_file(data_dir / "keys" / "portal-session.key",
                                        lambda: Fernet.generate_key().decode()),
        "PORTAL_TRUSTED_PROXIES": "0",  # browsers reach it directly
        "DEV_OUTBOX_DIR": outbox_dir,
    }))


def _demo_admin(config) -> str:
    """The office's demo login; kept from an earlier run if the store already has it."""
    from alumnet.members_cli import make_admin
    from services.members.store import EmailTaken
    try:
        make_admin(config, DEMO_ADMIN_EMAIL, "Офис", "Алумни", "bg", demo_data.PASSWORD)
    except EmailTaken:
        pass
    return DEMO_ADMIN_EMAIL


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
        base = f"http://127.0.0.1:{port}"
        env = _dev_environment(data_dir, store, base)
        config = load(env)
        apps = {name: service_module(name, "app").create_app(config) for name in SERVICES}
        for name in SERVICES:
            workers.append(service_module(name, "worker").create_worker(config))
            workers[-1].start()
        portal = _portal(data_dir, base, config.dev_outbox_dir)
        server = make_server("127.0.0.1", port, Gateway(apps, index_page(base, list(SERVICES), config.dev_outbox_dir),
                                                        portal), threaded=True)
        threading.Thread(target=server.serve_forever, name="gateway", daemon=True).start()
        gateway = server
        admin = _demo_admin(config) if demo else None
        loaded = demo_data.load(apps["members"], config.jwt_private_key_file, apps["events"]) if demo else {}
        if admin:
            loaded["demo_logins"]["admin"] = admin
        devstate.write(data_dir, env, base)  # alumnet members create-admin and alumnet token use it
        print(json.dumps({"alumnet": "dev mode is running", "gateway": base, "portal": f"{base}/",
                          "index": f"{base}{INDEX_PATH}",
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
        devstate.remove(data_dir)
        if gateway is not None:  # shutdown() would wait forever for a loop that never ran
            gateway.shutdown()
        for worker in workers:
            worker.stop()
        store.stop()
