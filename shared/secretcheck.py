"""Start-up check of a deployed process's secrets (``alumnet api`` and ``alumnet worker``).

Rules it keeps:
- A process outside dev mode refuses to start when a secret it needs is missing, naming the
  setting: the broker and store URLs must carry a user and password, members and
  notifications need TOKEN_ENCRYPTION_KEY and LINK_SIGNING_KEY (two different keys: one
  encrypts, the other signs), awards needs LINK_SIGNING_KEY (it reads the nominee's one-click
  links), the members api needs its JWT signing key file.
- No secret may be a value that appears in this repository (``PUBLISHED``: dev defaults,
  example files, RabbitMQ's guest): anyone can read those.
- Dev mode (``DEV_MODE=true``, set by ``alumnet dev`` and the end-to-end tests) skips all this.
"""
from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from cryptography.fernet import Fernet

from shared.config import Config

# Every secret value written anywhere in this repository, now or in its history: the old dev
# broker users, the compose file's former published Fernet key, the example files'
# placeholders, RabbitMQ's own default user. tests/unit/test_config.py keeps it complete by
# scanning the deployment files.
PUBLISHED = frozenset({
    "guest", "alumnet", "ops", "CHANGE-ME", "change-me", "changeme", "password", "secret",
    "7IPJb2Z9nAjNQ4C8m7tXVN3kZmX3rS1HaY5DUyvP6o0=",
    "e2e-token",
})
# Services whose processes hold the one-time-token and link keys.
KEY_HOLDERS = ("members", "notifications")
# Services whose processes hold the link key only: they read one-click links, never tokens.
LINK_HOLDERS = (*KEY_HOLDERS, "awards")
MIN_SIGNING_KEY_BYTES = 32


def _url_password(name: str, url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if not parts.username or not parts.password:
        return {name: "has no user and password: every service logs in as its own user"}
    if unquote(parts.password) in PUBLISHED or unquote(parts.username) == "guest":
        return {name: "uses a password published in this repository"}
    return {}


def _published(name: str, value: str) -> dict[str, str]:
    return {name: "is a value published in this repository"} if value in PUBLISHED else {}


def _token_keys(config: Config) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not config.token_encryption_key:
        problems["TOKEN_ENCRYPTION_KEY"] = "is required (alumnet keys generate)"
    else:
        try:
            Fernet(config.token_encryption_key.encode())
        except ValueError:
            problems["TOKEN_ENCRYPTION_KEY"] = "is not a Fernet key (alumnet keys generate)"
        problems.update(_published("TOKEN_ENCRYPTION_KEY", config.token_encryption_key))
    return problems | _link_key(config)


def _link_key(config: Config) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not config.link_signing_key:
        problems["LINK_SIGNING_KEY"] = "is required (alumnet keys generate)"
    elif len(config.link_signing_key.encode()) < MIN_SIGNING_KEY_BYTES:
        problems["LINK_SIGNING_KEY"] = f"is shorter than {MIN_SIGNING_KEY_BYTES} bytes"
    elif config.link_signing_key == config.token_encryption_key:
        problems["LINK_SIGNING_KEY"] = "must differ from TOKEN_ENCRYPTION_KEY (one key signs, the other encrypts)"
    else:
        problems.update(_published("LINK_SIGNING_KEY", config.link_signing_key))
    return problems


def problems(config: Config, service: str, process: str) -> dict[str, str]:
    """Setting name -> why ``service``'s ``process`` (api or worker) must not start with it."""
    if config.dev_mode:
        return {}
    found: dict[str, str] = {}
    if config.amqp_url.startswith("memory:"):
        found["AMQP_URL"] = "memory:// is the dev mode's embedded broker"
    else:
        found.update(_url_password("AMQP_URL", config.amqp_url))
    found.update(_url_password("MONGO_URL", config.mongo_url))
    if service in KEY_HOLDERS:
        found.update(_token_keys(config))
    elif service in LINK_HOLDERS:
        found.update(_link_key(config))
    if service == "members" and process == "api" and not os.path.isfile(config.jwt_private_key_file or ""):
        found["JWT_PRIVATE_KEY_FILE"] = "is required: the members api signs access tokens"
    for name, value in (("SMTP_PASSWORD", config.smtp_password), ("SMS_AUTH_TOKEN", config.sms_auth_token),
                        ("SMS_FALLBACK_AUTH_TOKEN", config.sms_fallback_auth_token)):
        found.update(_published(name, value))
    if config.smtp_username and not config.smtp_password:
        found["SMTP_PASSWORD"] = "is required when SMTP_USERNAME is set"
    if service == "notifications" and config.sms_backend == "http" and not config.sms_auth_token:
        found["SMS_AUTH_TOKEN"] = "is required with SMS_BACKEND=http"
    if config.smtp_fallback_url and urlsplit(config.smtp_fallback_url).password:
        found.update(_url_password("SMTP_FALLBACK_URL", config.smtp_fallback_url))
    return found
