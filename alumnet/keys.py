"""Every secret a deployment needs, made by ``alumnet keys generate DIR``; and the broker rights.

Rules it keeps:
- Secrets are made here, at deploy time, never written in the repository: the JWT key pair,
  TOKEN_ENCRYPTION_KEY (a Fernet key: encrypts) and LINK_SIGNING_KEY (signs) as two separate
  keys, one RabbitMQ user and one MongoDB user per service, each with its own password, and
  the portal's PORTAL_SESSION_KEY (a Fernet key of its own: the portal shares no key with a service).
- A service's broker user may configure, write and read only its own queues and exchange
  (``<service>.*``: retries, parking and replays go through ``<service>.requeue``), and never
  the default exchange, which reaches every queue. On ``alumnet.events`` it may publish, by
  RabbitMQ's topic authorisation only its own routing keys (``members.#``), and bind its
  queues; it may not configure it: the deployment's definitions create it, and a worker
  only declares it passively (``shared.bus.topology.ensure_exchange``).
- Files are written owner-only and never overwritten: rotating one key is a documented step
  (deploy/README.md), not a rerun that silently replaces everything.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cryptography.fernet import Fernet

from shared.auth import generate_keypair
from shared.bus.topology import EXCHANGE_NAME
from shared.config import SERVICES
from shared.secretcheck import KEY_HOLDERS, LINK_HOLDERS

VHOST = "alumnet"
OPS_USER = "ops"  # the operators' administrator (management UI); no service uses it
DB_PREFIX = "alumnet_"


@dataclass(frozen=True)
class BrokerRights:
    configure: str
    write: str
    read: str
    topic_write: str
    topic_read: str


def broker_rights(service: str) -> BrokerRights:
    """The RabbitMQ permissions of ``service``'s user (regular expressions on names)."""
    own = re.escape(service) + r"\..*"
    exchange = re.escape(EXCHANGE_NAME)
    return BrokerRights(
        configure=f"^{own}$",
        write=f"^({exchange}|{own})$",
        read=f"^({exchange}|{own})$",
        topic_write=f"^{re.escape(service)}\\.",
        topic_read=".*",  # binding keys: a service subscribes to other services' events
    )


def new_password() -> str:
    return secrets.token_urlsafe(24)


def new_link_key() -> str:
    return secrets.token_urlsafe(48)


def new_token_key() -> str:
    return Fernet.generate_key().decode()


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(4-byte salt + SHA-256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    if len(salt) != 4:
        raise ValueError("salt must be 4 bytes")
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode("ascii")


def check_password(password: str, encoded: str) -> bool:
    return password_hash(password, base64.b64decode(encoded)[:4]) == encoded


def broker_users(passwords: dict[str, str], *, vhost: str = VHOST, user_prefix: str = "") -> dict:
    """RabbitMQ definitions holding only the users, their password hashes and their rights.

    ``passwords`` maps a service (or ``ops``) to its password; the user is ``user_prefix`` +
    that name (tests use a prefix to stay apart on a shared broker).
    """
    users, permissions, topic_permissions = [], [], []
    for name, password in passwords.items():
        user = user_prefix + name
        users.append({"name": user, "password_hash": password_hash(password),
                      "hashing_algorithm": "rabbit_password_hashing_sha256",
                      "tags": ["administrator"] if name == OPS_USER else []})
        if name == OPS_USER:
            permissions.append({"user": user, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"})
            continue
        rights = broker_rights(name)
        permissions.append({"user": user, "vhost": vhost, "configure": rights.configure,
                            "write": rights.write, "read": rights.read})
        topic_permissions.append({"user": user, "vhost": vhost, "exchange": EXCHANGE_NAME,
                                  "write": rights.topic_write, "read": rights.topic_read})
    return {"vhosts": [{"name": vhost}], "users": users, "permissions": permissions,
            "topic_permissions": topic_permissions}


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def generate(directory: str | Path, *, amqp_host: str = "rabbitmq:5672", mongo_host: str = "mongo:27017",
             mongo_options: str = "replicaSet=rs0") -> list[Path]:
    """Write every secret into ``directory`` (refusing to overwrite any); return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    broker = {service: new_password() for service in SERVICES} | {OPS_USER: new_password()}
    mongo = {service: new_password() for service in SERVICES}
    token_key, link_key = new_token_key(), new_link_key()
    files: dict[str, str] = {
        # The portal's only secret: it encrypts its session cookie, which holds API tokens.
        "portal.env": f"PORTAL_SESSION_KEY={new_token_key()}\n",
        "token-encryption.key": token_key + "\n",
        "link-signing.key": link_key + "\n",
        "rabbitmq-users.json": json.dumps(broker_users(broker), indent=2) + "\n",
        "rabbitmq-ops.password": broker[OPS_USER] + "\n",
        "mongo-root.password": new_password() + "\n",
        "mongo-users.json": json.dumps(mongo, indent=2) + "\n",
        # mongod's replica-set key: 6-1024 base64 characters.
        "mongo-keyfile": secrets.token_urlsafe(96).replace("-", "+").replace("_", "/") + "\n",
    }
    for service in SERVICES:
        lines = [
            f"AMQP_URL=amqp://{service}:{quote(broker[service], safe='')}@{amqp_host}/{VHOST}",
            f"MONGO_URL=mongodb://{service}:{quote(mongo[service], safe='')}@{mongo_host}/"
            f"{DB_PREFIX}{service}?authSource=admin&{mongo_options}".rstrip("&"),
        ]
        if service in KEY_HOLDERS:
            lines += [f"TOKEN_ENCRYPTION_KEY={token_key}"]
        if service in LINK_HOLDERS:
            lines += [f"LINK_SIGNING_KEY={link_key}"]
        files[f"{service}.env"] = "\n".join(lines) + "\n"
    taken = [name for name in [*files, "jwt-private.pem", "jwt-public.pem"] if (directory / name).exists()]
    if taken:
        raise FileExistsError(f"{directory} already holds {', '.join(taken)}: rotate keys one by one "
                              "(deploy/README.md) or choose an empty directory")
    written = list(generate_keypair(directory))
    for name, text in files.items():
        _write(directory / name, text)
        written.append(directory / name)
    return written
